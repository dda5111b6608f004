"""A TCP echo server and a UDP echo on loopback for the relay tests (threads; bounded by socket timeouts)."""

from __future__ import annotations

import socket
import threading
import time


def tcp_echo() -> tuple[tuple[str, int], socket.socket]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(30)

    def serve() -> None:
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(c,), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname(), srv


def _echo(c: socket.socket) -> None:
    c.settimeout(30)
    try:
        while d := c.recv(65536):
            c.sendall(d)
    except OSError:
        pass
    finally:
        c.close()


def udp_echo() -> tuple[tuple[str, int], socket.socket]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(30)

    def serve() -> None:
        while True:
            try:
                d, addr = s.recvfrom(65535)
                s.sendto(d, addr)
            except OSError:
                return
    threading.Thread(target=serve, daemon=True).start()
    return s.getsockname(), s


def recv_exactly(c: socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        d = c.recv(n - len(got))
        if not d:
            break
        got += d
    return got


def tcp_sink(n: int) -> tuple[tuple[str, int], socket.socket]:
    """Reads `n` bytes per connection, then answers one byte "k" (a one-way transfer with an end mark)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(30)

    def serve() -> None:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.settimeout(30)
        try:
            got = 0
            while got < n and (d := c.recv(65536)):
                got += len(d)
            c.sendall(b"k")
        except OSError:
            pass
        finally:
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname(), srv


def one_way_seconds(address: tuple[str, int], n: int) -> float:
    """Send `n` bytes to a :func:`tcp_sink` through `address`; seconds until its end mark came back."""
    c = socket.create_connection(address, timeout=30)
    try:
        t0 = time.monotonic()
        c.sendall(b"x" * n)
        assert recv_exactly(c, 1) == b"k"
        return time.monotonic() - t0
    finally:
        c.close()

"""Raw-socket WebSocket client for hostile-input tests: it writes exactly the handshake and frame bytes it is given,
which no WebSocket library lets a test do (invalid UTF-8, reserved opcodes, oversized frames, broken URLs)."""

from __future__ import annotations

import base64
import os
import socket
import struct


def handshake(port: int, path: str, subprotocol: str = "ocpp1.6", timeout: float = 5.0) -> tuple[socket.socket, bytes]:
    """Send an upgrade request for `path` (sent verbatim, no quoting); return the socket and the HTTP response head."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n").encode("latin-1"))
    head = b""
    while b"\r\n\r\n" not in head:
        data = s.recv(65536)
        if not data:
            break
        head += data
    return s, head


def status(head: bytes) -> int:
    """The HTTP status code of a response head (0 when there is none)."""
    parts = head.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def frame(opcode: int, payload: bytes, *, declared: int | None = None) -> bytes:
    """A masked client frame; `declared` claims another payload length than the bytes that follow."""
    n = len(payload) if declared is None else declared
    b0 = 0x80 | opcode
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_code(s: socket.socket) -> int | None:
    """Read until the server's close frame; its status code (None if the server closed without one)."""
    buf = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            buf += data
            if len(buf) >= 4 and buf[0] & 0x0F == 0x8:
                return struct.unpack("!H", buf[2:4])[0]
    except OSError:
        pass
    return None

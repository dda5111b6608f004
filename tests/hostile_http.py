"""Hostile HTTP for the fake servers' regression tests (issue 13): raw bytes on a loopback socket, the answer
read back until the server closes or goes quiet, and the requests themselves (shared by the OpenADR VTN and
the IEEE 2030.5 server tests, which both serve through vgitest.httprecord)."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any, Callable


def exchange(host: str, port: int, data: bytes | list[bytes], *, timeout: float = 5.0, quiet: float = 1.0) -> bytes:
    """Send `data` (parts 0.2 s apart, as far as the server takes them) and return what came back before it
    closed or went `quiet` seconds without a byte (bounded by `timeout`)."""
    got = b""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            for i, part in enumerate([data] if isinstance(data, bytes) else data):
                if i:
                    time.sleep(0.2)
                sock.sendall(part)
        except OSError:
            pass  # the server answered and closed before taking everything: what it said is still readable
        sock.settimeout(quiet)
        while time.monotonic() < deadline:
            try:
                part = sock.recv(65536)
            except (socket.timeout, OSError):
                break
            if not part:
                break
            got += part
    return got


def status_of(answer: bytes) -> int | None:
    """The status code of the first HTTP/1.x answer in `answer`, None when there is none."""
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def many_attributes(root: bytes, n: int) -> bytes:
    """`root` (a start tag without its '>') given `n` attributes a0 .. a(n-1)."""
    return root + b" " + b" ".join(b'a%d=""' % i for i in range(n)) + b">"


# The framing violations each server must turn into a frame, a finding and an answer
BAD_FRAMING: dict[str, bytes] = {
    "bad chunk size": b"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n"
                      b"\r\nzz\r\n<a/>\r\n0\r\n\r\n",
    "Content-Length with Transfer-Encoding": b"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                                             b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             b"4\r\n<a/>\r\n0\r\n\r\n",
    "100 KB header": b"GET {path} HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    "TLS to plain HTTP": bytes.fromhex("16030100c4010000c00303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00"
                         + bytes(150),
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"),
}


MID_BODY_CHUNK = [b"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n"
                  b"\r\n4\r\n<a/>\r\n", b"zz\r\n<b/>\r\n0\r\n\r\n"]  # the bad chunk size after the handler began


def fill(part: bytes, path: str, ctype: str) -> bytes:
    return part.replace(b"{path}", path.encode()).replace(b"{ctype}", ctype.encode())


def framing(kind: str, path: str, ctype: str) -> bytes:
    return BAD_FRAMING[kind].replace(b"{path}", path.encode()).replace(b"{ctype}", ctype.encode())


def assert_bad_http_recorded(server: Any, kind: str, path: str, ctype: str, rule_id: str, caplog: Any) -> None:
    """Bad framing of `kind` sent to `server`: the answer HTTP defines, and in the trace the request's bytes with
    one `rule_id` finding and the answer; no traceback in the log."""
    sent = framing(kind, path, ctype)
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        answer = exchange(server.host, server.port, sent)
        assert wait_for(lambda: len(server.trace) >= 2)
    expected = {"100 KB header": 431, "HTTP/2 preface": 505}.get(kind, 400)
    assert status_of(answer) == expected, answer[:200]
    request, response = server.trace[0], server.trace[1]
    assert request.raw and sent.startswith(request.raw) and len(request.raw) <= 65536
    assert [f.rule_id for f in request.findings] == [rule_id]
    assert response.kind == "RESPONSE" and response.meta["status"] == expected
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback in the log"


def assert_body_too_large(server: Any, request: bytes, body: bytes, cap: int, rule_id: str) -> Any:
    """A body over the read limit (4 x `cap`): answered 413, one FAIL `rule_id` naming its size on the request
    frame, a bounded prefix kept in the frame and in the wire logs; returns the request frame."""
    from vgitest.findings import Severity
    answer = exchange(server.host, server.port, request, timeout=12)
    assert status_of(answer) == 413, answer[:200]
    assert wait_for(lambda: len(server.trace) >= 2)
    frame = server.trace[0]
    found = [f for f in frame.findings if f.rule_id == rule_id]
    assert found and found[0].severity is Severity.FAIL and str(len(body)) in found[0].message
    assert len(frame.raw) <= 4 * cap and body.startswith(frame.raw)
    assert server.trace[1].kind == "RESPONSE" and server.trace[1].meta["status"] == 413
    kept = sum(len(c.data) for w in server.wires for c in w.chunks)
    assert kept < 2 * 4 * cap + 65536, f"{kept} bytes kept for the pcapng"
    return frame

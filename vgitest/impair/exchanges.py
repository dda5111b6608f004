"""Exchanges at the device's edge of an impaired link, cut from the relay's records without parsing any protocol.

Every flow of the matrix is request/response with one request outstanding per connection (an OCPP CALL and its
CALLRESULT, an HTTP request and its response, a V2GTP request and its response, a WebSocket upgrade and its 101).
So on one connection the device's bytes and the answers alternate: an exchange starts with the first byte the
device sends after it has had an answer, and ends with the last byte of the answer written back to it before it
sends again. Its latency is what the device itself waits: both link transits, the peer's processing, and the
impairment on the way (relay delay, tbf queueing, TCP retransmissions after a kernel drop).

Bytes the peer sends before the device has asked anything (a server greeting) belong to no exchange.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .relay import DOWN, UP, Chunk


@dataclasses.dataclass
class Exchange:
    conn: int
    start_ns: int  # the device's first request byte read by the relay
    end_ns: int | None = None  # the answer's last byte written to the device (None: never answered)
    up_bytes: int = 0
    down_bytes: int = 0
    name: str | None = None  # the request's name, from the peer's trace, where the two line up
    limit_s: float | None = None  # a limit the message carried itself (a GOOSE's timeAllowedtoLive), if any

    @property
    def answered(self) -> bool:
        return self.end_ns is not None

    @property
    def latency_s(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e9


def cut(chunks: Iterable[Chunk]) -> list[Exchange]:
    """The exchanges of every connection in `chunks`, in the order they started."""
    events: dict[int, list[tuple[int, str, int]]] = {}
    for c in chunks:
        t = c.t_read_ns if c.direction == UP else c.t_write_ns
        events.setdefault(c.conn, []).append((t, c.direction, c.size))
    out: list[Exchange] = []
    for conn, evs in events.items():
        cur: Exchange | None = None
        for t, direction, size in sorted(evs):
            if direction == UP:
                if cur is None or cur.answered:
                    cur = Exchange(conn, t)
                    out.append(cur)
                cur.up_bytes += size
            elif direction == DOWN and cur is not None:
                cur.end_ns = t
                cur.down_bytes += size
    out.sort(key=lambda e: e.start_ns)
    return out


def name(exchanges: list[Exchange], requests: list[str]) -> None:
    """Give each exchange its request's name when the counts line up: as many requests as exchanges, or one
    exchange more (the connection's opening handshake, e.g. the WebSocket upgrade, which the peer's trace does not
    list as a request). Otherwise they stay unnamed (a judgement then uses the default limit)."""
    if len(exchanges) == len(requests) + 1:
        requests = ["(handshake)", *requests]
    if len(exchanges) == len(requests):
        for e, n in zip(exchanges, requests):
            e.name = n

"""Raw bytes as they crossed a socket, with timestamps: the material for pcapng evidence.

Transports record what they read in `data_received` and what they hand to `transport.write`, so the
capture shows exactly the bytes the DUT saw (for TLS: the plaintext inside the tunnel)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from .trace import Direction


# A connection's log keeps the bytes a test's capture needs, not a whole run's (issue 13): the handshake (up to
# HEAD_BYTES; Wireshark needs it), then at most MAX_BYTES of the most recent chunks. What is released, by
# `release` at the start of a test or by the cap, is only counted (`skipped`) so TCP sequence numbers stay right.
HEAD_BYTES = 64 * 1024
MAX_BYTES = 4 * 1024 * 1024
# closed connections whose logs are kept (for the evidence of the test they closed in); older ones are forgotten
KEEP_CLOSED = 64


@dataclasses.dataclass(frozen=True, slots=True)
class Chunk:
    t_ns: int
    wall: float
    direction: Direction
    data: bytes
    size: int = -1  # bytes on the wire: more than len(data) when only a prefix is kept

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.data))


@dataclasses.dataclass
class WireLog:
    """One TCP connection's byte stream in both directions."""

    connection: str
    client: tuple[str, int]  # the DUT's address
    server: tuple[str, int]  # the harness's address
    chunks: list[Chunk] = dataclasses.field(default_factory=list)
    tls: bool = False
    harness_is_client: bool = False  # the harness opened the connection (fake EVCC): `client` is then the
    # harness's address and IN chunks (sent by the DUT) travel server -> client
    closed: bool = False  # the connection is over: its log may be forgotten once no test needs it

    max_bytes: int = MAX_BYTES
    head: int = 0  # chunks[:head] are the handshake, never released
    skipped: dict = dataclasses.field(default_factory=lambda: {Direction.IN: 0, Direction.OUT: 0})
    # bytes released after the handshake, per direction

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._kept = 0  # bytes held after the handshake
        self._head_bytes = 0
        self._head_open = True

    def add(self, t_ns: int, wall: float, direction: Direction, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            if self._head_open and not self.chunks[self.head:]:
                keep = bytes(data[:max(0, HEAD_BYTES - self._head_bytes)])
                self.chunks.append(Chunk(t_ns, wall, direction, keep, len(data)))
                self.head += 1
                self._head_bytes += len(keep)
                # the handshake ends with the answer's header (HTTP 101 or the first response), or at the cap
                if (direction is not self._from_client and b"\r\n\r\n" in data) or self._head_bytes >= HEAD_BYTES:
                    self._head_open = False
                return
            keep = bytes(data[:self.max_bytes])
            self.chunks.append(Chunk(t_ns, wall, direction, keep, len(data)))
            self._kept += len(keep)
            if self._kept > self.max_bytes:
                self._drop(lambda c: self._kept > self.max_bytes // 2)

    @property
    def _from_client(self) -> Direction:
        return Direction.OUT if self.harness_is_client else Direction.IN

    def _drop(self, more: Callable[[Chunk], bool]) -> None:
        """Release the oldest chunks after the handshake while `more(chunk)` holds (under the lock)."""
        i = self.head
        while i < len(self.chunks) and more(self.chunks[i]):
            c = self.chunks[i]
            self.skipped[c.direction] += c.size
            self._kept -= len(c.data)
            i += 1
        del self.chunks[self.head:i]

    def release(self, before_ns: int) -> None:
        """Forget the bytes of chunks older than `before_ns` (the start of a test): a later capture needs only
        the handshake and their count."""
        with self._lock:
            self._head_open = False
            self._drop(lambda c: c.t_ns < before_ns)

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(c.size for c in self.chunks) + sum(self.skipped.values())

    def between(self, start_ns: int, end_ns: int | None = None) -> list[Chunk]:
        with self._lock:
            return [c for c in self.chunks if c.t_ns >= start_ns and (end_ns is None or c.t_ns <= end_ns)]


def forget_closed(wires: list[WireLog], keep: int = KEEP_CLOSED) -> None:
    """Drop (in place) the logs of all but the `keep` most recent closed connections: a run of many short or
    dropped connections kept every one (issue 13)."""
    closed = [w for w in wires if w.closed]
    if len(closed) > keep:
        drop = {id(w) for w in closed[:len(closed) - keep]}
        wires[:] = [w for w in wires if id(w) not in drop]

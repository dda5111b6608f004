"""Raw bytes as they crossed a socket, with timestamps: the material for pcapng evidence.

Transports record what they read in `data_received` and what they hand to `transport.write`, so the
capture shows exactly the bytes the DUT saw (for TLS: the plaintext inside the tunnel)."""

from __future__ import annotations

import dataclasses
import threading

from .trace import Direction


@dataclasses.dataclass(frozen=True)
class Chunk:
    t_ns: int
    wall: float
    direction: Direction
    data: bytes


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

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, t_ns: int, wall: float, direction: Direction, data: bytes) -> None:
        if data:
            with self._lock:
                self.chunks.append(Chunk(t_ns, wall, direction, bytes(data)))

    def between(self, start_ns: int, end_ns: int | None = None) -> list[Chunk]:
        with self._lock:
            return [c for c in self.chunks if c.t_ns >= start_ns and (end_ns is None or c.t_ns <= end_ns)]

"""What an impaired link does: a rate limit, a one-way delay with jitter, and packet loss. The columns of the
issue-16 impairment matrix are fixed here so the matrix, the docs and the tests name the same six links."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Impairment:
    """One link condition, applied to each direction on its own (like `netem` on both ends of a link).

    ``delay_ms`` and ``jitter_ms`` are one-way: each chunk of a direction waits delay ± jitter (uniform), so a
    request/response round trip gains about twice the delay. ``loss_pct`` is the chance that one IP packet is
    lost; ``rate_kbps`` the link's rate in kbit/s (1 kbit = 1000 bit)."""

    name: str
    rate_kbps: float | None = None
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss_pct: float = 0.0

    def __post_init__(self) -> None:
        if self.rate_kbps is not None and self.rate_kbps <= 0:
            raise ValueError(f"{self.name}: rate_kbps must be positive")
        if self.delay_ms < 0 or self.jitter_ms < 0 or self.jitter_ms > self.delay_ms:
            raise ValueError(f"{self.name}: need 0 <= jitter_ms <= delay_ms")
        if not 0 <= self.loss_pct < 100:
            raise ValueError(f"{self.name}: loss_pct must be in [0, 100)")

    @property
    def delays(self) -> bool:
        return self.delay_ms > 0

    @property
    def is_none(self) -> bool:
        return self.rate_kbps is None and not self.delays and not self.loss_pct

    def as_dict(self) -> dict[str, float | str | None]:
        return dataclasses.asdict(self)


NONE = Impairment("none")
COLUMNS: tuple[Impairment, ...] = (
    NONE,
    Impairment("9.6 kbps", rate_kbps=9.6),
    Impairment("56 kbps", rate_kbps=56.0),
    Impairment("100 ms ± 50 ms", delay_ms=100.0, jitter_ms=50.0),
    Impairment("1 % loss", loss_pct=1.0),
    Impairment("5 % loss", loss_pct=5.0),
)


def column(name: str) -> Impairment:
    for c in COLUMNS:
        if c.name == name:
            return c
    raise KeyError(f"no impairment column {name!r} (known: {', '.join(c.name for c in COLUMNS)})")

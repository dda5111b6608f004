"""Did a client poll a resource on time? A judge of the polls of one path against a pollRate, over a window of
the trace, for a test or a procedure engine to call (CACTUS's ``all-polls-at-correct-time`` is this kind of
check; its published description gives the factors below, the exact counting is our own).

A poll is the start of a read (:func:`.checks.list_reads`: further pages of one list read are not polls; two reads
in the same instant are one, :func:`.checks.one_per_instant`). For a POST or PUT cadence (a client posting
readings at its postRate) every request is one. With the rate R and the tolerance T (the ``sep2.tolerance``
budget, 1 s, unless given):

- **missed**: a gap longer than 1.5 R + T between two polls, or from the window's start to the first poll, or
  from the last poll to the window's end, misses a poll at 1.5 R + T into it, and one more every R after that
  (a client that stopped polling misses one poll per pollRate);
- the polls are **late** when two missed polls fall less than 5 R apart (one miss is tolerated per 5 R);
- **too often**: more than :data:`CROWD_MAX` polls inside any window of 3 R - T (a client keeping to R makes 3;
  one more is tolerated for a poll a test's change or a restart brought forward).

Paths: a glob as in :func:`.server.path_matches` (``/mup/*``); each concrete path it matches is judged on its own.
A path the client never requested in the window is judged too when it is named without a wildcard (every gap is
the whole window: missed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ..trace import Direction, Frame
from .checks import MISSED_FACTOR, list_reads, one_per_instant

MISS_WINDOW = 5.0  # at most one missed poll in any window of this many pollRates
CROWD_WINDOW = 3.0  # polls are counted in windows of this many pollRates...
CROWD_MAX = 4  # ...and more than this many in one is polling too often
DEFAULT_TOLERANCE_S = 1.0  # the sep2.tolerance budget's default


@dataclasses.dataclass(frozen=True)
class PollJudgement:
    """The polls of one path over a window, and what was wrong with them (empty tuples: on time)."""

    path: str
    rate_s: float
    polls: tuple[float, ...]  # seconds from the window's start
    missed: tuple[tuple[float, float], ...]  # (gap start, gap length), seconds
    late: tuple[tuple[float, float], ...]  # pairs of missed polls (when each was due) under MISS_WINDOW rates apart
    crowded: tuple[tuple[float, int], ...]  # (window start, polls in it) over CROWD_MAX

    @property
    def on_time(self) -> bool:
        return not self.late and not self.crowded

    def describe(self) -> str:
        """A sentence for a verdict's message."""
        head = f"{self.path}: {len(self.polls)} poll(s) at pollRate {self.rate_s:g} s"
        if self.on_time:
            extra = f", one missed poll tolerated (gap {self.missed[0][1]:.1f} s)" if self.missed else ""
            return f"{head}: on time{extra}"
        parts = []
        if self.late:
            gaps = ", ".join(f"{length:.1f} s from {start:.1f} s" for start, length in self.missed)
            parts.append(f"missed more than one poll within {MISS_WINDOW:g} pollRates (gaps {gaps})")
        if self.crowded:
            at, n = self.crowded[0]
            parts.append(f"{n} polls within {CROWD_WINDOW:g} pollRates from {at:.1f} s (at most {CROWD_MAX})")
        return f"{head}: " + "; ".join(parts)


def judge(times: Iterable[float], rate_s: float, *, start_s: float, end_s: float, path: str = "",
          tolerance_s: float = DEFAULT_TOLERANCE_S) -> PollJudgement:
    """Judge poll times (seconds, any epoch) of one path against `rate_s` over the window [start_s, end_s]."""
    if rate_s <= 0:
        raise ValueError(f"a pollRate is positive, not {rate_s}")
    polls = sorted(t - start_s for t in times if start_s <= t <= end_s)
    span = end_s - start_s
    limit = MISSED_FACTOR * rate_s + tolerance_s
    edges = [0.0, *polls, span]
    missed = tuple((a, b - a) for a, b in zip(edges, edges[1:]) if b - a > limit)
    misses = [a + limit + k * rate_s for a, g in missed for k in range(1 + int((g - limit) // rate_s))]
    late = tuple((a, b) for a, b in zip(misses, misses[1:]) if b - a < MISS_WINDOW * rate_s)
    window = CROWD_WINDOW * rate_s - tolerance_s
    crowded = []
    for i, t in enumerate(polls):
        n = sum(1 for u in polls[i:] if u - t < window)
        if n > CROWD_MAX:
            crowded.append((t, n))
    return PollJudgement(path, float(rate_s), tuple(polls), missed, late, tuple(crowded))


def poll_times(frames: Iterable[Frame], pattern: str, method: str = "GET") -> dict[str, list[float]]:
    """Per concrete path matching `pattern`: when the client polled it (seconds, the frames' clock). GETs count
    by read (see the module docstring), POSTs and PUTs each."""
    from .server import path_matches
    frames = list(frames)
    answers = {f.correlation: f for f in frames if f.direction is Direction.OUT and f.kind == "RESPONSE"}
    by_path: dict[str, list[tuple[Frame, Frame | None]]] = {}
    for f in frames:
        if f.direction is Direction.IN and f.kind == "REQUEST" and f.meta.get("method") == method.upper() \
                and path_matches(pattern, str(f.meta.get("path"))):
            by_path.setdefault(str(f.meta.get("path")), []).append((f, answers.get(f.correlation)))
    out: dict[str, list[float]] = {}
    for path, reqs in by_path.items():
        if method.upper() == "GET":
            reqs = one_per_instant(list_reads(reqs), 0.5)
        out[path] = [f.t_ns / 1e9 for f, _ in reqs]
    return out


def polls_on_time(frames: Iterable[Frame], pattern: str, rate_s: float, *, start_ns: int, end_ns: int,
                  method: str = "GET", tolerance_s: float = DEFAULT_TOLERANCE_S) -> dict[str, PollJudgement]:
    """Judge every concrete path matching `pattern` over [start_ns, end_ns] (the frames' monotonic clock, e.g.
    ``trace.frames[i].t_ns`` and ``time.monotonic_ns()``); a pattern without a wildcard is judged even when it was
    never polled."""
    times = poll_times(frames, pattern, method)
    if not any(c in pattern for c in "*?[") and pattern not in times:
        times[pattern] = []
    return {path: judge(ts, rate_s, start_s=start_ns / 1e9, end_s=end_ns / 1e9, path=path, tolerance_s=tolerance_s)
            for path, ts in sorted(times.items())}

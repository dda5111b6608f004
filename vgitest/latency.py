"""The harness's own latency: how long a fake peer took from a DUT frame arriving at its socket to its answer
leaving it (frame meta ``harness_latency_us``). Kept per test so a report shows the harness stayed far below
the budgets it judges."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any


def summary(samples_ns: list[int]) -> dict[str, float] | None:
    """count, median, p99 and max in µs (None without samples)."""
    if not samples_ns:
        return None
    s = sorted(samples_ns)
    p99 = s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]
    return {"count": len(s), "median_us": statistics.median(s) / 1e3, "p99_us": p99 / 1e3, "max_us": s[-1] / 1e3}


def of_frames(frames: Iterable[Any]) -> dict[str, float] | None:
    """The summary of the latencies the frames carry."""
    return summary([int(f.meta["harness_latency_us"] * 1000) for f in frames if "harness_latency_us" in f.meta])

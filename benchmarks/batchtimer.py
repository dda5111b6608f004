"""Timing many fast calls (a validation is a few µs): in batches, with the garbage collector off while timing,
as timeit does; shared by the validation benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Callable

BATCH_SECONDS = 0.002  # calls are timed in batches of about this long (a single lxml call is ~1 µs)


@dataclass(frozen=True)
class Cell:
    """One method on one message type: calls made, time spent, median time per call, hit the time cap."""

    calls: int
    seconds: float
    median_us: float
    capped: bool

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


def measure(fn: Callable[[], object], n: int, max_seconds: float) -> Cell:
    """Time ``n`` calls (fewer if ``max_seconds`` runs out) in batches; gc is off while timing, as in timeit."""
    for _ in range(3):
        fn()
    t0 = time.perf_counter()
    fn()
    single = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, min(max(n // 20, 1), int(BATCH_SECONDS / single)))
    per_call: list[float] = []
    done, spent = 0, 0.0
    deadline = time.perf_counter() + max_seconds
    gc.collect()
    gc.disable()
    try:
        while done < n:
            k = min(batch, n - done)
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            t1 = time.perf_counter()
            per_call.append((t1 - t0) / k)
            done += k
            spent += t1 - t0
            if t1 >= deadline:
                break
    finally:
        gc.enable()
    return Cell(done, spent, statistics.median(per_call) * 1e6, done < n)

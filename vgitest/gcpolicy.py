"""The garbage collector's pace while a fake peer holds a large trace (a fleet, a soak).

A trace under load holds 20,000-50,000 frames, about 250,000 objects the cyclic collector tracks. CPython runs a
full collection whenever the long-lived objects grew by a quarter, and each one walks all of them: measured
under 100 stations at full rate (`benchmarks/csms_load.py`), 13 full collections per 150,000 exchanges, each
stalling the peer's event loop for 0.1-0.3 s, together about 17 µs of every exchange (a quarter of the fake
CSMS's CPU). While any trace is that large, the thresholds below make collections rarer: young objects are
collected after 5,000 allocations instead of 700, and a full collection waits for 100 middle-aged ones instead of
10. Garbage cycles are still collected, later; the frames themselves are freed by reference counting as soon as
the trace releases them. The previous thresholds come back when the last large trace is gone.
"""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

LARGE_HEAP = (5000, 10, 100)

_lock = threading.Lock()
_holders: set[int] = set()
_saved: tuple[int, int, int] | None = None


def hold(owner: Any) -> None:
    """`owner` (a trace) is large: use LARGE_HEAP until it is garbage or `release` is called."""
    global _saved
    key = id(owner)
    with _lock:
        if key in _holders:
            return
        if not _holders:
            _saved = gc.get_threshold()  # type: ignore[assignment]
            gc.set_threshold(*LARGE_HEAP)
        _holders.add(key)
    weakref.finalize(owner, release, key)


def release(owner_or_key: Any) -> None:
    """`owner` is no longer large (or gone): the previous thresholds return with the last one."""
    global _saved
    key = owner_or_key if isinstance(owner_or_key, int) else id(owner_or_key)
    with _lock:
        if key not in _holders:
            return
        _holders.discard(key)
        if not _holders and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None


def active() -> bool:
    with _lock:
        return bool(_holders)

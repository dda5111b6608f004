"""Bounded bookkeeping for a fake peer that must hold a day-long soak (issue 13).

Per-connection id sets (CALL ids seen, answered, ...) only need the recent past: a message id reused after
thousands of newer ones, or an answer to a CALL thousands of exchanges old, is beyond what a test judges.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, MutableSet
from typing import Hashable

RECENT_IDS = 4096  # ids kept per set: far more than any test exchanges on one connection


class RecentSet(MutableSet):
    """A set that forgets its oldest members beyond `limit`, so it cannot grow with the length of a run."""

    def __init__(self, limit: int = RECENT_IDS) -> None:
        self.limit = limit
        self._d: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, x: object) -> bool:
        return x in self._d

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def add(self, x: Hashable) -> None:
        self._d[x] = None
        self._d.move_to_end(x)
        while len(self._d) > self.limit:
            self._d.popitem(last=False)

    def discard(self, x: Hashable) -> None:
        self._d.pop(x, None)

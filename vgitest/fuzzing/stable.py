"""The same examples for the same code under test, whatever else the project contains.

Hypothesis mixes into its draws (about one draw in twenty) constants it collects from every "local" module loaded
in the process: every string and number literal in vgitest itself. So adding a message text anywhere in the
harness, or importing one more module, changed which examples a derandomized fuzz case sent, and a reviewed
verdict of an independent device could flip on an unrelated commit. Against a device, those constants are noise
(they are the harness's words, not the protocol's), so the fuzz runner draws without them; hypothesis's own
constants (a fixed list per hypothesis version, which is pinned) stay.

This reaches into hypothesis internals (``providers._get_local_constants``), which is why hypothesis is pinned
exactly; ``tests/test_fuzz_kit.py`` fails if the hook moves.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

__all__ = ["without_project_constants"]

_LOCK = threading.Lock()


@contextlib.contextmanager
def without_project_constants() -> Iterator[None]:
    """Inside: hypothesis draws no constants from the project's own modules."""
    empty = Constants()
    with _LOCK:
        original = providers._get_local_constants
        providers.CONSTANTS_CACHE.cache.clear()  # allowed-constant tuples computed with the project's constants
        providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        with _LOCK:
            providers._get_local_constants = original
            providers.CONSTANTS_CACHE.cache.clear()

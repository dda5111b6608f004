"""Bounded waiting for the harness's own tests that watch a device run in the background."""

from __future__ import annotations

import time
from typing import Any


def wait_until(cond: Any, timeout: float) -> bool:
    """Whether `cond()` became true within `timeout` seconds (polled every 50 ms, then checked once more)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())

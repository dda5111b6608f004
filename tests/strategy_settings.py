"""Example counts of the strategy tests: 50 per message (what issue 15 asks for), in CI too;
``VGITEST_STRATEGY_EXAMPLES`` sets another count (docs/fuzzing-strategies.md has the figures)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("VGITEST_STRATEGY_EXAMPLES", "50"))


def drawn_settings(n: int = EXAMPLES) -> settings:
    """Derandomized, no example database: the same documents on every run of one hypothesis version."""
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

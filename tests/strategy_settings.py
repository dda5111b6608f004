"""Example counts of the XML strategy tests: 15 per message in CI (to keep CI under its time target);
``VGITEST_STRATEGY_EXAMPLES=50`` draws what issue 15 asks for (docs/fuzzing-strategies.md has the figures). The
OCPP strategy test draws 50 per message always (tests/ocpp/test_strategies.py: cheap)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("VGITEST_STRATEGY_EXAMPLES", "15"))


def drawn_settings(n: int = EXAMPLES) -> settings:
    """Derandomized, no example database: the same documents on every run of one hypothesis version."""
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

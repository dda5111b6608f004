"""Shared knobs of the OCPP 2.0.1 suite: the PIXIT timers every test waits with (all bounded, all short for the
reference station, all overridable by a vendor's profile)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest


@dataclasses.dataclass(frozen=True)
class Timers:
    wait: float  # how long a test waits for a message the scenario requires
    quiet: float  # how long a test watches for a message the scenario forbids
    connector: int  # the EVSE under test (one connector per EVSE)
    tolerance: float


@pytest.fixture
def t(vgi_profile: Any, vgi_budgets: Any) -> Timers:
    return Timers(wait=float(vgi_profile.param("message_wait", 10)), quiet=float(vgi_profile.param("quiet_wait", 2)),
                  connector=int(vgi_profile.param("connector", 1)),
                  tolerance=float(vgi_budgets.timing("ocpp", "tolerance").value_s or 0))

"""The PIXIT timers every OCPP 2.x case waits with (all bounded, all short for the reference stations, all
overridable by a vendor's profile): one fixture `t` for suites/ocpp201 and suites/ocpp21, whose cases share it."""

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


__all__ = ["Timers", "t"]

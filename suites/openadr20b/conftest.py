"""Shared knobs of the OpenADR 2.0b suite: the PIXIT timers every test waits with (all bounded, short for the
reference VEN, overridable by a vendor's profile)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest


@dataclasses.dataclass(frozen=True)
class Timers:
    wait: float  # how long a test waits for a payload the scenario requires
    quiet: float  # how long a test watches for a payload the scenario forbids
    poll: float  # the poll interval the fake VTN grants
    tolerance: float


@pytest.fixture
def t(vgi_profile: Any, vgi_budgets: Any) -> Timers:
    poll = float(vgi_profile.param("poll_freq_s", 10))
    return Timers(wait=float(vgi_profile.param("message_wait", 10)) + 2 * poll,
                  quiet=float(vgi_profile.param("quiet_wait", 2)) + 2 * poll, poll=poll,
                  tolerance=float(vgi_budgets.timing("openadr", "tolerance").value_s or 0))

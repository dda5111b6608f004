"""Shared knobs of the OpenADR 3 suite: the PIXIT timers every case waits with (all bounded, short for the
reference VEN, overridable by a vendor's profile), and letting the VEN's start-up end before the first case."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest


@dataclasses.dataclass(frozen=True)
class Timers:
    wait: float  # how long a case waits for a request the scenario requires (message_wait plus a read of events)
    poll: float  # how long a case waits for the VEN to read the events
    register: float  # how long a (re)registration may take


@pytest.fixture
def t(vgi_profile: Any) -> Timers:
    poll = float(vgi_profile.param("poll_wait", 5))
    return Timers(wait=float(vgi_profile.param("message_wait", 5)) + poll, poll=poll,
                  register=float(vgi_profile.param("register_wait", 10)))


@pytest.fixture(scope="session", autouse=True)
def _started_before_the_first_case(vgi_run: Any, vgi_profile: Any) -> None:
    """The VEN is switched on when the first case sets up: let its start-up (token, VEN object, subscription,
    first read of the events) end before the first case's frames begin, so that no case sees it by chance. Bounded
    by register_wait; nothing is judged here."""
    if str(vgi_profile.dut.get("protocol", "")) != "openadr3":
        return
    from vgitest.openadr3.states import read_events
    vtn = vgi_run.ensure_peer("openadr3")
    start = len(vtn.trace)
    vgi_run.ensure_dut()
    read_events(vtn.session, start, float(vgi_profile.param("register_wait", 10)))

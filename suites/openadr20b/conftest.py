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


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After each test body, before its frames are judged: wait (bounded) until the VEN is idle again
    (vgitest.openadr.states.quiet). A VEN's reaction to the test's last payload (its answer, a poll right after a
    payload, the rest of a registration) is then always judged in this test, never by chance in the next one.
    trylast: this wrapper sits inside the plugin's, which judges the frames after it returns."""
    try:
        return (yield)
    finally:
        args = getattr(item, "funcargs", {})
        ven = args.get("ven") or args.get("registered_ven")
        if ven is not None:
            from vgitest.openadr.states import quiet
            from vgitest.fixturekit import RUN
            quiet(ven, item.config.stash[RUN].require_profile())


@pytest.fixture(scope="session", autouse=True)
def _idle_before_the_first_test(vgi_run: Any, vgi_profile: Any) -> None:
    """The VEN is switched on when the first test sets up (session fixtures come first): let its power-on
    registration run to its end before the first test's frames begin, or the first test's window would start
    somewhere inside that registration, depending on timing."""
    if str(vgi_profile.dut.get("protocol", "")) != "openadr":
        return
    from vgitest.openadr.states import started
    session = vgi_run.ensure_peer("openadr").session
    vgi_run.ensure_dut()
    started(session, vgi_profile)

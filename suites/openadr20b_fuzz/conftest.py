"""The OpenADR 2.0b fuzz suite runs on a VEN that registered by itself and is idle between cases (the same two
steps as suites/openadr20b: vgitest.openadr.states.started before the first case, quiet after each)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After each case, before its frames are judged: wait (bounded) until the VEN is idle again, so that its
    reaction to the case's last payload is judged in this case."""
    try:
        return (yield)
    finally:
        ven = getattr(item, "funcargs", {}).get("registered_ven")
        if ven is not None:
            from vgitest.fixturekit import RUN
            from vgitest.openadr.states import quiet
            quiet(ven, item.config.stash[RUN].require_profile())


@pytest.fixture(scope="session", autouse=True)
def _idle_before_the_first_test(vgi_run: Any, vgi_profile: Any) -> None:
    """Let the VEN's power-on registration end before the first case's frames begin."""
    if str(vgi_profile.dut.get("protocol", "")) != "openadr":
        return
    from vgitest.openadr.states import started
    session = vgi_run.ensure_peer("openadr").session
    vgi_run.ensure_dut()
    started(session, vgi_profile)

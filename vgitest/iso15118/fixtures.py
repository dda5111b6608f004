"""pytest fixtures of ISO 15118 / DIN SPEC 70121 suites: the fake SECC (an EV under test) and the fake EVCC (an
EVSE under test)."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import peer_for_test


@pytest.fixture
def secc(dut: Any, request: pytest.FixtureRequest) -> Any:
    """The fake SECC (an EV under test): script its answers, then `dut.perform("plug_in")` and
    `secc.next_session(timeout)`."""
    fake = peer_for_test(request, "iso15118", role="ev")
    fake.reset_for_test()
    return fake


@pytest.fixture
def evcc(dut: Any, request: pytest.FixtureRequest) -> Any:
    """The fake EVCC (an EVSE under test): script its requests, then `evcc.charge()` runs one session."""
    fake = peer_for_test(request, "iso15118", role="evse")
    fake.reset_for_test()
    return fake

"""pytest fixtures of the IEC 61850 suites: the fake peer of the profile's role for the Table 5 flow."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import peer_for_test


@pytest.fixture
def flow_peer(request: pytest.FixtureRequest) -> Any:
    """The fake peer of this profile's role (a fake EVSE tests an EV, a fake EV tests an EVSE): `flow()` runs one
    Table 5 flow with the device and returns what it saw. NOT_APPLICABLE where the link cannot be made."""
    fake = peer_for_test(request, "iec61850")
    fake.dut = request.getfixturevalue("dut")
    fake.budgets = request.getfixturevalue("vgi_run").budgets
    fake.reset_for_test()
    return fake


@pytest.fixture
def flow_evse(request: pytest.FixtureRequest) -> Any:
    """The fake EVSE (an EV under test)."""
    peer_for_test(request, "iec61850", role="ev")
    return request.getfixturevalue("flow_peer")


@pytest.fixture
def flow_ev(request: pytest.FixtureRequest) -> Any:
    """The fake EV (an EVSE under test)."""
    peer_for_test(request, "iec61850", role="evse")
    return request.getfixturevalue("flow_peer")

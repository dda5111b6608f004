"""pytest fixtures of SLAC suites: the fake SLAC peer of the profile's role."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import peer_for_test
from ..run import VgiRun


@pytest.fixture
def slac(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake SLAC peer of this profile's role (a fake EVSE tests an EV, a fake EV tests an EVSE):
    `slac.match()` runs one matching session with the device and returns what it saw. NOT_APPLICABLE where the
    link cannot be made (no network namespaces for the veth pair)."""
    fake = peer_for_test(request, "slac")
    fake.dut = request.getfixturevalue("dut")
    fake.dut_recording = getattr(vgi_run.simulator, "own_records", None)
    fake.reset_for_test()
    return fake


@pytest.fixture
def slac_evse(request: pytest.FixtureRequest) -> Any:
    """The fake SLAC EVSE (an EV under test)."""
    peer_for_test(request, "slac", role="ev")
    return request.getfixturevalue("slac")


@pytest.fixture
def slac_ev(request: pytest.FixtureRequest) -> Any:
    """The fake SLAC EV (an EVSE under test)."""
    peer_for_test(request, "slac", role="evse")
    return request.getfixturevalue("slac")

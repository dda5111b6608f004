"""pytest fixtures of the OpenADR 3 suite: the fake VTN, the VEN under test as the VTN sees it, and the reusable
state Registered."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import peer_for_test, session_for_test


@pytest.fixture
def vtn3(request: pytest.FixtureRequest) -> Any:
    """The fake OpenADR 3 VTN (started once per session; every exchange of this test is checked and kept)."""
    return peer_for_test(request, "openadr3")


@pytest.fixture
def ven3(vtn3: Any, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The OpenADR 3 VEN under test as the fake VTN sees it (per-test overrides reset, the test's events only)."""
    return session_for_test(vtn3.session, request)


@pytest.fixture
def registered_ven3(ven3: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Registered: the VEN has a token, its VEN object, its subscription, and reads the events."""
    from .states import registered
    registered(ven3, dut, vgi_profile)
    return ven3

"""pytest fixtures of OpenADR suites: the fake VTN, the VEN under test as the VTN sees it, the reusable state
Registered, and the run's test PKI."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import generated_pki, peer_for_test, session_for_test


@pytest.fixture
def vtn(request: pytest.FixtureRequest) -> Any:
    """The fake VTN (started once per session; every exchange of this test is checked and kept as evidence)."""
    return peer_for_test(request, "openadr")


@pytest.fixture
def ven(vtn: Any, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The VEN under test as the fake VTN sees it (per-test overrides and queue reset)."""
    return session_for_test(vtn.session, request)


@pytest.fixture
def registered_ven(ven: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Registered: the VEN is registered, its reports are registered and it polls."""
    from .states import registered
    registered(ven, dut, vgi_profile)
    return ven


@pytest.fixture
def oadr_pki(vtn: Any, request: pytest.FixtureRequest) -> Any:
    """The OpenADR test PKI generated for this run (good, untrusted and expired VTN certificates)."""
    return generated_pki(request, "swaps the VTN's certificate")

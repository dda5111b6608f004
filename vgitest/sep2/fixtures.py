"""pytest fixtures of IEEE 2030.5 suites: the fake 2030.5 server, the DER client under test as it sees it, the
reusable state Following, and the run's CSIP test PKI."""

from __future__ import annotations

from typing import Any

import pytest

from ..fixturekit import generated_pki, peer_for_test, session_for_test


@pytest.fixture
def sep2_server(request: pytest.FixtureRequest) -> Any:
    """The fake IEEE 2030.5 server (started once per session; every exchange of this test is checked)."""
    return peer_for_test(request, "sep2")


@pytest.fixture
def der_client(sep2_server: Any, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The DER client under test as the fake 2030.5 server sees it (per-test overrides and outage reset)."""
    return session_for_test(sep2_server.session, request)


@pytest.fixture
def following_client(der_client: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Following: the client walked from DeviceCapability to its DERProgramList and polls it."""
    from .states import following
    following(der_client, dut, vgi_profile)
    return der_client


@pytest.fixture
def csip_pki(sep2_server: Any, request: pytest.FixtureRequest) -> Any:
    """The CSIP test PKI generated for this run (chains of depth 2-4, the COMM-004 negative chains)."""
    return generated_pki(request, "serves the client other server certificate chains")

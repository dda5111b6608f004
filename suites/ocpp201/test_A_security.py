"""Security profiles 2 and 3 (OCPP 2.0.1 block A): TLS with a valid CSMS certificate, the station's client
certificate, and the negative TLS matrix (vgitest.ocpp.tlsmatrix): a CSMS the station must not trust is refused,
and a refused CSMS certificate is reported as a security event."""

from __future__ import annotations

import pytest

from vgitest.ocpp import basicauth as b
from vgitest.ocpp import tlsmatrix as m
from vgitest.ocpp import upgrade

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")  # 2.1 keeps the transport security (runs ocpp21-sp2/-sp3)


@pytest.mark.vgi_case("TC_A_04_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_04_CS(csms, dut, vgi_profile, request):
    """With a CSMS whose certificate is valid, the station restarts, completes TLS 1.2 or later (with an OCPP
    cipher suite on 1.2), is let in with its credentials and boots."""
    m.needs_tls(request, vgi_profile)
    m.judge_good_connection(csms.session(str(vgi_profile.dut["identity"])), dut, vgi_profile)


@pytest.mark.vgi_case("TC_A_07_CS", feature="Security", requires=("Core", "SecurityProfile3"))
def test_TC_A_07_CS(csms, dut, vgi_profile, request):
    """Security profile 3: after a restart the station authenticates with its client certificate, which names the
    CPO as organization and the station as common name, and boots."""
    m.needs_tls(request, vgi_profile, 3)
    m.judge_good_connection(csms.session(str(vgi_profile.dut["identity"])), dut, vgi_profile)


@pytest.mark.vgi_case("TC_A_05_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_05_CS(station, vgi_profile, request):
    """A CSMS whose certificate comes from a root the station does not trust gets no WebSocket: the station breaks
    off the handshake, and once the trusted CSMS is back it reports InvalidCsmsCertificate."""
    m.run_row(request, station, vgi_profile, "wrong-ca")


@pytest.mark.vgi_case("TC_VGI_TLS_01_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_01_CS(station, vgi_profile, request):
    """vgitest's own case: a CSMS certificate of the trusted root, for the right host, but expired, is refused."""
    m.run_row(request, station, vgi_profile, "expired")


@pytest.mark.vgi_case("TC_VGI_TLS_02_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_02_CS(station, vgi_profile, request):
    """vgitest's own case: a valid CSMS certificate of the trusted root that names another host is refused."""
    m.run_row(request, station, vgi_profile, "wrong-name")


@pytest.mark.vgi_case("TC_A_06_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_06_CS(station, vgi_profile, request):
    """A CSMS that speaks only TLS 1.0 and 1.1 (below the 1.2 the station must require) is refused."""
    m.run_row(request, station, vgi_profile, "tls-version")


@pytest.mark.vgi_case("TC_VGI_TLS_04_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_04_CS(station, vgi_profile, request):
    """vgitest's own case: a CSMS that offers only a TLS 1.2 suite outside the OCPP list (RSA key transport, CBC
    with SHA-1) is refused."""
    m.run_row(request, station, vgi_profile, "weak-cipher")


# 2.1 keeps the upgrade (A05) but changes SetNetworkProfile's connection data (B09): not carried yet
@pytest.mark.vgi_protocol("ocpp", "2.0.1")
@pytest.mark.vgi_case("TC_A_19_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_19_CS(booted_station, dut, vgi_profile, request):
    """Moved up one security profile by the CSMS (a profile in a spare slot put first, then a reset), the station
    comes back over the higher profile, boots, reports it in SecurityCtrlr.SecurityProfile and has dropped the slot of
    the lower one from NetworkConfigurationPriority; the installer's action puts it back afterwards."""
    upgrade.judge_upgrade(request, booted_station, dut, vgi_profile)


# 2.1 allows a change from profile 3 to 2 (2.1 Part 0 §2, A05): its twin is suites/ocpp21/test_A_security21.py
@pytest.mark.vgi_protocol("ocpp", "2.0.1")
@pytest.mark.vgi_case("TC_A_22_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_A_22_CS(booted_station, vgi_profile, request):
    """A station running security profile 2 or 3 refuses to be configured to the profile below it (SetNetworkProfile)."""
    m.judge_no_downgrade(booted_station, m.needs_profile(request, vgi_profile, 2))


@pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")
@pytest.mark.vgi_case("TC_A_01_CS", feature="Security", requires=("Core",))
def test_TC_A_01_CS(csms, dut, vgi_profile, request):
    """Security profiles 1 and 2: after a restart the station opens the WebSocket with HTTP Basic credentials whose
    user name is its identity and whose password has 16 to 40 identifierString characters, and boots."""
    b.needs_basic(request, vgi_profile)
    b.judge_basic_auth(csms.session(str(vgi_profile.dut["identity"])), dut, vgi_profile)


@pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")
@pytest.mark.vgi_case("TC_A_09_CS", feature="Security", requires=("Core",))
def test_TC_A_09_CS(booted_station, dut, vgi_profile, request):
    """A valid new BasicAuthPassword set over OCPP is accepted and the station connects with it next time."""
    b.needs_basic(request, vgi_profile)
    b.judge_password_update(booted_station, dut, vgi_profile)


@pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")
@pytest.mark.vgi_case("TC_A_10_CS", feature="Security", requires=("Core",))
def test_TC_A_10_CS(booted_station, vgi_profile, request):
    """A new BasicAuthPassword shorter than 16 characters is Rejected and the station keeps its password."""
    b.needs_basic(request, vgi_profile)
    b.judge_password_rejected(booted_station, vgi_profile)

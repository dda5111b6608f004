"""Security profiles 2 and 3 (OCPP 1.6 security extension): TLS with a valid CSMS certificate, the station's client
certificate, and the negative TLS matrix (vgitest.ocpp.tlsmatrix): a CSMS the station must not trust is refused,
and a refused CSMS certificate is reported as a security event."""

from __future__ import annotations

import pytest

from vgitest.ocpp import basicauth as b
from vgitest.ocpp import tlsmatrix as m

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_086_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_086_CS(csms, dut, vgi_profile, request):
    """With a CSMS whose certificate is valid, the station restarts, completes TLS 1.2 or later (with an OCPP
    cipher suite on 1.2), is let in with its credentials and boots."""
    m.needs_tls(request, vgi_profile)
    m.judge_good_connection(csms.session(str(vgi_profile.dut["identity"])), dut, vgi_profile)


@pytest.mark.vgi_case("TC_087_CS", feature="Security", requires=("Core", "SecurityProfile3"))
def test_TC_087_CS(csms, dut, vgi_profile, request):
    """Security profile 3: after a restart the station authenticates with its client certificate, which names the
    CPO as organization and the station as common name, and boots."""
    m.needs_tls(request, vgi_profile, 3)
    m.judge_good_connection(csms.session(str(vgi_profile.dut["identity"])), dut, vgi_profile)


@pytest.mark.vgi_case("TC_078_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_078_CS(station, vgi_profile, request):
    """A CSMS whose certificate comes from a root the station does not trust gets no WebSocket: the station breaks
    off the handshake, and once the trusted CSMS is back it reports InvalidCentralSystemCertificate."""
    m.run_row(request, station, vgi_profile, "wrong-ca")


@pytest.mark.vgi_case("TC_VGI_TLS_01_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_01_CS(station, vgi_profile, request):
    """vgitest's own case: a CSMS certificate of the trusted root, for the right host, but expired, is refused."""
    m.run_row(request, station, vgi_profile, "expired")


@pytest.mark.vgi_case("TC_VGI_TLS_02_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_02_CS(station, vgi_profile, request):
    """vgitest's own case: a valid CSMS certificate of the trusted root that names another host is refused."""
    m.run_row(request, station, vgi_profile, "wrong-name")


@pytest.mark.vgi_case("TC_VGI_TLS_03_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_03_CS(station, vgi_profile, request):
    """vgitest's own case: a CSMS that speaks only TLS 1.0 and 1.1 is refused."""
    m.run_row(request, station, vgi_profile, "tls-version")


@pytest.mark.vgi_case("TC_VGI_TLS_04_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_VGI_TLS_04_CS(station, vgi_profile, request):
    """vgitest's own case: a CSMS that offers only a TLS 1.2 suite outside the OCPP list (RSA key transport, CBC
    with SHA-1) is refused."""
    m.run_row(request, station, vgi_profile, "weak-cipher")


@pytest.mark.vgi_case("TC_084_CS", feature="Security", requires=("Core", "SecurityProfile2"))
def test_TC_084_CS(booted_station, vgi_profile, request):
    """A station running security profile 2 or 3 refuses to be configured to the profile below it (the configuration key SecurityProfile)."""
    m.judge_no_downgrade(booted_station, m.needs_profile(request, vgi_profile, 2))


@pytest.mark.vgi_case("TC_073_CS", feature="Security", requires=("Core",))
def test_TC_073_CS(booted_station, dut, vgi_profile, request):
    """Security profiles 1 and 2: a valid new password set as AuthorizationKey is accepted and the station's next
    connection (which it opens at once) authenticates with it."""
    b.needs_basic(request, vgi_profile)
    b.judge_password_update(booted_station, dut, vgi_profile)

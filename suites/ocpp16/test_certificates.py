"""Certificate management of the 1.6 security extension: installing root certificates, listing them, deleting one
(vgitest.ocpp.certcases; every root a case installs is fresh and removed again)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import certcases as c
from vgitest.ocpp import tlsmatrix as m

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_075_1_CS", feature="Security", requires=("Core", "CertificateManagement"))
def test_TC_075_1_CS(booted_station):
    """A new CentralSystemRootCertificate is accepted and then listed by GetInstalledCertificateIds."""
    c.judge_install(booted_station, "CentralSystemRootCertificate")


@pytest.mark.vgi_case("TC_075_2_CS", feature="Security", requires=("Core", "CertificateManagement"))
def test_TC_075_2_CS(booted_station):
    """A new ManufacturerRootCertificate is accepted and then listed by GetInstalledCertificateIds."""
    c.judge_install(booted_station, "ManufacturerRootCertificate")


@pytest.mark.vgi_case("TC_076_CS", feature="Security", requires=("Core", "CertificateManagement"))
def test_TC_076_CS(booted_station):
    """A listed root certificate is deleted on request (Accepted) and is no longer listed."""
    c.judge_delete(booted_station)


@pytest.mark.vgi_case("TC_074_CS", feature="Security", requires=("Core", "CertificateManagement", "SecurityProfile2"))
def test_TC_074_CS(booted_station, vgi_profile, request):
    """Asked to renew its certificate, the station sends a CSR naming itself (CN) and the CPO (O), and accepts
    the chain the CPO's CA signed from it (the run's test PKI holds that CA)."""
    c.judge_renewal(booted_station, m.needs_tls(request, vgi_profile), float(vgi_profile.param("message_wait", 5)))


@pytest.mark.vgi_case("TC_077_CS", feature="Security", requires=("Core", "CertificateManagement", "SecurityProfile2"))
def test_TC_077_CS(booted_station, vgi_profile, request):
    """A chain for the station's CSR signed by a CA it does not trust is Rejected, and the station reports the
    invalid certificate as a security event."""
    c.judge_invalid_renewal(booted_station, m.needs_tls(request, vgi_profile),
                            float(vgi_profile.param("message_wait", 5)))

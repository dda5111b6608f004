"""M: ISO 15118 and security certificate management — installing root certificates, listing them, and deleting
one, an unknown one, and the station's own (vgitest.ocpp.certcases; every root a case installs is fresh and removed
again)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import certcases as c
from vgitest.ocpp import tlsmatrix as m

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


@pytest.mark.vgi_case("TC_M_01_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_01_CS(booted_station):
    """A new CSMSRootCertificate is accepted and then listed by GetInstalledCertificateIds."""
    c.judge_install(booted_station, "CSMSRootCertificate")


@pytest.mark.vgi_case("TC_M_02_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_02_CS(booted_station):
    """A new ManufacturerRootCertificate is accepted and then listed by GetInstalledCertificateIds."""
    c.judge_install(booted_station, "ManufacturerRootCertificate")


@pytest.mark.vgi_case("TC_M_20_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_20_CS(booted_station):
    """A listed CSMSRootCertificate is deleted on request (Accepted) and is no longer listed."""
    c.judge_delete(booted_station)


@pytest.mark.vgi_case("TC_M_22_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_22_CS(booted_station):
    """Deleting a certificate the station does not have is answered NotFound."""
    c.judge_delete_unknown(booted_station)


@pytest.mark.vgi_case("TC_M_23_CS", feature="Certificate management",
                      requires=("Core", "CertificateManagement", "SecurityProfile3"))
def test_TC_M_23_CS(booted_station, vgi_profile, request):
    """The station refuses to delete its own ChargingStationCertificate (NotFound or Failed); the run's test PKI
    knows that certificate, so the run uses security profile 3."""
    c.judge_delete_own(booted_station, m.needs_tls(request, vgi_profile, 3))


@pytest.mark.vgi_case("TC_A_11_CS", feature="Security", requires=("Core", "CertificateManagement", "SecurityProfile2"))
def test_TC_A_11_CS(booted_station, vgi_profile, request):
    """Asked to renew its certificate, the station sends a CSR naming itself (CN) and the CPO (O), and accepts
    the chain the CPO's CA signed from it (the run's test PKI holds that CA)."""
    c.judge_renewal(booted_station, m.needs_tls(request, vgi_profile), float(vgi_profile.param("message_wait", 5)))


@pytest.mark.vgi_case("TC_A_14_CS", feature="Security", requires=("Core", "CertificateManagement", "SecurityProfile2"))
def test_TC_A_14_CS(booted_station, vgi_profile, request):
    """A chain for the station's CSR signed by a CA it does not trust is Rejected, and the station reports the
    invalid certificate as a security event."""
    c.judge_invalid_renewal(booted_station, m.needs_tls(request, vgi_profile),
                            float(vgi_profile.param("message_wait", 5)))


@pytest.mark.vgi_case("TC_A_15_CS", feature="Security", requires=("Core", "CertificateManagement", "SecurityProfile3"))
def test_TC_A_15_CS(booted_station, vgi_profile, request):
    """Security profile 3: asked to renew its certificate, the station accepts the trigger and sends its CSR even
    though the CSMS will refuse it; after the refusal it goes on answering."""
    c.judge_renewal_refused_by_csms(booted_station, m.needs_tls(request, vgi_profile, 3),
                                    float(vgi_profile.param("message_wait", 5)))


@pytest.mark.vgi_case("TC_M_07_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_07_CS(booted_station):
    """A CSMSRootCertificate whose validity period has ended is refused (Rejected) and not listed afterwards."""
    c.judge_install_expired(booted_station)


@pytest.mark.vgi_case("TC_M_12_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_12_CS(booted_station):
    """Asked for its CSMSRootCertificates, the station lists them (among them one installed just before) and no
    certificate of another type (a ManufacturerRootCertificate is installed too, so that one would show)."""
    c.judge_listed_by_type(booted_station, ["CSMSRootCertificate"], decoy="ManufacturerRootCertificate")


@pytest.mark.vgi_case("TC_M_13_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_13_CS(booted_station):
    """As TC_M_12_CS for the ManufacturerRootCertificates."""
    c.judge_listed_by_type(booted_station, ["ManufacturerRootCertificate"], decoy="CSMSRootCertificate")


@pytest.mark.vgi_case("TC_M_17_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_17_CS(booted_station):
    """Asked for two types at once (CSMSRootCertificate and ManufacturerRootCertificate), the station lists the
    certificates of both, each under its own type, and nothing else (an MORootCertificate is installed too, where
    the station takes one)."""
    c.judge_listed_by_type(booted_station, ["CSMSRootCertificate", "ManufacturerRootCertificate"],
                           decoy="MORootCertificate")


@pytest.mark.vgi_case("TC_M_18_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_18_CS(booted_station):
    """Asked without a certificate type, the station lists every certificate it holds (among them a
    CSMSRootCertificate, a ManufacturerRootCertificate and, where the station takes one, an MORootCertificate
    installed just before)."""
    c.judge_listed_by_type(booted_station, ["CSMSRootCertificate", "ManufacturerRootCertificate"], ask_all=True,
                           decoy="MORootCertificate")


@pytest.mark.vgi_case("TC_M_19_CS", feature="Certificate management", requires=("Core", "CertificateManagement"))
def test_TC_M_19_CS(booted_station):
    """Asked for a certificate type it holds none of, the station answers NotFound."""
    c.judge_none_listed(booted_station)

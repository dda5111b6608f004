"""Certificate management of the 1.6 security extension: installing root certificates, listing them, deleting one
(vgitest.ocpp.certcases; every root a case installs is fresh and removed again)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import certcases as c

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

"""N: Diagnostics — the station's logs uploaded on request over the harness's file service (N01) and what it holds
about a customer, reported and cleared on request (N09, N10). The uploads are judged against what the file service
recorded (transfers.json in each case's evidence); vgitest/ocpp/diagcases.py."""

from __future__ import annotations

import pytest

from vgitest.ocpp import diagcases as d
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.files import REFUSE

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

LOGS, CUSTOMER = "Log upload", "Customer information"


def log_timeout(profile) -> float:
    return float(profile.param("diagnostics_timeout", 60))


@pytest.mark.vgi_case("TC_N_25_CS", feature=LOGS, requires=("Core",))
def test_TC_N_25_CS(booted_station, vgi_profile, file_server, t):
    """The diagnostics log on request: GetLog is Accepted with the file's name, the station reports Uploading, puts
    that file whole into the location and then reports Uploaded, every report naming the request."""
    d.log_upload(booted_station, file_server, "DiagnosticsLog", file_server.upload_location(), "uploaded",
                 log_timeout(vgi_profile), t.quiet)


@pytest.mark.vgi_case("TC_N_26_CS", feature=LOGS, requires=("Core",))
def test_TC_N_26_CS(booted_station, vgi_profile, file_server, t):
    """A location that refuses every upload (HTTP 403): after Uploading and its retries the station reports a
    failure (UploadFailure, or the more precise BadMessage / PermissionDenied / NotSupportedOperation), never
    Uploaded; the file service must have seen it try."""
    d.log_upload(booted_station, file_server, "DiagnosticsLog", file_server.upload_location(REFUSE), "upload_failed",
                 log_timeout(vgi_profile), t.quiet)


@pytest.mark.vgi_case("TC_N_35_CS", feature=LOGS, requires=("Core",))
def test_TC_N_35_CS(booted_station, vgi_profile, file_server, t):
    """As TC_N_25_CS for the security log: Accepted, Uploading, the named file uploaded whole, Uploaded."""
    d.log_upload(booted_station, file_server, "SecurityLog", file_server.upload_location(), "uploaded",
                 log_timeout(vgi_profile), t.quiet)


@pytest.mark.vgi_case("TC_N_36_CS", feature=LOGS, requires=("Core",))
def test_TC_N_36_CS(booted_station, vgi_profile, file_server, t):
    """While a first upload is still running (its location takes the bytes slowly), a second GetLog is answered
    AcceptedCanceled (the first upload is given up) and the second log is then uploaded and reported Uploaded."""
    d.second_request(booted_station, file_server, log_timeout(vgi_profile), t.wait, t.quiet)


def known_customer(station, dut, profile, t) -> dict:
    """Preamble: the valid idToken is presented and authorized, so the station holds data about it (its
    authorization cache); the session it may start is ended in the case's clean-up."""
    s.authorized(station, dut, profile)
    return {"idToken": s.id_token(profile)}


def unknown_customer() -> dict:
    return {"idToken": {"idToken": f"VGI-NOBODY-{d.request_id()}", "type": "ISO14443"}}


@pytest.mark.vgi_case("TC_N_27_CS", feature=CUSTOMER, requires=("Core", "AuthorizationCache"))
def test_TC_N_27_CS(booted_station, dut, vgi_profile, t):
    """Asked to report what it holds about an idToken it has authorized, the station accepts and sends the report
    (NotifyCustomerInformation with that data, numbered from 0, the last tbc=false)."""
    try:
        d.customer_request(booted_station, t, known_customer(booted_station, dut, vgi_profile, t), report=True,
                           clear=False, has_data=True)
    finally:
        s.to_idle(booted_station, dut, vgi_profile)


@pytest.mark.vgi_case("TC_N_28_CS", feature=CUSTOMER, requires=("Core",))
def test_TC_N_28_CS(booted_station, t):
    """Asked to report about an idToken it never saw, the station still accepts and sends a complete (tbc=false)
    report."""
    d.customer_request(booted_station, t, unknown_customer(), report=True, clear=False)


@pytest.mark.vgi_case("TC_N_30_CS", feature=CUSTOMER, requires=("Core", "AuthorizationCache"))
def test_TC_N_30_CS(booted_station, dut, vgi_profile, t):
    """Asked to clear and report what it holds about an idToken it has authorized, the station accepts and reports
    that data."""
    try:
        d.customer_request(booted_station, t, known_customer(booted_station, dut, vgi_profile, t), report=True,
                           clear=True, has_data=True)
    finally:
        s.to_idle(booted_station, dut, vgi_profile)


@pytest.mark.vgi_case("TC_N_31_CS", feature=CUSTOMER, requires=("Core",))
def test_TC_N_31_CS(booted_station, t):
    """Clear and report for an idToken the station never saw: accepted, with a complete report."""
    d.customer_request(booted_station, t, unknown_customer(), report=True, clear=True)


@pytest.mark.vgi_case("TC_N_32_CS", feature=CUSTOMER, requires=("Core",))
def test_TC_N_32_CS(booted_station, t):
    """Clear without a report: accepted, and no NotifyCustomerInformation follows."""
    d.customer_request(booted_station, t, unknown_customer(), report=False, clear=True)


@pytest.mark.vgi_case("TC_N_62_CS", feature=CUSTOMER, requires=("Core",))
def test_TC_N_62_CS(booted_station, t):
    """Clear and report naming the customer by a customerIdentifier (not an idToken): accepted, with a complete
    report."""
    d.customer_request(booted_station, t, {"customerIdentifier": f"vgitest-customer-{d.request_id()}"},
                       report=True, clear=True)

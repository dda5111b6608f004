"""OCPP 1.6 diagnostics uploads (GetDiagnostics, Firmware Management profile), over the harness's file service:
the station uploads for real, and its DiagnosticsStatusNotifications are judged in order and against the uploads
the file service recorded (transfers.json in each case's evidence)."""

from __future__ import annotations

import pytest

from transfers16 import diagnostics
from vgitest.ocpp.files import REFUSE

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

FEATURE, NEEDS = "Firmware Management", ("Core", "FirmwareManagement")


@pytest.mark.vgi_case("TC_045_1_CS", feature=FEATURE, requires=NEEDS)
def test_TC_045_1_CS(booted_station, vgi_profile, file_server):
    """Diagnostics on request: the station names its file in the answer, reports Uploading, uploads that file
    whole into the location and then reports Uploaded."""
    diagnostics(booted_station, vgi_profile, file_server, file_server.upload_location(), "uploaded")


@pytest.mark.vgi_case("TC_045_2_CS", feature=FEATURE, requires=NEEDS)
def test_TC_045_2_CS(booted_station, vgi_profile, file_server):
    """An upload location that refuses every upload (HTTP 403): the station reports Uploading and, after its
    retries, UploadFailed, never Uploaded; the file service must have seen it try."""
    diagnostics(booted_station, vgi_profile, file_server, file_server.upload_location(REFUSE), "upload_failed")

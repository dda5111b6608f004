"""OCPP 1.6 firmware updates (Firmware Management profile), over the harness's file service: the station downloads
the image for real, and its FirmwareStatusNotifications are judged in order and against the transfers the file
service recorded (transfers.json in each case's evidence)."""

from __future__ import annotations

import pytest

from transfers16 import RETRIES, RETRY_INTERVAL, firmware_image, judge_firmware, request, settle_after_reboot, utc_now
from vgitest.fixturekit import not_applicable
from vgitest.ocpp.files import BAD_FILE, CUT, NOT_FOUND

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

FEATURE, NEEDS = "Firmware Management", ("Core", "FirmwareManagement")


def _update(station, url: str) -> int:
    mark = len(station.csms.trace)
    request(station, "UpdateFirmware", {"location": url, "retrieveDate": utc_now(), "retries": RETRIES,
                                        "retryInterval": RETRY_INTERVAL})
    return mark


@pytest.mark.vgi_case("TC_044_1_CS", feature=FEATURE, requires=NEEDS)
def test_TC_044_1_CS(booted_station, vgi_profile, file_server):
    """A firmware update that works: the station fetches the whole image from the location it was given and
    reports each step as it happens (Downloading, Downloaded, Installing, Installed); Downloaded must follow a
    whole download the file service saw. A reboot into the new firmware is allowed and waited for."""
    station = booted_station
    url = file_server.publish("firmware.bin", firmware_image(vgi_profile))
    mark = _update(station, url)
    judge_firmware(station, vgi_profile, file_server, url, mark, "installed")
    settle_after_reboot(station, vgi_profile, mark)


@pytest.mark.vgi_case("TC_044_2_CS", feature=FEATURE, requires=NEEDS)
def test_TC_044_2_CS(booted_station, vgi_profile, file_server):
    """A firmware download that cannot succeed (the location answers 404 to every attempt): the station reports
    Downloading and, after its retries, DownloadFailed, and never Downloaded, Installing or Installed; the file
    service must have seen it try."""
    station = booted_station
    url = file_server.publish("firmware.bin", firmware_image(vgi_profile), NOT_FOUND)
    judge_firmware(station, vgi_profile, file_server, url, _update(station, url), "download_failed")


@pytest.mark.vgi_case("TC_044_3_CS", feature=FEATURE, requires=NEEDS)
def test_TC_044_3_CS(booted_station, vgi_profile, file_server):
    """An image that downloads whole but is not valid (bytes changed in the middle): the station reports
    Downloading, Downloaded, Installing and then InstallationFailed, and does not report Installed."""
    station = booted_station
    url = file_server.publish("firmware.bin", firmware_image(vgi_profile), BAD_FILE)
    mark = _update(station, url)
    judge_firmware(station, vgi_profile, file_server, url, mark, "install_failed")
    settle_after_reboot(station, vgi_profile, mark)


@pytest.mark.vgi_case("TC_VGI_FW_01_CS", feature=FEATURE, requires=NEEDS)
def test_TC_VGI_FW_01_CS(booted_station, vgi_profile, file_server, request):
    """vgitest's own case: every download of the image is cut half way (the whole length announced, then the
    connection closed). A truncated file is not the firmware: the station reports Downloading and, after its
    retries, DownloadFailed, and never Downloaded, Installing or Installed. HTTP only (PIXIT file_transfer)."""
    if file_server.scheme != "http":
        not_applicable(request, "a cut download is offered over HTTP only; PIXIT file_transfer is "
                       f"{file_server.scheme!r}")
    station = booted_station
    url = file_server.publish("firmware.bin", firmware_image(vgi_profile), CUT)
    judge_firmware(station, vgi_profile, file_server, url, _update(station, url), "download_failed")

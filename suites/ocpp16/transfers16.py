"""What the 1.6 firmware and diagnostics cases share: the firmware image they serve, watching a station's status
notifications until the transfer has ended, and judging them against what the file service saw
(vgitest/ocpp/transfer_checks.py)."""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any

from helpers16 import calls, wait_s
from vgitest.ocpp import rules as r
from vgitest.ocpp.firmware_signing import firmware_image  # noqa: F401  (shared with the 2.0.1 cases)
from vgitest.ocpp.transfer_checks import FINAL, download_evidence_problem, sequence_problem, upload_evidence_problem
from vgitest.trace import Frame
from vgitest.verdict import Inconclusive

RETRIES, RETRY_INTERVAL = 1, 2  # what the cases ask for: one retry, 2 s apart (a failing case then ends in seconds)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def request(station: Any, action: str, payload: dict) -> dict:
    """Send a Firmware Management request; a station that declares the profile answers it with a CALLRESULT."""
    frame = station.call_frame(action, payload)
    station.check(frame.kind == "CALLRESULT", r.STATION_RESPONSE,
                  f"{action} answered {frame.kind} {frame.body if frame.kind != 'CALLRESULT' else ''}; the PICS "
                  "declares FirmwareManagement, so the station must take the request", frame)
    return frame.body if isinstance(frame.body, dict) else {}


def watch(station: Any, action: str, since: int, timeout: float, settle: float) -> list[Frame]:
    """The station's `action` notifications from trace index `since`, once a final status was followed by `settle`
    quiet seconds (a station may still retry or correct itself), or when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        frames = calls(station, action, since)
        if frames and frames[-1].body.get("status") in FINAL:
            quiet_until = min(deadline, time.monotonic() + settle)
            while time.monotonic() < quiet_until and len(calls(station, action, since)) == len(frames):
                time.sleep(0.1)
            if len(calls(station, action, since)) == len(frames):
                return frames
            continue
        if time.monotonic() >= deadline:
            return frames
        time.sleep(0.1)


def judge_firmware(station: Any, profile: Any, files: Any, url: str, since: int, outcome: str) -> list[Frame]:
    """Watch the FirmwareStatusNotifications after an UpdateFirmware and judge their order (OCPP-FIRMWARE-STATUS) and
    what they claim against the transfers of `url` (OCPP-FILE-TRANSFER)."""
    frames = watch(station, "FirmwareStatusNotification", since, wait_s(profile, "firmware_timeout", 120),
                   RETRY_INTERVAL + 2.0)
    statuses = [str(f.body.get("status")) for f in frames]
    problem = sequence_problem(statuses, outcome)
    station.check(problem is None, r.FIRMWARE_STATUS, problem or "", frames[-1] if frames else None)
    claim = "DownloadFailed" if outcome == "download_failed" else "Downloaded"
    claimed = [f for f in frames if f.body.get("status") == claim]
    at = claimed[-1] if outcome == "download_failed" else claimed[0]
    files.wait_for(lambda t: t.complete or outcome == "download_failed", 2.0)  # the server's record may lag
    problem = download_evidence_problem(files.transfers_for(url), outcome, at.t_ns)
    station.check(problem is None, r.FILE_TRANSFER, problem or "", at)
    return frames


def settle_after_reboot(station: Any, profile: Any, since: int) -> None:
    """If the station rebooted into the new firmware, wait for its connector reports, so the next case starts idle."""
    boots = calls(station, "BootNotification", since)
    if not boots:
        return
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        station.expect("StatusNotification", wait_s(profile), match={"connectorId": c}, since=boots[-1].index)


def diagnostics(station: Any, profile: Any, files: Any, location: str, outcome: str) -> None:
    """GetDiagnostics into `location`, then judge the DiagnosticsStatusNotifications (OCPP-DIAGNOSTICS-STATUS) and
    the upload they claim (OCPP-FILE-TRANSFER)."""
    mark = len(station.csms.trace)
    res = request(station, "GetDiagnostics", {"location": location, "retries": RETRIES,
                                              "retryInterval": RETRY_INTERVAL})
    name = res.get("fileName")
    if not name:
        raise Inconclusive("GetDiagnostics was answered without a fileName: the station has no diagnostics to upload "
                           "(OCPP 1.6 §5.9), and the case needs an upload")
    frames = watch(station, "DiagnosticsStatusNotification", mark, wait_s(profile, "diagnostics_timeout", 60),
                   RETRY_INTERVAL + 2.0)
    statuses = [str(f.body.get("status")) for f in frames]
    problem = sequence_problem(statuses, outcome)
    station.check(problem is None, r.DIAGNOSTICS_STATUS, problem or "", frames[-1] if frames else None)
    at = frames[-1]
    files.wait_for(lambda t: t.complete or outcome == "upload_failed", 2.0)
    problem = upload_evidence_problem(files.transfers_for(location), outcome, at.t_ns, str(name))
    station.check(problem is None, r.FILE_TRANSFER, problem or "", at)

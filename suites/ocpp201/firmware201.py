"""What the 2.0.1 firmware cases (block L) share: the signed UpdateFirmware they send, watching the station's
FirmwareStatusNotifications until the update has ended, and judging them (vgitest/ocpp/transfer_checks.py) against
the request and what the file service saw."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
import time
from typing import Any

from vgitest.ocpp import firmware_signing as fs
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.transfer_checks import SECURE_FINAL, download_evidence_problem, secure_sequence_problem
from vgitest.trace import Frame
from vgitest.verdict import Inconclusive

RETRIES, RETRY_INTERVAL = 1, 1  # one retry, 1 s apart: a failing download ends in seconds
PAST = -7200.0  # s: retrieveDateTime / installDateTime "now" (two hours ago)


def stamp(offset_s: float) -> str:
    when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=offset_s)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclasses.dataclass
class Update:
    """One UpdateFirmware the case sent: its requestId, where the trace stood, the answer, when it went out."""

    request_id: int
    mark: int
    answer: dict
    sent_ns: int


def signed(profile: Any, data: bytes) -> tuple[str, str]:
    """The signing certificate and the signature over `data` (PIXIT firmware_signing_*, else the reference's)."""
    material = fs.material(profile)
    signature = material.signature(data)
    if signature is None:
        raise Inconclusive("the case serves an image the PIXIT firmware_signature was not made for, and no "
                           "firmware_signing_key was given to sign it")
    return material.certificate, signature


def send(station: Any, location: str, certificate: str | None, signature: str | None, *,
         retrieve: float = PAST, install: float | None = None) -> Update:
    """UpdateFirmware with a fresh requestId; `retrieve`/`install`: seconds from now (install unset: left out)."""
    firmware: dict[str, Any] = {"location": location, "retrieveDateTime": stamp(retrieve)}
    if install is not None:
        firmware["installDateTime"] = stamp(install)
    if certificate is not None:
        firmware["signingCertificate"] = certificate
    if signature is not None:
        firmware["signature"] = signature
    rid = random.randint(1, 2**31 - 1)
    mark, sent = s.mark(station), time.monotonic_ns()
    frame = station.call_frame("UpdateFirmware", {"requestId": rid, "retries": RETRIES,
                                                  "retryInterval": RETRY_INTERVAL, "firmware": firmware})
    station.check(frame.kind == "CALLRESULT", r.STATION_RESPONSE, f"UpdateFirmware answered {frame.kind} "
                  f"{frame.body if frame.kind != 'CALLRESULT' else ''}; UpdateFirmware is a Core request (L01)", frame)
    return Update(rid, mark, frame.body if isinstance(frame.body, dict) else {}, sent)


def answered(station: Any, update: Update, *expected: str, why: str = "") -> None:
    got = update.answer.get("status")
    station.check(got in expected, r.STATION_RESPONSE, f"UpdateFirmware answered {got}, expected "
                  f"{' or '.join(expected)}{'; ' + why if why else ''}")


def timeout(profile: Any) -> float:
    return float(profile.param("firmware_timeout", 120))


def watch(station: Any, since: int, limit: float, settle: float, request_id: int | None = None) -> list[Frame]:
    """The FirmwareStatusNotifications from trace index `since` (of `request_id` only, if given) once a final
    status was followed by `settle` quiet seconds (a station may still go on), or when `limit` runs out."""
    def frames() -> list[Frame]:
        got = s.calls(station, "FirmwareStatusNotification", since)
        return [f for f in got if request_id is None or f.body.get("requestId") == request_id]

    deadline = time.monotonic() + limit
    while True:
        seen = frames()
        if seen and seen[-1].body.get("status") in SECURE_FINAL:
            quiet_until = min(deadline, time.monotonic() + settle)
            while time.monotonic() < quiet_until and len(frames()) == len(seen):
                time.sleep(0.1)
            if len(frames()) == len(seen):
                return seen
            continue
        if time.monotonic() >= deadline:
            return seen
        time.sleep(0.1)


def judge(station: Any, profile: Any, files: Any, url: str, update: Update, outcome: str, t: Any, *,
          since: int | None = None, only_own: bool = False, download_scheduled: bool = False,
          install_scheduled: bool = False) -> list[Frame]:
    """Watch the update's FirmwareStatusNotifications and judge them: every one carries the update's requestId
    (L01.FR.10, L01.FR.20), they follow the path `outcome` (OCPP-FIRMWARE-SECURE), and Downloaded or
    DownloadFailed matches what the file service saw (OCPP-FILE-TRANSFER). `only_own`: leave out the
    notifications of other requestIds (an earlier update the case replaced)."""
    start = update.mark if since is None else since
    frames = watch(station, start, timeout(profile), max(t.quiet, RETRY_INTERVAL + 0.5),
                   update.request_id if only_own else None)
    wrong = [f for f in frames if f.body.get("requestId") != update.request_id]
    station.check(not wrong, r.FIRMWARE_SECURE, f"FirmwareStatusNotification {wrong[0].body.get('status')} carries "
                  f"requestId {wrong[0].body.get('requestId')}; the UpdateFirmware's is {update.request_id}"
                  if wrong else "", wrong[0] if wrong else None)
    statuses = [str(f.body.get("status")) for f in frames]
    problem = secure_sequence_problem(statuses, outcome, download_scheduled=download_scheduled,
                                      install_scheduled=install_scheduled)
    station.check(problem is None, r.FIRMWARE_SECURE, problem or "", frames[-1] if frames else None)
    claim = "DownloadFailed" if outcome == "download_failed" else "Downloaded"
    claimed = [f for f in frames if f.body.get("status") == claim]
    at = claimed[-1] if outcome == "download_failed" else claimed[0]
    files.wait_for(lambda x: x.complete or outcome == "download_failed", 2.0)  # the server's record may lag
    problem = download_evidence_problem(files.transfers_for(url), outcome, at.t_ns)
    station.check(problem is None, r.FILE_TRANSFER, problem or "", at)
    return frames


def first(frames: list[Frame], *statuses: str) -> Frame | None:
    return next((f for f in frames if f.body.get("status") in statuses), None)


def not_before(station: Any, frames: list[Frame], statuses: tuple[str, ...], due_ns: int, t: Any, what: str) -> None:
    """The first of `statuses` came no earlier than `due_ns` (monotonic), less the timing tolerance."""
    frame = first(frames, *statuses)
    if frame is None:
        return  # the sequence check already named what is missing
    early = (due_ns - frame.t_ns) / 1e9
    station.check(early <= t.tolerance, r.FIRMWARE_SECURE, f"{frame.body.get('status')} came {early:.1f} s before "
                  f"the {what} the UpdateFirmware gave", frame)


def after_install(station: Any, update: Update, frames: list[Frame], t: Any) -> None:
    """An installed firmware: a reboot it took boots with reason FirmwareUpdate, and the station reports the
    security event FirmwareUpdated (L01.FR.31); then its connectors are reported, so the next case starts idle."""
    installed = first(frames, "Installed")
    if installed is None:
        return
    boots = [b for b in s.calls(station, "BootNotification", update.mark) if b.index < installed.index]
    for boot in boots:
        station.check(boot.body.get("reason") == "FirmwareUpdate", r.EXPECTED_MESSAGE,
                      f"the station rebooted during the firmware update with boot reason {boot.body.get('reason')!r}, "
                      "expected FirmwareUpdate", boot)
    event = s.wait_call(station, "SecurityEventNotification", update.mark, t.wait, {"type": "FirmwareUpdated"})
    station.check(event is not None, r.SECURITY_EVENT, f"no SecurityEventNotification FirmwareUpdated within "
                  f"{t.wait:g} s of installing the new firmware (L01.FR.31)", installed)
    if boots:
        s.wait_call(station, "StatusNotification", boots[-1].index, t.wait)


def security_event(station: Any, since: int, kind: str, t: Any, requirement: str) -> None:
    event = s.wait_call(station, "SecurityEventNotification", since, t.wait, {"type": kind})
    station.check(event is not None, r.SECURITY_EVENT, f"no SecurityEventNotification {kind} within {t.wait:g} s "
                  f"({requirement}); {s.sent_instead(station, 'SecurityEventNotification', since)}")


def no_download(station: Any, update: Update, t: Any, why: str) -> None:
    s.expect_quiet(station, "FirmwareStatusNotification", update.mark, t.quiet, why,
                   lambda b: b.get("status") in ("Downloading", "Downloaded", "Installing", "Installed"))

"""OCPP 2.0.1 block N cases that do not need the Advanced Device Management profile: the log upload (N01, GetLog)
over the harness's file service, and customer information (N09 get, N10 clear). The station's
LogStatusNotifications are judged in order, against the request they belong to (requestId) and against the
uploads the file service recorded; a customer report against the request and its own numbering."""

from __future__ import annotations

import random
import time
from typing import Any, Callable

from ..trace import Frame
from ..verdict import Inconclusive
from . import rules as r
from . import states_v201 as s
from .files import SLOW, FileFault
from .transfer_checks import LOG_FINAL, log_sequence_problem, upload_evidence_problem

RETRIES, RETRY_INTERVAL = 1, 2  # what the cases ask for: one retry, 2 s apart (a failing case ends in seconds)
SLOW_RATE = 512.0  # bytes/s of the upload location that keeps a first upload busy (second request, TC_N_36_CS)


def request_id() -> int:
    return random.randint(1, 2_000_000_000)


def get_log(station: Any, log_type: str, location: str, rid: int) -> Frame:
    """Send GetLog; the station's answer frame (a CALLERROR is judged: GetLog is Core)."""
    frame = station.call_frame("GetLog", {"logType": log_type, "requestId": rid, "retries": RETRIES,
                                          "retryInterval": RETRY_INTERVAL, "log": {"remoteLocation": location}})
    station.check(frame.kind == "CALLRESULT", r.STATION_RESPONSE,
                  f"GetLog {log_type} answered {frame.kind}; log upload is part of Core", frame)
    return frame


def log_frames(station: Any, since: int, rid: int) -> list[Frame]:
    """The LogStatusNotifications from trace index `since` that carry `rid` or no requestId (judged apart)."""
    return [f for f in s.calls(station, "LogStatusNotification", since)
            if f.body.get("requestId", rid) == rid]


def watch(station: Any, since: int, rid: int, timeout: float, settle: float) -> list[Frame]:
    """The notifications of request `rid` once a final status was followed by `settle` quiet seconds (a station
    may still retry), or when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        frames = log_frames(station, since, rid)
        if frames and frames[-1].body.get("status") in LOG_FINAL:
            quiet_until = min(deadline, time.monotonic() + settle)
            while time.monotonic() < quiet_until and len(log_frames(station, since, rid)) == len(frames):
                time.sleep(0.1)
            if len(log_frames(station, since, rid)) == len(frames):
                return frames
            continue
        if time.monotonic() >= deadline:
            return frames
        time.sleep(0.1)


def judge_upload(station: Any, files: Any, location: str, since: int, rid: int, name: str | None, outcome: str,
                 timeout: float, quiet: float) -> None:
    """Judge the notifications of request `rid` (OCPP-LOG-STATUS: order, requestId) and the upload they claim
    (OCPP-FILE-TRANSFER)."""
    settle = quiet + (RETRY_INTERVAL if outcome == "upload_failed" else 0)
    frames = watch(station, since, rid, timeout, settle)
    anonymous = [f for f in frames if "requestId" not in f.body]
    station.check(not anonymous, r.LOG_STATUS, "a LogStatusNotification about the upload carries no requestId "
                  f"(the GetLog's was {rid})", anonymous[0] if anonymous else None)
    statuses = [str(f.body.get("status")) for f in frames]
    problem = log_sequence_problem(statuses, outcome)
    station.check(problem is None, r.LOG_STATUS, problem or "", frames[-1] if frames else None)
    at = frames[-1]
    files.wait_for(lambda t: t.complete or outcome == "upload_failed", 2.0)  # the server's record may lag
    problem = upload_evidence_problem(files.transfers_for(location), outcome, at.t_ns, name)
    station.check(problem is None, r.FILE_TRANSFER, problem or "", at)


def log_upload(station: Any, files: Any, log_type: str, location: str, outcome: str, timeout: float,
               quiet: float) -> None:
    """GetLog of `log_type` into `location`: Accepted with the file's name, then judge_upload."""
    since, rid = s.mark(station), request_id()
    frame = get_log(station, log_type, location, rid)
    status, name = frame.body.get("status"), frame.body.get("filename")
    station.check(status == "Accepted", r.STATION_RESPONSE, f"GetLog {log_type} was answered {status}", frame)
    station.check(outcome != "uploaded" or bool(name), r.STATION_RESPONSE,
                  f"GetLog {log_type} was Accepted without the filename the station will upload", frame)
    judge_upload(station, files, location, since, rid, name, outcome, timeout, quiet)


def second_request(station: Any, files: Any, timeout: float, wait: float, quiet: float) -> None:
    """A first upload is kept busy (a slow location); a second GetLog while it runs is AcceptedCanceled and its own
    upload then completes."""
    try:
        slow = files.upload_location(FileFault(SLOW, rate=SLOW_RATE))
    except ValueError as exc:  # the FTP service cannot slow an upload
        raise Inconclusive(f"the file service cannot keep an upload busy: {exc}") from None
    since, first = s.mark(station), request_id()
    frame = get_log(station, "DiagnosticsLog", slow, first)
    station.check(frame.body.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"the first GetLog was answered {frame.body.get('status')}", frame)
    s.require(station, "LogStatusNotification", since, wait, r.LOG_STATUS,
              "the first upload was not reported Uploading", {"status": "Uploading"})
    location, second = files.upload_location(), request_id()
    asked = s.mark(station)
    frame = get_log(station, "DiagnosticsLog", location, second)
    status = frame.body.get("status")
    if status != "AcceptedCanceled":
        ended = [f for f in log_frames(station, since, first)[:] if f.index < asked
                 and f.body.get("status") in LOG_FINAL]
        if ended:
            raise Inconclusive(f"the first upload had ended ({ended[-1].body.get('status')}) before the second GetLog; "
                               "the case needs it still running")
    station.check(status == "AcceptedCanceled", r.STATION_RESPONSE,
                  f"a GetLog while an upload runs was answered {status}; it cancels that upload (AcceptedCanceled)",
                  frame)
    judge_upload(station, files, location, asked, second, frame.body.get("filename"), "uploaded", timeout, quiet)


# --- customer information (N09, N10) ---------------------------------------------------------------------------
def customer_request(station: Any, t: Any, customer: dict, *, report: bool, clear: bool,
                     has_data: bool | None = None) -> list[Frame]:
    """CustomerInformation about `customer` (idToken / customerIdentifier / customerCertificate) is Accepted; with
    `report` the station's NotifyCustomerInformation parts (requestId, seqNo from 0, the last tbc=false, and data
    when `has_data`), without it no report at all."""
    rid, since = request_id(), s.mark(station)
    frame = station.call_frame("CustomerInformation", {"requestId": rid, "report": report, "clear": clear, **customer})
    what = ", ".join(customer)
    station.check(frame.kind == "CALLRESULT", r.STATION_RESPONSE,
                  f"CustomerInformation answered {frame.kind}; customer information is part of Core", frame)
    res = frame.body
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"CustomerInformation (report={report}, clear={clear}, by {what}) was answered {res.get('status')}")
    if not report:
        s.expect_quiet(station, "NotifyCustomerInformation", since, t.quiet, "the CustomerInformation asked for no "
                       "report (report=false)")
        return []
    parts: list[Frame] = []
    pos = since
    while True:
        match: Callable[[Any], bool] = lambda b: b.get("requestId") == rid  # noqa: E731
        frame = s.wait_call(station, "NotifyCustomerInformation", pos, t.wait if not parts else t.quiet, match)
        if frame is None:
            break
        parts.append(frame)
        pos = frame.index + 1
        if not frame.body.get("tbc", False):
            break
    if not parts:
        station.fail(r.EXPECTED_MESSAGE, f"no NotifyCustomerInformation for requestId {rid} within {t.wait:g} s of the "
                     f"Accepted CustomerInformation with report=true ({s.sent_instead(station, 'NotifyCustomerInformation', since)})")
    seq = [p.body.get("seqNo") for p in parts]
    station.check(seq == list(range(len(parts))), r.EXPECTED_MESSAGE,
                  f"NotifyCustomerInformation seqNo {seq}; expected consecutive numbers from 0", parts[0])
    station.check(not parts[-1].body.get("tbc", False), r.EXPECTED_MESSAGE,
                  "the last NotifyCustomerInformation still says tbc=true: the report never ends", parts[-1])
    if has_data:
        data = "".join(str(p.body.get("data", "")) for p in parts)
        station.check(bool(data.strip()), r.EXPECTED_MESSAGE, "the report about a customer the station holds data "
                      "of says nothing (empty data)", parts[0])
    return parts

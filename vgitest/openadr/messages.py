"""Builders for every OpenADR 2.0b payload, as the dicts `codec.encode` takes (keys in schema order).

Both fake peers use them: the fake VTN for what it answers or delivers, the reference VEN for what it sends.
Each returns the message content only; `codec.encode(name, body)` wraps it in oadrPayload.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import uuid
from typing import Any, Iterable

from .. import isoduration

PROFILE = "2.0b"
TRANSPORT = "simpleHttp"
_ids = itertools.count(1)


def new_id(prefix: str = "vgi") -> str:
    """A short unique id (request ids, event ids, opt ids)."""
    return f"{prefix}-{next(_ids)}-{uuid.uuid4().hex[:8]}"


def timestamp(when: _dt.datetime | None = None) -> str:
    """UTC date-time the way 2.0b writes it (conformance rule 1: times in UTC, 'Z' suffix)."""
    when = when or _dt.datetime.now(_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def duration(seconds: float | int) -> str:
    """ISO 8601 duration, e.g. PT1H30M, PT10S, P1D."""
    total = int(round(seconds))
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    out = f"{sign}P" + (f"{days}D" if days else "")
    if h or m or s or not days:
        out += "T" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")
    return out


def parse_duration(text: str) -> float:
    """ISO 8601 duration -> seconds (days, hours, minutes, seconds; weeks too). Raises ValueError."""
    return isoduration.seconds(text)


def parse_time(text: str) -> _dt.datetime:
    """xcal date-time -> aware datetime (raises ValueError)."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    when = _dt.datetime.fromisoformat(t)
    if when.tzinfo is None:
        raise ValueError(f"date-time without a time zone: {text!r}")
    return when


def _dur(seconds: float) -> dict[str, str]:
    return {"xcal:duration": duration(seconds)}


def _start(when: _dt.datetime) -> dict[str, Any]:
    return {"date-time": timestamp(when)}


def ei_response(request_id: str, code: int = 200, description: str | None = "OK") -> dict[str, Any]:
    return {"responseCode": str(code), "responseDescription": description, "requestID": request_id}


# --- answers and deliveries of the VTN ------------------------------------------------------------------------
def response(request_id: str, code: int = 200, description: str | None = "OK", ven_id: str | None = None) -> dict:
    """oadrResponse: the plain acknowledgement (also the empty answer to a poll)."""
    return {"eiResponse": ei_response(request_id, code, description), "venID": ven_id}


def created_party_registration(request_id: str, vtn_id: str, *, registration_id: str | None = None,
                               ven_id: str | None = None, poll_freq_s: float | None = 10, code: int = 200,
                               description: str = "OK", profiles: Iterable[str] = ("2.0a", "2.0b")) -> dict:
    return {"eiResponse": ei_response(request_id, code, description), "registrationID": registration_id,
            "venID": ven_id, "vtnID": vtn_id,
            "oadrProfiles": {"oadrProfile": [{"oadrProfileName": p, "oadrTransports": {
                "oadrTransport": [{"oadrTransportName": TRANSPORT}]}} for p in profiles]},
            "oadrRequestedOadrPollFreq": _dur(poll_freq_s) if poll_freq_s is not None else None}


def canceled_party_registration(request_id: str, registration_id: str | None, ven_id: str | None,
                                code: int = 200) -> dict:
    return {"eiResponse": ei_response(request_id, code), "registrationID": registration_id, "venID": ven_id}


def cancel_party_registration(registration_id: str, ven_id: str | None, request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "registrationID": registration_id, "venID": ven_id}


def request_reregistration(ven_id: str) -> dict:
    return {"venID": ven_id}


def interval(uid: int, seconds: float, value: float) -> dict:
    """One event interval: uid (0-based, +1), its duration, one float payload."""
    return {"xcal:duration": _dur(seconds), "xcal:uid": {"text": str(uid)},
            "signalPayload": {"payloadFloat": {"ei:value": _num(value)}}}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def signal(intervals: list[dict], *, name: str = "SIMPLE", kind: str = "level", signal_id: str = "SIG-0",
           current: float | None = None, item: dict | None = None) -> dict:
    out: dict[str, Any] = {"strm:intervals": {"ei:interval": intervals}, "signalName": name, "signalType": kind,
                           "signalID": signal_id}
    if item:
        out.update(item)
    if current is not None:
        out["currentValue"] = {"payloadFloat": {"ei:value": _num(current)}}
    return out


def event(event_id: str, *, start: _dt.datetime, signals: list[dict], ven_ids: Iterable[str] = (),
          modification: int = 0, status: str = "far", market_context: str = "http://vgitest.example/programs/dr",
          created: _dt.datetime | None = None, priority: int | None = None, test_event: str | None = None,
          duration_s: float | None = None, notification_s: float | None = None, ramp_up_s: float | None = None,
          recovery_s: float | None = None, start_after_s: float | None = None,
          modification_reason: str | None = None) -> dict:
    """eiEvent. The active period's duration defaults to the sum of the first signal's interval durations
    (conformance rule 8 wants them equal)."""
    if duration_s is None:
        duration_s = sum(parse_duration(i["xcal:duration"]["xcal:duration"])
                         for i in signals[0]["strm:intervals"]["ei:interval"]) if signals else 0
    props: dict[str, Any] = {"dtstart": _start(start), "xcal:duration": _dur(duration_s)}
    if start_after_s is not None:
        props["tolerance"] = {"tolerate": {"startafter": duration(start_after_s)}}
    props["x-eiNotification"] = _dur(notification_s) if notification_s is not None else None
    props["x-eiRampUp"] = _dur(ramp_up_s) if ramp_up_s is not None else None
    props["x-eiRecovery"] = _dur(recovery_s) if recovery_s is not None else None
    descriptor = {"eventID": event_id, "modificationNumber": str(modification),
                  "modificationDateTime": timestamp(created) if modification and created else None,
                  "modificationReason": modification_reason, "priority": priority,
                  "eiMarketContext": {"marketContext": market_context}, "createdDateTime": timestamp(created),
                  "eventStatus": status, "testEvent": test_event}
    return {"eventDescriptor": descriptor,
            "eiActivePeriod": {"properties": props, "components": {"@xsi:nil": "true"}},
            "eiEventSignals": {"eiEventSignal": signals},
            "eiTarget": {"venID": list(ven_ids)} if ven_ids else {}}


def distribute_event(vtn_id: str, events: Iterable[tuple[dict, str]], request_id: str | None = None) -> dict:
    """oadrDistributeEvent: each event with its oadrResponseRequired ('always' or 'never')."""
    return {"requestID": request_id or new_id("req"), "vtnID": vtn_id,
            "oadrEvent": [{"eiEvent": ev, "oadrResponseRequired": rr} for ev, rr in events]}


def report_request(report_request_id: str, report_specifier_id: str, r_ids: Iterable[str], *,
                   granularity_s: float = 0, report_back_s: float = 0, start: _dt.datetime | None = None,
                   duration_s: float | None = None, reading_type: str = "x-notApplicable") -> dict:
    spec: dict[str, Any] = {"reportSpecifierID": report_specifier_id, "granularity": _dur(granularity_s),
                            "reportBackDuration": _dur(report_back_s)}
    if start is not None:
        props: dict[str, Any] = {"dtstart": _start(start), "xcal:duration": _dur(duration_s or 0)}
        spec["reportInterval"] = {"properties": props}
    spec["specifierPayload"] = [{"rID": rid, "readingType": reading_type} for rid in r_ids]
    return {"reportRequestID": report_request_id, "reportSpecifier": spec}


def registered_report(request_id: str, ven_id: str | None, requests: Iterable[dict] = (), code: int = 200) -> dict:
    return {"eiResponse": ei_response(request_id, code), "oadrReportRequest": list(requests) or None,
            "venID": ven_id}


def create_report(requests: Iterable[dict], ven_id: str | None = None, request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "oadrReportRequest": list(requests), "venID": ven_id}


def updated_report(request_id: str, ven_id: str | None, code: int = 200, cancel: dict | None = None) -> dict:
    return {"eiResponse": ei_response(request_id, code), "oadrCancelReport": cancel, "venID": ven_id}


def cancel_report(report_request_ids: Iterable[str], *, report_to_follow: bool = False, ven_id: str | None = None,
                  request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "reportRequestID": list(report_request_ids),
            "reportToFollow": report_to_follow, "venID": ven_id}


def created_opt(request_id: str, opt_id: str, code: int = 200) -> dict:
    return {"eiResponse": ei_response(request_id, code), "optID": opt_id}


def canceled_opt(request_id: str, opt_id: str | None, code: int = 200) -> dict:
    return {"eiResponse": ei_response(request_id, code), "optID": opt_id}


# --- what a VEN sends -----------------------------------------------------------------------------------------
def query_registration(request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req")}


def create_party_registration(*, ven_name: str | None = None, ven_id: str | None = None,
                              registration_id: str | None = None, transport_address: str | None = None,
                              http_pull: bool = True, report_only: bool = False, xml_signature: bool = False,
                              profile: str = PROFILE, request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "registrationID": registration_id, "venID": ven_id,
            "oadrProfileName": profile, "oadrTransportName": TRANSPORT, "oadrTransportAddress": transport_address,
            "oadrReportOnly": report_only, "oadrXmlSignature": xml_signature, "oadrVenName": ven_name,
            "oadrHttpPullModel": http_pull}


def poll(ven_id: str) -> dict:
    return {"venID": ven_id}


def event_response(event_id: str, modification: int | str, opt: str, request_id: str, code: int = 200) -> dict:
    return {"responseCode": str(code), "responseDescription": "OK", "requestID": request_id,
            "qualifiedEventID": {"eventID": event_id, "modificationNumber": str(modification)}, "optType": opt}


def created_event(ven_id: str, responses: Iterable[dict], request_id: str = "", code: int = 200) -> dict:
    """oadrCreatedEvent. The outer requestID may be empty: the per-event responses carry the distribute's."""
    rs = list(responses)
    return {"eiCreatedEvent": {"eiResponse": ei_response(request_id, code),
                               "eventResponses": {"eventResponse": rs} if rs else None, "venID": ven_id}}


def request_event(ven_id: str, request_id: str | None = None, reply_limit: int | None = None) -> dict:
    return {"eiRequestEvent": {"requestID": request_id or new_id("req"), "venID": ven_id, "replyLimit": reply_limit}}


def report_description(r_id: str, report_type: str, *, reading_type: str = "Direct Read",
                       item: dict | None = None, min_period_s: float | None = None,
                       max_period_s: float | None = None, on_change: bool = False,
                       market_context: str | None = None, resource_id: str | None = None) -> dict:
    out: dict[str, Any] = {"rID": r_id}
    if resource_id:
        out["reportDataSource"] = {"resourceID": resource_id}
    out["reportType"] = report_type
    if item:
        out.update(item)
    out["readingType"] = reading_type
    out["marketContext"] = market_context
    if min_period_s is not None:
        out["oadrSamplingRate"] = {"oadrMinPeriod": duration(min_period_s),
                                   "oadrMaxPeriod": duration(max_period_s if max_period_s is not None
                                                             else min_period_s),
                                   "oadrOnChange": on_change}
    return out


def real_power(units: str = "W", scale: str = "none", hertz: int = 50, voltage: int = 230, ac: bool = True) -> dict:
    """The power:powerReal item of a report description or an event signal."""
    return {"powerReal": {"power:itemDescription": "RealPower", "power:itemUnits": units, "siScaleCode": scale,
                          "powerAttributes": {"hertz": hertz, "voltage": voltage, "ac": ac}}}


def metadata_report(descriptions: Iterable[dict], *, specifier_id: str, name: str = "METADATA_TELEMETRY_USAGE",
                    created: _dt.datetime | None = None, duration_s: float = 7200,
                    report_request_id: str = "0") -> dict:
    """A report a VEN registers (its oadrReportDescription list). reportRequestID is 0 in registration."""
    return {"xcal:duration": _dur(duration_s), "oadrReportDescription": list(descriptions),
            "reportRequestID": report_request_id, "reportSpecifierID": specifier_id, "reportName": name,
            "createdDateTime": timestamp(created)}


def register_report(reports: Iterable[dict], ven_id: str | None, request_id: str | None = None,
                    report_request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "oadrReport": list(reports), "venID": ven_id,
            "reportRequestID": report_request_id}


def created_report(request_id: str, pending: Iterable[str], ven_id: str | None, code: int = 200) -> dict:
    p = list(pending)
    return {"eiResponse": ei_response(request_id, code), "oadrPendingReports": {"reportRequestID": p} if p else "",
            "venID": ven_id}


def report_interval(start: _dt.datetime, seconds: float, r_id: str, value: float, uid: int | None = None) -> dict:
    return {"dtstart": _start(start), "xcal:duration": _dur(seconds),
            "xcal:uid": {"text": str(uid)} if uid is not None else None,
            "oadrReportPayload": {"rID": r_id, "payloadFloat": {"ei:value": _num(value)}}}


def data_report(intervals: Iterable[dict], *, report_request_id: str, specifier_id: str,
                name: str = "TELEMETRY_USAGE", start: _dt.datetime | None = None, duration_s: float = 0,
                report_id: str | None = None, created: _dt.datetime | None = None) -> dict:
    return {"dtstart": _start(start or _dt.datetime.now(_dt.timezone.utc)), "xcal:duration": _dur(duration_s),
            "strm:intervals": {"ei:interval": list(intervals)}, "eiReportID": report_id or new_id("rep"),
            "reportRequestID": report_request_id, "reportSpecifierID": specifier_id, "reportName": name,
            "createdDateTime": timestamp(created)}


def update_report(reports: Iterable[dict], ven_id: str | None, request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "oadrReport": list(reports), "venID": ven_id}


def canceled_report(request_id: str, pending: Iterable[str], ven_id: str | None, code: int = 200) -> dict:
    p = list(pending)
    return {"eiResponse": ei_response(request_id, code), "oadrPendingReports": {"reportRequestID": p} if p else "",
            "venID": ven_id}


def create_opt(opt_id: str, ven_id: str, *, opt: str = "optOut", reason: str = "economic",
               event_id: str | None = None, modification: int = 0, market_context: str | None = None,
               availability: Iterable[tuple[_dt.datetime, float]] = (), resource_ids: Iterable[str] = (),
               request_id: str | None = None, created: _dt.datetime | None = None) -> dict:
    """oadrCreateOpt: for one event (event_id) or an opt schedule (availability windows)."""
    windows = [{"properties": {"dtstart": _start(s), "xcal:duration": _dur(d)}} for s, d in availability]
    return {"optID": opt_id, "optType": opt, "optReason": reason, "marketContext": market_context, "venID": ven_id,
            "vavailability": {"components": {"available": windows}} if windows else None,
            "createdDateTime": timestamp(created), "requestID": request_id or new_id("req"),
            "qualifiedEventID": {"eventID": event_id, "modificationNumber": str(modification)} if event_id else None,
            "eiTarget": {"resourceID": list(resource_ids)} if resource_ids else {"venID": ven_id}}


def cancel_opt(opt_id: str, ven_id: str, request_id: str | None = None) -> dict:
    return {"requestID": request_id or new_id("req"), "optID": opt_id, "venID": ven_id}

"""Realistic OpenADR 2.0b payloads for the validation benchmark, rendered at run time by `openleadr`.

The payloads come from the installed openleadr library (its public ``create_message``), not from files in
this repository, so the corpus is what a widely used 2.0b implementation really sends: registration,
polling, one event with a few intervals and its reply, a telemetry report's registration and an update,
and an opt schedule. Timestamps are fixed so that runs are comparable.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

__all__ = ["build_corpus"]

T0 = datetime(2024, 5, 2, 16, 0, tzinfo=timezone.utc)
VEN, VTN = "ven-0001", "vtn-lab"
MARKET = "http://vtn.example/programs/peak"


def _messages() -> dict[str, dict[str, object]]:
    """Message type -> keyword fields for ``openleadr.messaging.create_message``."""
    from openleadr import enums, objects

    ok = objects.Response(response_code=200, response_description="OK", request_id="req-1")
    resource = objects.Target(resource_id="charger-1")
    event = objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id="ev-42", modification_number=0, market_context=MARKET, event_status="far",
            created_date_time=T0 - timedelta(hours=20)),
        active_period=objects.ActivePeriod(dtstart=T0, duration=timedelta(hours=2)),
        event_signals=[objects.EventSignal(
            signal_name="LOAD_CONTROL", signal_type="x-loadControlCapacity", signal_id="sig-1",
            current_value=0.0,
            intervals=[objects.Interval(dtstart=T0 + timedelta(minutes=30 * i), duration=timedelta(minutes=30),
                                        signal_payload=v, uid=i)
                       for i, v in enumerate((0.8, 0.6, 0.5, 0.7))])],
        targets=[objects.Target(ven_id=VEN)],
    )
    description = objects.ReportDescription(
        r_id="charger-1-power", market_context=MARKET, reading_type=enums.READING_TYPE.DIRECT_READ,
        report_subject=resource, report_data_source=resource, report_type=enums.REPORT_TYPE.USAGE,
        sampling_rate=objects.SamplingRate(min_period=timedelta(seconds=10), max_period=timedelta(minutes=5),
                                           on_change=False),
        measurement=enums.MEASUREMENTS.REAL_POWER)
    telemetry = objects.Report(
        report_specifier_id="charger-1-telemetry", report_name=enums.REPORT_NAME.TELEMETRY_USAGE,
        report_descriptions=[description], created_date_time=T0)
    update = dataclasses.asdict(objects.Report(
        report_specifier_id="charger-1-telemetry", report_name=enums.REPORT_NAME.TELEMETRY_USAGE,
        report_request_id="rr-7", created_date_time=T0 + timedelta(minutes=15), dtstart=T0,
        intervals=[objects.ReportInterval(dtstart=T0 + timedelta(minutes=5 * i), duration=timedelta(minutes=5),
                                          report_payload=objects.ReportPayload(r_id="charger-1-power", value=v))
                   for i, v in enumerate((7.2, 7.1, 3.6))]))
    update["report_id"] = "rep-9"  # the report instance id the update template renders (not a dataclass field)
    request = objects.ReportRequest(
        report_request_id="rr-7",
        report_specifier=objects.ReportSpecifier(
            report_specifier_id="charger-1-telemetry", granularity=timedelta(minutes=5),
            report_back_duration=timedelta(minutes=15),
            specifier_payloads=[objects.SpecifierPayload(r_id="charger-1-power",
                                                         reading_type=enums.READING_TYPE.DIRECT_READ)]))
    return {
        "oadrQueryRegistration": {"request_id": "req-1"},
        "oadrCreatePartyRegistration": {
            "request_id": "req-2", "ven_id": VEN, "profile_name": "2.0b", "transport_name": "simpleHttp",
            "transport_address": "https://ven.example/oadr", "report_only": False, "xml_signature": False,
            "ven_name": "lab-charger", "http_pull_model": True},
        "oadrCreatedPartyRegistration": {
            "response": ok, "registration_id": "reg-1", "ven_id": VEN, "vtn_id": VTN,
            "profiles": [{"profile_name": "2.0b",
                          "transports": [{"transport_name": "simpleHttp"}]}],
            "requested_oadr_poll_freq": timedelta(seconds=10)},
        "oadrPoll": {"ven_id": VEN},
        "oadrResponse": {"response": ok, "ven_id": VEN},
        "oadrRequestEvent": {"request_id": "req-3", "ven_id": VEN},
        "oadrDistributeEvent": {"request_id": "req-4", "vtn_id": VTN, "events": [event]},
        "oadrCreatedEvent": {
            "response": ok, "ven_id": VEN,
            "event_responses": [{"response_code": 200, "response_description": "OK", "request_id": "req-4",
                                 "event_id": "ev-42", "modification_number": 0, "opt_type": "optIn"}]},
        "oadrRegisterReport": {"request_id": "req-5", "ven_id": VEN, "reports": [telemetry]},
        "oadrRegisteredReport": {"response": ok, "ven_id": VEN, "report_requests": [request]},
        "oadrCreateReport": {"request_id": "req-6", "ven_id": VEN, "report_requests": [request]},
        "oadrCreatedReport": {"response": ok, "ven_id": VEN,
                              "pending_reports": [{"report_request_id": "rr-7"}]},
        "oadrUpdateReport": {"request_id": "req-8", "ven_id": VEN, "reports": [update]},
        "oadrUpdatedReport": {"response": ok, "ven_id": VEN},
        "oadrCreateOpt": {
            "opt_id": "opt-1", "opt_type": "optOut", "opt_reason": "participating", "ven_id": VEN,
            "created_date_time": T0 - timedelta(hours=1), "request_id": "req-9", "event_id": "ev-42",
            "modification_number": 0, "targets": [resource]},
        "oadrCreatedOpt": {"response": ok, "opt_id": "opt-1"},
    }


def build_corpus() -> dict[str, bytes]:
    """Message type -> the UTF-8 bytes of an unsigned oadrPayload rendered by openleadr."""
    import logging

    from openleadr.messaging import create_message

    logging.getLogger("openleadr").setLevel(logging.ERROR)  # its preflight notes are not benchmark output
    return {name: create_message(name, **fields).encode("utf-8") for name, fields in _messages().items()}

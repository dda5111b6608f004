"""The OpenADR payload builders and codec: every payload a fake peer can send validates against the official
XSD and survives decode → encode byte for byte; the dict form follows the documented key rules."""

from __future__ import annotations

import datetime as dt

import pytest

from vgitest.openadr import codec, messages as m
from vgitest.openadr.validator import OadrValidator

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)
SIG = m.signal([m.interval(0, 600, 1), m.interval(1, 600, 2.5)], current=0)
EVENT = m.event("EV-1", start=NOW, signals=[SIG], ven_ids=["VEN-1"], created=NOW, priority=1,
                notification_s=300, start_after_s=60)
DESC = m.report_description("rid-power", "usage", item=m.real_power(), min_period_s=10, resource_id="charger-1")
PAYLOADS = {
    "oadrResponse": m.response("r1", ven_id="VEN-1"),
    "oadrCreatedPartyRegistration": m.created_party_registration("r1", "VTN-1", registration_id="REG-1",
                                                                 ven_id="VEN-1"),
    "oadrCanceledPartyRegistration": m.canceled_party_registration("r1", "REG-1", "VEN-1"),
    "oadrCancelPartyRegistration": m.cancel_party_registration("REG-1", "VEN-1", request_id="r2"),
    "oadrRequestReregistration": m.request_reregistration("VEN-1"),
    "oadrDistributeEvent": m.distribute_event("VTN-1", [(EVENT, "always")], request_id="r3"),
    "oadrRegisteredReport": m.registered_report("r1", "VEN-1", [m.report_request("RR-1", "SPEC-1", ["rid-power"],
                                                                                 granularity_s=10, report_back_s=10)]),
    "oadrCreateReport": m.create_report([m.report_request("RR-2", "SPEC-1", ["rid-power"], start=NOW,
                                                          duration_s=60)], request_id="r4"),
    "oadrUpdatedReport": m.updated_report("r1", "VEN-1"),
    "oadrCancelReport": m.cancel_report(["RR-1"], ven_id="VEN-1", request_id="r5"),
    "oadrCreatedOpt": m.created_opt("r1", "OPT-1"),
    "oadrCanceledOpt": m.canceled_opt("r1", "OPT-1"),
    "oadrQueryRegistration": m.query_registration("r6"),
    "oadrCreatePartyRegistration": m.create_party_registration(ven_name="ven1", request_id="r7"),
    "oadrPoll": m.poll("VEN-1"),
    "oadrCreatedEvent": m.created_event("VEN-1", [m.event_response("EV-1", 0, "optIn", "r3")]),
    "oadrRequestEvent": m.request_event("VEN-1", request_id="r8"),
    "oadrRegisterReport": m.register_report([m.metadata_report([DESC], specifier_id="SPEC-1", created=NOW)], "VEN-1",
                                            request_id="r9"),
    "oadrCreatedReport": m.created_report("r1", ["RR-1"], "VEN-1"),
    "oadrUpdateReport": m.update_report([m.data_report([m.report_interval(NOW, 10, "rid-power", 3.5, 0)],
                                                       report_request_id="RR-1", specifier_id="SPEC-1", start=NOW,
                                                       created=NOW, report_id="REP-1")], "VEN-1", request_id="r10"),
    "oadrCanceledReport": m.canceled_report("r1", [], "VEN-1"),
    "oadrCreateOpt": m.create_opt("OPT-1", "VEN-1", event_id="EV-1", request_id="r11", created=NOW),
    "oadrCancelOpt": m.cancel_opt("OPT-1", "VEN-1", request_id="r12"),
}


@pytest.fixture(scope="module")
def validator(oadr_schema_dir: object) -> OadrValidator:
    return OadrValidator()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_builder_output_is_schema_valid_and_round_trips(validator: OadrValidator, name: str) -> None:
    raw = codec.encode(name, PAYLOADS[name])
    decoded = codec.decode(raw)
    assert decoded.ok and decoded.name == name
    assert validator.validate(decoded.doc) == []
    assert codec.encode(name, decoded.body) == raw


def test_every_payload_a_vtn_or_ven_sends_has_a_builder(oadr_schema_dir: object) -> None:
    from vgitest.openadr.handlers import VEN_PAYLOADS
    vtn_payloads = {"oadrResponse", "oadrCreatedPartyRegistration", "oadrCanceledPartyRegistration",
                    "oadrCancelPartyRegistration", "oadrRequestReregistration", "oadrDistributeEvent",
                    "oadrRegisteredReport", "oadrCreateReport", "oadrUpdatedReport", "oadrCancelReport",
                    "oadrCreatedOpt", "oadrCanceledOpt"}
    assert not (VEN_PAYLOADS | vtn_payloads) - set(PAYLOADS)


def test_dict_form(oadr_schema_dir: object) -> None:
    body = codec.decode(codec.encode("oadrDistributeEvent", PAYLOADS["oadrDistributeEvent"])).body
    ev = body["oadrEvent"]["eiEvent"]
    intervals = ev["eiEventSignals"]["eiEventSignal"]["intervals"]["ei:interval"]
    assert isinstance(intervals, list) and len(intervals) == 2  # repeated -> list
    assert intervals[1]["xcal:uid"]["text"] == "1"  # ambiguous names carry their prefix
    assert intervals[1]["signalPayload"]["payloadFloat"]["ei:value"] == "2.5"
    assert body["@ei:schemaVersion"] == "2.0b"  # attributes are @-keys
    assert codec.find(body, "oadrEvent/eiEvent/eventDescriptor/eventID") == "EV-1"


def test_an_ambiguous_bare_name_is_a_clear_error(oadr_schema_dir: object) -> None:
    with pytest.raises(KeyError, match="write it with a prefix"):
        codec.encode("oadrPoll", {"venID": "V", "interval": "x"})
    with pytest.raises(KeyError, match="not an element"):
        codec.encode("oadrPoll", {"venIdentifier": "V"})


@pytest.mark.parametrize("seconds,text", [(0, "PT0S"), (10, "PT10S"), (90, "PT1M30S"), (3600, "PT1H"),
                                          (86400, "P1D"), (90061, "P1DT1H1M1S")])
def test_durations(seconds: int, text: str) -> None:
    assert m.duration(seconds) == text and m.parse_duration(text) == seconds


def test_bad_duration_is_refused() -> None:
    for bad in ("P", "PT", "10S", "P1DT"):
        with pytest.raises(ValueError):
            m.parse_duration(bad)

"""Behaviour of the OCPP 2.0.1 reference station against the fake CSMS, without the pytest plugin."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from vgitest.ocpp.csms import Delay, FakeCsms, StationSession
from vgitest.ocpp.station.faults import known
from vgitest.ocpp.station.v201 import Station201

W = 5.0


@pytest.fixture
def pair() -> Iterator[tuple[FakeCsms, Station201, StationSession]]:
    csms = FakeCsms(port=0, versions=("2.0.1",), heartbeat_interval=2).start()
    station = Station201(csms.url, "UT201", params={"meter_sample_interval": 0.3, "call_timeout": 3,
                                                    "reboot_delay": 0.05, "reconnect_delay": 0.1}).start()
    session = csms.wait_for_station("UT201", W)
    session.expect("BootNotification", W)
    session.expect("StatusNotification", W, {"connectorStatus": "Available"})
    yield csms, station, session
    station.stop()
    csms.stop()


def fail_findings(csms: FakeCsms) -> list[str]:
    return [f"{f.rule_id}: {f.message}" for f in csms.trace.findings_since(0) if f.severity.value == "fail"]


def test_boot_payload_and_connector_report(pair) -> None:
    csms, station, session = pair
    boot = next(f for f in csms.trace if f.name == "BootNotification" and f.kind == "CALL")
    assert boot.body["reason"] == "PowerUp"
    assert boot.body["chargingStation"]["vendorName"] == "vgitest"
    assert station.heartbeat_interval == 2
    assert fail_findings(csms) == []


def test_plug_first_transaction_lifecycle(pair) -> None:
    csms, station, session = pair
    station.perform("plug_in", connector=1)
    started = session.expect("TransactionEvent", W, {"eventType": "Started"})
    assert started.body["triggerReason"] == "CablePluggedIn"
    assert started.body["evse"] == {"id": 1, "connectorId": 1}
    station.perform("present_token", id_token="TOK", connector=1)
    session.expect("Authorize", W, {"idToken": {"idToken": "TOK"}})
    auth = session.expect("TransactionEvent", W, {"triggerReason": "Authorized"})
    assert auth.body["idToken"]["idToken"] == "TOK" and auth.body["transactionInfo"]["chargingState"] == "Charging"
    session.expect("TransactionEvent", W, {"triggerReason": "MeterValuePeriodic"})
    station.perform("unplug", connector=1)
    ended = session.expect("TransactionEvent", W, {"eventType": "Ended"})
    assert ended.body["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    events = [f for f in csms.trace if f.name == "TransactionEvent" and f.kind == "CALL"]
    assert [e.body["seqNo"] for e in events] == list(range(len(events)))
    assert {e.body["transactionInfo"]["transactionId"] for e in events} == {started.body["transactionInfo"]
                                                                            ["transactionId"]}
    session.expect("StatusNotification", W, {"connectorStatus": "Available"})
    assert fail_findings(csms) == []


def test_invalid_token_starts_nothing(pair) -> None:
    csms, station, session = pair
    session.tokens["BAD"] = "Invalid"
    station.perform("present_token", id_token="BAD", connector=1)
    session.expect("Authorize", W)
    session.expect_none("TransactionEvent", 0.5)


def test_remote_start_and_stop(pair) -> None:
    csms, station, session = pair
    res = session.call("RequestStartTransaction", {"idToken": {"idToken": "R1", "type": "Central"},
                                                   "remoteStartId": 77})
    assert res["status"] == "Accepted"
    started = session.expect("TransactionEvent", W, {"eventType": "Started", "triggerReason": "RemoteStart"})
    assert started.body["transactionInfo"]["remoteStartId"] == 77
    tx = started.body["transactionInfo"]["transactionId"]
    assert session.call("RequestStopTransaction", {"transactionId": "nope"})["status"] == "Rejected"
    assert session.call("RequestStopTransaction", {"transactionId": tx})["status"] == "Accepted"
    ended = session.expect("TransactionEvent", W, {"eventType": "Ended"})
    assert ended.body["triggerReason"] == "RemoteStop"


def test_variables_get_set_and_errors(pair) -> None:
    csms, station, session = pair
    hb = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    res = session.call("SetVariables", {"setVariableData": [
        {**hb, "attributeValue": "7"},
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "StopTxOnEVSideDisconnect"}, "attributeValue": "false"},
        {**hb, "attributeValue": "x"},
        {"component": {"name": "Nope"}, "variable": {"name": "X"}, "attributeValue": "1"}]})
    assert [x["attributeStatus"] for x in res["setVariableResult"]] == ["Accepted", "Rejected", "Rejected",
                                                                       "UnknownComponent"]
    assert station.heartbeat_interval == 7
    got = session.call("GetVariables", {"getVariableData": [hb, {"component": {"name": "SecurityCtrlr"},
                                                                 "variable": {"name": "BasicAuthPassword"}}]})
    assert [(x["attributeStatus"], x.get("attributeValue")) for x in got["getVariableResult"]] == \
        [("Accepted", "7"), ("Rejected", None)]


def test_base_report_parts(pair) -> None:
    csms, station, session = pair
    assert session.call("GetBaseReport", {"requestId": 9, "reportBase": "FullInventory"})["status"] == "Accepted"
    parts = []
    while not parts or parts[-1].body.get("tbc"):
        parts.append(session.expect("NotifyReport", W, {"requestId": 9}))
    assert [p.body["seqNo"] for p in parts] == list(range(len(parts)))
    assert session.call("GetBaseReport", {"requestId": 10, "reportBase": "SummaryInventory"})["status"] == \
        "NotSupported"


def test_reset_immediate_ends_transaction_then_reboots(pair) -> None:
    csms, station, session = pair
    station.perform("plug_in", connector=1)
    session.expect("TransactionEvent", W, {"eventType": "Started"})
    assert session.call("Reset", {"type": "OnIdle"})["status"] == "Scheduled"
    assert session.call("Reset", {"type": "Immediate"})["status"] == "Accepted"
    ended = session.expect("TransactionEvent", W, {"eventType": "Ended"})
    assert ended.body["transactionInfo"]["stoppedReason"] == "ImmediateReset"
    boot = session.expect("BootNotification", W)
    assert boot.body["reason"] == "RemoteReset" and boot.index > ended.index
    session.expect("StatusNotification", W, {"connectorStatus": "Occupied"})


def test_rejected_registration_answers_security_error(pair) -> None:
    csms, station, session = pair
    session.boot_status, session.boot_retry_interval = "Rejected", 30
    station.perform("reboot")
    session.expect("BootNotification", W, fresh=False)
    frame = None
    for _ in range(50):
        if station.registration == "Rejected":
            frame = session.call_frame("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"})
            break
        time.sleep(0.05)
    assert frame is not None and frame.kind == "CALLERROR" and frame.body["errorCode"] == "SecurityError"


def test_availability_and_trigger(pair) -> None:
    csms, station, session = pair
    assert session.call("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}})["status"] == \
        "Accepted"
    session.expect("StatusNotification", W, {"connectorStatus": "Unavailable"})
    assert session.call("TriggerMessage", {"requestedMessage": "BootNotification"})["status"] == "Rejected"
    assert session.call("TriggerMessage", {"requestedMessage": "SignV2GCertificate"})["status"] == "NotImplemented"
    assert session.call("TriggerMessage", {"requestedMessage": "StatusNotification",
                                           "evse": {"id": 1, "connectorId": 1}})["status"] == "Accepted"
    session.expect("StatusNotification", W, {"connectorStatus": "Unavailable"})
    assert session.call("UnlockConnector", {"evseId": 9, "connectorId": 1})["status"] == "UnknownConnector"
    assert session.call("DataTransfer", {"vendorId": "x.y"})["status"] == "UnknownVendorId"


def test_unknown_message_type_gets_message_type_not_supported(pair) -> None:
    csms, station, session = pair
    start = len(csms.trace)
    session.send_raw('[9,"ut-unknown",{}]')
    frame = csms.trace.wait_for(lambda f: f.kind == "CALLERROR" and f.correlation == "ut-unknown", start, W)
    assert frame is not None and frame.body["errorCode"] == "MessageTypeNotSupported"
    assert [f for f in frame.findings if f.severity.value == "fail"] == []


def test_catalog_has_enough_faults_each_with_a_named_test() -> None:
    faults = known("2.0.1")
    assert len(faults) >= 25
    for f in faults:
        d = f.detected_by["2.0.1"]
        assert d.tests and all(t.startswith("test_TC_") for t in d.tests), f.name


def test_unknown_fault_name_is_refused() -> None:
    with pytest.raises(ValueError):
        Station201("ws://127.0.0.1:1/ocpp", faults=["no_such_fault"])


def test_settle_first_contact_lets_the_first_boot_exchange_finish() -> None:
    """A test that power-cycles a station still waiting for its first boot answer would otherwise cut that
    exchange off and take the unanswered boot for its own (the flake behind TC_B_03_CS erroring)."""
    from vgitest.ocpp.csms import Delay
    from vgitest.trace import Direction
    csms = FakeCsms(port=0, versions=("2.0.1",), heartbeat_interval=2).start()
    session = csms.session("UT201S")
    session.override("BootNotification", Delay(0.4), once=True)
    station = Station201(csms.url, "UT201S", params={"reboot_delay": 0.05, "reconnect_delay": 0.1}).start()
    try:
        t0 = time.monotonic()
        session.settle_first_contact(W)
        waited = time.monotonic() - t0
        answers = [f for f in csms.trace if f.direction is Direction.OUT and f.name == "BootNotification"]
        assert len(answers) == 1 and answers[0].body["status"] == "Accepted"
        assert session.cursor > answers[0].index, "the settled exchange must not be expected again"
        assert waited >= 0.3, f"returned after {waited:.2f} s, before the delayed answer"
        cursor, t1 = session.cursor, time.monotonic()
        session.settle_first_contact(W)  # registered: returns at once and leaves the cursor alone
        assert session.cursor == cursor and time.monotonic() - t1 < 0.1
    finally:
        station.stop()
        csms.stop()


def test_settle_first_contact_does_not_wait_long_for_a_silent_station() -> None:
    csms = FakeCsms(port=0, versions=("2.0.1",)).start()
    try:
        session = csms.session("NEVER-CONNECTS")
        t0 = time.monotonic()
        session.settle_first_contact(W)
        assert time.monotonic() - t0 < 2.0
        assert session.cursor == 0 and session.registration == "unknown"
    finally:
        csms.stop()


def test_ending_a_transaction_waits_for_the_meter_call_in_flight(pair) -> None:
    """A remote stop while a periodic TransactionEvent waits for its answer: the Ended event goes out only after
    that answer (one outstanding CALL). The stop used to cancel the sampler with its CALL in flight."""
    csms, station, session = pair
    session.override("TransactionEvent", lambda p: Delay(1.0) if p.get("triggerReason") == "MeterValuePeriodic"
                     else None)
    station.perform("plug_in", connector=1)
    started = session.expect("TransactionEvent", W, {"eventType": "Started"})
    station.perform("present_token", id_token="TOK", connector=1)
    session.expect("TransactionEvent", W, {"triggerReason": "Authorized"})
    periodic = session.expect("TransactionEvent", W, {"triggerReason": "MeterValuePeriodic"})
    tx = started.body["transactionInfo"]["transactionId"]
    assert session.call("RequestStopTransaction", {"transactionId": tx})["status"] == "Accepted"
    ended = session.expect("TransactionEvent", W, {"eventType": "Ended"})
    assert ended.t_ns - periodic.t_ns >= 0.9e9, "the Ended event did not wait for the answer to the meter call"
    assert not [f for f in fail_findings(csms) if f.startswith("OCPPJ-CALL-CONCURRENT")]

"""Behaviour of the mobilityhouse-library interop station against vgitest's fake CSMS (no suite needed).

Each test drives the station through the adapter's physical actions and the CSMS session API and checks
what the station sent, and that the fake CSMS found nothing wrong with any frame of it."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.trace import Direction

from tests.interop.mh_station import MhStation16, MhStation201

IDENT = "MH-UNIT"
PASSWORD = "interop-unit-password-1"
PARAMS = {"meter_sample_interval": 1, "meter_interval": 1, "connection_timeout": 2, "ev_connection_timeout": 2,
          "call_timeout": 3, "station_call_timeout": 3, "reboot_delay": 0.1, "reconnect_delay": 0.1,
          "boot_retry_interval": 1}


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(heartbeat_interval=30, identities={IDENT}, passwords={IDENT: PASSWORD},
                      security_profile=1).start()
    yield server
    server.stop()


def start(csms: FakeCsms, cls: type, **params: object) -> tuple[object, StationSession]:
    station = cls(csms.url, IDENT, password=PASSWORD, connectors=2, params={**PARAMS, **params}).start()
    session = csms.session(IDENT)
    return station, session


@pytest.fixture(params=[MhStation16, MhStation201], ids=["1.6", "2.0.1"])
def booted(request: pytest.FixtureRequest, csms: FakeCsms) -> Iterator[tuple[object, StationSession]]:
    station, session = start(csms, request.param)
    try:
        session.expect("BootNotification", 5)
        key = "connectorId" if request.param is MhStation16 else "evseId"
        for c in (1, 2):
            session.expect("StatusNotification", 5, match={key: c})
        yield station, session
    finally:
        station.stop()  # type: ignore[attr-defined]


def failures(csms: FakeCsms) -> list[str]:
    """Every FAIL-level finding the fake CSMS recorded (the station must cause none)."""
    return [str(f) for f in csms.trace.findings_since(0) if f.severity.value == "fail"
            and f.details.get("side") != "harness"]


def is16(station: object) -> bool:
    return isinstance(station, MhStation16)


def test_faults_are_refused(csms: FakeCsms) -> None:
    with pytest.raises(ValueError, match="no faults"):
        MhStation16(csms.url, IDENT, faults=("late_response",))


def test_boot_basic_auth_and_status_of_every_connector(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    opened = [f for f in csms.trace.since(0) if f.kind == "OPEN"]
    assert opened and opened[0].meta["negotiated"] == ("ocpp1.6" if is16(station) else "ocpp2.0.1")
    assert session.registration == "Accepted"
    assert failures(csms) == []


def test_wrong_password_is_refused_and_retried(csms: FakeCsms) -> None:
    station = MhStation16(csms.url, IDENT, password="not-the-password-xx", params={**PARAMS, "connect_timeout": 1}).start()
    try:
        time.sleep(1.5)
        rejects = [f for f in csms.trace.since(0) if f.kind == "REJECT"]
        assert len(rejects) >= 2  # refused with 401, and the station tries again
        assert {fi.rule_id for f in rejects for fi in f.findings} == {"OCPP-SEC-BASIC-AUTH"}
        assert not [f for f in csms.trace.since(0) if f.kind == "CALL"]
    finally:
        station.stop()


@pytest.mark.parametrize("cls", [MhStation16, MhStation201], ids=["1.6", "2.0.1"])
def test_pending_boot_waits_the_interval_and_trigger_cuts_it_short(csms: FakeCsms, cls: type) -> None:
    session = csms.session(IDENT)
    session.boot_status, session.boot_retry_interval = "Pending", 2
    station, _ = start(csms, cls)
    try:
        first = session.expect("BootNotification", 5)
        second = session.expect("BootNotification", 5)
        assert (second.t_ns - first.t_ns) / 1e9 >= 1.9
        session.expect_none("StatusNotification", 0.3)  # nothing but boot while Pending
        assert session.call("TriggerMessage", {"requestedMessage": "BootNotification"})["status"] == "Accepted"
        t0 = time.monotonic()
        session.boot_status = "Accepted"
        session.expect("BootNotification", 1.5)
        assert time.monotonic() - t0 < 1.5
        session.expect("StatusNotification", 5, match={"connectorId": 1})
        assert failures(csms) == []
    finally:
        station.stop()


def test_rejected_boot_sends_nothing_else(csms: FakeCsms) -> None:
    session = csms.session(IDENT)
    session.boot_status, session.boot_retry_interval = "Rejected", 1
    station, _ = start(csms, MhStation201)
    try:
        session.expect("BootNotification", 5)
        session.expect("BootNotification", 3)
        names = {f.name for f in session.frames(0) if f.direction is Direction.IN and f.kind == "CALL"}
        assert names == {"BootNotification"}
        assert failures(csms) == []
    finally:
        station.stop()


def test_heartbeat_follows_a_changed_interval(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    if is16(station):
        assert session.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "1"})["status"] == "Accepted"
        cfg = session.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert cfg["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "1"}]
    else:
        res = session.call("SetVariables", {"setVariableData": [{"attributeValue": "1", "component": {
            "name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
        assert res["setVariableResult"][0]["attributeStatus"] == "Accepted"
    a = session.expect("Heartbeat", 3, fresh=True)
    b = session.expect("Heartbeat", 3)
    assert 0.9 <= (b.t_ns - a.t_ns) / 1e9 <= 1.6
    assert failures(csms) == []


def test_local_transaction_with_meter_values(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    station.perform("plug_in", connector=1)  # type: ignore[attr-defined]
    station.perform("present_token", id_token="TAG-1", connector=1)  # type: ignore[attr-defined]
    if is16(station):
        session.expect("Authorize", 3, match={"idTag": "TAG-1"})
        start_ = session.expect("StartTransaction", 3, match={"connectorId": 1, "idTag": "TAG-1"})
        session.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Charging"})
        m1 = session.expect("MeterValues", 3, match={"connectorId": 1})
        m2 = session.expect("MeterValues", 3, match={"connectorId": 1})
        assert m1.body["transactionId"] == m2.body["transactionId"] == int(next(iter(session.transactions)))
        e1 = float(m1.body["meterValue"][0]["sampledValue"][0]["value"])
        e2 = float(m2.body["meterValue"][0]["sampledValue"][0]["value"])
        assert start_.body["meterStart"] < e1 < e2
        assert 0.8 <= (m2.t_ns - m1.t_ns) / 1e9 <= 1.6
        station.perform("present_token", id_token="TAG-1", connector=1)  # type: ignore[attr-defined]
        stop = session.expect("StopTransaction", 3, match={"reason": "Local", "idTag": "TAG-1"})
        assert stop.body["meterStop"] >= e2
        session.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Finishing"})
        station.perform("unplug", connector=1)  # type: ignore[attr-defined]
        session.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Available"})
    else:
        # TxStartPoint EVConnected,Authorized: plug-in starts the transaction, the token authorizes it
        session.expect("StatusNotification", 3, match={"evseId": 1, "connectorStatus": "Occupied"})
        started = session.expect("TransactionEvent", 3, match={
            "eventType": "Started", "seqNo": 0, "triggerReason": "CablePluggedIn", "evse": {"id": 1, "connectorId": 1},
            "transactionInfo": {"chargingState": "EVConnected"}})
        tx = started.body["transactionInfo"]["transactionId"]
        session.expect("Authorize", 3, match={"idToken": {"idToken": "TAG-1"}})
        session.expect("TransactionEvent", 3, match={"eventType": "Updated", "triggerReason": "Authorized",
                                                     "idToken": {"idToken": "TAG-1"},
                                                     "transactionInfo": {"transactionId": tx, "chargingState": "Charging"}})
        up = session.expect("TransactionEvent", 3, match={"eventType": "Updated", "triggerReason": "MeterValuePeriodic",
                                                          "transactionInfo": {"chargingState": "Charging"}})
        assert up.body["transactionInfo"]["transactionId"] == tx
        station.perform("present_token", id_token="TAG-1", connector=1)  # type: ignore[attr-defined]
        ended = session.expect("TransactionEvent", 3, match={"eventType": "Ended", "triggerReason": "StopAuthorized",
                                                            "transactionInfo": {"transactionId": tx,
                                                                                "stoppedReason": "Local"}})
        seqs = [f.body["seqNo"] for f in session.frames(0) if f.name == "TransactionEvent" and f.kind == "CALL"]
        assert seqs == list(range(len(seqs))) and ended.body["seqNo"] == seqs[-1]
        assert session.transactions[tx]["open"] is False
    assert failures(csms) == []


def test_rejected_token_starts_nothing(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    session.tokens["BAD"] = "Invalid"
    if is16(station):  # (in 2.0.1 plug-in alone starts a transaction; an accepted token alone would too)
        station.perform("plug_in", connector=2)  # type: ignore[attr-defined]
    station.perform("present_token", id_token="BAD", connector=2)  # type: ignore[attr-defined]
    session.expect("Authorize", 3)
    session.expect_none("StartTransaction" if is16(station) else "TransactionEvent", 1.5)
    assert failures(csms) == []


def test_remote_start_then_remote_stop(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    if is16(station):
        assert session.call("RemoteStartTransaction", {"idTag": "R-1", "connectorId": 2})["status"] == "Accepted"
        session.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Preparing"})
        station.perform("plug_in", connector=2)  # type: ignore[attr-defined]
        session.expect("StartTransaction", 3, match={"connectorId": 2, "idTag": "R-1"})
        tx = int(next(iter(session.transactions)))
        assert session.call("RemoteStopTransaction", {"transactionId": tx + 100})["status"] == "Rejected"
        assert session.call("RemoteStopTransaction", {"transactionId": tx})["status"] == "Accepted"
        session.expect("StopTransaction", 3, match={"transactionId": tx, "reason": "Remote"})
    else:
        station.perform("plug_in", connector=2)  # type: ignore[attr-defined]
        started = session.expect("TransactionEvent", 3, match={"eventType": "Started", "evse": {"id": 2}})
        tx = started.body["transactionInfo"]["transactionId"]
        res = session.call("RequestStartTransaction", {"idToken": {"idToken": "R-1", "type": "Central"},
                                                       "remoteStartId": 77, "evseId": 2})
        assert res == {"status": "Accepted", "transactionId": tx}  # F01: the EV had already started it
        session.expect("TransactionEvent", 3, match={
            "eventType": "Updated", "triggerReason": "RemoteStart", "idToken": {"idToken": "R-1", "type": "Central"},
            "transactionInfo": {"transactionId": tx, "remoteStartId": 77, "chargingState": "Charging"}})
        session.expect_none("Authorize", 0.3)  # AuthorizeRemoteStart is false
        assert session.call("RequestStopTransaction", {"transactionId": "nope"})["status"] == "Rejected"
        assert session.call("RequestStopTransaction", {"transactionId": tx})["status"] == "Accepted"
        session.expect("TransactionEvent", 3, match={"eventType": "Ended", "triggerReason": "RemoteStop",
                                                     "transactionInfo": {"stoppedReason": "Remote"}})
    assert failures(csms) == []


def test_remote_start_without_ev_times_out(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    if is16(station):
        assert session.call("RemoteStartTransaction", {"idTag": "R-2", "connectorId": 1})["status"] == "Accepted"
        session.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Preparing"})
        session.expect("StatusNotification", 4, match={"connectorId": 1, "status": "Available"})
        station.perform("plug_in", connector=1)  # type: ignore[attr-defined]
        session.expect_none("StartTransaction", 1)
    else:  # the authorized transaction ends after EVConnectionTimeOut (2 s here)
        res = session.call("RequestStartTransaction", {"idToken": {"idToken": "R-2", "type": "Central"},
                                                       "remoteStartId": 5})
        assert res == {"status": "Accepted"}
        started = session.expect("TransactionEvent", 3, match={"eventType": "Started", "triggerReason": "RemoteStart",
                                                               "transactionInfo": {"chargingState": "Idle"}})
        ended = session.expect("TransactionEvent", 4, match={"eventType": "Ended", "triggerReason": "EVConnectTimeout",
                                                             "transactionInfo": {"stoppedReason": "Timeout"}})
        assert 1.8 <= (ended.t_ns - started.t_ns) / 1e9 <= 3.0
    assert failures(csms) == []


def test_reset_reboots_with_the_right_reason(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    before = session.connections
    if is16(station):
        station.perform("plug_in", connector=1)  # type: ignore[attr-defined]
        station.perform("present_token", id_token="T-R", connector=1)  # type: ignore[attr-defined]
        session.expect("StartTransaction", 3)
        assert session.call("Reset", {"type": "Soft"})["status"] == "Accepted"
        session.expect("StopTransaction", 3, match={"reason": "SoftReset"})
        session.expect("BootNotification", 5)
    else:
        assert session.call("Reset", {"type": "Immediate", "evseId": 1})["status"] == "Rejected"
        assert session.call("Reset", {"type": "Immediate"})["status"] == "Accepted"
        session.expect("BootNotification", 5, match={"reason": "RemoteReset"})
    assert session.connections == before + 1
    session.expect("StatusNotification", 5, match={"connectorId": 1})
    assert failures(csms) == []


def test_onidle_reset_waits_for_the_transaction(csms: FakeCsms) -> None:
    station, session = start(csms, MhStation201)
    try:
        session.expect("BootNotification", 5)
        session.expect("StatusNotification", 5, match={"evseId": 2})
        station.perform("plug_in", connector=1)
        station.perform("present_token", id_token="T-I", connector=1)
        session.expect("TransactionEvent", 3, match={"eventType": "Started"})
        assert session.call("Reset", {"type": "OnIdle"})["status"] == "Scheduled"
        session.expect_none("BootNotification", 1)
        station.perform("unplug", connector=1)
        session.expect("TransactionEvent", 3, match={"eventType": "Ended", "transactionInfo": {
            "stoppedReason": "EVDisconnected"}})
        session.expect("BootNotification", 5, match={"reason": "RemoteReset"})
        assert failures(csms) == []
    finally:
        station.stop()


def test_reboot_action_reconnects_and_boots(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    station.perform("reboot")  # type: ignore[attr-defined]
    boot = session.expect("BootNotification", 5, fresh=True)
    if not is16(station):
        assert boot.body["reason"] == "PowerUp"
    closes = [f for f in csms.trace.since(0) if f.kind == "CLOSE"]
    assert len(closes) == 1


def test_configuration_1_6(csms: FakeCsms) -> None:
    station, session = start(csms, MhStation16)
    try:
        session.expect("BootNotification", 5)
        everything = session.call("GetConfiguration", {})
        keys = {k["key"]: k for k in everything["configurationKey"]}
        for required in ("HeartbeatInterval", "MeterValueSampleInterval", "ConnectionTimeOut", "NumberOfConnectors",
                         "SupportedFeatureProfiles", "StopTransactionOnEVSideDisconnect"):
            assert required in keys
        assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
        res = session.call("GetConfiguration", {"key": ["MeterValueSampleInterval", "NoSuchKey"]})
        assert res["unknownKey"] == ["NoSuchKey"] and res["configurationKey"][0]["value"] == "1"
        change = lambda k, v: session.call("ChangeConfiguration", {"key": k, "value": v})["status"]  # noqa: E731
        assert change("NoSuchKey", "1") == "NotSupported"
        assert change("NumberOfConnectors", "5") == "Rejected"
        assert change("MeterValueSampleInterval", "soon") == "Rejected"
        assert change("MeterValueSampleInterval", "2") == "Accepted"
        assert session.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})["configurationKey"][0][
            "value"] == "2"
        assert failures(csms) == []
    finally:
        station.stop()


def test_device_model_2_0_1(csms: FakeCsms) -> None:
    station, session = start(csms, MhStation201)
    try:
        session.expect("BootNotification", 5)
        res = session.call("GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NoSuchVariable"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeType": "Target"},
            {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "AvailabilityState"}}]})
        statuses = [r["attributeStatus"] for r in res["getVariableResult"]]
        assert statuses == ["Accepted", "UnknownComponent", "UnknownVariable", "NotSupportedAttributeType", "Accepted"]
        assert res["getVariableResult"][0]["attributeValue"] == "30"
        assert res["getVariableResult"][4]["attributeValue"] == "Available"
        res = session.call("SetVariables", {"setVariableData": [
            {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}, "attributeValue": "5"},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}, "attributeValue": "2"},
            {"component": {"name": "AuthCtrlr"}, "variable": {"name": "LocalPreAuthorize"}, "attributeValue": "maybe"}]})
        assert [r["attributeStatus"] for r in res["setVariableResult"]] == ["Accepted", "Rejected", "Rejected"]
        assert station.var_int("SampledDataCtrlr", "TxUpdatedInterval") == 5
        assert session.call("GetBaseReport", {"requestId": 9, "reportBase": "SummaryInventory"})["status"] == \
            "NotSupported"
        assert session.call("GetBaseReport", {"requestId": 8, "reportBase": "FullInventory"})["status"] == "Accepted"
        parts = []
        while True:
            part = session.expect("NotifyReport", 3, match={"requestId": 8})
            parts.append(part.body)
            if not part.body.get("tbc"):
                break
        assert [p["seqNo"] for p in parts] == list(range(len(parts))) and len(parts) > 1
        reported = {(d["component"]["name"], d["variable"]["name"]) for p in parts for d in p["reportData"]}
        assert ("SampledDataCtrlr", "TxUpdatedInterval") in reported and ("SecurityCtrlr", "Identity") in reported
        assert failures(csms) == []
    finally:
        station.stop()


def test_trigger_message(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    for message in ("Heartbeat", "StatusNotification", "MeterValues"):
        body = {"requestedMessage": message}
        if message != "Heartbeat":
            body.update({"connectorId": 2} if is16(station) else {"evse": {"id": 2}})
        assert session.call("TriggerMessage", body)["status"] == "Accepted"
        session.expect(message, 3, fresh=False)
    bad = {"requestedMessage": "StatusNotification", **({"connectorId": 7} if is16(station) else {"evse": {"id": 7}})}
    assert session.call("TriggerMessage", bad)["status"] == "Rejected"
    if not is16(station):  # F06.FR.17: BootNotification is not triggerable once accepted
        assert session.call("TriggerMessage", {"requestedMessage": "BootNotification"})["status"] == "Rejected"
    assert failures(csms) == []


def test_unlock_clear_cache_data_transfer_and_availability(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    if is16(station):
        assert session.call("UnlockConnector", {"connectorId": 1})["status"] == "Unlocked"
        assert session.call("UnlockConnector", {"connectorId": 9})["status"] == "NotSupported"
        assert session.call("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"})["status"] == "Accepted"
        session.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Unavailable"})
        assert session.call("ChangeAvailability", {"connectorId": 2, "type": "Operative"})["status"] == "Accepted"
        session.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Available"})
        dt = session.call("DataTransfer", {"vendorId": "org.vgitest", "messageId": "echo", "data": "x"})
        assert dt == {"status": "Accepted", "data": "x"}
    else:
        assert session.call("UnlockConnector", {"evseId": 1, "connectorId": 1})["status"] == "Unlocked"
        assert session.call("UnlockConnector", {"evseId": 5, "connectorId": 1})["status"] == "UnknownConnector"
        res = session.call("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}})
        assert res["status"] == "Accepted"
        session.expect("StatusNotification", 3, match={"evseId": 2, "connectorStatus": "Unavailable"})
        res = session.call("ChangeAvailability", {"operationalStatus": "Operative", "evse": {"id": 2}})
        session.expect("StatusNotification", 3, match={"evseId": 2, "connectorStatus": "Available"})
        dt = session.call("DataTransfer", {"vendorId": "org.vgitest", "messageId": "echo", "data": "x"})
        assert dt == {"status": "Accepted", "data": "x"}
    assert session.call("ClearCache", {})["status"] == "Accepted"
    assert session.call("DataTransfer", {"vendorId": "com.example.unknown"})["status"] == "UnknownVendorId"
    assert failures(csms) == []


def test_library_drops_a_malformed_frame_without_callerror(booted: tuple, csms: FakeCsms) -> None:
    """Evidence for the expected suite failure: the `ocpp` library logs and drops an unparsable frame
    (ChargePoint.route_message returns on unpack errors), where OCPP-J requires a CALLERROR."""
    station, session = booted
    mark = len(csms.trace)
    session.send_raw('[2,"bad-json","Heartbeat",{}')
    time.sleep(0.8)
    answers = [f for f in csms.trace.since(mark) if f.direction is Direction.IN and f.kind == "CALLERROR"]
    assert answers == []
    assert session.connected


def test_library_answers_a_1_6_payload_error_with_2x_spelling(booted: tuple, csms: FakeCsms) -> None:
    """Evidence: for a schema violation other than type/required/maxLength the library answers
    `FormatViolation` in every version (ocpp.messages._validate_payload); OCPP-J 1.6 spells it
    `FormationViolation`."""
    station, session = booted
    if not is16(station):
        pytest.skip("FormatViolation is the right 2.0.1 spelling")
    frame = session.call_frame("ChangeAvailability", {"connectorId": 1, "type": "Sideways"}, validate=False)
    assert frame.kind == "CALLERROR" and frame.body["errorCode"] == "FormatViolation"


def test_local_pre_authorize_uses_the_cache_until_cleared(booted: tuple, csms: FakeCsms) -> None:
    station, session = booted
    if is16(station):
        assert session.call("ChangeConfiguration", {"key": "LocalPreAuthorize", "value": "true"})["status"] == \
            "Accepted"
    else:
        res = session.call("SetVariables", {"setVariableData": [{"attributeValue": "true", "component": {
            "name": "AuthCtrlr"}, "variable": {"name": "LocalPreAuthorize"}}]})
        assert res["setVariableResult"][0]["attributeStatus"] == "Accepted"
    tx_start = "StartTransaction" if is16(station) else "TransactionEvent"
    for round_ in range(3):
        if round_ == 2:
            assert session.call("ClearCache", {})["status"] == "Accepted"
        station.perform("plug_in", connector=1)  # type: ignore[attr-defined]
        mark = len(csms.trace)
        station.perform("present_token", id_token="CACHED", connector=1)  # type: ignore[attr-defined]
        session.expect(tx_start, 3, match=None if is16(station) else {"triggerReason": "Authorized"})
        asked = [f for f in csms.trace.since(mark) if f.name == "Authorize" and f.kind == "CALL"]
        assert len(asked) == (0 if round_ == 1 else 1), round_  # first use and after ClearCache: asked online
        station.perform("unplug", connector=1)  # type: ignore[attr-defined]
        session.expect("StopTransaction" if is16(station) else "TransactionEvent", 3,
                       match=None if is16(station) else {"eventType": "Ended"})
    assert failures(csms) == []


def test_declared_tx_start_and_stop_points(csms: FakeCsms) -> None:
    station, session = start(csms, MhStation201)
    try:
        session.expect("BootNotification", 5)
        res = session.call("GetVariables", {"getVariableData": [
            {"component": {"name": "TxCtrlr"}, "variable": {"name": n}} for n in ("TxStartPoint", "TxStopPoint")]})
        assert [r["attributeValue"] for r in res["getVariableResult"]] == ["EVConnected,Authorized"] * 2
    finally:
        station.stop()

"""Behaviour of the OCPP 1.6 reference station against the fake CSMS (no pytest plugin involved)."""

from __future__ import annotations

from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.ocpp.station.faults import CATALOG, known
from vgitest.ocpp.station.v16 import Station16
from vgitest.trace import Direction

PARAMS = {"heartbeat_interval": 2, "meter_sample_interval": 1, "connection_timeout": 1, "call_timeout": 3}


@pytest.fixture(scope="module")
def csms() -> Iterator[FakeCsms]:
    with FakeCsms(port=0, heartbeat_interval=2, versions=("1.6",)) as server:
        yield server


def _start(csms: FakeCsms, identity: str, faults: tuple[str, ...] = (), connectors: int = 1
           ) -> tuple[Station16, StationSession]:
    st = Station16(csms.url, identity, connectors=connectors, faults=faults, params=dict(PARAMS)).start()
    s = csms.wait_for_station(identity, 10)
    s.expect("BootNotification", 5)
    for c in range(1, connectors + 1):
        s.expect("StatusNotification", 5, match={"connectorId": c, "status": "Available"})
    return st, s


@pytest.fixture
def pair(csms: FakeCsms, request: pytest.FixtureRequest) -> Iterator[tuple[Station16, StationSession]]:
    st, s = _start(csms, f"UT16-{request.node.name[:30]}")
    yield st, s
    st.stop()


def _answer(s: StationSession, frame):
    return s.csms.trace.wait_for(lambda f: f.direction is Direction.OUT and f.correlation == frame.correlation
                                 and f.connection == frame.connection and f.kind == "CALLRESULT", frame.index, 3)


def test_boot_reports_connector_zero_and_every_connector(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-TWO", connectors=2)
    try:
        ids = [f.body["connectorId"] for f in s.frames(0) if f.name == "StatusNotification" and f.kind == "CALL"]
        assert ids[:3] == [0, 1, 2]
        assert s.call("GetConfiguration", {"key": ["NumberOfConnectors"]})["configurationKey"][0]["value"] == "2"
    finally:
        st.stop()


def test_local_session_plug_first_reports_states_and_meter_values(pair) -> None:
    st, s = pair
    st.perform("plug_in", connector=1)
    s.expect("StatusNotification", 3, match={"status": "Preparing"})
    st.perform("present_token", id_token="TAG1", connector=1)
    s.expect("Authorize", 3, match={"idTag": "TAG1"})
    start = s.expect("StartTransaction", 3, match={"connectorId": 1, "idTag": "TAG1", "meterStart": 0})
    tx = _answer(s, start).body["transactionId"]
    s.expect("StatusNotification", 3, match={"status": "Charging"})
    mv = s.expect("MeterValues", 3, match={"transactionId": tx})
    assert mv.body["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Periodic"
    st.perform("present_token", id_token="TAG1", connector=1)
    stop = s.expect("StopTransaction", 3, match={"transactionId": tx, "reason": "Local", "idTag": "TAG1"})
    assert stop.body["meterStop"] >= float(mv.body["meterValue"][0]["sampledValue"][0]["value"])
    s.expect("StatusNotification", 3, match={"status": "Finishing"})
    st.perform("unplug", connector=1)
    s.expect("StatusNotification", 3, match={"status": "Available"})


def test_invalid_tag_does_not_start_and_is_cached(pair) -> None:
    st, s = pair
    s.tokens["BAD"] = "Invalid"
    st.perform("plug_in", connector=1)
    st.perform("present_token", id_token="BAD", connector=1)
    s.expect("Authorize", 3, match={"idTag": "BAD"})
    s.expect_none("StartTransaction", within=0.8)
    assert st.cache["BAD"]["status"] == "Invalid"


def test_identification_first_times_out_after_connection_timeout(pair) -> None:
    st, s = pair
    st.perform("present_token", id_token="TAG1", connector=1)
    prep = s.expect("StatusNotification", 3, match={"status": "Preparing"})
    back = s.expect("StatusNotification", 3, match={"status": "Available"})
    assert 0.8 <= (back.t_ns - prep.t_ns) / 1e9 <= 2.5


def test_remote_start_rules(pair) -> None:
    st, s = pair
    assert s.call("RemoteStartTransaction", {"connectorId": 0, "idTag": "T"})["status"] == "Rejected"
    assert s.call("RemoteStartTransaction", {"connectorId": 7, "idTag": "T"})["status"] == "Rejected"
    assert s.call("RemoteStartTransaction", {"idTag": "T"})["status"] == "Accepted"
    s.expect("Authorize", 3, match={"idTag": "T"})
    s.expect("StatusNotification", 3, match={"status": "Preparing"})
    st.perform("plug_in", connector=1)
    start = s.expect("StartTransaction", 3, match={"idTag": "T"})
    tx = _answer(s, start).body["transactionId"]
    s.expect("StatusNotification", 3, match={"status": "Charging"})  # the station has recorded the transaction
    assert s.call("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"})["status"] == "Rejected"
    assert s.call("RemoteStopTransaction", {"transactionId": tx + 100})["status"] == "Rejected"
    assert s.call("RemoteStopTransaction", {"transactionId": tx})["status"] == "Accepted"
    s.expect("StopTransaction", 3, match={"transactionId": tx, "reason": "Remote"})


def test_soft_reset_stops_transaction_then_reboots(pair) -> None:
    st, s = pair
    st.perform("plug_in", connector=1)
    st.perform("present_token", id_token="TAG1", connector=1)
    tx = _answer(s, s.expect("StartTransaction", 3)).body["transactionId"]
    s.expect("StatusNotification", 3, match={"status": "Charging"})  # the station has recorded the transaction
    assert s.call("Reset", {"type": "Soft"})["status"] == "Accepted"
    stop = s.expect("StopTransaction", 3, match={"transactionId": tx, "reason": "SoftReset"})
    boot = s.expect("BootNotification", 5)
    assert boot.index > stop.index and boot.connection != stop.connection
    s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Preparing"})  # cable still in


def test_power_loss_ends_transaction_after_the_next_boot(pair) -> None:
    st, s = pair
    st.perform("plug_in", connector=1)
    st.perform("present_token", id_token="TAG1", connector=1)
    tx = _answer(s, s.expect("StartTransaction", 3)).body["transactionId"]
    s.expect("StatusNotification", 3, match={"status": "Charging"})
    st.perform("reboot")
    boot = s.expect("BootNotification", 5)
    stop = s.expect("StopTransaction", 3, match={"transactionId": tx, "reason": "PowerLoss"})
    assert stop.index > boot.index


def test_configuration_semantics(pair) -> None:
    st, s = pair
    change = lambda k, v: s.call("ChangeConfiguration", {"key": k, "value": v})["status"]  # noqa: E731
    assert change("NoSuchKey", "1") == "NotSupported"
    assert change("NumberOfConnectors", "3") == "Rejected"
    assert change("MeterValueSampleInterval", "x") == "Rejected"
    assert change("HeartbeatInterval", "3") == "Accepted"
    assert st.heartbeat_interval == 3.0
    res = s.call("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
    assert res == {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "3"}],
                   "unknownKey": ["Nope"]}
    assert "unknownKey" not in s.call("GetConfiguration", {})  # empty optional lists are omitted


def test_availability_persists_and_is_scheduled_during_transaction(pair) -> None:
    st, s = pair
    assert s.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})["status"] == "Accepted"
    s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Unavailable"})
    st.perform("reboot")
    s.expect("BootNotification", 5)
    s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Unavailable"})
    assert s.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})["status"] == "Accepted"
    s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Available"})
    st.perform("plug_in", connector=1)
    st.perform("present_token", id_token="TAG1", connector=1)
    s.expect("StartTransaction", 3)
    s.expect("StatusNotification", 3, match={"status": "Charging"})
    assert s.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})["status"] == "Scheduled"
    s.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})


def test_trigger_unlock_cache_datatransfer(pair) -> None:
    st, s = pair
    assert s.call("TriggerMessage", {"requestedMessage": "Heartbeat"})["status"] == "Accepted"
    s.expect("Heartbeat", 3)
    assert s.call("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 5})["status"] == "Rejected"
    assert s.call("UnlockConnector", {"connectorId": 1})["status"] == "Unlocked"
    assert s.call("UnlockConnector", {"connectorId": 4})["status"] == "NotSupported"
    st.cache["X"] = {"status": "Accepted"}
    assert s.call("ClearCache", {})["status"] == "Accepted" and not st.cache
    assert s.call("DataTransfer", {"vendorId": "acme"})["status"] == "UnknownVendorId"
    assert s.call("DataTransfer", {"vendorId": "org.vgitest", "messageId": "echo", "data": "hi"}) == \
        {"status": "Accepted", "data": "hi"}
    assert s.call("GetLocalListVersion", {}) == {"listVersion": 0}  # a local list, empty so far


def test_rpc_errors_use_16_codes(pair) -> None:
    st, s = pair
    assert s.call_frame("Nope", {}, validate=False).body["errorCode"] == "NotImplemented"
    bad = s.call_frame("ChangeAvailability", {"connectorId": 1}, validate=False)
    assert bad.body["errorCode"] == "OccurenceConstraintViolation" and bad.body["errorDetails"] == {}
    assert s.call_frame("ClearChargingProfile", {}).body["errorCode"] == "NotSupported"


def test_pending_boot_waits_for_interval_and_rejects_remote_start(csms: FakeCsms) -> None:
    s = csms.session("UT16-PENDING")
    s.boot_status, s.boot_retry_interval = "Pending", 1
    st = Station16(csms.url, "UT16-PENDING", params=dict(PARAMS)).start()
    try:
        first = s.expect("BootNotification", 5)
        assert s.call("RemoteStartTransaction", {"idTag": "T"}, negative="the reference station refuses a remote "
                      "start the CSMS must not send while Pending (OCPP 1.6 §4.2)")["status"] == "Rejected"
        s.boot_status = "Accepted"
        second = s.expect("BootNotification", 4)
        assert (second.t_ns - first.t_ns) / 1e9 >= 0.9
        s.expect("StatusNotification", 3)
        assert not [f for f in s.frames(0) if f.kind == "CALL" and f.name == "StatusNotification"
                    and f.index < second.index]
    finally:
        st.stop()


def test_catalog_has_enough_faults_and_each_names_a_suite_test() -> None:
    faults = known("1.6")
    assert len(faults) >= 25
    for f in faults:
        d = f.detected_by["1.6"]
        assert d.tests and all(t.startswith("test_TC_") for t in d.tests), f.name
    with pytest.raises(ValueError):
        Station16("ws://127.0.0.1:1", faults=("no_such_fault",))
    assert "ignore_reset" in CATALOG


@pytest.mark.parametrize("fault,check", [
    ("wrong_transaction_id", lambda tx, mv: mv.body["transactionId"] == tx + 1),
    ("schema_violation", lambda tx, mv: not isinstance(mv.body["meterValue"][0]["sampledValue"][0]["value"], str)),
])
def test_meter_faults_change_the_wire(csms: FakeCsms, fault: str, check) -> None:
    st, s = _start(csms, f"UT16-F-{fault[:20]}", faults=(fault,))
    try:
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="TAG1", connector=1)
        tx = _answer(s, s.expect("StartTransaction", 3)).body["transactionId"]
        assert check(tx, s.expect("MeterValues", 3))
    finally:
        st.stop()

"""Every OCPP rule id the harness checks automatically is provoked here by raw frames from a dumb client,
and the fake CSMS's reply is checked where the protocol defines one. Scenario rules that only a suite or a
reusable state raises (e.g. OCPP-RESET-IGNORED) are provoked in tests/ocpp/test_rules_scenario.py, by raw
frames driving the real suite code."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest

from vgitest.budgets import Budgets
from vgitest.findings import RULES, Severity
from vgitest.ocpp import checks, rules as r
from vgitest.ocpp.csms import Delay, FakeCsms
from vgitest.trace import Direction
from vgitest.verdict import NonConformance

from tests.ocpp.rawclient import RawClient

PROVOKED: set[str] = set()
SCENARIO_RULES = {r.STATION_RESPONSE, r.RESET_IGNORED, r.CONFIG_NOT_APPLIED, r.STATUS_TRANSITION,
                  r.STATUS_AFTER_BOOT, r.BOOT_MISSING}
# judged in a case's body, not on frames: the smart-charging cases compare the current or power the station meters
# with the profile they set (vgitest/ocpp/smartcharging.py; tests/ocpp/test_smart_charging_16.py shows the check
# flag an over-limit reading; the fault sc_limit_not_applied is its fault-matrix row); the firmware and diagnostics
# cases judge the status sequence and what the file server recorded (vgitest/ocpp/transfer_checks.py,
# tests/ocpp/test_files.py), the offline cases the messages replayed after the outage (tests/ocpp/
# test_offline_station16.py); each has catalogued faults in the fault matrix
CASE_RULES = {r.SC_LIMIT, r.FIRMWARE_STATUS, r.DIAGNOSTICS_STATUS, r.FILE_TRANSFER, r.OFFLINE_QUEUE, r.OFFLINE_ORDER,
              r.LOG_STATUS, r.V2X_POWER,  # V2X_POWER: the V2X cases judge the power the station meters
              r.FIRMWARE_SECURE,  # 2.0.1 secure firmware: tests/ocpp/test_firmware_v201.py, faults catalog_v201_firmware
              r.TX_OFFLINE_QUEUE, r.TX_OFFLINE_FLAG, r.TX_RETRY, r.RECONNECT_BACKOFF, r.STATUS_AFTER_OFFLINE,
              r.NETWORK_PROFILE}
# judged by the fuzz cases (suites/ocpp*_fuzz): each is the rule of a robustness fault of the reference station,
# which the fault matrix runs (test_fuzz_rules_are_provoked_by_catalogued_faults)
FUZZ_RULES = {r.FUZZ_REJECT, r.FUZZ_ERROR_CODE, r.FUZZ_SILENT, r.FUZZ_ALIVE, r.FUZZ_ACCEPT}
# judged by the security cases (suites/ocpp16/test_security.py, test_certificates.py, suites/ocpp201/test_A_*,
# test_M_*): each is the rule of a catalogued fault (catalog_security), which the fault matrix runs
SECURITY_RULES = {r.TLS_HANDSHAKE, r.TLS_SERVER_AUTH, r.TLS_VERSION, r.TLS_CIPHER, r.CLIENT_CERT, r.SECURITY_EVENT,
                  r.CERT_STORE, r.CERT_RENEWAL, r.DOWNGRADE, r.PASSWORD, r.UPGRADE}


def provokes(rule_id: str):
    """Register the rule as provoked; hand it to the test as `rule_id` when the test asks for it."""
    PROVOKED.add(rule_id)

    def deco(fn):
        import inspect
        if "rule_id" in inspect.signature(fn).parameters:
            return pytest.mark.parametrize("rule_id", [rule_id])(fn)
        return fn
    return deco


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0).start()
    yield server
    server.stop()


def client(csms: FakeCsms, version: str = "1.6", boot: bool = True, ident: str = "CS1") -> RawClient:
    c = RawClient(csms.url_for(ident), ["ocpp1.6" if version == "1.6" else "ocpp2.0.1"])
    if boot:
        c.boot(version)
    return c


def rules_seen(csms: FakeCsms) -> list[str]:
    time.sleep(0.05)
    return [f.rule_id for f in csms.trace.findings_since(0)]


def wait_rule(csms: FakeCsms, rule_id: str, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rule_id in [f.rule_id for f in csms.trace.findings_since(0)]:
            return
        time.sleep(0.02)
    raise AssertionError(f"{rule_id} not raised; saw {rules_seen(csms)}")


@provokes(r.FRAME_BINARY)
def test_binary_frame(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send(b'[2,"b1","Heartbeat",{}]')
    assert c.recv()[0] == 3  # still answered: the content was a valid CALL
    wait_rule(csms, rule_id)


@provokes(r.FRAME_JSON)
@pytest.mark.parametrize("version,code", [("1.6", "FormationViolation"), ("2.0.1", "RpcFrameworkError")])
def test_invalid_json_gets_callerror_minus_one(csms: FakeCsms, rule_id: str, version: str, code: str) -> None:
    c = client(csms, version)
    c.send('[2,"x","Heartbeat",{}')
    assert c.recv() == [4, "-1", code, "Message is not valid JSON", {}]
    wait_rule(csms, rule_id)
    bad = [f for f in csms.trace if f.kind == "MALFORMED"]
    assert bad and bad[0].raw == b'[2,"x","Heartbeat",{}'  # the raw bytes stay in the trace


@provokes(r.FRAME_SHAPE)
def test_not_an_rpc_array(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, "2.0.1")
    c.send('{"hello": 1}')
    reply = c.recv()
    assert reply[:3] == [4, "-1", "RpcFrameworkError"]
    wait_rule(csms, rule_id)


@provokes(r.TYPE_UNKNOWN)
def test_unknown_message_type(csms: FakeCsms, rule_id: str) -> None:
    c2 = client(csms, "2.0.1", ident="CS2")
    c2.send('[7,"t1",{}]')
    assert c2.recv()[:3] == [4, "t1", "MessageTypeNotSupported"]  # 2.0.1 answers
    c1 = client(csms, "1.6")
    c1.send('[7,"t2",{}]')
    c1.send('[2,"t3","Heartbeat",{}]')
    assert c1.recv()[:2] == [3, "t3"]  # 1.6 ignores the unknown type: the next reply is the Heartbeat's
    wait_rule(csms, rule_id)


@provokes(r.MSGID_TYPE)
def test_message_id_not_a_string(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send('[2,17,"Heartbeat",{}]')
    assert c.recv()[:3] == [4, "-1", "FormationViolation"]
    wait_rule(csms, rule_id)


@provokes(r.MSGID_EMPTY)
def test_empty_message_id(csms: FakeCsms, rule_id: str) -> None:
    client(csms).send('[2,"","Heartbeat",{}]')
    wait_rule(csms, rule_id)


@provokes(r.MSGID_LENGTH)
def test_message_id_too_long(csms: FakeCsms, rule_id: str) -> None:
    client(csms).send([2, "x" * 37, "Heartbeat", {}])
    wait_rule(csms, rule_id)


@provokes(r.MSGID_REUSED)
def test_message_id_reused(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "same", "Heartbeat", {}])
    c.recv()
    c.send([2, "same", "Heartbeat", {}])
    c.recv()
    wait_rule(csms, rule_id)


@provokes(r.ACTION_UNKNOWN)
def test_unknown_action_not_implemented(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "u1", "MakeCoffee", {}])
    assert c.recv()[:3] == [4, "u1", "NotImplemented"]
    wait_rule(csms, rule_id)


@provokes(r.ACTION_CASE)
def test_action_wrong_case(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "c1", "heartBeat", {}])
    assert c.recv()[:3] == [4, "c1", "NotImplemented"]
    wait_rule(csms, rule_id)


@provokes(r.ACTION_DIRECTION)
def test_csms_only_action_from_station(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "d1", "Reset", {"type": "Hard"}])
    assert c.recv()[:3] == [4, "d1", "NotSupported"]
    wait_rule(csms, rule_id)


@provokes(r.PAYLOAD_TYPE)
def test_payload_not_object(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send('[2,"p1","Heartbeat",[]]')
    assert c.recv()[:3] == [4, "p1", "FormationViolation"]
    wait_rule(csms, rule_id)
    c2 = client(csms, "2.0.1", ident="CS2")
    c2.send('[2,"p2","Heartbeat",null]')
    assert c2.recv()[:3] == [4, "p2", "FormatViolation"]


def test_null_payload_is_tolerated_in_16(csms: FakeCsms) -> None:
    """OCPP-J 1.6 §4.2.1 allows null for an empty payload ({} is the good practice): answered, and a warning."""
    c = client(csms)
    c.send('[2,"n1","Heartbeat",null]')
    assert c.recv()[:2] == [3, "n1"]
    wait_rule(csms, r.PAYLOAD_TYPE)
    (f,) = [f for f in csms.trace.findings_since(0) if f.rule_id == r.PAYLOAD_TYPE]
    assert f.severity.value == "warn"


def test_empty_optional_array_is_valid_in_16(csms: FakeCsms) -> None:
    """OCPPJ-OPTIONAL-EMPTY is a 2.0.1/2.1 rule (Part 4 §4.1.5): a 1.6 frame with an empty optional array is
    schema-valid and draws no finding (it used to fail 14 of 38 FAILs of an independent 1.6 station)."""
    c = client(csms)
    c.send([2, "e1", "StopTransaction", {"transactionId": 1, "meterStop": 0, "timestamp": "2026-12-06T10:00:00Z",
                                         "transactionData": []}])
    assert c.recv()[:2] == [3, "e1"]
    time.sleep(0.1)
    assert r.OPTIONAL_EMPTY not in rules_seen(csms)


@provokes(r.OPTIONAL_EMPTY)
def test_empty_optional_field(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, "2.0.1")
    c.send([2, "o1", "BootNotification", {"reason": "PowerUp",
                                            "chargingStation": {"model": "M", "vendorName": "V", "modem": {}}}])
    assert c.recv()[:3] == [4, "o1", "OccurrenceConstraintViolation"]
    wait_rule(csms, rule_id)


@provokes(r.SCHEMA)
@pytest.mark.parametrize("payload,code", [
    ({"chargePointVendor": "V"}, "OccurenceConstraintViolation"),  # required field missing (1.6 spelling)
    ({"chargePointVendor": "V", "chargePointModel": 5}, "TypeConstraintViolation"),
    ({"chargePointVendor": "V", "chargePointModel": "M" * 21}, "PropertyConstraintViolation"),
    ({"chargePointVendor": "V", "chargePointModel": "M", "colour": "red"}, "FormationViolation"),
])
def test_schema_violation_per_field(csms: FakeCsms, rule_id: str, payload: dict, code: str) -> None:
    c = client(csms, boot=False)
    c.send([2, "s1", "BootNotification", payload])
    assert c.recv()[:3] == [4, "s1", code]
    wait_rule(csms, rule_id)
    f = next(x for x in csms.trace.findings_since(0) if x.rule_id == rule_id)
    assert f.details["path"] and f.severity is Severity.FAIL


def test_lenient_mode_turns_schema_failures_into_warnings() -> None:
    with FakeCsms(lenient=True) as server:
        c = client(server, boot=False)
        c.send([2, "s1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M" * 21}])
        assert c.recv()[0] == 3  # answered normally
        time.sleep(0.05)
        f = next(x for x in server.trace.findings_since(0) if x.rule_id == r.SCHEMA)
        assert f.severity is Severity.WARN


def _csms_call(csms: FakeCsms, action: str, payload: dict, timeout: float = 2.0):
    session = csms.wait_for_station(timeout=2)
    box: dict = {}

    def run() -> None:
        try:
            box["frame"] = session.call_frame(action, payload, timeout)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            box["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    return t, box


@provokes(r.ERROR_CODE)
def test_unknown_error_code(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    t, _ = _csms_call(csms, "ClearCache", {})
    req = c.recv()
    c.send([4, req[1], "Oops", "", {}])
    t.join()
    wait_rule(csms, rule_id)


@provokes(r.ERROR_CODE_SPELLING)
@pytest.mark.parametrize("version,code", [("1.6", "FormatViolation"), ("2.0.1", "OccurenceConstraintViolation")])
def test_error_code_of_the_other_version(csms: FakeCsms, rule_id: str, version: str, code: str) -> None:
    c = client(csms, version)
    t, _ = _csms_call(csms, "ClearCache", {})
    req = c.recv()
    c.send([4, req[1], code, "", {}])
    t.join()
    wait_rule(csms, rule_id)


@provokes(r.ERROR_DESCRIPTION)
def test_error_description_not_a_string(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    t, _ = _csms_call(csms, "ClearCache", {})
    req = c.recv()
    c.send([4, req[1], "GenericError", 42, {}])
    t.join()
    wait_rule(csms, rule_id)


@provokes(r.ERROR_DETAILS)
def test_error_details_not_an_object(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    t, _ = _csms_call(csms, "ClearCache", {})
    req = c.recv()
    c.send([4, req[1], "GenericError", "", None])
    t.join()
    wait_rule(csms, rule_id)


@provokes(r.CALLERROR_NOT_FOR_CALL)
def test_callerror_answering_a_callresult(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "h1", "Heartbeat", {}])
    assert c.recv()[0] == 3
    c.send([4, "h1", "GenericError", "", {}])
    wait_rule(csms, rule_id)


@provokes(r.RESULT_ORPHAN)
def test_orphan_result(csms: FakeCsms, rule_id: str) -> None:
    client(csms).send([3, "never-sent", {}])
    wait_rule(csms, rule_id)


@provokes(r.RESULT_DUPLICATE)
def test_duplicate_result(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    t, box = _csms_call(csms, "ClearCache", {})
    req = c.recv()
    c.send([3, req[1], {"status": "Accepted"}])
    t.join()
    assert box["frame"].body == {"status": "Accepted"}
    c.send([3, req[1], {"status": "Accepted"}])
    wait_rule(csms, rule_id)


@provokes(r.RESULT_LATE)
def test_late_result(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    t, box = _csms_call(csms, "ClearCache", {}, timeout=0.2)
    req = c.recv()
    t.join()
    assert isinstance(box["error"], NonConformance)
    c.send([3, req[1], {"status": "Accepted"}])
    wait_rule(csms, rule_id)


@provokes(r.RESPONSE_TIMEOUT)
def test_no_answer_to_csms_call(csms: FakeCsms, rule_id: str) -> None:
    client(csms)
    session = csms.wait_for_station(timeout=2)
    with pytest.raises(NonConformance, match="no answer to ClearCache"):
        session.call("ClearCache", {}, timeout=0.2)
    wait_rule(csms, rule_id)


@provokes(r.CALL_CONCURRENT)
@pytest.mark.parametrize("version,severity", [("1.6", Severity.WARN), ("2.0.1", Severity.FAIL)])
def test_second_call_while_first_unanswered(csms: FakeCsms, rule_id: str, version: str, severity: Severity) -> None:
    c = client(csms, version)
    csms.wait_for_station(timeout=2).override("Heartbeat", Delay(0.3), once=True)
    c.send([2, "a1", "Heartbeat", {}])
    c.send([2, "a2", "Heartbeat", {}])
    replies = {c.recv()[1], c.recv()[1]}
    assert replies == {"a1", "a2"}
    wait_rule(csms, rule_id)
    f = next(x for x in csms.trace.findings_since(0) if x.rule_id == rule_id)
    assert f.severity is severity  # SHOULD NOT in 1.6, SHALL NOT in 2.0.1


@provokes(r.SUBPROTOCOL)
def test_no_common_subprotocol(csms: FakeCsms, rule_id: str) -> None:
    c = RawClient(csms.url_for("CS1"), ["ocpp0.9"])
    assert c.ws.subprotocol is None  # handshake completed without a subprotocol, then closed by the CSMS
    wait_rule(csms, rule_id)


@provokes(r.IDENTITY)
def test_unknown_and_malformed_identity() -> None:
    from websockets.exceptions import InvalidStatus
    with FakeCsms(identities={"CS1"}) as server:
        for ident in ("CS2", "a:b", "x" * 49):
            with pytest.raises(InvalidStatus, match="404"):
                RawClient(server.url_for(ident), ["ocpp1.6"])
        assert [f.rule_id for f in server.trace.findings_since(0)].count(r.IDENTITY) == 3


@provokes(r.BASIC_AUTH)
def test_basic_auth_required_and_checked() -> None:
    from websockets.exceptions import InvalidStatus
    with FakeCsms(security_profile=1, passwords={"CS1": "0123456789abcdef"}) as server:
        with pytest.raises(InvalidStatus, match="401"):
            RawClient(server.url_for("CS1"), ["ocpp1.6"])
        with pytest.raises(InvalidStatus, match="401"):
            RawClient(server.url_for("CS1"), ["ocpp1.6"], password="wrong-password-00", identity="CS1")
        ok = RawClient(server.url_for("CS1"), ["ocpp1.6"], password="0123456789abcdef", identity="CS1")
        assert ok.ws.subprotocol == "ocpp1.6"
        assert [f.rule_id for f in server.trace.findings_since(0)].count(r.BASIC_AUTH) == 2


@provokes(r.BOOT_BEFORE_ACCEPT)
def test_request_before_boot(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, boot=False)
    c.send([2, "e1", "Heartbeat", {}])
    c.recv()
    wait_rule(csms, rule_id)


def _trace_rules(csms: FakeCsms, **kw) -> list[str]:
    time.sleep(0.05)
    found = checks.run_all(list(csms.trace), Budgets.load().override("ocpp", "tolerance", value_s=0.1),
                           test_end_ns=time.monotonic_ns(), **kw)
    return [f.rule_id for f in found]


@provokes(r.BOOT_RETRY_EARLY)
def test_boot_retried_too_early(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, boot=False)
    session = None
    c.send([2, "b0", "Heartbeat", {}])  # creates the session; answered
    c.recv()
    session = csms.wait_for_station(timeout=2)
    session.boot_status, session.boot_retry_interval = "Pending", 30
    c.send([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    assert c.recv()[2]["status"] == "Pending"
    c.send([2, "b2", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    c.recv()
    assert rule_id in _trace_rules(csms)


@provokes(r.HEARTBEAT_GAP)
def test_silence_longer_than_heartbeat_interval() -> None:
    with FakeCsms(heartbeat_interval=1) as server:
        client(server)
        time.sleep(1.3)
        assert r.HEARTBEAT_GAP in _trace_rules(server)


@provokes(r.HEARTBEAT_EARLY)
def test_heartbeats_far_too_often() -> None:
    with FakeCsms(heartbeat_interval=10) as server:
        c = client(server)
        for i in range(3):
            c.send([2, f"hb{i}", "Heartbeat", {}])
            c.recv()
        assert r.HEARTBEAT_EARLY in _trace_rules(server)


@provokes(r.TX_ID)
def test_stop_with_unknown_transaction_id(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "t1", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0,
                                          "timestamp": "2026-01-01T00:00:00Z"}])
    tx = c.recv()[2]["transactionId"]
    c.send([2, "t2", "StopTransaction", {"transactionId": tx + 100, "meterStop": 5,
                                         "timestamp": "2026-01-01T00:01:00Z"}])
    c.recv()
    assert rule_id in _trace_rules(csms)


def _tx_event(seq: int, event: str, tx: str = "TX1", energy: float | None = None, ts: str = "2026-01-01T00:00:00Z"):
    body = {"eventType": event, "timestamp": ts, "triggerReason": "Authorized", "seqNo": seq,
            "transactionInfo": {"transactionId": tx}}
    if energy is not None:
        body["meterValue"] = [{"timestamp": ts, "sampledValue": [{"value": energy}]}]
    return body


@provokes(r.TX_SEQNO)
def test_seqno_gap(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, "2.0.1")
    for i, (seq, ev) in enumerate([(0, "Started"), (2, "Updated")]):
        c.send([2, f"e{i}", "TransactionEvent", _tx_event(seq, ev)])
        c.recv()
    assert rule_id in _trace_rules(csms)


@provokes(r.TX_EVENT_ORDER)
def test_event_after_ended(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, "2.0.1")
    for i, (seq, ev) in enumerate([(0, "Started"), (1, "Ended"), (2, "Updated")]):
        c.send([2, f"e{i}", "TransactionEvent", _tx_event(seq, ev)])
        c.recv()
    assert rule_id in _trace_rules(csms)


@provokes(r.METER_ORDER)
def test_energy_register_decreases(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms, "2.0.1")
    samples = [(0, "Started", 100.0, "2026-01-01T00:00:00Z"), (1, "Updated", 50.0, "2026-01-01T00:00:10Z")]
    for i, (seq, ev, e, ts) in enumerate(samples):
        c.send([2, f"m{i}", "TransactionEvent", _tx_event(seq, ev, energy=e, ts=ts)])
        c.recv()
    assert rule_id in _trace_rules(csms)


@provokes(r.SIZE_BUDGET)
def test_message_over_size_budget(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    c.send([2, "big", "DataTransfer", {"vendorId": "V", "data": "x" * 3000}])
    c.recv()
    time.sleep(0.05)
    budgets = Budgets.load()
    table = checks.size_table(list(csms.trace), budgets)
    row = next(x for x in table if x["message"] == "DataTransfer" and x["direction"] == Direction.IN.value)
    assert row["max_bytes"] > 3000 and row["budget_bytes"] == 2048 and row["within"] is False
    assert rule_id in [f.rule_id for f in checks.size_findings(table, budgets)]


@provokes(r.EXPECTED_MESSAGE)
def test_expected_message_missing(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    session = csms.wait_for_station(timeout=2)
    c.send([2, "h1", "Heartbeat", {}])
    c.recv()
    with pytest.raises(NonConformance, match="expected StatusNotification .* received .*'Heartbeat'"):
        session.expect("StatusNotification", timeout=0.3)
    assert rule_id in rules_seen(csms)
    assert session.expect("Heartbeat", timeout=0.1).correlation == "h1"  # earlier frames are still found


@provokes(r.FORBIDDEN_MESSAGE)
def test_forbidden_message_sent(csms: FakeCsms, rule_id: str) -> None:
    c = client(csms)
    session = csms.wait_for_station(timeout=2)
    session.forbid("Authorize", "no authorization may happen in this scenario")
    c.send([2, "a1", "Authorize", {"idTag": "X"}])
    c.recv()
    wait_rule(csms, rule_id)
    with pytest.raises(NonConformance):
        def later() -> None:
            time.sleep(0.1)
            c.send([2, "a2", "Heartbeat", {}])
        threading.Thread(target=later).start()
        session.expect_none("Heartbeat", within=1.0)


def test_every_automatic_rule_is_provoked_by_a_raw_frame_test() -> None:
    import tests.ocpp.test_hostile_ws  # noqa: F401  (the WebSocket-level and identity rules are provoked there)
    automatic = {x.id for x in RULES.for_protocol("ocpp")} | {r.SIZE_BUDGET}
    missing = automatic - SCENARIO_RULES - FUZZ_RULES - SECURITY_RULES - CASE_RULES - PROVOKED
    assert not missing, f"rules without a raw-frame provocation: {sorted(missing)}"


def test_fuzz_rules_are_provoked_by_catalogued_faults() -> None:
    import importlib
    importlib.import_module("vgitest.ocpp.station.catalog")  # registers both versions' faults
    from vgitest.ocpp.station.faults import CATALOG
    for version in ("1.6", "2.0.1"):
        caught = {d.rule for f in CATALOG.values() for v, d in f.detections if v == version}
        assert FUZZ_RULES <= caught, (version, sorted(FUZZ_RULES - caught))


def test_validation_never_adds_schema_defaults_to_the_payload(csms: FakeCsms) -> None:
    c = client(csms, "2.0.1")
    body = {"eventType": "Started", "timestamp": "2026-01-01T00:00:00Z", "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T1"}}
    c.send([2, "d1", "TransactionEvent", body])
    c.recv()
    time.sleep(0.05)
    frame = next(f for f in csms.trace if f.name == "TransactionEvent" and f.kind == "CALL")
    assert frame.body == body  # e.g. no "offline": false filled in from the schema's default


def test_minus_one_callerror_answers_a_raw_malformed_frame(csms: FakeCsms) -> None:
    c = client(csms, "2.0.1")
    session = csms.wait_for_station(timeout=2)
    session.send_raw('[2,"x","Heartbeat",{')
    assert c.ws.recv(timeout=2) == '[2,"x","Heartbeat",{'
    c.send([4, "-1", "RpcFrameworkError", "not JSON", {}])
    time.sleep(0.1)
    assert r.RESULT_ORPHAN not in rules_seen(csms)
    reply = [f for f in csms.trace if f.kind == "CALLERROR"][-1]
    assert reply.name == "(malformed frame)"


def test_security_rules_are_caught_by_catalogued_faults() -> None:
    import importlib
    importlib.import_module("vgitest.ocpp.station.catalog")
    from vgitest.ocpp.station.faults import CATALOG
    caught = {d.rule for f in CATALOG.values() for _, d in f.detections}
    assert SECURITY_RULES <= caught, sorted(SECURITY_RULES - caught)

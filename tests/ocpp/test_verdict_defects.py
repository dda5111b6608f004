"""Each class of wrong verdict an independent OCPP station showed (issue 12), as a raw-frame scenario: a scripted
raw client plays a conforming (or a specifically deficient) station, and the real suite or state code runs
against it. Each scenario failed on the harness before the fix it names.

- tests leaking into each other: the clean-up did not wait for the StopTransaction it caused;
- a case failing on what it does not test: RPC_05 on a station with one connector-0-less status report;
- the harness breaking the protocol: TC_002 sending RemoteStartTransaction while the registration is Pending;
- unconfigured assumptions: TC_E_03 without TxStartPoint EVConnected; TC_B_39 writing a ReadWrite variable;
- false PASSes: TC_VGI_HB_01 with an ignored interval; TC_B_07 with an untyped value; TC_011_1 with a transaction
  started before plug-in;
- messages a vendor cannot act on: a missing chargingState, a malformed CALLERROR reported as "no CALLERROR";
- an optional adapter action (clear_fault) and a stale transaction that made the Booted state fail.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

import pytest

from vgitest.budgets import Budgets
from vgitest.ocpp import rules as r, states_v16, states_v201
from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.trace import Direction
from vgitest.verdict import HarnessError, Inconclusive, NonConformance

from tests.ocpp.test_rules_scenario import Dut, Profile, RawStation, suite_module

NOW = "2026-12-06T10:00:00Z"


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0, connect_timeout=3.0).start()
    yield server
    server.stop()


def connect(csms: FakeCsms, raw: RawStation) -> StationSession:
    raw.connect()
    st = csms.wait_for_station("CS1", timeout=3)
    st.dut_call_timeout_s = 3.0
    return st


def later(seconds: float, fn: Callable[[], Any]) -> None:
    threading.Timer(seconds, fn).start()


def status16(raw: RawStation, status: str, connector: int = 1) -> None:
    raw.send("StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": status})


def status201(raw: RawStation, status: str, evse: int = 1) -> None:
    raw.send("StatusNotification", {"timestamp": NOW, "evseId": evse, "connectorId": 1, "connectorStatus": status})


class Timers:
    def __init__(self, wait: float = 2.0, quiet: float = 0.5, connector: int = 1, tolerance: float = 4.0) -> None:
        self.wait, self.quiet, self.connector, self.tolerance = wait, quiet, connector, tolerance


# --- tests leaking into each other ------------------------------------------------------------------------------
def test_booted_waits_for_the_stop_transaction_of_a_leftover_transaction(csms: FakeCsms) -> None:
    """The state stopped a leftover transaction remotely and went on at once; the station's late StopTransaction
    then landed in the next case ("StopTransaction for 10, expected 9"). Now it waits for it."""
    raw = RawStation(csms, "1.6", {})
    raw.answers["RemoteStopTransaction"] = lambda p: (later(0.6, lambda: (
        raw.send("StopTransaction", {"transactionId": p["transactionId"], "meterStop": 10, "timestamp": NOW,
                                     "reason": "Remote"}), status16(raw, "Available"))), {"status": "Accepted"})[1]
    try:
        st = connect(csms, raw)
        raw.send("StartTransaction", {"connectorId": 1, "idTag": "T1", "meterStart": 0, "timestamp": NOW})
        status16(raw, "Available")
        st.expect("StatusNotification", 2)
        states_v16.booted(st, Dut(), Profile())
        returned = len(csms.trace)
        time.sleep(1.0)
        late = [f.name for f in csms.trace.since(returned) if f.direction is Direction.IN]
        assert late == [], f"the station sent {late} after the state had returned"
        assert [f.name for f in csms.trace.since(0) if f.direction is Direction.IN][-2:] == \
            ["StopTransaction", "StatusNotification"]
    finally:
        raw.close()


# --- a case failing on what it does not test --------------------------------------------------------------------
def test_rpc_05_without_a_second_call_is_inconclusive(csms: FakeCsms) -> None:
    """1.6 RPC_05 (one outstanding CALL) used to FAIL with OCPP-EXPECTED-MESSAGE when a station sent a single
    StatusNotification for a trigger without connector (no connector-0 report): a defect it does not test."""
    suite = suite_module("ocpp16", "test_rpc")
    raw = RawStation(csms, "1.6", {})

    def trigger(p: dict) -> dict:
        if p["requestedMessage"] == "StatusNotification":
            later(0.05, lambda: status16(raw, "Available", p.get("connectorId", 1)))
        return {"status": "Accepted"}  # a triggered Heartbeat never comes
    raw.answers["TriggerMessage"] = trigger
    try:
        st = connect(csms, raw)
        with pytest.raises(Inconclusive, match="no second CALL"):
            suite.test_TC_VGI_RPC_05_CS(st, Profile(message_timeout=0.5))
    finally:
        raw.close()


# --- the harness breaking the protocol --------------------------------------------------------------------------
def test_tc_002_sends_nothing_a_central_system_must_not_send_while_pending(csms: FakeCsms) -> None:
    """1.6 TC_002 failed a station for accepting a RemoteStartTransaction the CSMS sent while the registration was
    Pending, which OCPP 1.6 §4.2 forbids the central system to send at all."""
    suite = suite_module("ocpp16", "test_boot")
    raw = RawStation(csms, "1.6", {"GetConfiguration": {"configurationKey": [
        {"key": "HeartbeatInterval", "readonly": False, "value": "60"}]},
        "RemoteStartTransaction": {"status": "Accepted"}})

    def reboot() -> None:
        raw.restart(boot=True)  # answered Pending
        later(1.2, lambda: (raw.send("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
                            later(0.2, lambda: status16(raw, "Available"))))
    try:
        st = connect(csms, raw)
        st.settle_first_contact = lambda timeout: None  # type: ignore[method-assign]
        st.cursor = len(csms.trace)  # the plugin starts each case's waits at its body
        suite.test_TC_002_CS(st, Dut(reboot=reboot), Profile(boot_retry_interval=1, message_timeout=2,
                                                             boot_timeout=3), Budgets.load().override(
            "ocpp", "tolerance", value_s=0.5))
        assert not [m for m in raw.received if m[0] == 2 and m[2] == "RemoteStartTransaction"]
    finally:
        raw.close()


def test_the_fake_csms_refuses_a_remote_start_while_pending_unless_a_negative_case_says_why(csms: FakeCsms) -> None:
    csms_session = csms.session("CS1")
    csms_session.boot_status = "Pending"
    raw = RawStation(csms, "1.6", {"RemoteStartTransaction": {"status": "Rejected"}})
    try:
        st = connect(csms, raw)
        assert st.registration == "Pending"
        with pytest.raises(HarnessError, match="OCPP 1.6 §4.2"):
            st.call("RemoteStartTransaction", {"idTag": "T"})
        assert st.call("RemoteStartTransaction", {"idTag": "T"}, negative="robustness")["status"] == "Rejected"
    finally:
        raw.close()


# --- unconfigured assumptions -----------------------------------------------------------------------------------
def test_e_03_is_not_applicable_when_transactions_do_not_start_at_plug_in(csms: FakeCsms) -> None:
    """TC_E_03 expected a TransactionEvent at plug-in without asking for TxStartPoint EVConnected: a station that
    starts transactions at authorization FAILed."""
    suite = suite_module("ocpp201", "test_E_transactions")
    raw = RawStation(csms, "2.0.1", {
        "GetVariables": {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "Authorized",
                                                "component": {"name": "TxCtrlr"}, "variable": {"name": "TxStartPoint"}}]},
        "SetVariables": {"setVariableResult": [{"attributeStatus": "Rejected", "component": {"name": "TxCtrlr"},
                                                "variable": {"name": "TxStartPoint"}}]}})
    try:
        st = connect(csms, raw)
        with pytest.raises(pytest.skip.Exception, match="NOT_APPLICABLE: the station does not take TxCtrlr.TxStartPoint"):
            suite.test_TC_E_03_CS(st, Dut(plug_in=lambda connector: status201(raw, "Occupied")), Profile(), Timers())
        assert not [m for m in raw.received if m[0] == 2 and m[2] == "RequestStartTransaction"]
    finally:
        raw.close()


def test_b_39_writes_a_variable_the_station_itself_reports_read_only(csms: FakeCsms) -> None:
    """TC_B_39 took TxCtrlr.StopTxOnEVSideDisconnect for ReadOnly; its mutability is the station's choice."""
    suite = suite_module("ocpp201", "test_B_variables")
    raw = RawStation(csms, "2.0.1", {})
    ro = {"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage", "instance": "GetVariables"}}

    def base_report(p: dict) -> dict:
        later(0.05, lambda: raw.send("NotifyReport", {"requestId": p["requestId"], "generatedAt": NOW, "seqNo": 0,
                                                      "tbc": False, "reportData": [
            {"component": {"name": "TxCtrlr"}, "variable": {"name": "StopTxOnEVSideDisconnect"},
             "variableAttribute": [{"value": "true", "mutability": "ReadWrite"}]},
            {**ro, "variableAttribute": [{"value": "8", "mutability": "ReadOnly"}]}]}))
        return {"status": "Accepted"}
    raw.answers.update({
        "GetBaseReport": base_report,
        "GetVariables": lambda p: {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "8",
                                                          **p["getVariableData"][0]}]},
        "SetVariables": lambda p: {"setVariableResult": [{
            "attributeStatus": "Rejected" if p["setVariableData"][0]["variable"]["name"] == "ItemsPerMessage"
            else "Accepted", "component": p["setVariableData"][0]["component"],
            "variable": p["setVariableData"][0]["variable"]}]}})
    try:
        st = connect(csms, raw)
        suite.test_TC_B_39_CS(st, Profile(), Timers())
        writes = [m[3]["setVariableData"][0]["variable"]["name"] for m in raw.received if m[0] == 2
                  and m[2] == "SetVariables"]
        assert writes == ["ItemsPerMessage"]
    finally:
        raw.close()


# --- false PASSes -------------------------------------------------------------------------------------------------
def test_hb_01_fails_a_station_that_ignores_a_short_heartbeat_interval(csms: FakeCsms) -> None:
    """TC_VGI_HB_01 (2.0.1) accepted 4.2 s gaps after HeartbeatInterval=3 was Accepted: the general 4 s tolerance
    swallowed the interval. The heartbeat tolerance now scales with the interval (0.75 s at 3 s)."""
    suite = suite_module("ocpp201", "test_VGI_rpc_framework")
    raw = RawStation(csms, "2.0.1", {"SetVariables": {"setVariableResult": [
        {"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}})
    stop = threading.Event()

    def beat() -> None:  # every 4.2 s, whatever the interval
        while not stop.wait(4.2):
            raw.send("Heartbeat", {})
    try:
        st = connect(csms, raw)
        threading.Thread(target=beat, daemon=True).start()
        with pytest.raises(NonConformance) as err:
            suite.test_TC_VGI_HB_01_CS(st, Timers(), Profile(), Budgets.load())
        assert [f.rule_id for f in err.value.findings] == [r.HEARTBEAT_GAP]
    finally:
        stop.set()
        raw.close()


def test_b_07_fails_a_value_that_is_not_of_the_variables_type(csms: FakeCsms) -> None:
    """TC_B_07 passed a boolean variable that read "300"."""
    suite = suite_module("ocpp201", "test_B_variables")
    values = {"HeartbeatInterval": "60", "EVConnectionTimeOut": "30", "AuthorizeRemoteStart": "300",
              "TxUpdatedInterval": "10"}
    raw = RawStation(csms, "2.0.1", {"GetVariables": lambda p: {"getVariableResult": [
        {"attributeStatus": "Accepted", "attributeValue": values[d["variable"]["name"]], **d}
        for d in p["getVariableData"]]}})
    try:
        st = connect(csms, raw)
        with pytest.raises(NonConformance, match="AuthorizeRemoteStart reads '300', not a value of its data type"):
            suite.test_TC_B_07_CS(st)
    finally:
        raw.close()


def test_011_1_fails_a_transaction_started_before_plug_in(csms: FakeCsms) -> None:
    """TC_011_1 passed a station that started the transaction right after the remote start, before the cable."""
    suite = suite_module("ocpp16", "test_remote")
    raw = RawStation(csms, "1.6", {"RemoteStopTransaction": {"status": "Accepted"}})

    def remote_start(p: dict) -> dict:
        later(0.05, lambda: (status16(raw, "Preparing"), raw.send("StartTransaction", {
            "connectorId": 1, "idTag": p["idTag"], "meterStart": 0, "timestamp": NOW})))
        return {"status": "Accepted"}
    raw.answers["RemoteStartTransaction"] = remote_start
    try:
        st = connect(csms, raw)
        with pytest.raises(NonConformance, match="started before the cable was plugged in"):
            suite.test_TC_011_1_CS(st, Dut(plug_in=lambda connector: status16(raw, "Charging")),
                                   Profile(valid_id_token="T1"))
    finally:
        raw.close()


# --- messages a vendor can act on ---------------------------------------------------------------------------------
def test_a_missing_charging_state_is_named(csms: FakeCsms) -> None:
    """"did not reach the Charging state" never said what the station's TransactionEvents carried."""
    raw = RawStation(csms, "2.0.1", {})

    def event(seq: int, kind: str, trigger: str) -> None:
        raw.send("TransactionEvent", {"eventType": kind, "timestamp": NOW, "triggerReason": trigger, "seqNo": seq,
                                      "transactionInfo": {"transactionId": "tx-1", "chargingState": "EVConnected"},
                                      "evse": {"id": 1, "connectorId": 1}})
    dut = Dut(plug_in=lambda connector: (status201(raw, "Occupied"), event(0, "Started", "CablePluggedIn")),
              present_token=lambda id_token, connector: event(1, "Updated", "Authorized"))
    try:
        st = connect(csms, raw)
        status201(raw, "Available")
        st.expect("StatusNotification", 2)
        with pytest.raises(NonConformance, match=r"\[Started trigger=CablePluggedIn chargingState=EVConnected\]; "
                                                 r"\[Updated trigger=Authorized chargingState=EVConnected\]"):
            states_v201.transaction(st, dut, Profile())
    finally:
        raw.close()


def test_rpc_06_names_a_malformed_callerror_instead_of_saying_there_is_none(csms: FakeCsms) -> None:
    suite = suite_module("ocpp201", "test_VGI_rpc_framework")

    def answer_type_7(msg: list) -> bool:
        if msg[0] == 7:
            raw.client.send([4, msg[1], "MessageTypeNotSupported", "unknown type"])  # no errorDetails: 4 elements
            return True
        return False
    raw = RawStation(csms, "2.0.1", {}, on_message=answer_type_7)
    try:
        st = connect(csms, raw)
        with pytest.raises(NonConformance, match="not a well-formed CALLERROR: MALFORMED") as err:
            suite.test_TC_VGI_RPC_06_CS(st, Timers())
        assert [f.rule_id for f in err.value.findings] == [r.STATION_RESPONSE]
    finally:
        raw.close()


# --- the Booted state on a station without fault simulation, and with a stale transaction ------------------------
def _refuse(action: str) -> Callable[..., None]:
    def perform(**_: Any) -> None:  # what a command adapter does for an action the profile does not map
        raise Inconclusive(f"the profile maps no command to DUT action '{action}'")
    return perform


def test_booted_does_not_need_clear_fault_for_an_occupied_connector(csms: FakeCsms) -> None:
    """The 2.0.1 Booted state asked for clear_fault on any occupied connector: 61 of 71 cases ended INCONCLUSIVE
    on a station without fault simulation."""
    raw = RawStation(csms, "2.0.1", {})
    dut = Dut(unplug=lambda connector: status201(raw, "Available"))
    dut.actions["reboot"] = _refuse("reboot")
    try:
        st = connect(csms, raw)
        status201(raw, "Occupied")
        st.expect("StatusNotification", 2)
        states_v201.booted(st, dut, Profile())
    finally:
        raw.close()


def test_booted_gives_up_a_transaction_the_station_no_longer_knows(csms: FakeCsms) -> None:
    """A transaction that was never Ended (lost in a power cycle of an earlier case) made the Booted state of the
    next cases fail with 'connectors are not all Available: {(1, 1): 'Available'}'."""
    raw = RawStation(csms, "2.0.1", {"RequestStopTransaction": {"status": "Rejected"}})
    dut = Dut(reboot=_refuse("reboot"))
    try:
        st = connect(csms, raw)
        raw.send("TransactionEvent", {"eventType": "Started", "timestamp": NOW, "triggerReason": "Authorized",
                                      "seqNo": 0, "transactionInfo": {"transactionId": "stale-1"},
                                      "evse": {"id": 1, "connectorId": 1}})
        status201(raw, "Available")
        st.expect("StatusNotification", 2)
        states_v201.booted(st, dut, Profile())
    finally:
        raw.close()


# --- every timing watch has a documented tolerance --------------------------------------------------------------
@pytest.mark.parametrize("late_by, timed_out", [(0.25, False), (1.0, True)])
def test_the_response_timeout_is_judged_with_the_tolerance(late_by: float, timed_out: bool) -> None:
    """A station that answers just after the response timeout but within the tolerance is on time (a device at
    the limit is not late); one beyond the tolerance is OCPPJ-RESPONSE-TIMEOUT."""
    budgets = Budgets.load().override("ocpp", "response_timeout", value_s=0.5).override("ocpp", "tolerance",
                                                                                       value_s=0.5)
    with FakeCsms(port=0, connect_timeout=3.0, budgets=budgets) as csms:
        raw = RawStation(csms, "1.6", {})
        raw.answers["ClearCache"] = lambda p: (time.sleep(0.5 + late_by), {"status": "Accepted"})[1]
        try:
            raw.connect()
            st = csms.wait_for_station("CS1", timeout=3)
            if timed_out:
                with pytest.raises(NonConformance) as err:
                    st.call("ClearCache", {})
                assert [f.rule_id for f in err.value.findings] == [r.RESPONSE_TIMEOUT]
            else:
                assert st.call("ClearCache", {}) == {"status": "Accepted"}
        finally:
            raw.close()


def test_a_station_that_reconnects_without_restarting_is_not_failed_for_skipping_boot(csms: FakeCsms) -> None:
    """Found by a vendor's first run: after `vgitest profile check` left the station registered, it reconnected to
    the run's fresh fake CSMS without a new BootNotification (allowed: no restart) and TC_B_01's body failed it with
    OCPP-BOOT-BEFORE-ACCEPT for its Heartbeats. On a CSMS that never saw it boot this is not judged."""
    raw = RawStation(csms, "1.6", {})
    try:
        raw.connect(boot=False)
        st = csms.wait_for_station("CS1", timeout=3)
        raw.send("Heartbeat", {})
        frame = st.expect("Heartbeat", 2)
        (finding,) = [f for f in frame.findings if f.rule_id == r.BOOT_BEFORE_ACCEPT]
        assert finding.severity.value == "info"
        st.boot_status = "Pending"
        raw.send("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        st.expect("BootNotification", 2)
        time.sleep(0.1)
        raw.send("Heartbeat", {})
        pending = st.expect("Heartbeat", 2)
        assert [f.severity.value for f in pending.findings if f.rule_id == r.BOOT_BEFORE_ACCEPT] == ["fail"]
    finally:
        raw.close()

"""E: Transactions — the start and stop options (E01, E06: TxCtrlr.TxStartPoint / TxStopPoint), the remote start and
stop of such transactions, and deauthorization by the CSMS (E05/E06) or by the EV connection timeout.

When a transaction starts and ends is the station's choice among the points it supports. Each case asks for the
point it is about first (`s.tx_points`, restored after) and is NOT_APPLICABLE when the station refuses it; the cases
of PowerPathClosed and EnergyTransfer need the point alone in the list (to tell it from EVConnected and Authorized)
and the PICS feature ConfigurableTxPoints."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


def first_event(st, start: int, t, why: str):
    return s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, why)


def check_started(st, ev, **want: str) -> None:
    """The event opens the transaction, with the triggerReason / chargingState the case expects."""
    st.check(ev.body.get("eventType") == "Started", r.TX_EVENT_ORDER,
             f"the first TransactionEvent is {ev.body.get('eventType')}, not Started", ev)
    if "trigger" in want:
        st.check(ev.body.get("triggerReason") == want["trigger"], r.EXPECTED_MESSAGE,
                 f"Started with triggerReason {ev.body.get('triggerReason')!r}, expected {want['trigger']}", ev)
    if "state" in want:
        got = ev.body.get("transactionInfo", {}).get("chargingState")
        st.check(got == want["state"], r.EXPECTED_MESSAGE, f"Started with chargingState {got!r}, expected "
                 f"{want['state']}", ev)
    if "token" in want:
        got = ev.body.get("idToken", {}).get("idToken")
        st.check(got == want["token"], r.EXPECTED_MESSAGE, f"Started carries idToken {got!r}, expected "
                 f"{want['token']} (the authorization that started it)", ev)


def check_ended(st, ended, trigger: str, reason: str) -> None:
    """stoppedReason must be given unless it is Local, which may be left out (E03.FR.05)."""
    got_reason = ended.body["transactionInfo"].get("stoppedReason", "Local")
    st.check(ended.body.get("triggerReason") == trigger and got_reason == reason, r.EXPECTED_MESSAGE,
             f"Ended: trigger {ended.body.get('triggerReason')}, reason "
             f"{ended.body['transactionInfo'].get('stoppedReason', '(none, i.e. Local)')}; expected {trigger} / "
             f"{reason}", ended)


def check_unplugged_end(st, ended, reasons: tuple[str, ...]) -> None:
    """The end a cable removal causes: the connection to the EV is lost, nothing is connected any more."""
    info = ended.body["transactionInfo"]
    st.check(info.get("stoppedReason") in reasons, r.EXPECTED_MESSAGE, f"Ended after unplugging: stoppedReason "
             f"{info.get('stoppedReason')!r}, expected {' or '.join(reasons)}", ended)
    st.check(ended.body.get("triggerReason") == "EVCommunicationLost", r.EXPECTED_MESSAGE, f"Ended after unplugging: "
             f"triggerReason {ended.body.get('triggerReason')!r}, expected EVCommunicationLost", ended)
    st.check(info.get("chargingState", "Idle") == "Idle", r.EXPECTED_MESSAGE, f"Ended after unplugging: "
             f"chargingState {info.get('chargingState')!r}, expected Idle (no EV any more)", ended)


def wait_ended(st, start: int, t, tx_id: str, why: str):
    return s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, why,
                     lambda b: b.get("eventType") == "Ended" and b["transactionInfo"]["transactionId"] == tx_id)


def settle(st, dut, vgi_profile, t) -> None:
    """Clean-up: end what is still open (remotely, waiting for its Ended event), then take the EV away."""
    if not st.connected:
        return
    s.end_transactions(st, vgi_profile)
    mark = s.mark(st)
    dut.perform("unplug", connector=t.connector)
    s.wait_call(st, "StatusNotification", mark, t.wait, {"evseId": t.connector, "connectorStatus": "Available"})


@contextlib.contextmanager
def charging(st, dut, vgi_profile, t) -> Iterator[dict]:
    """A running transaction, reached inside the case (after its stop point is set; a preamble), cleaned up after."""
    try:
        with preamble("a transaction in the Charging state"):
            tx = s.transaction(st, dut, vgi_profile)
        yield tx
    finally:
        settle(st, dut, vgi_profile, t)


# --- start options (E01) ------------------------------------------------------------------------------------------
def _start_with_power(st, dut, vgi_profile, t, point: str) -> None:
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    try:
        start = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        with preamble("the EV plugged in (connector Occupied)"):
            s.require(st, "StatusNotification", start, t.wait, r.STATUS_TRANSITION, "plugging in was not reported",
                      {"evseId": t.connector, "connectorStatus": "Occupied"})
        s.expect_quiet(st, "TransactionEvent", start, t.quiet,
                       f"TxStartPoint is {point} and the EV alone, not authorized, gets no energy")
        mark = s.mark(st)
        dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
        ev = first_event(st, mark, t, f"no TransactionEvent once the EV was authorized (TxStartPoint {point})")
        check_started(st, ev, token=token["idToken"])
        st.check("connectorId" in ev.body.get("evse", {}), r.EXPECTED_MESSAGE, "the Started event does not name the "
                 "EVSE and connector", ev)
        tx_id = ev.body["transactionInfo"]["transactionId"]
        s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "the transaction never reached the "
                  "Charging state", lambda b: b["transactionInfo"].get("chargingState") == "Charging"
                  and b["transactionInfo"]["transactionId"] == tx_id)
    finally:
        settle(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_E_01_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_01_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint PowerPathClosed alone: plugging in starts nothing; once the driver is authorized the power path
    closes and the transaction starts: its first event is Started, with the idToken and the EVSE and connector, and
    the transaction reaches Charging."""
    with s.tx_points(booted_station, start="PowerPathClosed", exact=True):
        _start_with_power(booted_station, dut, vgi_profile, t, "PowerPathClosed")


@pytest.mark.vgi_case("TC_E_02_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_02_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint EnergyTransfer alone: plugging in starts nothing; once the driver is authorized and energy flows
    the transaction starts: its first event is Started, with the idToken and the EVSE and connector, and the
    transaction reaches Charging."""
    with s.tx_points(booted_station, start="EnergyTransfer", exact=True):
        _start_with_power(booted_station, dut, vgi_profile, t, "EnergyTransfer")


@pytest.mark.vgi_case("TC_E_11_CS", feature="Transactions",
                      requires=("Core", "ConfigurableTxPoints", "SignedMeterValues"))
def test_TC_E_11_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint DataSigned alone, with SampledDataCtrlr.SignReadings true: plugging in starts nothing; the
    transaction starts with the first signed reading once energy flows: Started, triggerReason SignedDataReceived,
    with the idToken and a reading whose every sampled value is signed; the transaction reaches Charging."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    with s.tx_points(st, start="DataSigned", exact=True), sign_sampled(st):
        try:
            start = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            with preamble("the EV plugged in (connector Occupied)"):
                s.require(st, "StatusNotification", start, t.wait, r.STATUS_TRANSITION, "plugging in was not "
                          "reported", {"evseId": t.connector, "connectorStatus": "Occupied"})
            s.expect_quiet(st, "TransactionEvent", start, t.quiet, "TxStartPoint is DataSigned and no energy, so no "
                           "signed reading, flows to an EV that is not authorized")
            mark = s.mark(st)
            dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
            ev = first_event(st, mark, t, "no TransactionEvent once energy flowed (TxStartPoint DataSigned)")
            check_started(st, ev, trigger="SignedDataReceived", token=token["idToken"])
            signed = [sv for mv in ev.body.get("meterValue", []) for sv in mv.get("sampledValue", [])]
            st.check(bool(signed) and all(isinstance(sv.get("signedMeterValue"), dict) for sv in signed),
                     r.EXPECTED_MESSAGE, "the Started event of a DataSigned start carries no signed reading", ev)
            s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "the transaction never reached the "
                      "Charging state", lambda b: b["transactionInfo"].get("chargingState") == "Charging"
                      and b["transactionInfo"]["transactionId"] == ev.body["transactionInfo"]["transactionId"])
        finally:
            settle(st, dut, vgi_profile, t)


@contextlib.contextmanager
def sign_sampled(st) -> Iterator[None]:
    """SampledDataCtrlr.SignReadings true for the case (a preamble), restored after."""
    var = s.variable("SampledDataCtrlr", "SignReadings")
    with preamble("SampledDataCtrlr.SignReadings true"):
        old = s.get_value(st, "SampledDataCtrlr", "SignReadings")
        res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": "true"}]})
        status = res["setVariableResult"][0]["attributeStatus"]
        st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables SampledDataCtrlr.SignReadings: {status}")
    try:
        yield
    finally:
        if st.connected:
            st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old or "false"}]})


@pytest.mark.vgi_case("TC_E_09_CS", feature="Transactions", requires=("Core",))
def test_TC_E_09_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint EVConnected: plugging in starts the transaction at once (Started, triggerReason CablePluggedIn,
    chargingState EVConnected, naming the EVSE); the authorization that follows reaches the same transaction."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    with s.tx_points(st, start="EVConnected"):
        try:
            start = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            ev = first_event(st, start, t, "no TransactionEvent after plug-in (TxStartPoint EVConnected)")
            check_started(st, ev, trigger="CablePluggedIn", state="EVConnected")
            st.check(ev.body.get("evse", {}).get("id") == t.connector, r.EXPECTED_MESSAGE,
                     f"the Started event names EVSE {ev.body.get('evse')}, expected {t.connector}", ev)
            tx_id = ev.body["transactionInfo"]["transactionId"]
            mark = s.mark(st)
            dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
            s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent with the idToken "
                      "after authorization", {"idToken": {"idToken": token["idToken"]},
                                              "transactionInfo": {"transactionId": tx_id}})
        finally:
            settle(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_E_10_CS", feature="Transactions", requires=("Core",))
def test_TC_E_10_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint Authorized, local: a valid idToken with no EV yet starts the transaction (Started, triggerReason
    Authorized, with the idToken); plugging in then makes it charge."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    with s.tx_points(st, start="Authorized"):
        try:
            start = s.mark(st)
            dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
            ev = first_event(st, start, t, "no TransactionEvent after authorization (TxStartPoint Authorized)")
            check_started(st, ev, trigger="Authorized", token=token["idToken"])
            tx_id = ev.body["transactionInfo"]["transactionId"]
            mark = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plugging in after the authorization "
                      "did not make the transaction charge", lambda b: b["transactionInfo"].get("chargingState") ==
                      "Charging" and b["transactionInfo"]["transactionId"] == tx_id)
        finally:
            settle(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_E_13_CS", feature="Transactions", requires=("Core", "RemoteStart"))
def test_TC_E_13_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint Authorized, remote: an accepted RequestStartTransaction with no EV starts the transaction
    (Started, triggerReason RemoteStart, the request's remoteStartId and idToken); the EV plugged in then charges."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    with s.tx_points(st, start="Authorized"):
        try:
            start = s.mark(st)
            res = st.call("RequestStartTransaction", {"idToken": token, "remoteStartId": 4713, "evseId": t.connector})
            st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStartTransaction: {res['status']}")
            ev = first_event(st, start, t, "no TransactionEvent after the remote start (TxStartPoint Authorized)")
            check_started(st, ev, trigger="RemoteStart", token=token["idToken"])
            got = ev.body["transactionInfo"].get("remoteStartId")
            st.check(got == 4713, r.EXPECTED_MESSAGE, f"Started carries remoteStartId {got!r}, expected 4713", ev)
            mark = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plugging in after the remote start "
                      "did not make the transaction charge", lambda b: b["transactionInfo"].get("chargingState") ==
                      "Charging" and b["transactionInfo"]["transactionId"] == ev.body["transactionInfo"]["transactionId"])
        finally:
            settle(st, dut, vgi_profile, t)


# --- stop options (E06) -------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("TC_E_14_CS", feature="Transactions", requires=("Core",))
def test_TC_E_14_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint EVConnected: unplugging the cable at the station ends the charging transaction (Ended, triggerReason
    EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle)."""
    st = booted_station
    with s.tx_points(st, stop="EVConnected"), charging(st, dut, vgi_profile, t) as tx:
        start = s.mark(st)
        dut.perform("unplug", connector=t.connector)
        ended = wait_ended(st, start, t, tx["transaction_id"], "unplugging did not end the transaction")
        check_unplugged_end(st, ended, ("EVDisconnected",))


def _local_stop(st, dut, vgi_profile, t, point: str, trigger: str | None) -> None:
    with s.tx_points(st, stop=point, exact=True), charging(st, dut, vgi_profile, t) as tx:
        start = s.mark(st)
        dut.perform("present_token", id_token=tx["token"], connector=t.connector)
        ended = wait_ended(st, start, t, tx["transaction_id"], f"presenting the idToken again did not end the "
                           f"transaction (TxStopPoint {point})")
        if trigger is not None:
            check_ended(st, ended, trigger, "Local")
        else:
            got = ended.body["transactionInfo"].get("stoppedReason", "Local")
            st.check(got == "Local", r.EXPECTED_MESSAGE, f"Ended after the driver's stop: stoppedReason {got!r}, "
                     "expected Local", ended)


@pytest.mark.vgi_case("TC_E_07_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_07_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint PowerPathClosed alone: presenting the transaction's idToken again opens the power path, which
    ends the transaction (StopAuthorized, reason Local)."""
    _local_stop(booted_station, dut, vgi_profile, t, "PowerPathClosed", "StopAuthorized")


@pytest.mark.vgi_case("TC_E_08_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_08_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint EnergyTransfer alone: presenting the transaction's idToken again stops the energy, which ends
    the transaction (stoppedReason Local; the triggerReason may name the stop or the change of charging state)."""
    _local_stop(booted_station, dut, vgi_profile, t, "EnergyTransfer", None)


def _remote_stop(st, dut, vgi_profile, t, point: str, exact: bool) -> None:
    with s.tx_points(st, stop=point, exact=exact), charging(st, dut, vgi_profile, t) as tx:
        start = s.mark(st)
        res = st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStopTransaction: {res['status']}")
        ended = wait_ended(st, start, t, tx["transaction_id"], f"the remote stop did not end the transaction "
                           f"(TxStopPoint {point})")
        check_ended(st, ended, "RemoteStop", "Remote")


@pytest.mark.vgi_case("TC_E_21_CS", feature="Transactions", requires=("Core",))
def test_TC_E_21_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint Authorized: a remote stop takes the authorization away and ends the transaction (RemoteStop,
    reason Remote)."""
    _remote_stop(booted_station, dut, vgi_profile, t, "Authorized", exact=False)


@pytest.mark.vgi_case("TC_E_35_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_35_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint PowerPathClosed alone: a remote stop opens the power path and ends the transaction (RemoteStop,
    reason Remote)."""
    _remote_stop(booted_station, dut, vgi_profile, t, "PowerPathClosed", exact=True)


@pytest.mark.vgi_case("TC_E_37_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_37_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint PowerPathClosed alone: the EV going away opens the power path and ends the transaction (Ended,
    triggerReason EVCommunicationLost, stoppedReason EVDisconnected or StoppedByEV, chargingState Idle)."""
    st = booted_station
    with s.tx_points(st, stop="PowerPathClosed", exact=True), charging(st, dut, vgi_profile, t) as tx:
        start = s.mark(st)
        dut.perform("unplug", connector=t.connector)
        ended = wait_ended(st, start, t, tx["transaction_id"], "the EV leaving did not end the transaction "
                           "(TxStopPoint PowerPathClosed)")
        check_unplugged_end(st, ended, ("EVDisconnected", "StoppedByEV"))


@pytest.mark.vgi_case("TC_E_06_CS", feature="Transactions", requires=("Core",))
def test_TC_E_06_CS(booted_station, dut, vgi_profile, t) -> None:
    """Local stop (E07): the driver presents the transaction's idToken again; the station stops the charging at once
    (a TransactionEvent with triggerReason StopAuthorized that ends the transaction or leaves the charging state),
    and once the cable is out the transaction is over and the connector Available."""
    st = booted_station
    with charging(st, dut, vgi_profile, t) as tx:
        start = s.mark(st)
        dut.perform("present_token", id_token=tx["token"], connector=t.connector)
        stop = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "presenting the idToken again did "
                         "not stop the transaction", lambda b: b["transactionInfo"]["transactionId"] ==
                         tx["transaction_id"] and (b.get("eventType") == "Ended" or
                                                    b["transactionInfo"].get("chargingState") not in (None, "Charging")))
        st.check(stop.body.get("triggerReason") == "StopAuthorized", r.EXPECTED_MESSAGE, f"the local stop's event "
                 f"says triggerReason {stop.body.get('triggerReason')!r}, expected StopAuthorized", stop)
        mark = s.mark(st)
        dut.perform("unplug", connector=t.connector)
        if stop.body.get("eventType") != "Ended":
            wait_ended(st, mark, t, tx["transaction_id"], "the locally stopped transaction did not end when the "
                       "cable was taken out")
        s.require(st, "StatusNotification", mark, t.wait, r.STATUS_TRANSITION, "the connector was not reported "
                  "Available after the cable was taken out", {"evseId": t.connector, "connectorStatus": "Available"})


@pytest.mark.vgi_case("TC_E_17_CS", feature="Transactions", requires=("Core", "ConfigurableTxPoints"))
def test_TC_E_17_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint Authorized alone, with TxCtrlr.StopTxOnEVSideDisconnect true: pulling the cable out deauthorizes
    the transaction, which ends it (Ended, triggerReason EVCommunicationLost, stoppedReason EVDisconnected,
    chargingState Idle) and frees the connector. NOT_APPLICABLE when the station cannot be set so."""
    st = booted_station
    with s.tx_points(st, stop="Authorized", exact=True), stop_on_ev_side_disconnect(st):
        with charging(st, dut, vgi_profile, t) as tx:
            start = s.mark(st)
            dut.perform("unplug", connector=t.connector)
            ended = wait_ended(st, start, t, tx["transaction_id"], "pulling the cable out did not end the transaction "
                               "(TxStopPoint Authorized, StopTxOnEVSideDisconnect true)")
            check_unplugged_end(st, ended, ("EVDisconnected",))
            s.require(st, "StatusNotification", start, t.wait, r.STATUS_TRANSITION, "the connector was not reported "
                      "Available", {"evseId": t.connector, "connectorStatus": "Available"})


@contextlib.contextmanager
def stop_on_ev_side_disconnect(st) -> Iterator[None]:
    """TxCtrlr.StopTxOnEVSideDisconnect true for the case (restored after); NOT_APPLICABLE if it cannot be."""
    from vgitest.verdict import NotApplicable
    var = s.variable("TxCtrlr", "StopTxOnEVSideDisconnect")
    with preamble("TxCtrlr.StopTxOnEVSideDisconnect true"):
        old = s.get_value(st, "TxCtrlr", "StopTxOnEVSideDisconnect")
        if old != "true":
            res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": "true"}]})
            if res["setVariableResult"][0]["attributeStatus"] != "Accepted":
                raise NotApplicable("NOT_APPLICABLE: the station does not take TxCtrlr.StopTxOnEVSideDisconnect = true "
                                    f"(it is {old!r}); this case needs a station that stops at an EV-side disconnect")
    try:
        yield
    finally:
        if old not in (None, "true") and st.connected:
            st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old}]})


# --- deauthorization ----------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("TC_E_16_CS", feature="Transactions", requires=("Core",))
def test_TC_E_16_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStopPoint Authorized: the CSMS accepts the driver's Authorize but answers the TransactionEvent that carries
    the idToken with status Invalid; the station must end the transaction (Ended, triggerReason Deauthorized,
    stoppedReason DeAuthorized)."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"

    def answer(p: dict) -> dict:
        return {"idTokenInfo": {"status": "Invalid"}} if "idToken" in p else {}

    with s.tx_points(st, stop="Authorized"):
        try:
            start = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            with preamble("the EV plugged in (connector Occupied)"):
                s.require(st, "StatusNotification", start, t.wait, r.STATUS_TRANSITION, "plugging in was not "
                          "reported", {"evseId": t.connector, "connectorStatus": "Occupied"})
            st.override("TransactionEvent", answer)
            mark = s.mark(st)
            dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
            carried = s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent with "
                                "the idToken after authorization", {"idToken": {"idToken": token["idToken"]}})
            tx_id = carried.body["transactionInfo"]["transactionId"]
            ended = wait_ended(st, carried.index, t, tx_id, "the transaction went on after the CSMS answered its "
                               "idToken Invalid")
            check_ended(st, ended, "Deauthorized", "DeAuthorized")
        finally:
            st.clear_override("TransactionEvent")
            settle(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_E_39_CS", feature="Transactions", requires=("Core",))
def test_TC_E_39_CS(booted_station, dut, vgi_profile, t) -> None:
    """TxStartPoint and TxStopPoint Authorized: a driver authorizes but no EV comes; once TxCtrlr.EVConnectionTimeOut
    (set short for the case) has passed the authorization lapses and the transaction ends, triggerReason
    EVConnectTimeout, stoppedReason Timeout."""
    st = booted_station
    timeout = int(vgi_profile.param("short_ev_connection_timeout", 2))
    var = s.variable("TxCtrlr", "EVConnectionTimeOut")
    with s.tx_points(st, start="Authorized", stop="Authorized"):
        with preamble(f"TxCtrlr.EVConnectionTimeOut set to {timeout} s"):
            old = s.get_value(st, "TxCtrlr", "EVConnectionTimeOut")
            res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": str(timeout)}]})
            status = res["setVariableResult"][0]["attributeStatus"]
            st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables EVConnectionTimeOut: {status}")
        try:
            start = s.mark(st)
            dut.perform("present_token", id_token=s.id_token(vgi_profile)["idToken"], connector=t.connector)
            ended = s.require(st, "TransactionEvent", start, timeout + t.wait, r.EXPECTED_MESSAGE, "the transaction "
                              "did not end after EVConnectionTimeOut", {"eventType": "Ended"})
            check_ended(st, ended, "EVConnectTimeout", "Timeout")
        finally:
            if old is not None and st.connected:
                st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old}]})
            settle(st, dut, vgi_profile, t)

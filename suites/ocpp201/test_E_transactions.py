"""E: Transactions — local start and stop, TransactionEvent content and order, transaction status (E01-E14)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def check_sequence(station, events: list, tx_id: str) -> None:
    """One transaction's events: one id, seqNo counting up by one, Started first, Ended last."""
    for e in events:
        got = e.body["transactionInfo"]["transactionId"]
        station.check(got == tx_id, r.TX_ID, f"{e.body['eventType']} event carries transactionId {got}; the "
                      f"transaction is {tx_id}", e)
    seqs = [e.body["seqNo"] for e in events]
    station.check(all(b == a + 1 for a, b in zip(seqs, seqs[1:])), r.TX_SEQNO,
                  f"seqNo of the transaction's events: {seqs}", events[-1])
    station.check(events[0].body["eventType"] == "Started", r.TX_EVENT_ORDER,
                  f"the first event of the transaction is {events[0].body['eventType']}, not Started", events[0])


def evse_ok(body: dict, connector: int) -> bool:
    return body.get("evse", {}).get("id") == connector and "connectorId" in body.get("evse", {})


def unplug_and_end(station, dut, t, start: int):
    dut.perform("unplug", connector=t.connector)
    return s.require(station, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE,
                     "unplugging the EV did not end the transaction", {"eventType": "Ended"})


@pytest.mark.vgi_case("TC_E_03_CS", feature="Transactions", requires=("Core",))
def test_TC_E_03_CS(booted_station, dut, vgi_profile, t) -> None:
    """Cable first, then a valid idToken: the first event after plug-in names the EVSE and connector, the
    event after authorization carries the idToken, and the whole transaction keeps one id and counts seqNo up.
    When a transaction starts and stops is the station's choice (TxStartPoint, TxStopPoint): the case asks for
    EVConnected in both first, and is NOT_APPLICABLE for a station that does not start and stop there."""
    st = booted_station
    with s.tx_points(st, start="EVConnected", stop="EVConnected"):
        _cable_first(st, dut, vgi_profile, t)


def _cable_first(st, dut, vgi_profile, t) -> None:
    token = s.id_token(vgi_profile)
    start = s.mark(st)
    dut.perform("plug_in", connector=t.connector)
    first = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent after plug-in")
    st.check(first.body.get("eventType") == "Started", r.TX_EVENT_ORDER,
             f"the first event after plug-in is {first.body.get('eventType')}, not Started", first)
    st.check(evse_ok(first.body, t.connector), r.EXPECTED_MESSAGE,
             "the first TransactionEvent after plug-in lacks evse.id/evse.connectorId", first)
    tx_id = first.body["transactionInfo"]["transactionId"]
    mark = s.mark(st)
    dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
    s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE,
              "no TransactionEvent with the idToken after authorization", {"idToken": {"idToken": token["idToken"]}})
    ended = unplug_and_end(st, dut, t, mark)
    check_sequence(st, [f for f in s.tx_events(st, start) if f.index <= ended.index], tx_id)
    st.check(ended.body["transactionInfo"].get("stoppedReason") == "EVDisconnected", r.EXPECTED_MESSAGE,
             f"stoppedReason {ended.body['transactionInfo'].get('stoppedReason')!r} after unplugging", ended)


@pytest.mark.vgi_case("TC_E_04_CS", feature="Transactions", requires=("Core",))
def test_TC_E_04_CS(booted_station, dut, vgi_profile, t) -> None:
    """A valid idToken first, then the cable: the station asks the CSMS about the token, its next event
    carries the idToken, and plugging in starts charging. The case needs a transaction that starts at
    authorization (TxStartPoint with Authorized): it asks for it first, NOT_APPLICABLE if the station refuses."""
    st = booted_station
    with s.tx_points(st, start="Authorized"):
        _token_first(st, dut, vgi_profile, t)


def _token_first(st, dut, vgi_profile, t) -> None:
    token = s.id_token(vgi_profile)
    start = s.mark(st)
    try:
        dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
        s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, "the idToken was not sent for authorization",
                  {"idToken": {"idToken": token["idToken"]}})
        ev = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent after "
                       "authorization")
        st.check(ev.body.get("idToken", {}).get("idToken") == token["idToken"], r.EXPECTED_MESSAGE,
                 "the first TransactionEvent after authorization lacks the idToken", ev)
        mark = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plug-in after authorization did not "
                  "start charging", lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    finally:
        mark = s.mark(st)
        dut.perform("unplug", connector=t.connector)
        s.wait_call(st, "TransactionEvent", mark, t.wait, {"eventType": "Ended"})


@pytest.mark.vgi_case("TC_E_05_CS", feature="Transactions", requires=("Core",))
def test_TC_E_05_CS(booted_station, dut, vgi_profile, t) -> None:
    """Authorized but never plugged in: after EVConnectionTimeOut the station ends the transaction with
    triggerReason EVConnectTimeout. The case needs a transaction that starts at authorization (TxStartPoint with
    Authorized): it asks for it first, NOT_APPLICABLE if the station refuses."""
    st = booted_station
    with s.tx_points(st, start="Authorized"):
        _connect_timeout(st, dut, vgi_profile, t)


def _connect_timeout(st, dut, vgi_profile, t) -> None:
    timeout = 1
    var = {"component": {"name": "TxCtrlr"}, "variable": {"name": "EVConnectionTimeOut"}}
    old = st.call("GetVariables", {"getVariableData": [var]})["getVariableResult"][0].get("attributeValue", "30")
    try:
        res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": str(timeout)}]})
        st.check(res["setVariableResult"][0]["attributeStatus"] == "Accepted", r.STATION_RESPONSE,
                 "EVConnectionTimeOut cannot be set")
        start = s.mark(st)
        dut.perform("present_token", id_token=s.id_token(vgi_profile)["idToken"], connector=t.connector)
        ended = s.require(st, "TransactionEvent", start, timeout + t.wait, r.EXPECTED_MESSAGE,
                          "the transaction did not end after EVConnectionTimeOut", {"eventType": "Ended"})
        st.check(ended.body.get("triggerReason") == "EVConnectTimeout", r.EXPECTED_MESSAGE,
                 f"Ended with triggerReason {ended.body.get('triggerReason')!r}, expected EVConnectTimeout", ended)
    finally:
        st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old}]})


@pytest.mark.vgi_case("TC_E_15_CS", feature="Transactions", requires=("Core",))
def test_TC_E_15_CS(running_transaction, booted_station, dut, t) -> None:
    """Presenting the same idToken again stops the transaction: Ended with StopAuthorized and reason Local."""
    st, tx = booted_station, running_transaction
    start = s.mark(st)
    try:
        dut.perform("present_token", id_token=tx["token"], connector=t.connector)
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "presenting the token again "
                          "did not end the transaction", {"eventType": "Ended"})
        st.check(ended.body["transactionInfo"]["transactionId"] == tx["transaction_id"], r.TX_ID,
                 "the Ended event names another transaction", ended)
        st.check(ended.body.get("triggerReason") == "StopAuthorized" and
                 ended.body["transactionInfo"].get("stoppedReason") == "Local", r.EXPECTED_MESSAGE,
                 f"Ended: trigger {ended.body.get('triggerReason')}, reason "
                 f"{ended.body['transactionInfo'].get('stoppedReason')}; expected StopAuthorized / Local", ended)
    finally:
        mark = s.mark(st)
        dut.perform("unplug", connector=t.connector)
        s.wait_status(st, mark, t.wait, {"connectorStatus": "Available"})


def tx_status(station, tx_id: str | None) -> dict:
    return station.call("GetTransactionStatus", {"transactionId": tx_id} if tx_id else {})


@pytest.mark.vgi_case("TC_E_28_CS", feature="Transactions", requires=("Core",))
def test_TC_E_28_CS(booted_station) -> None:
    """The status of a transaction id the station never used: not ongoing, nothing queued."""
    st = booted_station
    res = tx_status(st, "vgi-unknown-transaction")
    st.check(res.get("ongoingIndicator") is False and res.get("messagesInQueue") is False, r.STATION_RESPONSE,
             f"GetTransactionStatus of an unknown id: {res}")


@pytest.mark.vgi_case("TC_E_30_CS", feature="Transactions", requires=("Core",))
def test_TC_E_30_CS(running_transaction, booted_station, dut, t) -> None:
    """The status of the running transaction, with nothing queued: ongoing, no messages in queue."""
    st, tx = booted_station, running_transaction
    try:
        res = tx_status(st, tx["transaction_id"])
        st.check(res.get("ongoingIndicator") is True and res.get("messagesInQueue") is False, r.STATION_RESPONSE,
                 f"GetTransactionStatus of the running transaction: {res}")
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_E_32_CS", feature="Transactions", requires=("Core",))
def test_TC_E_32_CS(running_transaction, booted_station, dut, t) -> None:
    """The status of a transaction that has ended, with nothing queued: not ongoing, no messages in queue."""
    st, tx = booted_station, running_transaction
    unplug_and_end(st, dut, t, s.mark(st))
    res = tx_status(st, tx["transaction_id"])
    st.check(res.get("ongoingIndicator") is False and res.get("messagesInQueue") is False, r.STATION_RESPONSE,
             f"GetTransactionStatus of an ended transaction: {res}")


@pytest.mark.vgi_case("TC_E_34_CS", feature="Transactions", requires=("Core",))
def test_TC_E_34_CS(booted_station) -> None:
    """Asked without a transaction id, the station only says whether messages are queued (none here)."""
    st = booted_station
    res = tx_status(st, None)
    st.check(res.get("messagesInQueue") is False and "ongoingIndicator" not in res, r.STATION_RESPONSE,
             f"GetTransactionStatus without transactionId: {res}")

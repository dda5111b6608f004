"""F: Remote control — remote start/stop of transactions and remote unlocking (F01-F05)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def remote_start(station, profile, t, remote_start_id: int) -> dict:
    res = station.call("RequestStartTransaction", {"idToken": s.id_token(profile), "remoteStartId": remote_start_id,
                                                   "evseId": t.connector})
    station.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStartTransaction: {res['status']}")
    return res


def remote_event(station, start: int, remote_start_id: int, t):
    """The TransactionEvent a remote start causes: triggerReason RemoteStart, with the remoteStartId."""
    return s.require(station, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE,
                     f"no TransactionEvent with triggerReason RemoteStart and remoteStartId {remote_start_id}",
                     lambda b: b.get("triggerReason") == "RemoteStart"
                     and b["transactionInfo"].get("remoteStartId") == remote_start_id)


@contextlib.contextmanager
def authorize_remote_start(station, value: bool) -> Iterator[None]:
    """AuthCtrlr.AuthorizeRemoteStart set for the case (a preamble) and put back to what it was."""
    with preamble(f"AuthCtrlr.AuthorizeRemoteStart set to {str(value).lower()}"):
        old = s.get_value(station, "AuthCtrlr", "AuthorizeRemoteStart")
        res = station.call("SetVariables", {"setVariableData": [
            {**s.variable("AuthCtrlr", "AuthorizeRemoteStart"), "attributeValue": str(value).lower()}]})
        status = res["setVariableResult"][0]["attributeStatus"]
        station.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables AuthorizeRemoteStart: {status}")
    try:
        yield
    finally:
        if old is not None and old != str(value).lower() and station.connected:
            station.call("SetVariables", {"setVariableData": [
                {**s.variable("AuthCtrlr", "AuthorizeRemoteStart"), "attributeValue": old}]})


def end(station, dut, t) -> None:
    mark = s.mark(station)
    dut.perform("unplug", connector=t.connector)
    if s.open_transactions(station):
        for tx in list(s.open_transactions(station)):
            station.call("RequestStopTransaction", {"transactionId": tx})
    s.wait_call(station, "TransactionEvent", mark, t.wait, {"eventType": "Ended"})


@pytest.mark.vgi_case("TC_F_01_CS", feature="RemoteControl", requires=("Core", "RemoteStart"))
def test_TC_F_01_CS(booted_station, dut, vgi_profile, t) -> None:
    """EV plugged in first, then a remote start: the station authorizes the running transaction with the
    CSMS's idToken and echoes the remoteStartId with triggerReason RemoteStart; charging starts. The case needs a
    transaction that starts at plug-in (TxStartPoint with EVConnected): it asks for it first, and is NOT_APPLICABLE
    for a station that does not start transactions there."""
    st = booted_station
    with s.tx_points(st, start="EVConnected"):
        _plug_then_remote_start(st, dut, vgi_profile, t)


def _plug_then_remote_start(st, dut, vgi_profile, t) -> None:
    try:
        start = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        first = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent at plug-in")
        mark = s.mark(st)
        res = remote_start(st, vgi_profile, t, 101)
        if "transactionId" in res:
            st.check(res["transactionId"] == first.body["transactionInfo"]["transactionId"], r.TX_ID,
                     "RequestStartTransactionResponse names another transaction than the one running")
        ev = remote_event(st, mark, 101, t)
        st.check(ev.body.get("idToken", {}).get("idToken") == s.id_token(vgi_profile)["idToken"], r.EXPECTED_MESSAGE,
                 "the RemoteStart event lacks the idToken", ev)
        s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "charging did not start",
                  lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    finally:
        end(st, dut, t)


@pytest.mark.vgi_case("TC_F_02_CS", feature="RemoteControl", requires=("Core", "RemoteStart"))
def test_TC_F_02_CS(booted_station, dut, vgi_profile, t) -> None:
    """Remote start first with AuthorizeRemoteStart=true: the station asks the CSMS about the idToken before it
    starts the transaction; plugging in then starts charging. The transaction must start before the cable, at the
    authorization (TxStartPoint with Authorized): the case asks for it first, NOT_APPLICABLE if refused."""
    st = booted_station
    with s.tx_points(st, start="Authorized"), authorize_remote_start(st, True):
        _remote_start_authorized(st, dut, vgi_profile, t)


def _remote_start_authorized(st, dut, vgi_profile, t) -> None:
    try:
        start = s.mark(st)
        remote_start(st, vgi_profile, t, 102)
        auth = s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, "AuthorizeRemoteStart is true but the "
                         "idToken was not authorized", {"idToken": {"idToken": s.id_token(vgi_profile)["idToken"]}})
        ev = remote_event(st, start, 102, t)
        st.check(auth.index < ev.index, r.TX_EVENT_ORDER, "the transaction started before the idToken was "
                 "authorized", ev)
        mark = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plug-in did not start charging",
                  lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    finally:
        end(st, dut, t)


@pytest.mark.vgi_case("TC_F_03_CS", feature="RemoteControl", requires=("Core", "RemoteStart"))
def test_TC_F_03_CS(booted_station, dut, vgi_profile, t) -> None:
    """Remote start first with AuthorizeRemoteStart=false: the station trusts the CSMS's idToken, starts the
    transaction without an Authorize, and charges once the EV is plugged in. The transaction must start before
    the cable (TxStartPoint with Authorized): the case asks for it first, NOT_APPLICABLE if refused."""
    st = booted_station
    with s.tx_points(st, start="Authorized"), authorize_remote_start(st, False):
        _remote_start_trusted(st, dut, vgi_profile, t)


def _remote_start_trusted(st, dut, vgi_profile, t) -> None:
    try:
        start = s.mark(st)
        remote_start(st, vgi_profile, t, 103)
        ev = remote_event(st, start, 103, t)
        asked = [f for f in s.calls(st, "Authorize", start) if f.index < ev.index]
        if asked:
            st.fail(r.FORBIDDEN_MESSAGE, "Authorize sent although AuthorizeRemoteStart is false", asked[0])
        mark = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plug-in did not start charging",
                  lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    finally:
        end(st, dut, t)


@pytest.mark.vgi_case("TC_F_05_CS", feature="RemoteControl", requires=("Core", "UnlockConnector"))
def test_TC_F_05_CS(running_transaction, booted_station, dut, t) -> None:
    """A remote unlock during an authorized transaction is refused with OngoingAuthorizedTransaction."""
    st = booted_station
    try:
        res = st.call("UnlockConnector", {"evseId": t.connector, "connectorId": 1})
        st.check(res["status"] == "OngoingAuthorizedTransaction", r.STATION_RESPONSE,
                 f"UnlockConnector during a transaction: {res['status']}")
    finally:
        end(st, dut, t)


@pytest.mark.vgi_case("TC_F_06_CS", feature="RemoteControl", requires=("Core", "UnlockConnector"))
def test_TC_F_06_CS(booted_station, t) -> None:
    """A remote unlock of an idle connector succeeds: Unlocked."""
    st = booted_station
    res = st.call("UnlockConnector", {"evseId": t.connector, "connectorId": 1})
    st.check(res["status"] == "Unlocked", r.STATION_RESPONSE, f"UnlockConnector of an idle connector: {res['status']}")


@pytest.mark.vgi_case("TC_F_08_CS", feature="RemoteControl", requires=("Core",))
def test_TC_F_08_CS(running_transaction, booted_station, dut, t) -> None:
    """A remote stop of the running transaction is Accepted and ends it with RemoteStop / Remote."""
    st, tx = booted_station, running_transaction
    try:
        start = s.mark(st)
        res = st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStopTransaction: {res['status']}")
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        st.check(ended.body.get("triggerReason") == "RemoteStop" and
                 ended.body["transactionInfo"].get("stoppedReason") == "Remote", r.EXPECTED_MESSAGE,
                 f"Ended: trigger {ended.body.get('triggerReason')}, reason "
                 f"{ended.body['transactionInfo'].get('stoppedReason')}; expected RemoteStop / Remote", ended)
    finally:
        end(st, dut, t)


@pytest.mark.vgi_case("TC_F_09_CS", feature="RemoteControl", requires=("Core",))
def test_TC_F_09_CS(booted_station) -> None:
    """A remote stop of a transaction id the station does not know is Rejected."""
    st = booted_station
    res = st.call("RequestStopTransaction", {"transactionId": "vgi-no-such-transaction"})
    st.check(res["status"] == "Rejected", r.STATION_RESPONSE, f"RequestStopTransaction of an unknown id: "
             f"{res['status']}")


@pytest.mark.vgi_case("TC_F_10_CS", feature="RemoteControl", requires=("Core", "UnlockConnector"))
def test_TC_F_10_CS(booted_station, vgi_profile) -> None:
    """A remote unlock of a connector the station does not have answers UnknownConnector."""
    st = booted_station
    res = st.call("UnlockConnector", {"evseId": int(vgi_profile.param("connectors", 1)) + 5, "connectorId": 1})
    st.check(res["status"] == "UnknownConnector", r.STATION_RESPONSE, f"UnlockConnector of an unknown EVSE: "
             f"{res['status']}")


@pytest.mark.vgi_case("TC_F_04_CS", feature="RemoteControl", requires=("Core", "RemoteStart"))
def test_TC_F_04_CS(booted_station, dut, vgi_profile, t) -> None:
    """Remote start first, and the EV never comes: once TxCtrlr.EVConnectionTimeOut has passed the station ends the
    transaction with triggerReason EVConnectTimeout, and the EVSE takes the next remote start. The transaction
    must start at the remote authorization (TxStartPoint with Authorized): asked for first, NOT_APPLICABLE if
    refused. The timeout is set short for the case (a preamble) and put back after."""
    st = booted_station
    with s.tx_points(st, start="Authorized"):
        _remote_start_timeout(st, dut, vgi_profile, t)


def _remote_start_timeout(st, dut, vgi_profile, t) -> None:
    timeout = int(vgi_profile.param("short_ev_connection_timeout", 2))
    var = s.variable("TxCtrlr", "EVConnectionTimeOut")
    old = None
    try:
        with preamble(f"TxCtrlr.EVConnectionTimeOut set to {timeout} s"):
            old = s.get_value(st, "TxCtrlr", "EVConnectionTimeOut")
            res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": str(timeout)}]})
            status = res["setVariableResult"][0]["attributeStatus"]
            st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables EVConnectionTimeOut: {status}")
        start = s.mark(st)
        remote_start(st, vgi_profile, t, 104)
        ev = remote_event(st, start, 104, t)
        tx_id = ev.body["transactionInfo"]["transactionId"]
        ended = s.require(st, "TransactionEvent", ev.index, timeout + t.wait, r.EXPECTED_MESSAGE,
                          f"the remote-started transaction did not end {timeout} s (EVConnectionTimeOut) after it "
                          "started without an EV", lambda b: b.get("eventType") == "Ended"
                          and b["transactionInfo"].get("transactionId") == tx_id)
        st.check(ended.body.get("triggerReason") == "EVConnectTimeout", r.EXPECTED_MESSAGE,
                 f"Ended with triggerReason {ended.body.get('triggerReason')!r}, expected EVConnectTimeout", ended)
        mark = s.mark(st)
        remote_start(st, vgi_profile, t, 105)  # the EVSE is free again
        remote_event(st, mark, 105, t)
    finally:
        end(st, dut, t)
        if old is not None and st.connected:
            st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old}]})

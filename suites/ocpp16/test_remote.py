"""OCPP 1.6 remote start/stop: happy flows, the ConnectionTimeOut after a remote start, and the requests a
station must refuse."""

from __future__ import annotations

import pytest

from helpers16 import (calls, config, connector, expect_none_since, stop_and_unplug, tolerance, transaction_id,
                       wait_s)
from vgitest.ocpp import rules as r
from vgitest.ocpp.states_v16 import calls_wait
from vgitest.verdict import NotApplicable

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _remote_start(station, c, token, expected="Accepted"):
    res = station.call("RemoteStartTransaction", {"connectorId": c, "idTag": token})
    station.check(res.get("status") == expected, r.STATION_RESPONSE,
                  f"RemoteStartTransaction(connector {c}) answered {res.get('status')}, expected {expected}")


@pytest.mark.vgi_case("TC_010_CS", feature="Remote Actions", requires=("Core",))
def test_TC_010_CS(booted_station, dut, vgi_profile):
    """Cable first, then a remote start: the station accepts, authorizes the idTag (AuthorizeRemoteTxRequests)
    and starts the transaction on the requested connector."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
    with config(station, "AuthorizeRemoteTxRequests", "true"):
        mark = len(station.csms.trace)
        _remote_start(station, c, token)
        station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token})
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                   since=mark)  # not ordered against StartTransaction
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_011_1_CS", feature="Remote Actions", requires=("Core",))
def test_TC_011_1_CS(booted_station, dut, vgi_profile):
    """Remote start first: the connector becomes Preparing and waits; the transaction starts only when the cable
    is plugged in within ConnectionTimeOut, and the connector then goes from Preparing to Charging."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    _remote_start(station, c, token)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
    early = calls_wait(station, "StartTransaction", station.cursor, float(vgi_profile.param("quiet_wait", 2)))
    if early is not None:
        station.fail(r.FORBIDDEN_MESSAGE, "the transaction started before the cable was plugged in", early)
    plugged = len(station.csms.trace)
    dut.perform("plug_in", connector=c)
    start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    charging = station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                              since=plugged)  # not ordered against StartTransaction
    between = [f.body.get("status") for f in calls(station, "StatusNotification", plugged)
               if f.index < charging.index and f.body.get("connectorId") == c]
    station.check(all(st in ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE") for st in between),
                  r.STATUS_TRANSITION, f"connector {c} went {' -> '.join(between)} between plug-in and Charging; "
                  "expected Preparing -> Charging", charging)
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_011_2_CS", feature="Remote Actions", requires=("Core",))
def test_TC_011_2_CS(booted_station, dut, vgi_profile, vgi_budgets):
    """Remote start without a cable: after ConnectionTimeOut the connector returns to Available and no
    transaction starts."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    timeout, tol = 2, tolerance(vgi_budgets)
    mark = len(station.csms.trace)
    with config(station, "ConnectionTimeOut", str(timeout)):
        _remote_start(station, c, token)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        try:
            station.expect("StatusNotification", timeout + tol + 1, match={"connectorId": c, "status": "Available"})
        except AssertionError:
            station.fail(r.STATUS_TRANSITION, f"connector {c} stayed Preparing beyond ConnectionTimeOut")
        station.check(not [f for f in station.frames(mark)
                           if f.kind == "CALL" and f.name == "StartTransaction"],
                      r.FORBIDDEN_MESSAGE, "a transaction started although no cable was plugged in")


@pytest.mark.vgi_case("TC_012_CS", feature="Remote Actions", requires=("Core",))
def test_TC_012_CS(running_transaction, dut, vgi_profile, station):
    """RemoteStopTransaction for the running transaction is accepted and ends exactly that transaction with
    reason Remote."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    res = station.call("RemoteStopTransaction", {"transactionId": tx})
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"RemoteStopTransaction({tx}) answered {res.get('status')}, expected Accepted")
    stop = station.expect("StopTransaction", wait_s(vgi_profile))
    station.check(stop.body.get("transactionId") == tx, r.TX_ID,
                  f"StopTransaction for {stop.body.get('transactionId')}, expected {tx}", stop)
    station.check(stop.body.get("reason") == "Remote", r.EXPECTED_MESSAGE,
                  f"StopTransaction reason {stop.body.get('reason')!r}, expected 'Remote'", stop)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_023_5_CS", feature="Basic Actions (Non-Happy)", requires=("Core",))
def test_TC_023_5_CS(booted_station, dut, vgi_profile):
    """With AuthorizeRemoteTxRequests true, a remotely started idTag is first authorized; when the CSMS says
    Invalid no transaction starts."""
    station, c = booted_station, connector(vgi_profile)
    bad = str(vgi_profile.param("invalid_id_token"))
    station.tokens[bad] = "Invalid"
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
    with config(station, "AuthorizeRemoteTxRequests", "true"):
        mark = len(station.csms.trace)
        _remote_start(station, c, bad)
        station.expect("Authorize", wait_s(vgi_profile), match={"idTag": bad})
        expect_none_since(station, "StartTransaction", mark, 1.5)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_024_CS", feature="Basic Actions (Non-Happy)", requires=("Core",))
def test_TC_024_CS(booted_station, dut, vgi_profile):
    """When the connector cannot lock the cable (adapter action fail_lock), a remote start with the cable plugged in
    does not charge: the station reports the connector Faulted with errorCode ConnectorLockFailure and sends no
    StartTransaction. NOT_APPLICABLE when the adapter cannot make the lock fail, or the cable is fixed (no socket
    lock)."""
    if str(vgi_profile.param("fixed_cable", False)).lower() == "true":
        raise NotApplicable("the connector has a fixed cable (PIXIT fixed_cable): there is no socket lock to fail")
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    station.tokens[token] = "Accepted"
    dut.perform("fail_lock", connector=c)
    try:
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        mark = len(station.csms.trace)
        _remote_start(station, c, token)
        try:
            station.expect("StatusNotification", wait_s(vgi_profile), match={
                "connectorId": c, "status": "Faulted", "errorCode": "ConnectorLockFailure"}, since=mark)
        except AssertionError:
            station.fail(r.STATUS_TRANSITION, f"connector {c} did not report Faulted with ConnectorLockFailure after "
                         "the cable lock failed at the start of charging")
        expect_none_since(station, "StartTransaction", mark, float(vgi_profile.param("quiet_wait", 2)))
    finally:
        dut.perform("clear_lock_failure", connector=c)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_026_CS", feature="Remote Actions (Non-Happy)", requires=("Core",))
def test_TC_026_CS(running_transaction, dut, vgi_profile, station):
    """A remote start for a connector that already runs a transaction is Rejected."""
    c = running_transaction["connector"]
    _remote_start(station, c, str(vgi_profile.param("other_id_token")), expected="Rejected")
    stop_and_unplug(station, dut, vgi_profile, running_transaction["transaction_id"])


@pytest.mark.vgi_case("TC_027_CS", feature="Remote Actions (Non-Happy)", requires=("Core",))
def test_TC_027_CS(booted_station, vgi_profile):
    """A remote start addressed to connector 0 (the station as a whole) is Rejected."""
    mark = len(booted_station.csms.trace)
    _remote_start(booted_station, 0, str(vgi_profile.param("valid_id_token")), expected="Rejected")
    expect_none_since(booted_station, "StartTransaction", mark, 1.0)


@pytest.mark.vgi_case("TC_028_CS", feature="Remote Actions (Non-Happy)", requires=("Core",))
def test_TC_028_CS(booted_station):
    """A remote stop for a transaction id the station does not know is Rejected."""
    res = booted_station.call("RemoteStopTransaction", {"transactionId": 987654})
    booted_station.check(res.get("status") == "Rejected", r.STATION_RESPONSE,
                         f"RemoteStopTransaction of an unknown transaction answered {res.get('status')}")

"""OCPP 1.6 local charging sessions: plug-in first, identification first (with ConnectionTimeOut), EV-side
disconnect, who may stop a transaction, and an idTag the CSMS does not accept."""

from __future__ import annotations


import pytest

from helpers16 import config, connector, expect_none_since, tolerance, transaction_id, wait_s
from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp.handlers import V16 as DEFAULT_ANSWERS

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _stop_locally(station, dut, profile, token: str, tx: int) -> None:
    c = connector(profile)
    dut.perform("present_token", id_token=token, connector=c)
    stop = station.expect("StopTransaction", wait_s(profile))
    station.check(stop.body.get("transactionId") == tx, r.TX_ID,
                  f"StopTransaction for transaction {stop.body.get('transactionId')}, expected {tx}", stop)
    station.check(stop.body.get("idTag") == token, r.EXPECTED_MESSAGE,
                  f"a local stop must carry the idTag that stopped it ({token})", stop)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_003_CS", feature="Start Charging Session", requires=("Core",))
def test_TC_003_CS(booted_station, dut, vgi_profile):
    """Cable first: plugging in makes the connector Preparing; an accepted idTag then starts a transaction
    on that connector (Charging), and the same idTag ends it."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=token, connector=c)
    station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token})
    start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    # OCPP 1.6 does not order StatusNotification(Charging) against StartTransaction
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                   since=mark)
    _stop_locally(station, dut, vgi_profile, token, tx)


@pytest.mark.vgi_case("TC_004_1_CS", feature="Start Charging Session", requires=("Core",))
def test_TC_004_1_CS(booted_station, dut, vgi_profile):
    """Identification first: an accepted idTag without a cable makes the connector Preparing; plugging in
    within ConnectionTimeOut starts the transaction."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=token, connector=c)
    station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token})
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"},
                   since=mark)  # not ordered against Authorize
    mark = len(station.csms.trace)
    dut.perform("plug_in", connector=c)
    start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                   since=mark)  # not ordered against StartTransaction
    _stop_locally(station, dut, vgi_profile, token, tx)


@pytest.mark.vgi_case("TC_004_2_CS", feature="Start Charging Session", requires=("Core",))
def test_TC_004_2_CS(booted_station, dut, vgi_profile, vgi_budgets):
    """Identification first, but no cable arrives: after ConnectionTimeOut the station gives up and the
    connector returns to Available without a transaction."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    timeout = 2
    tol = tolerance(vgi_budgets)
    with config(station, "ConnectionTimeOut", str(timeout)):
        dut.perform("present_token", id_token=token, connector=c)
        station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token})
        prep = station.expect("StatusNotification", wait_s(vgi_profile),
                              match={"connectorId": c, "status": "Preparing"})
        try:
            back = station.expect("StatusNotification", timeout + tol + 1,
                                  match={"connectorId": c, "status": "Available"})
        except AssertionError:
            station.fail(r.STATUS_TRANSITION, f"connector {c} stayed Preparing beyond ConnectionTimeOut "
                         f"({timeout} s + tolerance)")
        waited = (back.t_ns - prep.t_ns) / 1e9
        station.check(waited >= timeout - tol, r.STATUS_TRANSITION,
                      f"connector {c} went back to Available after {waited:.2f} s, before ConnectionTimeOut "
                      f"({timeout} s)", back)
        station.check(not [f for f in station.frames(prep.index) if f.name == "StartTransaction"
                           and f.kind == "CALL"], r.FORBIDDEN_MESSAGE, "a transaction started without a cable")


@pytest.mark.vgi_case("TC_005_1_CS", feature="Stop Charging Session", requires=("Core",))
def test_TC_005_1_CS(running_transaction, dut, vgi_profile, station):
    """With StopTransactionOnEVSideDisconnect true, unplugging the EV ends the transaction (reason
    EVDisconnected) and frees the connector."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with config(station, "StopTransactionOnEVSideDisconnect", "true"):
        dut.perform("unplug", connector=c)
        stop = station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx})
        station.check(stop.body.get("reason") == "EVDisconnected", r.EXPECTED_MESSAGE,
                      f"StopTransaction reason {stop.body.get('reason')!r}, expected 'EVDisconnected'", stop)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_005_2_CS", feature="Stop Charging Session", requires=("Core",))
def test_TC_005_2_CS(running_transaction, dut, vgi_profile, station):
    """With StopTransactionOnEVSideDisconnect true and UnlockConnectorOnEVSideDisconnect false, unplugging the EV
    still ends the transaction (reason EVDisconnected); the connector leaves Charging (Finishing while the cable
    stays locked, or Available), and an UnlockConnector from the CSMS then releases it (Unlocked; NotSupported for
    a fixed cable, PIXIT fixed_cable)."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with config(station, "StopTransactionOnEVSideDisconnect", "true"), \
            config(station, "UnlockConnectorOnEVSideDisconnect", "false"):
        dut.perform("unplug", connector=c)
        stop = station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx})
        station.check(stop.body.get("reason") == "EVDisconnected", r.EXPECTED_MESSAGE,
                      f"StopTransaction reason {stop.body.get('reason')!r}, expected 'EVDisconnected'", stop)
        station.expect("StatusNotification", wait_s(vgi_profile),
                       match=lambda b: b.get("connectorId") == c and b.get("status") in ("Finishing", "Available"))
        fixed = str(vgi_profile.param("fixed_cable", False)).lower() == "true"  # no lock: NotSupported
        res = station.call("UnlockConnector", {"connectorId": c})
        want = "NotSupported" if fixed else "Unlocked"
        station.check(res.get("status") == want, r.STATION_RESPONSE,
                      f"UnlockConnector after the EV left answered {res.get('status')}, expected {want}")


@pytest.mark.vgi_case("TC_005_3_CS", feature="Stop Charging Session", requires=("Core",))
def test_TC_005_3_CS(running_transaction, dut, vgi_profile, station):
    """With StopTransactionOnEVSideDisconnect false, unplugging the EV suspends the transaction instead of
    ending it; plugging back in resumes charging."""
    tx, c, token = (running_transaction[k] for k in ("transaction_id", "connector", "token"))
    with config(station, "StopTransactionOnEVSideDisconnect", "false"):
        mark = len(station.csms.trace)
        dut.perform("unplug", connector=c)
        expect_none_since(station, "StopTransaction", mark, 1.5)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "SuspendedEV"})
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"})
    _stop_locally(station, dut, vgi_profile, token, tx)


@pytest.mark.vgi_case("TC_068_CS", feature="Stop Charging Session", requires=("Core",))
def test_TC_068_CS(running_transaction, dut, vgi_profile, station):
    """Only the idTag that started a transaction (or one sharing its parent id) may stop it locally; another
    valid card leaves it running."""
    tx, c, token = (running_transaction[k] for k in ("transaction_id", "connector", "token"))
    other = str(vgi_profile.param("other_id_token"))
    station.tokens[other] = "Accepted"
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=other, connector=c)
    expect_none_since(station, "StopTransaction", mark, 1.5)
    _stop_locally(station, dut, vgi_profile, token, tx)


def _answers_with_parent(station, parent: str, tags: set[str]) -> None:
    """The fake CSMS gives `tags` the parent id `parent` in its Authorize and StartTransaction answers."""
    for action in ("Authorize", "StartTransaction"):
        def answer(p, base=DEFAULT_ANSWERS[action]):
            out = base(station, p)
            if p.get("idTag") in tags and out["idTagInfo"].get("status") == "Accepted":
                out["idTagInfo"]["parentIdTag"] = parent
            return out
        station.override(action, answer)


@pytest.mark.vgi_case("TC_069_CS", feature="Stop Charging Session", requires=("Core",))
def test_TC_069_CS(booted_station, dut, vgi_profile):
    """A second, different idTag that the CSMS gives the same parent id as the idTag that started a transaction
    may stop it locally: the station ends the transaction with the second idTag."""
    station, c = booted_station, connector(vgi_profile)
    first, second = str(vgi_profile.param("valid_id_token")), str(vgi_profile.param("other_id_token"))
    station.tokens[first] = station.tokens[second] = "Accepted"
    _answers_with_parent(station, "VGI-PARENT-069", {first, second})
    with preamble("a transaction started by the first idTag, with the parent id from the CSMS"):
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        mark = len(station.csms.trace)
        dut.perform("present_token", id_token=first, connector=c)
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": first})
        tx = transaction_id(station, start)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                       since=mark)
    _stop_locally(station, dut, vgi_profile, second, tx)


@pytest.mark.vgi_case("TC_023_4_CS", feature="Basic Actions (Non-Happy)", requires=("Core",))
def test_TC_023_4_CS(booted_station, dut, vgi_profile):
    """An idTag the CSMS reports Invalid must not start a transaction, even with the EV plugged in."""
    station, c = booted_station, connector(vgi_profile)
    bad = str(vgi_profile.param("invalid_id_token"))
    station.tokens[bad] = "Invalid"
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=bad, connector=c)
    station.expect("Authorize", wait_s(vgi_profile), match={"idTag": bad})
    expect_none_since(station, "StartTransaction", mark, 1.5)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})

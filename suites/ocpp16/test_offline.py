"""OCPP 1.6 offline behaviour (module 15): while the CSMS cannot be reached the station keeps its transaction
messages and delivers them once the connection is back, in the order they happened (OCPP 1.6 §3.7); a transaction
it started offline gets the CSMS's verdict on its idTag late, and StopTransactionOnInvalidId decides what follows.

The fake CSMS closes the connection and refuses every reconnection (HTTP 503) for PIXIT offline_duration seconds;
what the station does meanwhile shows in what it sends afterwards."""

from __future__ import annotations

import time

import pytest

from helpers16 import config, connector, expect_none_since, stop_and_unplug, transaction_id, wait_s
from offline16 import offline_authorization, offline_s, outage, readings, stamp, wait_call
from vgitest.findings import Severity
from vgitest.ocpp import rules as r
from vgitest.ocpp.states_v16 import end_transactions, quiet
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

FEATURE = "Offline Behavior (Non-Happy)"


RECONNECT_SLACK_S = 0.5  # s: how much later than the reconnection's arrival a reading taken offline may be stamped


def _tolerance(profile) -> float:
    return float(profile.param("meter_sample_interval", 1)) + 1.0


@pytest.mark.vgi_case("TC_036_CS", feature=FEATURE, requires=("Core",))
def test_TC_036_CS(running_transaction, vgi_profile, station):
    """The connection is lost during a transaction. The meter values the station sampled while offline arrive once
    it is back (about one per sample interval of the outage, each with the time it was taken), in the order they
    were taken, and sampling then goes on as before."""
    tx = running_transaction["transaction_id"]
    interval = float(vgi_profile.param("meter_sample_interval", 1))
    mark = len(station.csms.trace)
    before = wait_call(station, "MeterValues", mark, interval + wait_s(vgi_profile), {"transactionId": tx})
    if before is None or not readings([before]):
        raise Inconclusive("no sampled MeterValues during the transaction before the outage: the case needs the "
                           "station to sample (PIXIT meter_sample_interval, MeterValueSampleInterval)")
    offset = readings([before])[-1] - before.wall  # the station's clock against the harness's (plus the latency)
    duration = max(offline_s(vgi_profile), 3 * interval)
    with outage(station, vgi_profile) as out:
        time.sleep(duration)
    # a reading counts as taken offline up to the station's reconnection (plus a little latency), never later: a
    # live sample right after a quick reconnection, inside the end's tolerance, is no queued message (with that
    # slack a station that dropped its offline messages once passed on two live samples)
    hi = min(out.end_wall + _tolerance(vgi_profile), out.reopen_wall + RECONNECT_SLACK_S) + offset
    lo = out.start_wall + offset - _tolerance(vgi_profile)
    need = max(1, int(duration / interval) - 1)
    deadline = time.monotonic() + wait_s(vgi_profile)
    while True:
        delivered = [f for f in station.frames(out.reopen) if f.kind == "CALL" and f.name == "MeterValues"
                     and isinstance(f.body, dict) and f.body.get("transactionId") == tx]
        queued = [t for t in readings(delivered) if lo <= t <= hi]
        if len(queued) >= need or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    station.check(len(queued) >= need, r.OFFLINE_QUEUE,
                  f"{len(queued)} meter value(s) taken during the {duration:g} s outage arrived after it; at least "
                  f"{need} expected (one per {interval:g} s sample interval)")
    taken = readings(delivered)
    if any(b < a for a, b in zip(taken, taken[1:])):
        station.record(r.OFFLINE_ORDER, "the meter values delivered after the outage are not in the order they were "
                       f"taken: {[round(t - taken[0], 1) for t in taken]}", delivered[0], severity=Severity.WARN)
    live = wait_call(station, "MeterValues", delivered[-1].index + 1, interval + wait_s(vgi_profile),
                     {"transactionId": tx})
    station.check(live is not None and any(t > max(taken) for t in readings([live])), r.EXPECTED_MESSAGE,
                  "after the queued meter values no new sampled reading of the transaction arrived")


@pytest.mark.vgi_case("TC_038_CS", feature=FEATURE, requires=("Core",))
def test_TC_038_CS(running_transaction, dut, vgi_profile, station):
    """A transaction ends while the station is offline (the driver presents the card that started it). Once the
    connection is back, the StopTransaction of that transaction arrives (reason Local), with a meterStop not below
    its meterStart."""
    tx, token, c = running_transaction["transaction_id"], running_transaction["token"], connector(vgi_profile)
    with outage(station, vgi_profile) as out:
        dut.perform("present_token", id_token=token, connector=c)
        time.sleep(offline_s(vgi_profile))
    stop = wait_call(station, "StopTransaction", out.reopen, wait_s(vgi_profile), {"transactionId": tx})
    if stop is None:
        station.fail(r.OFFLINE_QUEUE, f"transaction {tx} was stopped while offline, but no StopTransaction for it "
                     f"arrived within {wait_s(vgi_profile):g} s of the reconnection")
    reason = stop.body.get("reason", "Local")
    station.check(reason == "Local", r.EXPECTED_MESSAGE,
                  f"the transaction the card stopped offline ended with reason {reason}, expected Local", stop)
    start = running_transaction["start"]
    station.check(int(stop.body.get("meterStop", -1)) >= int(start.body.get("meterStart", 0)), r.METER_ORDER,
                  f"meterStop {stop.body.get('meterStop')} is below meterStart {start.body.get('meterStart')}", stop)


def _warm_cache(station, dut, profile, running: dict) -> str:
    """End the preamble's transaction: its token is now one the station accepted online (cached)."""
    stop_and_unplug(station, dut, profile, running["transaction_id"])
    return running["token"]


def _offline_start(station, dut, profile, token: str):
    """Plug in and present `token` while the CSMS is unreachable; the outage record."""
    c = connector(profile)
    with outage(station, profile) as out:
        dut.perform("plug_in", connector=c)
        dut.perform("present_token", id_token=token, connector=c)
        time.sleep(offline_s(profile))
    return out


@pytest.fixture
def unplug_after(dut, vgi_profile, station):
    """The offline cases plug the EV in while the CSMS cannot see the station's status: whatever the case found,
    the cable comes out afterwards (the clean-up reads the connector's state from the trace, which missed it)."""
    yield
    if dut.supports("unplug"):
        end_transactions(station, vgi_profile)
        dut.perform("unplug", connector=connector(vgi_profile))
        quiet(station, float(vgi_profile.param("quiet_after_cleanup", 0.5)), wait_s(vgi_profile))


def _delivered_start(station, profile, out, token: str):
    start = wait_call(station, "StartTransaction", out.reopen, wait_s(profile), {"idTag": token})
    if start is None:
        station.fail(r.EXPECTED_MESSAGE, f"no StartTransaction for {token}, presented while offline, arrived within "
                     f"{wait_s(profile):g} s of the reconnection: the station neither started the transaction "
                     "offline nor delivered it")
    return start


@pytest.mark.vgi_case("TC_037_1_CS", feature=FEATURE, requires=("Core",))
def test_TC_037_1_CS(running_transaction, dut, vgi_profile, station, unplug_after):
    """A token the station accepted online before is presented while it is offline, with LocalAuthorizeOffline
    true: the station starts the transaction offline, delivers its StartTransaction once the connection is back,
    and, the CSMS accepting the token, goes on charging (no StopTransaction)."""
    token = _warm_cache(station, dut, vgi_profile, running_transaction)
    with offline_authorization(station):
        out = _offline_start(station, dut, vgi_profile, token)
        start = _delivered_start(station, vgi_profile, out, token)
        expect_none_since(station, "StopTransaction", start.index, wait_s(vgi_profile, "quiet_wait", 2))


@pytest.mark.vgi_case("TC_037_2_CS", feature=FEATURE, requires=("Core",))
def test_TC_037_2_CS(running_transaction, dut, vgi_profile, station, unplug_after):
    """As TC_037_1_CS, but the CSMS answers the late StartTransaction with the token Invalid, and
    StopTransactionOnInvalidId is false: the station must not end the transaction (OCPP 1.6 §9.1; whether it stops
    the energy meanwhile is its choice and not judged)."""
    token = _warm_cache(station, dut, vgi_profile, running_transaction)
    with offline_authorization(station), config(station, "StopTransactionOnInvalidId", "false"):
        station.tokens[token] = "Invalid"  # the CSMS's verdict on the late StartTransaction
        out = _offline_start(station, dut, vgi_profile, token)
        start = _delivered_start(station, vgi_profile, out, token)
        expect_none_since(station, "StopTransaction", start.index, wait_s(vgi_profile, "quiet_wait", 2))
        station.tokens[token] = "Accepted"


@pytest.mark.vgi_case("TC_037_3_CS", feature=FEATURE, requires=("Core",))
def test_TC_037_3_CS(running_transaction, dut, vgi_profile, station, unplug_after):
    """As TC_037_2_CS with StopTransactionOnInvalidId true: when the CSMS answers the late StartTransaction with the
    token Invalid, the station ends the transaction with a StopTransaction for the id the CSMS granted, reason
    DeAuthorized."""
    token = _warm_cache(station, dut, vgi_profile, running_transaction)
    with offline_authorization(station), config(station, "StopTransactionOnInvalidId", "true"):
        station.tokens[token] = "Invalid"
        out = _offline_start(station, dut, vgi_profile, token)
        start = _delivered_start(station, vgi_profile, out, token)
        granted = transaction_id(station, start)
        stop = wait_call(station, "StopTransaction", start.index, wait_s(vgi_profile))
        station.tokens[token] = "Accepted"
        if stop is None:
            station.fail(r.EXPECTED_MESSAGE, "the CSMS answered the late StartTransaction with the token Invalid and "
                         "StopTransactionOnInvalidId is true, but the transaction was not ended", start)
        station.check(stop.body.get("transactionId") == granted, r.TX_ID,
                      f"StopTransaction names transaction {stop.body.get('transactionId')}; the CSMS granted {granted}",
                      stop)
        station.check(stop.body.get("reason") == "DeAuthorized", r.EXPECTED_MESSAGE,
                      f"the transaction was ended with reason {stop.body.get('reason', 'Local')}, expected DeAuthorized",
                      stop)


@pytest.mark.vgi_case("TC_039_CS", feature=FEATURE, requires=("Core",))
def test_TC_039_CS(running_transaction, dut, vgi_profile, station, unplug_after):
    """A whole transaction happens offline (a token the station accepted online before, LocalAuthorizeOffline
    true): started and stopped with the card while the CSMS cannot be reached. Once the connection is back its
    StartTransaction arrives first, then its StopTransaction with the transaction id the CSMS granted in answer to
    that StartTransaction."""
    token = _warm_cache(station, dut, vgi_profile, running_transaction)
    c = connector(vgi_profile)
    with offline_authorization(station):
        with outage(station, vgi_profile) as out:
            dut.perform("plug_in", connector=c)
            dut.perform("present_token", id_token=token, connector=c)
            time.sleep(min(2.0, offline_s(vgi_profile) / 3))
            dut.perform("present_token", id_token=token, connector=c)
            time.sleep(offline_s(vgi_profile))
        start = _delivered_start(station, vgi_profile, out, token)
        stop = wait_call(station, "StopTransaction", out.reopen, wait_s(vgi_profile))
        if stop is None:
            station.fail(r.OFFLINE_QUEUE, "the transaction was stopped while offline, but no StopTransaction arrived "
                         f"within {wait_s(vgi_profile):g} s of the reconnection", start)
        if stop.index < start.index:
            station.record(r.OFFLINE_ORDER, "the StopTransaction of the offline transaction arrived before its "
                           "StartTransaction", stop, severity=Severity.WARN)
        granted = transaction_id(station, start)
        station.check(stop.body.get("transactionId") == granted, r.TX_ID,
                      f"StopTransaction names transaction {stop.body.get('transactionId')}; the CSMS granted {granted} "
                      "for the StartTransaction delivered after the outage", stop)
        station.check(int(stop.body.get("meterStop", -1)) >= int(start.body.get("meterStart", 0)), r.METER_ORDER,
                      f"meterStop {stop.body.get('meterStop')} is below meterStart {start.body.get('meterStart')}", stop)
        ts_start, ts_stop = stamp(start.body.get("timestamp")), stamp(stop.body.get("timestamp"))
        station.check(ts_start is not None and ts_stop is not None and ts_stop >= ts_start, r.EXPECTED_MESSAGE,
                      "the StopTransaction's timestamp is before its StartTransaction's", stop)

"""E: transactions while the CSMS cannot be reached or does not take the station's messages (E11, E13, E14).

The fake CSMS closes the connection and refuses every reconnection (HTTP 503) for a few seconds, or leaves a
TransactionEvent unanswered or answers it with a CALLERROR on purpose; what the station queued, repeated or says
about its queue shows in what it sends afterwards. Each case sets the OCPPCommCtrlr / SampledDataCtrlr variables it
depends on small (and restores them), so that the block stays short; timing is judged with the tolerance of
offline201.py."""

from __future__ import annotations

import contextlib
import time

import pytest

import offline201 as o
from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.csms import NO_REPLY, CallError, Delay
from vgitest.ocpp.outage import stamp
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

FEATURE = "Transactions"
SAMPLE = ("SampledDataCtrlr", "TxUpdatedInterval", None)
ATTEMPTS = ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
INTERVAL = ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")
TIMEOUT = ("OCPPCommCtrlr", "MessageTimeout", "Default")
HOLD_S = 2.0  # how long the CSMS holds its answer to the first queued event (below any sensible MessageTimeout)


def _is_tx(tx_id: str, event_type: str | None = None):
    def pred(b: dict) -> bool:
        return (b.get("transactionInfo", {}).get("transactionId") == tx_id
                and (event_type is None or b.get("eventType") == event_type))
    return pred


def _unplug(dut, t) -> None:
    if dut.supports("unplug"):
        dut.perform("unplug", connector=t.connector)


# --- E11: connection loss during a transaction -----------------------------------------------------------------
@pytest.mark.vgi_case("TC_E_40_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_40_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """The connection is lost while the EV charges (TxUpdatedInterval set to 1 s for the case). Once the station
    is back, the periodic TransactionEvents it generated meanwhile arrive: Updated events of the transaction, each
    marked offline=true, and the seqNo of all the transaction's events still counts up by one in the order they
    arrive (a retransmission of the same event, same seqNo and timestamp, is counted once). Which events happened
    during the outage is read from their timestamps, against the station's clock as the last event before the
    outage shows it; events from the first and last half second of the outage are not judged."""
    st, tx = booted_station, running_transaction["transaction_id"]
    interval = 1.0
    try:
        with o.variables(st, {SAMPLE: "1"}):
            mark = s.mark(st)
            before = s.wait_call(st, "TransactionEvent", mark, interval + t.wait, _is_tx(tx, "Updated"))
            if before is None or stamp(before.body.get("timestamp")) is None:
                raise Inconclusive("no periodic TransactionEvent of the running transaction with TxUpdatedInterval "
                                   "= 1 s: the case needs events generated during the outage")
            offset = stamp(before.body["timestamp"]) - before.wall  # the station's clock against the harness's
            with o.offline_period(st, vgi_profile) as out:
                time.sleep(3 * interval)
            lo, hi = out.start_wall + 0.5, out.reopen_wall - 0.5
            need = max(1, int((hi - lo) / interval) - 1)
            deadline = time.monotonic() + t.wait
            while True:
                delivered = o.distinct(s.tx_events(st, out.reopen, tx))
                during = [e for e in delivered if lo <= (stamp(e.body.get("timestamp")) or 0) - offset <= hi]
                if len(during) >= need or time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
            st.check(len(during) >= need, r.TX_OFFLINE_QUEUE,
                     f"{len(during)} TransactionEvent(s) from the {hi - lo:.1f} s of the outage arrived after it; at "
                     f"least {need} expected (one per TxUpdatedInterval of {interval:g} s)")
            for e in during:
                st.check(e.body.get("offline") is True, r.TX_OFFLINE_FLAG,
                         f"TransactionEvent seqNo {e.body.get('seqNo')}, generated during the outage, arrived with "
                         f"offline={e.body.get('offline', 'absent')}", e)
                st.check(e.body.get("eventType") == "Updated", r.TX_EVENT_ORDER,
                         f"an event of the running transaction generated offline is {e.body.get('eventType')}, "
                         "not Updated", e)
            events = o.distinct(s.tx_events(st, running_transaction["start"], tx))
            seqs = [e.body.get("seqNo") for e in events]
            st.check(all(b == a + 1 for a, b in zip(seqs, seqs[1:])), r.TX_SEQNO,
                     f"seqNo of the transaction's events in the order they arrived, across the outage: {seqs}",
                     events[-1])
    finally:
        _unplug(dut, t)


# --- E14: GetTransactionStatus while messages wait in the queue --------------------------------------------------
def _status_with_queue(st, dut, vgi_profile, t, running: dict, *, end_offline: bool, ask_id: bool) -> dict:
    """Queue events by an outage (ending the transaction in it when `end_offline`), hold the CSMS's answer to the
    first event the station delivers afterwards, and ask for the transaction status while it is held: the station
    has messages to deliver then, whatever it does with the rest of its queue. The held event must be one from the
    outage (its timestamp, on the station's clock as the last event before the outage shows it, before the
    reconnection): a station that queued nothing gives the case no queue to ask about (INCONCLUSIVE)."""
    tx_id = running["transaction_id"]
    last = s.tx_events(st, running["start"], tx_id)
    if not last or stamp(last[-1].body.get("timestamp")) is None:
        raise Inconclusive("no TransactionEvent of the running transaction with a readable timestamp before the "
                           "outage")
    offset = stamp(last[-1].body["timestamp"]) - last[-1].wall
    with o.offline_period(st, vgi_profile) as out:
        if end_offline:
            _unplug(dut, t)
        time.sleep(2.5)  # at least one TxUpdatedInterval (1 s) of the running transaction
        st.override("TransactionEvent", Delay(HOLD_S), once=True)
    first = s.wait_call(st, "TransactionEvent", out.reopen, t.wait)
    if first is None:
        st.clear_override("TransactionEvent")
        raise Inconclusive("the station delivered no TransactionEvent after the outage: the case needs messages in "
                           "its queue (TC_E_40_CS judges the queue itself)")
    made = (stamp(first.body.get("timestamp")) or 0.0) - offset
    if made > out.reopen_wall - 0.5:
        raise Inconclusive(f"the first TransactionEvent after the outage (seqNo {first.body.get('seqNo')}) was made "
                           "after the reconnection, not queued during the outage: the case needs messages in the "
                           "station's queue (TC_E_40_CS judges the queue itself)")
    asked = time.monotonic_ns()
    res = st.call("GetTransactionStatus", {"transactionId": tx_id} if ask_id else {})
    if (time.monotonic_ns() - first.t_ns) / 1e9 >= HOLD_S:
        raise Inconclusive(f"the station answered GetTransactionStatus {(time.monotonic_ns() - asked) / 1e9:.1f} s "
                           f"after it was asked, when the answer to its queued event (held {HOLD_S:g} s) had left: "
                           "whether messages were queued then cannot be judged")
    return res


@pytest.mark.vgi_case("TC_E_29_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_29_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """The status of the running transaction while events of it wait to be delivered (queued during an outage,
    the first held by the CSMS): ongoing, and messages in queue."""
    st = booted_station
    try:
        with o.variables(st, {SAMPLE: "1"}):
            res = _status_with_queue(st, dut, vgi_profile, t, running_transaction, end_offline=False,
                                     ask_id=True)
            st.check(res.get("ongoingIndicator") is True and res.get("messagesInQueue") is True, r.STATION_RESPONSE,
                     f"GetTransactionStatus of the running transaction with queued events: {res}")
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_31_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_31_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """The transaction ends while the station is offline (the EV is unplugged; TxStopPoint with EVConnected);
    asked about it while its events, the Ended one among them, wait to be delivered: not ongoing, and messages
    in queue."""
    st = booted_station
    try:
        with s.tx_points(st, stop="EVConnected"), o.variables(st, {SAMPLE: "1"}):
            res = _status_with_queue(st, dut, vgi_profile, t, running_transaction, end_offline=True,
                                     ask_id=True)
            st.check(res.get("ongoingIndicator") is False and res.get("messagesInQueue") is True, r.STATION_RESPONSE,
                     f"GetTransactionStatus of a transaction that ended offline, its events still queued: {res}")
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_33_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_33_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """Asked without a transaction id while transaction events wait to be delivered: messages in queue, and no
    ongoingIndicator (it is only for a named transaction)."""
    st = booted_station
    try:
        with o.variables(st, {SAMPLE: "1"}):
            res = _status_with_queue(st, dut, vgi_profile, t, running_transaction, end_offline=False,
                                     ask_id=False)
            st.check(res.get("messagesInQueue") is True and "ongoingIndicator" not in res, r.STATION_RESPONSE,
                     f"GetTransactionStatus without transactionId, events queued: {res}")
    finally:
        _unplug(dut, t)


# --- E13: retries of a TransactionEvent the CSMS does not take ----------------------------------------------------
def _retries(st, t, tx_id: str, *, callerror: bool, succeed_on: int | None, attempts: int = 3) -> None:
    """End the running transaction remotely and refuse its Ended event (no answer, or a CALLERROR) until
    transmission `succeed_on` (never when None); judge how often and when the station sent it.

    MessageAttempts[TransactionEvent] = `attempts` and MessageAttemptInterval = 1 s for the case (and, when the CSMS
    does not answer, MessageTimeout = 2 s if the station takes it, else its own): the station sends the event at
    most `attempts` times in all, waiting 1 s x the number of transmissions so far between two (E13.FR.02-04; after
    no answer, its MessageTimeout first).
    OCPP's own example counts the first transmission among the attempts (3 attempts: sent, 60 s, sent, 120 s, sent,
    given up); a station that counts only the repetitions sends once more: both are accepted, fewer or more are
    not. The station's next CALL after its MessageTimeout (less the case's tolerance) is not a second outstanding
    CALL."""
    with contextlib.ExitStack() as stack:
        timeout = 0.0
        if not callerror:
            value = stack.enter_context(o.preferably(st, TIMEOUT, "2"))
            if not value.isdigit():
                raise Inconclusive(f"OCPPCommCtrlr.MessageTimeout reads {value!r}, not a number of seconds")
            timeout = float(value)
        _judge_retries(st, t, tx_id, callerror=callerror, succeed_on=succeed_on, attempts=attempts, timeout=timeout)


def _judge_retries(st, t, tx_id: str, *, callerror: bool, succeed_on: int | None, attempts: int,
                   timeout: float) -> None:
    interval = 1.0
    settings = {ATTEMPTS: str(attempts), INTERVAL: str(int(interval))}
    sent: list[int] = []

    def answer(body: dict):
        if not _is_tx(tx_id, "Ended")(body):
            return None
        sent.append(1)
        if succeed_on is not None and len(sent) >= succeed_on:
            return None
        return CallError("InternalError", "vgitest: refused on purpose (E13)") if callerror else NO_REPLY

    with o.variables(st, settings), \
            o.own_timeout(st, timeout - o.tolerance(t, timeout) if timeout else st.dut_call_timeout_s):
        st.override("TransactionEvent", answer)
        try:
            mark = s.mark(st)
            res = st.call("RequestStopTransaction", {"transactionId": tx_id})
            st.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                     f"RequestStopTransaction of the running transaction: {res.get('status')}")
            frames = [s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE,
                                "the remote stop did not end the transaction", _is_tx(tx_id, "Ended"))]
            limit = attempts + 1 if succeed_on is None else succeed_on
            while len(frames) <= limit:
                gap = timeout + interval * len(frames)
                nxt = s.wait_call(st, "TransactionEvent", frames[-1].index + 1, gap + o.tolerance(t, gap),
                                  _is_tx(tx_id, "Ended"))
                if nxt is None:
                    break
                frames.append(nxt)
        finally:
            st.clear_override("TransactionEvent")
    times = [f.t_ns / 1e9 for f in frames]
    for k, (a, b) in enumerate(zip(times, times[1:]), start=1):
        least = interval * k
        st.check(b - a >= least - o.tolerance(t, least), r.TX_RETRY,
                 f"transmission {k + 1} of the Ended event came {b - a:.2f} s after transmission {k}; "
                 f"MessageAttemptInterval {interval:g} s x {k} asks for at least {least:g} s", frames[k])
    if succeed_on is None:
        st.check(attempts <= len(frames) <= attempts + 1, r.TX_RETRY,
                 f"the Ended event the CSMS {'refused' if callerror else 'left unanswered'} every time was sent "
                 f"{len(frames)} time(s); MessageAttempts {attempts} asks for {attempts} (or {attempts + 1}, counting "
                 "only the repetitions)", frames[-1])
    else:
        st.check(len(frames) == succeed_on, r.TX_RETRY,
                 f"the CSMS took the Ended event at transmission {succeed_on}; it was sent {len(frames)} time(s)"
                 + (" (repeated after the CSMS had taken it)" if len(frames) > succeed_on else ""), frames[-1])


@pytest.mark.vgi_case("TC_E_41_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_41_CS(running_transaction, booted_station, dut, t) -> None:
    """The CSMS never answers the Ended event of a remotely stopped transaction: the station sends it again after
    its MessageTimeout and MessageAttemptInterval x the transmissions so far, MessageAttempts (2 here, to keep the
    waits short; TC_E_50_CS judges three) times in all, then gives up (no further transmission)."""
    try:
        _retries(booted_station, t, running_transaction["transaction_id"], callerror=False, succeed_on=None,
                 attempts=2)
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_42_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_42_CS(running_transaction, booted_station, dut, t) -> None:
    """The CSMS leaves the first transmission of the Ended event unanswered and answers the second: the station
    repeats it once, after its MessageTimeout and MessageAttemptInterval, and not again after the answer."""
    try:
        _retries(booted_station, t, running_transaction["transaction_id"], callerror=False, succeed_on=2)
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_50_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_50_CS(running_transaction, booted_station, dut, t) -> None:
    """As TC_E_41_CS, but the CSMS answers every transmission with a CALLERROR: a CALLERROR is a failure to deliver
    as well, repeated MessageAttempts times in all with the growing interval, then given up."""
    try:
        _retries(booted_station, t, running_transaction["transaction_id"], callerror=True, succeed_on=None)
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_51_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_51_CS(running_transaction, booted_station, dut, t) -> None:
    """As TC_E_42_CS with a CALLERROR for the first transmission: the station repeats the event once and stops when
    the CSMS takes it."""
    try:
        _retries(booted_station, t, running_transaction["transaction_id"], callerror=True, succeed_on=2)
    finally:
        _unplug(dut, t)


# --- E08/E12: a transaction stopped while the station is offline ------------------------------------------------
@pytest.mark.vgi_case("TC_E_44_CS", feature=FEATURE, requires=("Core",))
def test_TC_E_44_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """While the station is offline the driver presents the idToken that started the transaction (TxStopPoint with
    Authorized): the station ends the transaction offline, and once it is back the Ended event arrives, marked
    offline=true, with triggerReason StopAuthorized and stoppedReason Local. Part 5 makes the case conditional on a
    local stop option; stopping with the same idToken is the one this suite asks of every station (TC_E_15_CS)."""
    st, tx = booted_station, running_transaction
    try:
        with s.tx_points(st, stop="Authorized"):
            with o.offline_period(st, vgi_profile) as out:
                dut.perform("present_token", id_token=tx["token"], connector=t.connector)
                time.sleep(1.5)
            ended = s.require(st, "TransactionEvent", out.reopen, t.wait, r.TX_OFFLINE_QUEUE,
                              "the transaction stopped while the station was offline, but its Ended event did not "
                              "arrive once the station was back", _is_tx(tx["transaction_id"], "Ended"))
            st.check(ended.body.get("offline") is True, r.TX_OFFLINE_FLAG,
                     f"the Ended event of the transaction stopped offline arrived with "
                     f"offline={ended.body.get('offline', 'absent')}", ended)
            info = ended.body["transactionInfo"]
            st.check(ended.body.get("triggerReason") == "StopAuthorized" and info.get("stoppedReason", "Local") ==
                     "Local", r.EXPECTED_MESSAGE, f"Ended: trigger {ended.body.get('triggerReason')}, reason "
                     f"{info.get('stoppedReason', 'Local (absent)')}; expected StopAuthorized / Local", ended)
    finally:
        _unplug(dut, t)


@pytest.mark.vgi_case("TC_E_43_CS", feature=FEATURE, requires=("Core", "C-01"))
def test_TC_E_43_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """A whole transaction while the station is offline: the preamble's transaction ends online (its idToken is now
    one the station accepted, in its authorization cache), then, with AuthCtrlr.LocalAuthorizeOffline true, the EV
    is plugged in and the same idToken presented, and presented again to stop, all while the CSMS cannot be
    reached. Once the station is back the new transaction's events arrive: Started first, Ended last, seqNo
    counting up by one from the first, every one marked offline=true."""
    st, tx = booted_station, running_transaction
    token = tx["token"]
    try:
        with s.tx_points(st, start="Authorized", stop="Authorized"), \
                o.variables(st, {("AuthCtrlr", "LocalAuthorizeOffline", None): "true"}):
            with preamble("the preamble's transaction ended online"):
                mark = s.mark(st)
                st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
                s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "the remote stop did not end "
                          "the preamble's transaction", _is_tx(tx["transaction_id"], "Ended"))
            _unplug(dut, t)
            time.sleep(0.5)
            with o.offline_period(st, vgi_profile) as out:
                dut.perform("plug_in", connector=t.connector)
                dut.perform("present_token", id_token=token, connector=t.connector)
                time.sleep(2.0)
                dut.perform("present_token", id_token=token, connector=t.connector)
                time.sleep(1.0)
            authorized = s.require(st, "TransactionEvent", out.reopen, t.wait, r.EXPECTED_MESSAGE,
                                   f"no TransactionEvent carrying {token}, presented offline with LocalAuthorizeOffline "
                                   "true, arrived once the station was back: it authorized no transaction offline",
                                   {"idToken": {"idToken": token}})
            new_tx = authorized.body["transactionInfo"]["transactionId"]
            ended = s.require(st, "TransactionEvent", out.reopen, t.wait, r.TX_OFFLINE_QUEUE,
                              "the Ended event of the transaction stopped offline did not arrive",
                              _is_tx(new_tx, "Ended"))
            events = o.distinct(s.tx_events(st, out.reopen, new_tx))
            st.check(events[0].body.get("eventType") == "Started" and events[-1] is ended, r.TX_EVENT_ORDER,
                     "the offline transaction's events arrived as "
                     f"{[e.body.get('eventType') for e in events]}; Started first and Ended last expected", ended)
            seqs = [e.body.get("seqNo") for e in events]
            st.check(all(b == a + 1 for a, b in zip(seqs, seqs[1:])), r.TX_SEQNO,
                     f"seqNo of the offline transaction's events in the order they arrived: {seqs}", ended)
            for e in events:
                st.check(e.body.get("offline") is True, r.TX_OFFLINE_FLAG,
                         f"{e.body.get('eventType')} event seqNo {e.body.get('seqNo')} of the transaction made "
                         f"offline arrived with offline={e.body.get('offline', 'absent')}", e)
    finally:
        _unplug(dut, t)

"""The trace checks and a TransactionEvent the CSMS did not take (2.0.1 E13): its retransmission (same seqNo, type
and timestamp) is the same event, not a seqNo repeat or an event after Ended; and the silence while the station
waits for an answer the fake CSMS withholds on purpose (meta "withheld") is not an idle gap of the heartbeat rule;
after an answer, or after a CALL left unanswered without the case asking for it, it still is."""

from __future__ import annotations

from vgitest.ocpp import rules as r
from vgitest.ocpp.checks import heartbeat_gaps, transaction_events_2x
from vgitest.trace import Direction, Frame

S = 1_000_000_000


def event(i: int, seq: int, kind: str, ts: str, t_s: float = 0.0, withheld: bool = False) -> Frame:
    body = {"eventType": kind, "timestamp": ts, "triggerReason": "RemoteStop", "seqNo": seq,
            "transactionInfo": {"transactionId": "tx1"}}
    return Frame(int(t_s * S), t_s, Direction.IN, "ocpp", "2.0.1", "c1", "CALL", "TransactionEvent", f"m{i}",
                 body=body, index=i, meta={"withheld": True} if withheld else {})


def result(i: int, corr: str, t_s: float) -> Frame:
    return Frame(int(t_s * S), t_s, Direction.OUT, "ocpp", "2.0.1", "c1", "CALLRESULT", "TransactionEvent", corr,
                 body={}, index=i)


def test_a_retransmitted_ended_event_is_the_same_event() -> None:
    frames = [event(0, 0, "Started", "T0"), event(1, 1, "Ended", "T1"), event(2, 1, "Ended", "T1")]
    assert transaction_events_2x(frames) == []


def test_a_second_ended_event_with_its_own_timestamp_is_still_caught() -> None:
    frames = [event(0, 0, "Started", "T0"), event(1, 1, "Ended", "T1"), event(2, 1, "Ended", "T2")]
    assert [f.rule_id for f in transaction_events_2x(frames)] == [r.TX_SEQNO, r.TX_EVENT_ORDER]


def _gap_rules(frames: list[Frame], end_s: float) -> list[str]:
    return [f.rule_id for f in heartbeat_gaps(frames, 0.5, int(end_s * S), 2.0)]


def test_silence_while_the_csms_withholds_its_answer_is_not_idleness() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0, withheld=True), event(1, 0, "Started", "T0", 11.0, withheld=True),
              result(2, "m1", 11.1)]
    assert _gap_rules(frames, 11.2) == []
    assert _gap_rules(frames[:1], 11.2) == []  # nor up to the end of the test while it still waits


def test_silence_after_an_unanswered_call_the_case_did_not_withhold_is_a_gap() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0), event(1, 0, "Started", "T0", 4.0), result(2, "m1", 4.1)]
    assert _gap_rules(frames, 4.2) == [r.HEARTBEAT_GAP]


def test_silence_after_the_withheld_answer_came_is_a_gap() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0, withheld=True), result(1, "m0", 2.0), event(2, 1, "Updated", "T1", 6.0),
              result(3, "m2", 6.1)]
    assert _gap_rules(frames, 6.2) == [r.HEARTBEAT_GAP]

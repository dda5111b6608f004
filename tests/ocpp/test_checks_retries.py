"""The trace checks and a TransactionEvent the CSMS did not take (2.0.1 E13): its retransmission (same seqNo, type
and timestamp) is the same event, not a seqNo repeat or an event after Ended; and the silence while the station
waits for an answer the CSMS withholds is not an idle gap of the heartbeat rule, up to the answer wait."""

from __future__ import annotations

from vgitest.ocpp import rules as r
from vgitest.ocpp.checks import heartbeat_gaps, transaction_events_2x
from vgitest.trace import Direction, Frame

S = 1_000_000_000


def event(i: int, seq: int, kind: str, ts: str, t_s: float = 0.0) -> Frame:
    body = {"eventType": kind, "timestamp": ts, "triggerReason": "RemoteStop", "seqNo": seq,
            "transactionInfo": {"transactionId": "tx1"}}
    return Frame(int(t_s * S), t_s, Direction.IN, "ocpp", "2.0.1", "c1", "CALL", "TransactionEvent", f"m{i}",
                 body=body, index=i)


def result(i: int, corr: str, t_s: float) -> Frame:
    return Frame(int(t_s * S), t_s, Direction.OUT, "ocpp", "2.0.1", "c1", "CALLRESULT", "TransactionEvent", corr,
                 body={}, index=i)


def test_a_retransmitted_ended_event_is_the_same_event() -> None:
    frames = [event(0, 0, "Started", "T0"), event(1, 1, "Ended", "T1"), event(2, 1, "Ended", "T1")]
    assert transaction_events_2x(frames) == []


def test_a_second_ended_event_with_its_own_timestamp_is_still_caught() -> None:
    frames = [event(0, 0, "Started", "T0"), event(1, 1, "Ended", "T1"), event(2, 1, "Ended", "T2")]
    assert [f.rule_id for f in transaction_events_2x(frames)] == [r.TX_SEQNO, r.TX_EVENT_ORDER]


def _gap_rules(frames: list[Frame], end_s: float, answer_wait: float) -> list[str]:
    return [f.rule_id for f in heartbeat_gaps(frames, 0.5, int(end_s * S), 2.0, answer_wait=answer_wait)]


def test_silence_after_an_unanswered_station_call_is_allowed_up_to_the_answer_wait() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0), event(1, 0, "Started", "T0", 4.0), result(2, "m1", 4.1)]
    assert _gap_rules(frames, 4.2, answer_wait=10.0) == []
    assert _gap_rules(frames, 4.2, answer_wait=0.0) == [r.HEARTBEAT_GAP]  # without it, the same trace is a gap


def test_silence_after_an_answered_call_is_still_a_gap() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0), result(1, "m0", 0.1), event(2, 1, "Updated", "T1", 4.0),
              result(3, "m2", 4.1)]
    assert _gap_rules(frames, 4.2, answer_wait=10.0) == [r.HEARTBEAT_GAP]


def test_silence_beyond_the_answer_wait_is_a_gap() -> None:
    frames = [event(0, 0, "Started", "T0", 0.0), event(1, 0, "Started", "T0", 20.0), result(2, "m1", 20.1)]
    assert _gap_rules(frames, 20.2, answer_wait=10.0) == [r.HEARTBEAT_GAP]

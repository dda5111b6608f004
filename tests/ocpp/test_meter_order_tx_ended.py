"""The meter-order trace check and the Ended event's TxEnded readings (2.0.1 J01/J02): those readings are the history
of the whole transaction, so they are judged in their own order, not against the Updated events before them; the
Transaction.End reading still is."""

from __future__ import annotations

from vgitest.ocpp import rules as r
from vgitest.ocpp.checks import meter_order
from vgitest.trace import Direction, Frame


def mv(ts: str, wh: float, ctx: str) -> dict:
    return {"timestamp": ts, "sampledValue": [{"value": wh, "context": ctx}]}


def event(i: int, kind: str, *values: dict) -> Frame:
    body = {"eventType": kind, "timestamp": values[-1]["timestamp"], "triggerReason": "MeterValuePeriodic",
            "seqNo": i, "transactionInfo": {"transactionId": "tx1"}, "meterValue": list(values)}
    return Frame(0, 0.0, Direction.IN, "ocpp", "2.0.1", "c1", "CALL", "TransactionEvent", str(i), body=body, index=i)


UPDATED = event(0, "Updated", mv("2026-01-01T00:00:09Z", 90.0, "Sample.Periodic"))


def rules(frames: list[Frame]) -> list[str]:
    return [f.rule_id for f in meter_order(frames)]


def test_tx_ended_history_older_than_the_updates_is_in_order() -> None:
    ended = event(1, "Ended", mv("2026-01-01T00:00:02Z", 20.0, "Sample.Clock"),
                  mv("2026-01-01T00:00:04Z", 40.0, "Sample.Clock"), mv("2026-01-01T00:00:10Z", 100.0, "Transaction.End"))
    assert rules([UPDATED, ended]) == []


def test_tx_ended_history_out_of_order_is_caught() -> None:
    ended = event(1, "Ended", mv("2026-01-01T00:00:04Z", 40.0, "Sample.Clock"),
                  mv("2026-01-01T00:00:02Z", 20.0, "Sample.Clock"), mv("2026-01-01T00:00:10Z", 100.0, "Transaction.End"))
    assert rules([UPDATED, ended]) == [r.METER_ORDER, r.METER_ORDER]  # time back and energy down


def test_transaction_end_reading_is_still_judged_against_the_updates() -> None:
    ended = event(1, "Ended", mv("2026-01-01T00:00:08Z", 80.0, "Transaction.End"))
    assert rules([UPDATED, ended]) == [r.METER_ORDER, r.METER_ORDER]


def test_updated_events_going_back_are_still_caught() -> None:
    back = event(1, "Updated", mv("2026-01-01T00:00:02Z", 20.0, "Sample.Clock"))
    assert rules([UPDATED, back]) == [r.METER_ORDER, r.METER_ORDER]

"""The 2.0.1 reference station's offline helpers (station/offline_v201.py) on their own: the reconnection back-off
of Part 4 §5.3 (RetryBackOffWaitMinimum doubled per failed attempt, at most RetryBackOffRepeatTimes times, plus a
random part of RetryBackOffRandomRange), and what GetTransactionStatus reads from the queue (an event being sent
counts until it is answered). Each is shown against the fault that breaks it."""

from __future__ import annotations

from typing import Any

from vgitest.ocpp.station.offline_v201 import TxQueue201, backoff


class FakeStation:
    """Just what the helpers read: OCPPCommCtrlr variables, faults and the reconnect delay."""

    def __init__(self, faults: tuple[str, ...] = (), **variables: str) -> None:
        self.variables = {"RetryBackOffWaitMinimum": "2", "RetryBackOffRandomRange": "0",
                          "RetryBackOffRepeatTimes": "2", **variables}
        self.faults = set(faults)
        self.reconnect_delay = 0.2
        self.ws: Any = None
        self.registration = "Accepted"
        self.answer_in = False  # the answer to the event being sent has been read

    def answered(self, action: str) -> bool:
        return self.answer_in

    def var(self, component: str, name: str, instance: str | None = None) -> str:
        return self.variables[name]

    def has(self, fault: str) -> bool:
        return fault in self.faults


def test_backoff_doubles_up_to_the_repeat_times_then_stays() -> None:
    st = FakeStation()
    assert [backoff(st, k) for k in range(5)] == [2, 4, 8, 8, 8]


def test_backoff_random_part_stays_in_its_range() -> None:
    st = FakeStation(RetryBackOffRandomRange="3")
    waits = [backoff(st, 0) for _ in range(200)]
    assert all(2 <= w <= 5 for w in waits) and max(waits) - min(waits) > 1


def test_backoff_never_below_the_stations_own_delay() -> None:
    assert backoff(FakeStation(RetryBackOffWaitMinimum="0"), 3) == 0.2


def test_backoff_faults_break_it() -> None:
    assert backoff(FakeStation(("backoff_not_doubled",)), 2) == 2
    assert backoff(FakeStation(("backoff_minimum_ignored",)), 0) == 0.2


def _event(tx: str, seq: int) -> dict:
    return {"eventType": "Updated", "seqNo": seq, "transactionInfo": {"transactionId": tx}}


def test_queue_pending_counts_the_event_in_flight_and_names_its_transaction() -> None:
    q = TxQueue201(FakeStation())
    assert not q.pending() and not q.pending("tx1")
    q.inflight = _event("tx1", 3)
    assert q.pending() and q.pending("tx1") and not q.pending("tx2")
    q.st.answer_in = True  # answered: delivered, although the sending code has not run on yet
    assert not q.pending() and not q.pending("tx1")
    q.st.answer_in = False
    q.inflight = None
    q.items.append(_event("tx2", 0))
    assert q.pending() and q.pending("tx2") and not q.pending("tx1")

"""The fake CSMS's offline mode (StationSession.offline) and the 1.6 reference station's offline queue
(station/v16_offline.py), without the pytest plugin: the refusal leaves evidence but no finding, the queue keeps
transaction messages in order and replaces a provisional transaction id, and each fault breaks what it names."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.ocpp.station.v16 import Station16

PARAMS = {"heartbeat_interval": 30, "meter_sample_interval": 1, "connection_timeout": 5, "call_timeout": 3}


@pytest.fixture(scope="module")
def csms() -> Iterator[FakeCsms]:
    with FakeCsms(port=0, heartbeat_interval=30, versions=("1.6",)) as server:
        yield server


def _start(csms: FakeCsms, identity: str, faults: tuple[str, ...] = ()) -> tuple[Station16, StationSession]:
    st = Station16(csms.url, identity, faults=faults, params=dict(PARAMS), reconnect_delay=0.2).start()
    s = csms.wait_for_station(identity, 10)
    s.expect("BootNotification", 5)
    s.expect("StatusNotification", 5, match={"connectorId": 1, "status": "Available"})
    return st, s


def _calls(s: StationSession, action: str, since: int) -> list:
    return [f for f in s.frames(since) if f.kind == "CALL" and f.name == action]


def _offline_transaction(s: StationSession, st: Station16, seconds: float = 1.5) -> int:
    """Cache TAG1 online, then plug in, start and stop a transaction while the CSMS refuses the station."""
    st.perform("plug_in", connector=1)
    st.perform("present_token", id_token="TAG1", connector=1)
    s.expect("StartTransaction", 3, match={"idTag": "TAG1"})
    st.perform("present_token", id_token="TAG1", connector=1)
    s.expect("StopTransaction", 3)
    st.perform("unplug", connector=1)
    s.expect("StatusNotification", 3, match={"status": "Available"})  # idle again; the cache holds TAG1
    mark = len(s.csms.trace)
    with s.offline():
        deadline = time.monotonic() + 3
        while s.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        st.perform("plug_in", connector=1)
        time.sleep(0.3)
        st.perform("present_token", id_token="TAG1", connector=1)
        time.sleep(seconds)
        st.perform("present_token", id_token="TAG1", connector=1)
        time.sleep(0.3)
    s.wait_connected(5)
    return mark


def test_offline_refuses_with_503_and_no_finding_then_lets_the_station_back(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-OFF-REFUSE")
    try:
        mark = len(csms.trace)
        with s.offline():
            time.sleep(0.8)
            assert not s.connected
        s.wait_connected(5)
        rejects = [f for f in csms.trace.since(mark) if f.kind == "REJECT"]
        assert rejects and all(f.meta.get("status") == 503 and f.meta.get("offline") for f in rejects)
        assert not [x for f in rejects for x in f.findings]  # the harness's outage is not the station's fault
        assert not s.refusing
    finally:
        st.stop()


def test_offline_transaction_is_delivered_in_order_with_the_granted_id(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-OFF-TX")
    try:
        mark = _offline_transaction(s, st)
        stop = s.expect("StopTransaction", 5, since=mark)
        starts = _calls(s, "StartTransaction", mark)
        assert len(starts) == 1 and starts[0].index < stop.index
        granted = s.csms.trace.wait_for(lambda f: f.kind == "CALLRESULT" and f.correlation == starts[0].correlation
                                        and f.connection == starts[0].connection, starts[0].index, 3)
        assert granted is not None and stop.body["transactionId"] == granted.body["transactionId"]
        meters = [f.body["transactionId"] for f in _calls(s, "MeterValues", mark) if "transactionId" in f.body]
        assert meters and set(meters) == {granted.body["transactionId"]}  # none kept the provisional (negative) id
        assert not st.txq.items
    finally:
        st.stop()


def test_fault_ids_not_mapped_keeps_the_provisional_id(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-OFF-NOMAP", faults=("offline_ids_not_mapped",))
    try:
        mark = _offline_transaction(s, st)
        stop = s.expect("StopTransaction", 5, since=mark)
        assert stop.body["transactionId"] < 0
    finally:
        st.stop()


def test_fault_messages_dropped_loses_the_offline_transaction(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-OFF-DROP", faults=("offline_tx_messages_dropped",))
    try:
        mark = _offline_transaction(s, st)
        time.sleep(1.0)
        assert not _calls(s, "StartTransaction", mark) and not _calls(s, "StopTransaction", mark)
    finally:
        st.stop()


def test_fault_newest_first_reverses_the_queue(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16-OFF-REV", faults=("offline_queue_newest_first",))
    try:
        mark = _offline_transaction(s, st)
        stop = s.expect("StopTransaction", 5, since=mark)
        start = s.expect("StartTransaction", 5, since=mark)
        assert stop.index < start.index
    finally:
        st.stop()

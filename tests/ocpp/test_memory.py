"""Issue 13, memory that grew without bound: what closed connections leave behind in the fake CSMS, and the
per-connection id bookkeeping. Each test failed before its fix."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from vgitest.bounded import RecentSet
from vgitest.ocpp import csms as csms_mod
from vgitest.ocpp.csms import FakeCsms

from tests.ocpp.rawclient import RawClient


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0, connect_timeout=3.0).start()
    yield server
    server.stop()


def test_closed_connections_do_not_keep_sessions_and_wire_logs(csms: FakeCsms) -> None:
    """1,000 dropped connections left 1,000 sessions and their wire logs; now only a bounded recent few stay."""
    for i in range(200):
        c = RawClient(csms.url_for(f"D{i}"), ["ocpp1.6"])
        c.boot()
        c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(s.connected for s in list(csms.sessions.values())):
        time.sleep(0.05)
    RawClient(csms.url_for("LAST"), ["ocpp1.6"]).close()  # one more close: the last ones are pruned too
    time.sleep(0.3)
    assert len(csms.sessions) <= csms_mod.KEEP_IDLE_SESSIONS + 1
    assert len(csms.wires) <= csms_mod.KEEP_CLOSED_WIRES + 1
    assert "D199" in csms.sessions  # the most recent station keeps its session for a quick reconnect


def test_id_bookkeeping_of_a_connection_is_bounded(csms: FakeCsms) -> None:
    """Every CALL id a station ever sent was kept for the life of the connection (a day-long soak grew)."""
    c = RawClient(csms.url_for("CS1"), ["ocpp1.6"])
    c.boot()
    st = csms.wait_for_station("CS1", timeout=3)
    link = st.link
    assert link is not None and isinstance(link.dut_call_ids, RecentSet)
    link.dut_call_ids.limit = link.answered_dut_calls.limit = 50
    for i in range(120):
        c.send([2, f"h{i}", "Heartbeat", {}])
        c.recv()
    c.close()
    assert len(link.dut_call_ids) <= 50 and len(link.answered_dut_calls) <= 50
    assert "h119" in link.dut_call_ids  # a recent reuse is still caught


def test_recent_set_forgets_the_oldest() -> None:
    s = RecentSet(3)
    for x in "abcd":
        s.add(x)
    assert list(s) == ["b", "c", "d"] and "a" not in s

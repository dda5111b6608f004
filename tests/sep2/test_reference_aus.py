"""The reference DER client in CSIP-AUS: it writes its ConnectionPoint where its EndDevice links, reads the tariffs
its group links to (acknowledging an interval that asks for it) and polls a list at the rate the server set for
that one list. Without the PIXIT connection point it writes none (the check fails on the bad case)."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from tests.waiting import wait_until
from vgitest.sep2 import aus
from vgitest.sep2.polling import polls_on_time
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction

from .aus_client import aus_server, running
from .payloads import LFDI


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    with aus_server(2) as srv:
        yield srv



def test_it_writes_its_connection_point_and_reads_the_tariffs(server: FakeSep2Server) -> None:
    st = server.state
    dev = st.register_device(LFDI)
    st.add_program(1, default={"opModMaxLimW": "9000"})
    aus.add_tariff_profile(st, 0, price_pow10=-4)
    rc = aus.add_rate_component(st, commodity=2, flowDirection=1, uom=72)
    now = st.now()
    tti = aus.add_time_tariff_interval(st, start=now - 5, duration_s=600, prices=[(0, 2750), (5000, 3100)],
                                       response_required="01")
    with running(server, connection_point_id="4102345678") as client:
        assert wait_until(lambda: dev.connection_point == "4102345678", 8), client.log[-5:]
        assert wait_until(lambda: client.aus.price_now() == 2750, 8), client.log[-5:]
        assert wait_until(lambda: any(r.get("subject") == tti.mrid for r in st.responses), 5)
    rc_href = next(iter(client.aus.components))
    assert rc_href.endswith(f"/rc/{rc.number}")
    assert client.aus.prices[next(iter(client.aus.prices))] == [(0, 2750), (5000, 3100)]
    bad = [f.rule_id for fr in server.trace for f in fr.findings]
    assert "SEP2-SCHEMA" not in bad, bad


def test_without_a_connection_point_id_it_writes_none(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    with running(server) as client:
        assert wait_until(lambda: bool(client.registration.registered), 8)
        time.sleep(0.3)
    assert dev.connection_point is None
    assert not [f for f in server.trace if f.direction is Direction.IN and f.meta.get("path", "").endswith("/cp")]


def test_it_polls_a_list_at_the_rate_set_for_that_list(server: FakeSep2Server) -> None:
    st = server.state
    st.poll_rate_s = 30  # everything else slow
    dev = st.register_device(LFDI)
    st.add_program(1, default={"opModMaxLimW": "9000"})
    derp = f"/edev/{dev.number}/fsa/1/derp"
    aus.set_poll_rate(st, derp, 1)
    with running(server):
        assert wait_until(lambda: any(f.meta.get("path") == derp for f in server.trace), 8)
        start = time.monotonic_ns()
        time.sleep(4.2)
        end = time.monotonic_ns()
    frames = list(server.trace)
    judged = polls_on_time(frames, derp, 1, start_ns=start, end_ns=end, tolerance_s=0.3)[derp]
    assert judged.on_time and len(judged.polls) >= 3, judged.describe()
    slower = polls_on_time(frames, f"/edev/{dev.number}/fsa", 1, start_ns=start, end_ns=end, tolerance_s=0.3)
    assert not next(iter(slower.values())).on_time  # its group list keeps the slow rate: not polled at 1 s


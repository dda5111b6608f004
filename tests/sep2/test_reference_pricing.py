"""The reference DER client's CSIP-AUS pricing and discovery: it finds its DeviceCapability through
/.well-known/csipaus (a version it speaks, never an unknown or malformed one), answers a cancelled interval with
PriceResponse 6, and polls the pricing lists at the TariffProfileList's pollRate. Each behaviour is also shown
missing under the fault that removes it."""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

from tests.waiting import wait_until
from vgitest.sep2 import aus
from vgitest.sep2.client.discovery import URIS, choose, preference
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction

from .aus_client import aus_server, running
from .payloads import LFDI

V13, V12, BETA = URIS["v1.3"], URIS["v1.2"], URIS["v1.3-beta/storage"]


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    with aus_server(1) as srv:
        yield srv



def _gets(srv: FakeSep2Server, path: str, since_ns: int = 0) -> int:
    return sum(1 for f in srv.trace if f.direction is Direction.IN and f.kind == "REQUEST" and f.t_ns >= since_ns
               and f.meta.get("method") == "GET" and f.meta.get("path") == path)


def test_it_chooses_the_first_version_it_speaks_that_lists_a_path() -> None:
    doc = {"supportedSchemaVersions": {"https://csipaus.org/ns/v99.99": {"dcap": ["/a"]}, "null": {"dcap": ["/b"]},
                                       V12: {"dcap": []}, V13: {"dcap": ["/c"]}}}
    assert choose(doc) == "/c"
    assert choose({"supportedSchemaVersions": {V12: {"dcap": ["/d"]}, V13: {"dcap": []}}}) == "/d"
    assert choose({"supportedSchemaVersions": {"https://csipaus.org/ns/v99.99": {"dcap": ["/a"]}}}) is None
    assert choose({"supportedSchemaVersions": {V13: {"dcap": ["not-a-path"]}}}) is None
    assert choose(["not", "a", "document"]) is None
    both = {"supportedSchemaVersions": {V12: {"dcap": ["/v12"]}, V13: {"dcap": ["/v13"]}, BETA: {"dcap": ["/b"]}}}
    assert choose(both, preference("v1.2")) == "/v12"  # the version it speaks first
    assert choose(both, preference("v1.3-beta/storage")) == "/b"


def _routes(st: Any) -> None:
    aus.add_wellknown_route(st, "https://csipaus.org/ns/v99.99", ["/unsupported"])
    aus.add_wellknown_route(st, V13, ["/r4nd0m"])
    aus.add_proxy_route(st, "/r4nd0m", "/dcap")


def test_it_walks_from_the_well_known_device_capability(server: FakeSep2Server) -> None:
    st = server.state
    st.register_device(LFDI)
    _routes(st)
    with running(server) as client:
        assert wait_until(lambda: bool(client.registration.registered), 8), client.log[-5:]
        assert wait_until(lambda: _gets(server, "/r4nd0m") >= 2, 5)  # polled there
        assert _gets(server, "/dcap") == 0 and _gets(server, "/unsupported") == 0
        aus.clear_routes(st)  # the document and the path are gone: back to its configured path
        assert wait_until(lambda: _gets(server, "/dcap") >= 1, 8), client.log[-5:]


def test_under_the_fault_it_never_reads_the_well_known_document(server: FakeSep2Server) -> None:
    st = server.state
    st.register_device(LFDI)
    _routes(st)
    with running(server, "ignores_wellknown") as client:
        assert wait_until(lambda: bool(client.registration.registered), 8), client.log[-5:]
    assert _gets(server, "/dcap") >= 1 and _gets(server, "/r4nd0m") == 0
    assert _gets(server, "/.well-known/csipaus") == 0


def _cancelled_interval(st: Any) -> Any:
    st.register_device(LFDI)
    st.add_program(1, default={"opModMaxLimW": "9000"})
    aus.add_tariff_profile(st, 0)
    aus.add_rate_component(st, flowDirection=1, uom=72)
    tti = aus.add_time_tariff_interval(st, start=st.now() + 60, duration_s=600, prices=[1], response_required="03",
                                       tag="T")
    aus.cancel_time_tariff_intervals(st, "T")
    return tti


def _statuses(st: Any, tti: Any) -> list[str]:
    return [str(r.get("status")) for r in st.responses if r.get("subject") == tti.mrid]


def test_it_answers_a_cancelled_interval_received_then_cancelled(server: FakeSep2Server) -> None:
    st = server.state
    tti = _cancelled_interval(st)
    with running(server) as client:
        assert not client.aus.prices_read()  # nothing read yet
        assert wait_until(lambda: "6" in _statuses(st, tti), 8), client.log[-5:]
        assert wait_until(client.aus.prices_read, 5)
        time.sleep(1.5)  # polled again: answered once only
    assert _statuses(st, tti) == ["1", "6"]


def test_under_the_fault_it_never_answers_cancelled(server: FakeSep2Server) -> None:
    st = server.state
    tti = _cancelled_interval(st)
    with running(server, "no_cancelled_price_response") as client:
        assert wait_until(lambda: "1" in _statuses(st, tti), 8), client.log[-5:]
        time.sleep(1.5)
    assert _statuses(st, tti) == ["1"]


def _rc_list_gets(server: FakeSep2Server, *faults: str) -> int:
    st = server.state
    st.register_device(LFDI)
    st.add_program(1, default={"opModMaxLimW": "9000"})
    tp = aus.add_tariff_profile(st, 0)
    aus.add_rate_component(st, tp, flowDirection=1, uom=72)
    aus.set_poll_rate(st, "TariffProfileList", 5)  # everything else at 1 s
    with running(server, *faults) as client:
        assert wait_until(lambda: _gets(server, f"/tp/{tp.number}/rc") >= 1, 8), client.log[-5:]
        start = time.monotonic_ns()
        time.sleep(4.0)
    return _gets(server, f"/tp/{tp.number}/rc", start)


def test_it_polls_the_pricing_lists_at_the_tariff_list_rate(server: FakeSep2Server) -> None:
    assert _rc_list_gets(server) <= 1


def test_under_the_fault_it_polls_them_at_the_device_capability_rate(server: FakeSep2Server) -> None:
    assert _rc_list_gets(server, "pricing_at_dcap_rate") >= 3

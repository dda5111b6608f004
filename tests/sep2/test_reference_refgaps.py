"""The reference DER client where the CACTUS procedures found it lacking (issue 18): each test shows the behaviour a
procedure needs and fails on the client as it was (the defect named in the test)."""

from __future__ import annotations

import asyncio
import time
from typing import Iterator

import pytest

from tests.waiting import wait_until
from vgitest.sep2.client.reference import ReferenceDerClient
from vgitest.sep2.server import FakeSep2Server

from .aus_client import aus_server, running
from .payloads import LFDI


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    with aus_server(1) as srv:
        yield srv



def test_reregister_after_registering_in_band_goes_on(server: FakeSep2Server) -> None:
    """A client that registered itself in band (PIN configured, out-of-band registration expected) and is then
    told to reregister finds its own EndDevice listed, without a Registration: it goes on to its programs. It
    used to forget that it had registered that EndDevice itself and stop there (a missing PIN), which failed
    the first CACTUS procedure of a shard (the client's power-on walk and the procedure's reregister in a row)."""
    server.state.add_program(1)
    with running(server, register_when_unlisted="true") as client:
        server.session.expect("POST", "/edev", 5)
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)
        server.session.reset_for_test()
        client.perform("reregister")
        server.session.expect("GET", "/edev/*/rg", 5)
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)


def _limits(mrid: str, now: int, created: int, **limits: int) -> dict:
    """A DERControl in force now with CSIP-AUS limits (W) that asks for every Response."""
    return {"@replyTo": "/rsps/1/rsp", "@responseRequired": "03", "mRID": mrid, "creationTime": str(created),
            "EventStatus": {"currentStatus": "0"}, "interval": {"duration": "60", "start": str(now - 5)},
            "DERControlBase": {f"csipaus:{k}": {"multiplier": "0", "value": str(v)} for k, v in limits.items()}}


def _responses(client: ReferenceDerClient) -> list[tuple[str, str]]:
    sent = []
    assert client.responses.outbox is not None
    while not client.responses.outbox.empty():
        _, body = client.responses.outbox.get_nowait()
        sent.append((body["subject"], body["status"]))
    return sent


def _precedence(*controls: tuple[str, int, dict], faults: tuple[str, ...] = ()) -> ReferenceDerClient:
    """A client (not started) that has seen these (program, primacy, DERControl) and ticked once."""
    client = ReferenceDerClient("http://127.0.0.1:1/dcap", faults=faults, params={"lfdi": LFDI, "csip_aus": True})
    client.responses.outbox = asyncio.Queue()
    for prog, primacy, ctl in controls:
        client.events.see(prog, primacy, ctl)
    client.control.tick()
    return client


def test_a_higher_priority_programs_csip_aus_limit_supersedes() -> None:
    """CACTUS GEN-10 (c-g): a lower-priority program's export limit is running when a higher-priority program's
    export limit starts: the first is superseded (7). The client used to see no control mode in a CSIP-AUS
    limit (its name is namespaced, csipaus:opModExpLimW), so both stayed in force and the first completed (3)."""
    now = int(time.time())
    client = _precedence(("/derp/6", 2, _limits("D1", now, now - 60, opModExpLimW=14000)),
                         ("/derp/1", 1, _limits("D2", now, now - 10, opModExpLimW=0)))
    sent = _responses(client)
    assert ("D1", "7") in sent and ("D2", "2") in sent and ("D1", "2") not in sent
    assert client.applied == ("D2", None)  # charging: the export limit is not its direction's


def test_an_event_overridden_in_part_stays_in_force_for_its_other_modes() -> None:
    """CACTUS GEN-10 (v-x): the higher-priority program sets the export limit, the lower-priority one the export
    and the generation limits: the lower one starts (2) and its generation limit holds, its export limit is
    overridden. Only an event overridden in every mode it sets is superseded (7)."""
    now = int(time.time())
    client = _precedence(("/derp/1", 1, _limits("D7", now, now - 10, opModExpLimW=0)),
                         ("/derp/6", 2, _limits("D8", now, now - 10, opModExpLimW=3500, opModGenLimW=2100)))
    sent = _responses(client)
    assert ("D7", "2") in sent and ("D8", "2") in sent and not [s for s in sent if s[1] == "7"], sent
    assert client.applied[0] == "D7+D8"
    base = client.control.base
    assert base["csipaus:opModExpLimW"]["value"] == "0" and base["csipaus:opModGenLimW"]["value"] == "2100"
    # the same with 2030.5 modes: a power limit overridden, its fixed var kept
    pf = _limits("P2", now, now - 10)
    pf["DERControlBase"] = {"opModMaxLimW": "5000", "opModFixedVar": {"refType": "2", "value": "1000"}}
    hi = _limits("P1", now, now - 10)
    hi["DERControlBase"] = {"opModMaxLimW": "2000"}
    client = _precedence(("/derp/1", 1, hi), ("/derp/6", 2, pf))
    assert ("P2", "2") in _responses(client) and client.applied == ("P1+P2", 1400.0)
    assert client.control.base["opModFixedVar"]["value"] == "1000"
    # the fault that treats any overlap as a conflict supersedes it
    sent = _responses(_precedence(("/derp/1", 1, _limits("D7", now, now - 10, opModExpLimW=0)),
                                  ("/derp/6", 2, _limits("D8", now, now - 10, opModExpLimW=3500, opModGenLimW=2100)),
                                  faults=("supersedes_independent",)))
    assert ("D8", "7") in sent


def test_drm_of_a_control() -> None:
    """CSIP-AUS DRMs as CACTUS sends them: a disconnect is DRM 0, the opModFixedW set points DRMs 1-8."""
    from vgitest.sep2.client import demand

    assert demand.drm({"opModConnect": "false"}) == 0
    assert [demand.drm({"opModFixedW": str(w)}) for w in (-1, -5000, -7500, -10000, 0, 5000, 7500, 10000)] \
        == list(range(1, 9))
    assert demand.drm({"opModFixedW": "-4000"}) is None and demand.drm({"opModMaxLimW": "5000"}) is None
    assert demand.operational_mode({"opModFixedW": "7500"}) == 107 and demand.operational_mode({}) == 2
    assert demand.operational_mode({"opModFixedW": "7500"}, reports_drm=False) == 2


def _statuses(srv: FakeSep2Server, since: int) -> list[tuple[str, str]]:
    """(path kind, operationalModeStatus or '') of the client's DER PUTs after trace index `since`."""
    out = []
    for f in list(srv.trace)[since:]:
        if f.meta.get("method") == "PUT" and str(f.meta.get("path", "")).endswith(("/ders", "/derg")):
            mode = (f.body or {}).get("operationalModeStatus", {}).get("value", "") if isinstance(f.body, dict) else ""
            out.append((str(f.meta["path"]).rsplit("/", 1)[1], str(mode)))
    return out


@pytest.mark.parametrize("fault", [None, "no_drm_status"])
def test_it_reports_the_drm_in_force_and_keeps_reporting(server: FakeSep2Server, fault: str | None) -> None:
    """CACTUS DRL-01: a 'consume at most 50 %' instruction (opModFixedW -50 %) is reported as
    operationalModeStatus 102 with a DERSettings PUT, at once and again while it holds (DRG-01 looks a while after
    the start); back to 2 when it ends. The client used to report 2 (operational) throughout."""
    st = server.state
    st.register_device(LFDI)
    prog = st.add_program(1)
    with running(server, *((fault,) if fault else ())) as client:
        server.session.expect("PUT", "/edev/*/der/1/ders", 5)
        start = len(server.trace)
        ctl = st.add_control(prog, {"opModFixedW": "-5000"}, start_in_s=1, duration_s=4)
        assert wait_until(lambda: client.applied[0] == ctl.mrid, 4)  # it follows the instruction either way
        assert wait_until(lambda: ("ders", "102") in _statuses(server, start), 1.5) == (fault is None)
        if fault is None:
            first = _statuses(server, start).index(("ders", "102"))
            assert ("derg", "") in _statuses(server, start)[first:]  # its settings, with the status
            time.sleep(2.5)  # a post interval (PIXIT post_rate_s 1) later: reported again
            assert _statuses(server, start).count(("ders", "102")) >= 2
            assert wait_until(lambda: [m for k, m in _statuses(server, start) if k == "ders"][-1] == "2", 6)  # over
        else:
            assert ("ders", "2") in _statuses(server, start)


def test_a_reregister_abandons_the_walk_under_way(server: FakeSep2Server) -> None:
    """The run powers the client on and the first CACTUS procedure reregisters it at once: the power-on walk is
    abandoned, not finished first and walked again (the client read its programs twice within a second or two:
    SEP2-POLL-TOO-OFTEN on the first procedure of each shard)."""
    st = server.state
    st.register_device(LFDI)
    for _ in range(20):  # a long walk: the reregister surely comes while it is under way
        st.add_program(1, default={})
    client = ReferenceDerClient(server.url, params={"lfdi": LFDI, "post_rate_s": 1, "csip_aus": True})
    try:
        client.start()
        client.perform("reregister")
        server.session.expect("PUT", "/edev/*/der/1/ders", 5)
        time.sleep(0.5)
        reads = [f.meta["path"] for f in server.trace if f.meta.get("method") == "GET"
                 and str(f.meta.get("path", "")).endswith("/dderc")]
        assert len(reads) == len(set(reads)) == 20, sorted(reads)  # each program's default read once
    finally:
        client.stop()


@pytest.mark.parametrize("fault", [None, "ignores_retry_after"])
def test_it_honours_retry_after(server: FakeSep2Server, fault: str | None) -> None:
    """CACTUS P-06: a DERControlList poll refused 429 with Retry-After 3 s (its pollRate is 1 s) is not made again
    before then, and polling goes on normally afterwards. The client used to drop the list and read it again at
    the next DERProgramList poll, a second later."""
    from vgitest.sep2.server import Raw

    st = server.state
    st.register_device(LFDI)
    prog = st.add_program(1)
    with running(server, *((fault,) if fault else ())):
        server.session.expect("GET", f"/derp/{prog.number}/derc", 5)
        server.session.override("GET", f"/derp/{prog.number}/derc", Raw(429, b"", {"Retry-After": "3"}), once=True)
        time.sleep(6)
    times = [f.t_ns / 1e9 for f in server.trace if f.meta.get("method") == "GET"
             and f.meta.get("path") == f"/derp/{prog.number}/derc"]
    refused = next(i for i, f in enumerate(f for f in server.trace if f.meta.get("method") == "GET"
                                           and f.meta.get("path") == f"/derp/{prog.number}/derc")
                   if any(a.meta.get("status") == 429 for a in server.trace if a.correlation == f.correlation
                          and a.kind == "RESPONSE"))
    gap = times[refused + 1] - times[refused]
    assert (gap >= 3.0) == (fault is None), gap
    assert times[-1] - times[refused + 1] >= 1.0 and len(times) >= refused + 3  # polled normally again


def _gen_connect(srv: FakeSep2Server, since: int) -> list[str]:
    return [f.body["genConnectStatus"]["value"] for f in list(srv.trace)[since:] if f.meta.get("method") == "PUT"
            and str(f.meta.get("path", "")).endswith("/ders") and isinstance(f.body, dict)
            and "genConnectStatus" in f.body]


def test_told_to_disconnect_it_is_not_connected_available_or_operating(server: FakeSep2Server) -> None:
    """CACTUS ALL-12: under opModConnect false the DERStatus genConnectStatus has bits 0-2 (connected, available,
    operating) all clear, and all set again when the control ends. The client used to keep 'available' set."""
    st = server.state
    st.register_device(LFDI)
    prog = st.add_program(1)
    with running(server):
        server.session.expect("PUT", "/edev/*/der/1/ders", 5)
        start = len(server.trace)
        st.add_control(prog, {"opModConnect": "false"}, start_in_s=1, duration_s=2)
        assert wait_until(lambda: "00" in _gen_connect(server, start), 4), _gen_connect(server, start)
        assert wait_until(lambda: _gen_connect(server, start)[-1] == "07", 4), _gen_connect(server, start)


def test_a_notification_during_the_walk_is_acted_on_once_the_walk_reaches_its_list(server: FakeSep2Server) -> None:
    """CACTUS ALL-23: a DERProgramList Notification arrives while the walk under way has not reached that list yet
    (it is reading the group above it). The client asked whether it follows the list before waiting for the walk,
    found it did not, and dropped the change; now it asks once the walk has let go, by when it follows the list."""
    st = server.state
    st.register_device(LFDI)
    st.add_program(1)
    resource = {"@xsi:type": "DERProgramList", "@href": "", "@all": "1", "@results": "1",
                "DERProgram": [{"@href": "/derp/999", "mRID": "A1000000000000000000000000000999", "primacy": "1"}]}
    with running(server, subscribe="true") as client:
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)
        assert wait_until(lambda: bool(client.programs._fsa_lists), 2)
        href = next(iter(client.programs._fsa_lists.values()))

        async def race() -> None:
            assert client.walk.io is not None
            async with client.walk.io:  # the walk under way, before it reaches the list
                client.walk.due.pop(href, None)
                task = asyncio.ensure_future(client.subscriber._act_on(href, dict(resource, **{"@href": href})))
                await asyncio.sleep(0.1)  # the Notification arrives meanwhile
                client.walk.due[href] = time.monotonic() + 60  # the walk reaches the list
            await task

        assert client.loop is not None
        client.loop.run(race())
        assert "/derp/999" in client.programs.programs


def test_an_event_of_a_program_left_behind_by_a_reregister_is_not_in_force() -> None:
    """CACTUS procedures one after the other (the full csip-aus run): a long export limit of the previous
    procedure's primacy-0 program is still running in the client when it is reregistered and the server has taken
    that program away. It kept the event (events outlive a restart) and kept it in force, so GEN-10's first
    control was superseded (7) at once instead of started (2)."""
    now = int(time.time())
    client = ReferenceDerClient("http://127.0.0.1:1/dcap", params={"lfdi": LFDI, "csip_aus": True})
    client.responses.outbox = asyncio.Queue()
    client.programs.programs["/derp/1"] = {"primacy": 0}
    client.events.see("/derp/1", 0, _limits("OLD", now, now - 60, opModExpLimW=0))
    client.control.tick()
    assert client.applied[0] == "OLD"
    client.programs.forget()  # reregistered: the walk finds only the new procedure's program
    client.programs.programs["/derp/6"] = {"primacy": 2}
    client.events.see("/derp/6", 2, _limits("NEW", now, now - 1, opModExpLimW=14000))
    client.control.tick()
    sent = _responses(client)
    assert ("NEW", "2") in sent and ("NEW", "7") not in sent and client.applied[0] == "NEW", sent

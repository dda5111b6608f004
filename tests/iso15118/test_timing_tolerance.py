"""Every timing watch that judges a device allows the tolerance written beside its budget, and "who closes the TCP
connection first after SessionStop" is no race a conforming EV can lose.

Josev (iso15118 0.31.2) closes TCP 5.001-5.009 s after a FAILED response or a SessionStop, because it times the
close with a 5 s timer. The termination watch used to be exactly 5.0 s: 33 false FAILs. Here raw devices close
just past the termination time (shortened to 1 s; its tolerance is an absolute 1 s either way), and just past
the end of the tolerance, on both sides (fake SECC judging an EV, fake EVCC judging an EVSE).
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")

TERM = 1.0  # termination time the tests shorten to (the tolerance stays 1.0 s)
ROOT = Path(__file__).resolve().parents[2]


def _timers() -> Any:
    from vgitest.iso15118.timers import Timers
    return Timers(overrides={"termination": TERM})


def _msg(name: str, body: dict[str, Any], sid: bytes = bytes(8)) -> bytes:
    from vgitest.exi import encode
    from vgitest.iso15118 import family as fam
    from vgitest.iso15118.v2gtp import frame
    f = fam.get("din")
    return frame(0x8001, encode(f.wrap(name, body, sid), f.schema_of(name)))


def _sap() -> bytes:
    from vgitest.exi import encode
    from vgitest.iso15118.v2gtp import frame
    offer = {"ProtocolNamespace": "urn:din:70121:2012:MsgDef", "VersionNumberMajor": 2, "VersionNumberMinor": 0,
             "SchemaID": 1, "Priority": 1}
    return frame(0x8001, encode({"supportedAppProtocolReq": {"AppProtocol": [offer]}}, "app-protocol"))


async def _raw_ev(port: int, *, stop: bool, close_after: float | None) -> None:
    """An EV that runs SAP and SessionSetup (and SessionStop with ``stop``), then closes ``close_after`` s after
    the last response (None: never; the SECC must close)."""
    from vgitest.iso15118 import family as fam
    from vgitest.iso15118.v2gtp import read_frame
    reader, writer = await asyncio.open_connection("::1", port)
    try:
        writer.write(_sap())
        await read_frame(reader, 5)
        writer.write(_msg("SessionSetupReq", {"EVCCID": bytes.fromhex("02005e000001")}))
        res = await read_frame(reader, 5)
        assert res is not None
        if stop:
            from vgitest.exi import decode
            sid = fam.get("din").unwrap(decode(res.payload, "din"))[2]
            writer.write(_msg("SessionStopReq", {}, sid))
            await read_frame(reader, 5)
        if close_after is None:
            await asyncio.wait_for(reader.read(), 10)  # until the SECC closes
        else:
            await asyncio.sleep(close_after)
    finally:
        writer.close()


def _fake_secc_vs_raw_ev(*, stop: bool, close_after: float | None, failed: bool) -> Any:
    from vgitest.iso15118.script import Action, Script
    from vgitest.iso15118.secc import SeccServer

    script = Script([Action(match="SessionSetupReq", code="FAILED")]) if failed else Script()

    async def main() -> Any:
        srv = await SeccServer(Trace(), families=("din",), judge=True, timers=_timers(), script=script).start()
        try:
            await _raw_ev(srv.port, stop=stop, close_after=close_after)
            await asyncio.wait_for(srv.sessions[0].done.wait(), 10)
        finally:
            await srv.stop()
        return srv
    return asyncio.run(main())


def _rules(role: Any) -> list[str]:
    return [f.rule_id for f in role.trace.findings_since(0)]


@pytest.mark.parametrize("close_after, late", [(TERM + 0.05, False), (TERM + 1.0 + 0.4, True)])
def test_fake_secc_ev_closing_after_failed(close_after: float, late: bool) -> None:
    """After a FAILED answer the EV must close: just past the termination time is within the tolerance."""
    srv = _fake_secc_vs_raw_ev(stop=False, close_after=close_after, failed=True)
    assert ("V2G-STOP-AFTER-FAILED" in _rules(srv)) is late, (_rules(srv), srv.sessions[0].end_reason)


def test_ev_that_closes_after_session_stop_is_never_beaten_to_it() -> None:
    """SessionStop_001: the EV closes after SessionStopRes. The fake SECC gives it the termination time plus its
    tolerance before it closes itself, so an EV closing 5.00x s after (here TERM + 0.05 s) closes first."""
    srv = _fake_secc_vs_raw_ev(stop=True, close_after=TERM + 0.05, failed=False)
    (s,) = srv.sessions
    assert s.closed_by == "ev", s.end_reason
    assert _rules(srv) == []


def test_ev_that_never_closes_after_session_stop_is_closed_by_the_secc() -> None:
    srv = _fake_secc_vs_raw_ev(stop=True, close_after=None, failed=False)
    (s,) = srv.sessions
    assert s.closed_by == "secc" and "kept the connection open" in s.end_reason, s.end_reason
    assert (s.closed_ns - s.responses[-1].t_ns) / 1e9 >= TERM + 1.0 - 0.01


async def _raw_secc(close_after: float) -> tuple[Any, int]:
    """An SECC that answers SDP, SAP and SessionSetupReq with FAILED, then closes ``close_after`` s later."""
    from vgitest.iso15118 import sdp
    from vgitest.iso15118.v2gtp import read_frame

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from vgitest.exi import encode
        from vgitest.iso15118.v2gtp import frame
        await read_frame(reader, 5)
        writer.write(frame(0x8001, encode({"supportedAppProtocolRes": {"ResponseCode": "OK_SuccessfulNegotiation",
                                                                       "SchemaID": 1}}, "app-protocol")))
        await read_frame(reader, 5)
        writer.write(_msg("SessionSetupRes", {"ResponseCode": "FAILED", "EVSEID": b"\x00"},
                          bytes.fromhex("0102030405060708")))
        await asyncio.sleep(close_after)
        writer.close()

    server = await asyncio.start_server(serve, "::1", 0)
    port = server.sockets[0].getsockname()[1]
    responder = sdp.SdpResponder(lambda sec, tr, peer: sdp.response("::1", port, sdp.NO_TLS))
    tr, sdp_port = await sdp.start_responder("::1", 0, responder)
    return (server, tr), sdp_port


@pytest.mark.parametrize("close_after, late", [(TERM + 0.05, False), (TERM + 1.0 + 0.4, True)])
def test_fake_evcc_secc_closing_after_failed(close_after: float, late: bool) -> None:
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.script import Action, Script

    async def main() -> Any:
        (server, tr), sdp_port = await _raw_secc(close_after)
        cli = EvccClient(Trace(), offers=("din",), sdp_port=sdp_port, judge=True, timers=_timers(),
                         script=Script([Action(match="SessionSetupReq", expect_code="FAILED")]))
        try:
            await cli.run(deadline_s=15)
        finally:
            server.close()
            tr.close()
        return cli

    cli = asyncio.run(main())
    rules = [r for r in _rules(cli) if r != "V2G-SDP-ANSWER"]  # the raw SECC's port is the kernel's
    assert ("V2G-CLOSE-AFTER-FAILED" in rules) is late, rules


def test_every_budget_has_a_tolerance() -> None:
    doc = tomllib.loads((ROOT / "schemas" / "budgets" / "iso15118.toml").read_text(encoding="utf-8"))
    missing = [k for k, v in doc["timing"].items() if "tolerance_s" not in v or "tolerance_rel" not in v]
    assert missing == []


def test_tolerance_is_the_larger_of_absolute_and_relative() -> None:
    from vgitest.iso15118.timers import Timers
    t = Timers()
    assert t.tolerance("iso-2", "termination") == 1.0
    assert t.tolerance("iso-2", "secc_msg_performance", "CurrentDemand") == pytest.approx(0.002)
    assert t.tolerance("iso-2", "secc_msg_performance", "ServiceDiscovery") == pytest.approx(0.03)
    assert t.with_tolerance("din", "termination") == 6.0  # DIN: the SECC waits 5 s, then closes within 1 s
    assert Timers(overrides={"termination.tolerance": 0.25}).tolerance("iso-20", "termination") == 0.25

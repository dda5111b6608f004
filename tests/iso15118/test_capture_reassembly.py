"""TCP reassembly of the capture analyser against what sniffed links really hold: duplicated segments,
retransmissions (also ones that re-segment bytes already captured), segments captured out of order.

On real-car captures the analyser flagged "answers no pending request" (and then "got no response") in sessions
that charged normally: a retransmission that coalesced bytes captured earlier gave those bytes the
retransmission's (later) time, so a request looked later than its own response. Every byte now keeps the time it
was first captured, and a frame is complete when its last byte was. Synthetic pcaps, one per case.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from tests.iso15118.test_analyze import EVCC, EVCC_PORT, SECC, SECC_PORT, SID, iso2, sap_req, sap_res, v2gtp

pytestmark = pytest.mark.usefixtures("schemas_available")

Packet = tuple[float, str, int, bytes]  # (time, sender "EVCC"/"SECC", stream offset, payload)


def _session() -> list[tuple[float, str, bytes]]:
    """A clean exchange: SAP, SessionSetup, ServiceDiscovery, PaymentServiceSelection, SessionStop."""
    msgs = [("EVCC", v2gtp(sap_req())), ("SECC", v2gtp(sap_res()))]
    for n in ("SessionSetup", "ServiceDiscovery", "PaymentServiceSelection", "SessionStop"):
        msgs += [("EVCC", v2gtp(iso2(n + "Req", bytes(8) if n == "SessionSetup" else SID))),
                 ("SECC", v2gtp(iso2(n + "Res")))]
    return [(0.1 * i, who, data) for i, (who, data) in enumerate(msgs)]


def _packets(msgs: list[tuple[float, str, bytes]]) -> list[Packet]:
    """One segment per message, at its stream offset."""
    off = {"EVCC": 0, "SECC": 0}
    out = []
    for t, who, data in msgs:
        out.append((t, who, off[who], data))
        off[who] += len(data)
    return out


def _stream(msgs: list[tuple[float, str, bytes]], who: str) -> bytes:
    return b"".join(d for _, w, d in msgs if w == who)


def _write(path: Path, packets: list[Packet]) -> Path:
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcapng

    base, isn = 1_700_000_000.0, {"EVCC": 1000, "SECC": 5000}
    ends = {"EVCC": (EVCC, EVCC_PORT, SECC, SECC_PORT), "SECC": (SECC, SECC_PORT, EVCC, EVCC_PORT)}
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pkts = []

    def add(t: float, who: str, flags: str, seq: int, data: bytes = b"") -> None:
        s, sp, d, dp = ends[who]
        p = eth / IPv6(src=s, dst=d) / TCP(sport=sp, dport=dp, flags=flags, seq=seq % (1 << 32)) / data
        p.time = base + t
        pkts.append(p)

    add(-0.01, "EVCC", "S", isn["EVCC"] - 1)
    for t, who, off, data in packets:  # written in the order given: capture order
        add(t, who, "PA", isn[who] + off, data)
    add(max(p[0] for p in packets) + 0.05, "EVCC", "FA", isn["EVCC"] + 10_000)
    wrpcapng(str(path), pkts)
    return path


def _report(path: Path):  # noqa: ANN202
    from vgitest.iso15118.analyze import analyze_capture
    rep = analyze_capture(path)
    (sess,) = rep.sessions
    return rep, sess


def _assert_clean(path: Path, msgs: list[tuple[float, str, bytes]]) -> None:
    rep, sess = _report(path)
    found = collections.Counter(f.rule_id for f in rep.all_findings())
    assert found == {}, [str(f) for f in rep.all_findings()]
    assert [fr.name for fr in sess.frames] == [
        "supportedAppProtocolReq", "supportedAppProtocolRes", "SessionSetupReq", "SessionSetupRes",
        "ServiceDiscoveryReq", "ServiceDiscoveryRes", "PaymentServiceSelectionReq", "PaymentServiceSelectionRes",
        "SessionStopReq", "SessionStopRes"]
    assert all(ex.request is not None and ex.response is not None for ex in sess.exchanges)
    assert all(0 < (ex.response_time_s or 0) <= 0.13 for ex in sess.exchanges)  # never negative: causal order


def test_clean(tmp_path: Path) -> None:
    msgs = _session()
    _assert_clean(_write(tmp_path / "c.pcapng", _packets(msgs)), msgs)


def test_every_segment_captured_twice(tmp_path: Path) -> None:
    msgs = _session()
    pkts = [p for seg in _packets(msgs) for p in (seg, (seg[0] + 0.001, *seg[1:]))]
    _assert_clean(_write(tmp_path / "dup.pcapng", pkts), msgs)


def test_retransmission_that_coalesces_bytes_captured_before(tmp_path: Path) -> None:
    """The EVCC retransmits from SessionSetupReq on, in one segment that also carries ServiceDiscoveryReq,
    after the SECC had answered both: the bytes keep their first capture times."""
    msgs = _session()
    pkts = _packets(msgs)
    evcc = _stream(msgs, "EVCC")
    setup = next(p for p in pkts if p[1] == "EVCC" and p[2] > 0)
    disc_end = [p for p in pkts if p[1] == "EVCC"][2]
    coalesced = evcc[setup[2]:disc_end[2] + len(disc_end[3])]
    pkts.insert(7, (0.65, "EVCC", setup[2], coalesced))  # after ServiceDiscoveryRes (t=0.5)
    _assert_clean(_write(tmp_path / "coalesced.pcapng", pkts), msgs)


def test_original_lost_before_the_sniffer_only_the_retransmission_captured(tmp_path: Path) -> None:
    msgs = _session()
    pkts = _packets(msgs)
    i = next(k for k, p in enumerate(pkts) if p[1] == "SECC" and p[2] > 0)  # SessionSetupRes
    t, who, off, data = pkts[i]
    pkts[i] = (t + 0.02, who, off, data)  # only the (later) retransmission was seen
    _assert_clean(_write(tmp_path / "lost.pcapng", pkts), msgs)


def test_segments_captured_out_of_order(tmp_path: Path) -> None:
    """ServiceDiscoveryRes in two segments, the second captured first: the response is complete, and timed, when
    its first half arrives."""
    msgs = _session()
    pkts = _packets(msgs)
    i = [k for k, p in enumerate(pkts) if p[1] == "SECC"][2]  # ServiceDiscoveryRes
    t, who, off, data = pkts[i]
    pkts[i:i + 1] = [(t, who, off + 10, data[10:]), (t + 0.004, who, off, data[:10])]
    path = _write(tmp_path / "ooo.pcapng", pkts)
    _assert_clean(path, msgs)
    _, sess = _report(path)
    res = next(fr for fr in sess.frames if fr.name == "ServiceDiscoveryRes")
    assert res.wall == pytest.approx(1_700_000_000.0 + t + 0.004)


def test_first_captured_segment_is_not_the_first_in_the_stream(tmp_path: Path) -> None:
    """The EVCC's supportedAppProtocolReq in two segments, the later bytes captured first."""
    msgs = _session()
    pkts = _packets(msgs)
    t, who, off, data = pkts[0]
    pkts[0:1] = [(t, who, off + 8, data[8:]), (t + 0.003, who, off, data[:8])]
    _assert_clean(_write(tmp_path / "first.pcapng", pkts), msgs)


def test_a_real_gap_is_still_reported(tmp_path: Path) -> None:
    msgs = _session()
    pkts = _packets(msgs)
    del pkts[4]  # ServiceDiscoveryReq never captured
    rep, _ = _report(_write(tmp_path / "gap.pcapng", pkts))
    assert "V2G-TCP-GAP" in {f.rule_id for f in rep.all_findings()}


def test_reassembly_keeps_first_seen_times() -> None:
    from vgitest.iso15118.capture import reassemble
    s = reassemble(("a", 1), ("b", 2), [(100, b"AAAA", 1.0), (104, b"BBBB", 1.1), (100, b"AAAABBBB", 1.5),
                                        (108, b"CC", 1.2)])
    assert s.data == b"AAAABBBBCC" and s.retransmitted == 1 and s.gaps == 0
    assert (s.time_of(0, 4), s.time_of(4, 8), s.time_of(0, 10)) == (1.0, 1.1, 1.2)
    s = reassemble(("a", 1), ("b", 2), [(2 ** 32 - 2, b"AAAA", 1.0), (2, b"BBBB", 1.1)])  # sequence wrap
    assert s.data == b"AAAABBBB" and s.gaps == 0


# ---- sequence tables: SessionStopReq where the standards allow it ----------------------------------------------

def _din(name: str, body: dict, sid: bytes = SID) -> bytes:
    from vgitest.exi import encode
    from vgitest.iso15118 import family as fam
    f = fam.get("din")
    return v2gtp(encode(f.wrap(name, body, sid), "din"))


def _din_session(*names: str) -> list[tuple[float, str, bytes]]:
    from vgitest.exi import encode
    from vgitest.iso15118.din import ev_status, evse_status
    offer = {"ProtocolNamespace": "urn:din:70121:2012:MsgDef", "VersionNumberMajor": 2, "VersionNumberMinor": 0,
             "SchemaID": 1, "Priority": 1}
    bodies = {
        "SessionSetup": ({"EVCCID": bytes(6)}, {"ResponseCode": "OK_NewSessionEstablished", "EVSEID": b"\x00"}),
        "CableCheck": ({"DC_EVStatus": ev_status(30)}, {"ResponseCode": "OK", "DC_EVSEStatus": evse_status(),
                                                        "EVSEProcessing": "Finished"}),
        "SessionStop": ({}, {"ResponseCode": "OK"}),
    }
    msgs = [("EVCC", v2gtp(encode({"supportedAppProtocolReq": {"AppProtocol": [offer]}}, "app-protocol"))),
            ("SECC", v2gtp(sap_res()))]
    for n in names:
        req, res = bodies[n]
        msgs += [("EVCC", _din(n + "Req", req, bytes(8) if n == "SessionSetup" else SID)),
                 ("SECC", _din(n + "Res", res))]
    return [(0.1 * i, who, data) for i, (who, data) in enumerate(msgs)]


def test_din_session_stop_after_cable_check_is_in_sequence(tmp_path: Path) -> None:
    """DIN SPEC 70121 lets the EV stop with SessionStopReq after CableCheckRes ([V2G-DC-455]); the analyser said
    "SessionStopReq is not allowed after CableCheckReq (din)"."""
    path = _write(tmp_path / "din.pcapng", _packets(_din_session("SessionSetup", "CableCheck", "SessionStop")))
    rep, sess = _report(path)
    assert sess.negotiation.family == "din"
    stop = next(fr for fr in sess.frames if fr.name == "SessionStopReq")
    assert [f.rule_id for f in stop.findings] == [], [str(f) for f in stop.findings]
    # (the crafted session skips the steps between SessionSetup and CableCheck; that jump is still flagged)
    assert [f.frame_index for f in rep.all_findings() if f.rule_id == "V2G-SEQUENCE"] == [4]


def test_session_stop_inside_the_charge_loop_is_still_out_of_sequence() -> None:
    from vgitest.iso15118.rules import allowed_after
    for family, loop in (("din", "CurrentDemand"), ("iso-2", "CurrentDemand"), ("iso-2", "ChargingStatus"),
                         ("iso-20", "DC_ChargeLoop"), ("iso-20", "AC_ChargeLoop")):
        assert allowed_after(family, loop, "SessionStop") is False, (family, loop)
    for family, step in (("din", "CableCheck"), ("din", "PreCharge"), ("iso-2", "Authorization"),
                         ("iso-2", "PaymentServiceSelection"), ("iso-20", "ServiceDiscovery"),
                         ("iso-20", "DC_PreCharge")):
        assert allowed_after(family, step, "SessionStop") is True, (family, step)


def test_the_live_roles_use_the_analysers_tables() -> None:
    from vgitest.iso15118 import din, iso2, iso20, rules
    assert din.FOLLOWS == rules.FOLLOWS["din"] and iso2.FOLLOWS == rules.FOLLOWS["iso-2"]
    assert iso20.FOLLOWS is rules.FOLLOWS["iso-20"]


@pytest.mark.parametrize("family, instead_of", [("iso-20", "ServiceSelectionReq"), ("din", "PreChargeReq"),
                                                ("iso-2", "ChargeParameterDiscoveryReq")])
def test_fake_secc_accepts_an_early_session_stop(family: str, instead_of: str) -> None:
    """The live fake SECC judges with the same tables: an EV that stops before the energy transfer gets
    SessionStopRes OK and no finding (it got FAILED_SequenceError and V2G-SEQUENCE in ISO 15118-20)."""
    import asyncio

    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.script import Action, Script
    from vgitest.iso15118.secc import SeccServer
    from vgitest.trace import Trace

    async def main():  # type: ignore[no-untyped-def]
        srv = await SeccServer(Trace(), families=(family,), judge=True).start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=300, loop_interval_s=0.005), offers=(family,), mode="DC",
                         sdp_port=srv.sdp_port, judge=False, script=Script([Action(
                             match=instead_of, send_instead=("SessionStopReq", {} if family == "din" else {
                                 "ChargingSession": "Terminate"}))]))
        try:
            return srv, await cli.run(deadline_s=20)
        finally:
            await srv.stop()

    srv, s = asyncio.run(main())
    assert s.completed, s.end_reason
    assert [f.rule_id for f in srv.trace.findings_since(0)] == []
    assert srv.sessions[0].responses[-1].name == "SessionStopRes"

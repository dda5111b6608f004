"""Every family and mode, both directions: the reference EV charges through the fake SECC and the reference EVSE
serves the fake EVCC; the harness's pcapng evidence (TCP from its wire logs, SDP from its trace) decodes in
`vgitest analyze` as one clean V2G session with no findings at all.

The analyser is independent of the roles (its own reassembly, negotiation, sequence tables and budget file), so
a clean capture is a cross-check of the roles' flow, the timestamps and the pcapng's directions.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from vgitest.evidence.pcapng import write_pcapng
from vgitest.iso15118.analyze import CaptureReport, analyze_capture
from vgitest.iso15118.session import EXI_PAYLOADS
from vgitest.trace import Trace

# The roles are imported inside the tests: importing them registers the live rule ids (rules_live), and
# test_analyze.py's rule-coverage check expects only the analyser's own ids (it is order-dependent).

pytestmark = pytest.mark.usefixtures("schemas_available")


CASES = [("din", "DC"), ("iso-2", "DC"), ("iso-2", "AC"), ("iso-20", "DC"), ("iso-20", "AC"), ("iso-20", "DC_BPT"),
         ("iso-20", "AC_BPT")]
LOOP = {("din", "DC"): "CurrentDemandReq", ("iso-2", "DC"): "CurrentDemandReq", ("iso-2", "AC"): "ChargingStatusReq",
        ("iso-20", "DC"): "DC_ChargeLoopReq", ("iso-20", "DC_BPT"): "DC_ChargeLoopReq",
        ("iso-20", "AC"): "AC_ChargeLoopReq", ("iso-20", "AC_BPT"): "AC_ChargeLoopReq"}
ISO20_SERVICE = {"DC": 2, "AC": 1, "DC_BPT": 6, "AC_BPT": 5}


def _run(family: str, mode: str, fake: str) -> tuple[Any, Any, Any]:
    """One whole session; ``fake`` names the judging side ("SECC": fake SECC vs reference EV, "EVCC": fake EVCC
    vs reference EVSE)."""
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer

    async def main() -> tuple[Any, Any, Any]:
        srv = await SeccServer(Trace(), families=(family,), judge=fake == "SECC").start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=200, loop_interval_s=0.01), offers=(family,), mode=mode,
                         sdp_port=srv.sdp_port, judge=fake == "EVCC")
        try:
            s = await cli.run(deadline_s=30)
        finally:
            await srv.stop()
        return srv, cli, s
    return asyncio.run(main())


@pytest.mark.parametrize("fake", ["SECC", "EVCC"])
@pytest.mark.parametrize("family, mode", CASES, ids=[f"{f}-{m}" for f, m in CASES])
def test_session_pcapng_analyses_clean(family: str, mode: str, fake: str, tmp_path: Path) -> None:
    srv, cli, s = _run(family, mode, fake)
    assert s.completed, s.end_reason
    judge = srv if fake == "SECC" else cli
    assert not judge.trace.findings_since(0), [str(f) for f in judge.trace.findings_since(0)]
    path = tmp_path / "session.pcapng"
    assert write_pcapng(judge.wires, path, frames=list(judge.trace)) > 0

    rep: CaptureReport = analyze_capture(path)
    assert [str(f) for f in rep.all_findings()] == []
    assert rep.skipped_connections == 0
    (sess,) = rep.sessions
    assert not sess.tls
    assert sess.negotiation.family == family
    # the SDP exchange: a request, then a response announcing the endpoint the session's SECC listens on
    assert [d.payload_type for d in rep.sdp] == [0x9000, 0x9001]
    assert rep.sdp[0].dst == rep.sdp[1].src and rep.sdp[0].src == rep.sdp[1].dst
    assert (rep.sdp[1].fields["secc_ip"], rep.sdp[1].fields["secc_port"]) == sess.secc == ("::1", srv.port)
    assert rep.sdp[0].src[0] == sess.evcc[0]
    # every EXI frame decoded, every request answered, requests from the EVCC and responses from the SECC
    exi = [f for f in sess.frames if f.meta["payload_type"] in EXI_PAYLOADS]
    assert exi and all(f.body is not None and f.kind in ("REQ", "RES") for f in exi)
    assert all(f.meta["sender"] == ("EVCC" if f.kind == "REQ" else "SECC") for f in exi)
    assert all(ex.request is not None and ex.response is not None for ex in sess.exchanges)
    assert len(sess.exchanges) == sum(f.kind == "REQ" for f in exi) == sum(f.kind == "RES" for f in exi)
    # the capture holds exactly the messages the harness traced, in the same order
    traced = [f.name for f in judge.trace if f.kind in ("REQUEST", "RESPONSE")]
    assert [f.name for f in exi] == traced
    names = [f.name for f in exi if f.kind == "REQ"]
    assert names[0] == "supportedAppProtocolReq" and names[-1] == "SessionStopReq"
    assert LOOP[(family, mode)] in names
    # the session is the one asked for: EIM for DIN/ISO-2, the ISO-20 service (BPT included) the mode names
    if family == "iso-2":
        pss = next(f for f in exi if f.name == "PaymentServiceSelectionReq")
        assert pss.body["V2G_Message"]["Body"]["PaymentServiceSelectionReq"]["SelectedPaymentOption"] == \
            "ExternalPayment"
    if family == "iso-20":
        sel = next(f for f in exi if f.name == "ServiceSelectionReq")
        assert sel.body["ServiceSelectionReq"]["SelectedEnergyTransferService"]["ServiceID"] == ISO20_SERVICE[mode]


def test_cli_analyze_on_a_session_capture_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vgitest.cli import main

    srv, _, _ = _run("iso-2", "DC", "SECC")
    path = tmp_path / "iso2-dc.pcapng"
    write_pcapng(srv.wires, path, frames=list(srv.trace))
    assert main(["analyze", "--fail-on-findings", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 V2G session(s)" in out and "2 SDP datagrams" in out and "findings: none" in out, out

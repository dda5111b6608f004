"""Interoperability: open61850 0.9.12 (PyPI, Apache-2.0), a pure-Python IEC 61850 MMS client and server written
independently of vgitest, against our MMS codec and peers, both directions, over loopback: association, Read,
Write (including a write to a read-only attribute), GetNameList and GetVariableAccessAttributes.

open61850's server serves a small SCL model (the EV logical device of the Table 5 flow); our server serves the
same model as data. Every frame our side received is decoded again by our strict codec afterwards, so a layout
open61850 sends that our decoder would refuse fails here, not only a value that differs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.interop.iec61850_model import MODEL, SCL, SOC, VARIABLES
from vgitest.iec61850 import data, mms, mms_checks, osi
from vgitest.iec61850.mms_peer import IsoConnection, MmsClient, MmsServer

o_client = pytest.importorskip("open61850.mms.client", reason="open61850 (the dev extra) is not installed")
from open61850 import data as o_data  # noqa: E402
from open61850.mms import errors as o_errors  # noqa: E402
from open61850.mms import pdu as o_pdu  # noqa: E402
from open61850.server.model import IedModel  # noqa: E402
from open61850.server.server import MmsServer as OServer  # noqa: E402


@pytest.fixture
def open61850_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    scl = tmp_path / "ev.cid"
    scl.write_text(SCL)
    model = IedModel.from_scl(scl)
    model.set("EV1/DEEV1.Soc.mag.f[MX]", 55.0)
    server = OServer(model, host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


def _recheck(conn: IsoConnection) -> list[mms.Pdu]:
    """Every frame received, decoded again by our strict codec (the MMS PDUs it carried)."""
    out = []
    for entry in conn.log:
        if entry.sent:
            continue
        tpdu = osi.cotp_decode(osi.tpkt_decode(entry.frame))
        if isinstance(tpdu, osi.CotpData):
            upper = osi.upper_decode(tpdu.data)
            if upper.mms is not None:
                out.append(mms.decode(upper.mms))
    return out


def test_our_client_against_open61850_server(open61850_server) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        c = await MmsClient.connect("127.0.0.1", open61850_server.port, timeout=5)
        assert c.negotiated.response and c.negotiated.version == 1
        assert await c.get_name_list() == ["EV1"]
        assert await c.get_name_list(mms.NAMED_VARIABLE, "EV1") == VARIABLES
        assert await c.read("EV1/DEEV1$MX$Soc$mag$f") == data.float32(55.0)
        assert await c.read("EV1/DEEV1$MX$Soc") == data.structure(data.structure(data.float32(55.0)))
        assert await c.read("EV1/LLN0$ST$Mod$stVal") == data.integer(1)
        assert await c.write("EV1/DEEV1$SP$WChaTgt$setMag$f", data.float32(11000.0)) is None
        assert await c.read("EV1/DEEV1$SP$WChaTgt$setMag$f") == data.float32(11000.0)
        assert await c.write("EV1/DEEV1$MX$Soc$mag$f", data.float32(1.0)) == mms.OBJECT_ACCESS_DENIED
        t = await c.get_type("EV1/DEEV1$MX$Soc$mag")
        assert t.kind == "structure" and t.components[0][0] == "f" and t.components[0][1].kind == "floating-point"
        received = _recheck(c.conn)
        await c.conclude()
        assert isinstance(received[0], mms.Initiate) and len(received) == 10
        # open61850's server closes the connection right after its conclude-Response, so our RLRQ goes
        # unanswered (a warning); nothing else is found
        findings = mms_checks.judge(c.conn.log, "server", {SOC})
        assert [f.rule_id for f in findings] == ["MMS-RELEASE-UNANSWERED"]


def test_open61850_server_rejects_garbage_with_a_reject_pdu_our_codec_refuses(open61850_server) -> None:  # type: ignore
    """A fact that bears on judging devices: open61850 0.9.12 answers an undecodable PDU with a RejectPDU of
    [0] originalInvokeID only (a4 03 80 01 01); ISO 9506-2's rejectReason is mandatory, so our strict decoder
    refuses it. If open61850 changes this, this test says so."""
    async def main() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", open61850_server.port)
        writer.write(osi.tpkt_encode(osi.CotpConnect().encode()) + osi.connect_frame(mms.Initiate().encode()))
        await osi.read_tpkt(reader, 5)
        await osi.read_tpkt(reader, 5)
        writer.write(osi.data_frame(b"\x30\x00"))
        frame = await osi.read_tpkt(reader, 5)
        writer.close()
        upper = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(frame)).data)
        assert upper.mms is not None
        return upper.mms
    pdu = asyncio.run(main())
    assert pdu == bytes.fromhex("a403800101")
    with pytest.raises(mms.MmsError, match="rejectReason missing"):
        mms.decode(pdu)
    asyncio.run(main())


def test_open61850_client_against_our_server() -> None:
    def client_session(port: int) -> dict:
        out: dict = {}
        with o_client.MmsClient.connect("127.0.0.1", port, timeout=5) as c:
            out["domains"] = c.get_name_list(o_pdu.OBJECT_CLASS_DOMAIN)
            out["variables"] = c.get_name_list(o_pdu.OBJECT_CLASS_NAMED_VARIABLE, "EV1")
            out["soc"] = c.read(o_pdu.ObjectName("DEEV1$MX$Soc$mag$f", "EV1"))
            out["mod"] = c.read(o_pdu.ObjectName("LLN0$ST$Mod$stVal", "EV1"))
            c.write(o_pdu.ObjectName("DEEV1$SP$WChaTgt$setMag$f", "EV1"), o_data.FloatData(11000.0))
            out["target"] = c.read(o_pdu.ObjectName("DEEV1$SP$WChaTgt$setMag$f", "EV1"))
            try:
                c.write(o_pdu.ObjectName("DEEV1$MX$Soc$mag$f", "EV1"), o_data.FloatData(1.0))
            except o_errors.DataAccessError as exc:
                out["denied"] = exc.code
            out["type"] = c.get_type(o_pdu.ObjectName("DEEV1$SP$WChaTgt", "EV1"))
        return out

    async def main() -> tuple[dict, MmsServer]:
        async with MmsServer(MODEL, timeout=5) as server:
            result = await asyncio.wait_for(asyncio.to_thread(client_session, server.port), 20)
            await asyncio.sleep(0.1)  # let the server see the close
            return result, server

    out, server = asyncio.run(main())
    assert out["domains"] == ["EV1"] and out["variables"] == VARIABLES
    assert out["soc"] == o_data.FloatData(55.0) and out["mod"] == o_data.IntData(1)
    assert out["target"] == o_data.FloatData(11000.0)
    assert out["denied"] == mms.OBJECT_ACCESS_DENIED
    assert "setMag" in repr(out["type"])
    assoc = server.associations[0]
    assert assoc.initiate is not None
    requests = [r for r in assoc.requests if isinstance(r, mms.ConfirmedRequest)]
    assert [type(r.service).__name__ for r in requests] == [
        "GetNameListRequest", "GetNameListRequest", "ReadRequest", "ReadRequest", "WriteRequest", "ReadRequest",
        "WriteRequest", "GetVarAccessAttributesRequest"]
    # open61850's client closes the TCP connection without an MMS conclude or an ACSE release
    assert assoc.error == "the peer closed the connection without an MMS conclude and ACSE release"
    assert [f.rule_id for f in mms_checks.judge(assoc.conn.log, "client")] == ["MMS-RELEASE"]  # info only

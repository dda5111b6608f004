"""A frame the fake SECC cannot decode is the EV's frame, kept in the trace with its raw bytes and judged
V2G-EXI-DECODE, whatever the EXI decoder objected to: an integer of thousands of digits used to raise a
ValueError past the decoder's ExiError handling, so the session ended as a harness ERROR and the frame was
missing from the trace (issue 13)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vgitest.trace import Direction, Trace

pytestmark = pytest.mark.usefixtures("schemas_available")

HUGE_EXI = bytes.fromhex("80980230e93efd8e0d910d9094") + b"\x80" * 2200 + b"\x01"


def _sap() -> bytes:
    from vgitest.exi import encode
    from vgitest.iso15118.v2gtp import frame
    offer = {"ProtocolNamespace": "urn:iso:15118:2:2013:MsgDef", "VersionNumberMajor": 2, "VersionNumberMinor": 0,
             "SchemaID": 1, "Priority": 1}
    return frame(0x8001, encode({"supportedAppProtocolReq": {"AppProtocol": [offer]}}, "app-protocol"))


async def _raw_ev(port: int, payload: bytes) -> None:
    from vgitest.iso15118.v2gtp import frame, read_frame
    reader, writer = await asyncio.open_connection("::1", port)
    try:
        writer.write(_sap())
        await read_frame(reader, 5)
        writer.write(frame(0x8001, payload))
        await asyncio.wait_for(reader.read(), 10)  # until the SECC closes
    finally:
        writer.close()


def _fake_secc_vs(payload: bytes) -> Any:
    from vgitest.iso15118.secc import SeccServer

    async def main() -> Any:
        srv = await SeccServer(Trace(), families=("iso-2",), judge=True).start()
        try:
            await _raw_ev(srv.port, payload)
            await asyncio.wait_for(srv.sessions[0].done.wait(), 10)
        finally:
            await srv.stop()
        return srv
    return asyncio.run(main())


def test_an_undecodable_integer_is_the_evs_frame_with_a_finding() -> None:
    srv = _fake_secc_vs(HUGE_EXI)
    (s,) = srv.sessions
    assert "harness error" not in (s.end_reason or ""), s.end_reason
    assert not [f for f in srv.trace if f.kind == "HARNESS-ERROR"]
    ins = [f for f in srv.trace if f.direction is Direction.IN and f.raw]
    assert ins[-1].raw.endswith(HUGE_EXI) and ins[-1].kind == "MALFORMED", ins[-1]
    decode = [f for f in srv.trace.findings_since(0) if f.rule_id == "V2G-EXI-DECODE"]
    assert decode and decode[0].frame_index == ins[-1].index, decode

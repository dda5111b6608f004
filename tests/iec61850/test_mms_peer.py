"""Our MMS client against our MMS server over loopback, and the server's answers to garbage at each layer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgitest.iec61850 import data, mms, osi
from vgitest.iec61850.mms_peer import Attribute, MmsClient, MmsPeerError, MmsServer

MODEL = [
    Attribute("EV1/DEEV1$MX$Soc$mag$f", data.float32(55.0), read_only=True),
    Attribute("EV1/DEEV1$SP$WChaTgt$setMag$f", data.float32(7000.0)),
    Attribute("EV1/DEEV1$ST$EVSt$stVal", data.integer(2), read_only=True),
    Attribute("EV1/LLN0$ST$Mod$stVal", data.integer(1), read_only=True),
]


def run(body: Callable[[MmsServer], Awaitable[None]], model: list[Attribute] = MODEL, timeout: float = 2.0) -> None:
    async def main() -> None:
        async with MmsServer(model, timeout=timeout) as server:
            await asyncio.wait_for(body(server), 10)
    asyncio.run(main())


def test_client_associates_reads_writes_lists_and_concludes() -> None:
    async def body(server: MmsServer) -> None:
        c = await MmsClient.connect(server.host, server.port, timeout=2)
        assert c.negotiated.response and c.negotiated.max_calling == 5
        assert await c.get_name_list() == ["EV1"]
        names = await c.get_name_list(mms.NAMED_VARIABLE, "EV1")
        assert "DEEV1$MX$Soc$mag$f" in names and "LLN0$ST" in names and names == sorted(names)
        assert await c.read("EV1/DEEV1$MX$Soc$mag$f") == data.float32(55.0)
        assert await c.read("EV1/DEEV1$MX$Nope") == mms.OBJECT_NON_EXISTENT
        assert await c.write("EV1/DEEV1$SP$WChaTgt$setMag$f", data.float32(11000.0)) is None
        assert await c.read("EV1/DEEV1$SP$WChaTgt$setMag$f") == data.float32(11000.0)
        assert await c.read("EV1/DEEV1$SP") == data.structure(data.structure(data.structure(data.float32(11000.0))))
        t = await c.get_type("EV1/DEEV1$ST")
        assert [n for n, _ in t.components] == ["EVSt"] and t.components[0][1].components[0][1].kind == "integer"
        await c.conclude()
        assoc = server.associations[0]
        assert assoc.error is None and [type(r).__name__ for r in assoc.requests][-1] == "Conclude"
    run(body)


def test_a_write_to_a_read_only_attribute_is_object_access_denied() -> None:
    async def body(server: MmsServer) -> None:
        c = await MmsClient.connect(server.host, server.port, timeout=2)
        assert await c.write("EV1/DEEV1$MX$Soc$mag$f", data.float32(99.0)) == mms.OBJECT_ACCESS_DENIED
        assert await c.read("EV1/DEEV1$MX$Soc$mag$f") == data.float32(55.0)
        assert await c.write("EV1/DEEV1$SP$WChaTgt$setMag$f", data.integer(1)) == mms.TYPE_INCONSISTENT
        await c.conclude()
    run(body)


def test_get_name_list_follows_more_follows() -> None:
    model = [Attribute(f"LD/GGIO1$ST$Ind{i:03}$stVal", data.boolean(False)) for i in range(120)]

    async def body(server: MmsServer) -> None:
        c = await MmsClient.connect(server.host, server.port, timeout=2)
        names = await c.get_name_list(mms.NAMED_VARIABLE, "LD")
        assert len(names) == 2 + 2 * 120 and len(set(names)) == len(names)
        rounds = [r for r in server.associations[0].requests if isinstance(r, mms.ConfirmedRequest)]
        assert len(rounds) == 3 and rounds[1].service.continue_after is not None
        await c.conclude()
    run(body, model)


async def _raw(server: MmsServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(server.host, server.port)


async def _associate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(osi.tpkt_encode(osi.CotpConnect().encode()) + osi.connect_frame(mms.Initiate().encode()))
    await osi.read_tpkt(reader, 2)
    await osi.read_tpkt(reader, 2)


async def _answer(reader: asyncio.StreamReader) -> mms.Pdu:
    frame = await osi.read_tpkt(reader, 2)
    upper = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(frame)).data)
    assert upper.mms is not None
    return mms.decode(upper.mms)


def test_garbage_mms_gets_a_reject_and_the_association_lives_on() -> None:
    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        await _associate(reader, writer)
        writer.write(osi.data_frame(b"\x30\x00"))  # not an MMS PDU
        assert await _answer(reader) == mms.Reject(None, mms.REJECT_PDU_ERROR, mms.INVALID_PDU)
        writer.write(osi.data_frame(bytes.fromhex("a0050201098200")))  # Identify: not served
        assert await _answer(reader) == mms.Reject(9, mms.REJECT_CONFIRMED_REQUEST, mms.UNRECOGNIZED_SERVICE)
        writer.write(mms.request_frame(10, mms.ReadRequest((mms.Name("LLN0$ST$Mod$stVal", "EV1"),))))
        answer = await _answer(reader)
        assert isinstance(answer, mms.ConfirmedResponse) and answer.invoke_id == 10
        writer.close()
    run(body)


@pytest.mark.parametrize("garbage, layer", [
    (b"\x04\x00\x00\x08abcd", "TPKT"),
    (osi.tpkt_encode(b"\x02\xf0\x80\x0b\x00"), "session"),
    (osi.frame(osi.Spdu(osi.SI_DATA, b"\x61\x03\x30\x01\x00").encode()), "presentation"),
])
def test_broken_lower_layers_end_the_connection_with_a_reason(garbage: bytes, layer: str) -> None:
    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        await _associate(reader, writer)
        writer.write(garbage)
        frame = await osi.read_tpkt(reader, 2)  # ER for TPKT/COTP, ACSE abort above
        tpdu = osi.cotp_decode(osi.tpkt_decode(frame))
        if layer in ("TPKT", "COTP"):
            assert isinstance(tpdu, osi.CotpError)
        else:
            assert osi.upper_decode(tpdu.data).acse.kind == osi.ABRT
        assert await asyncio.wait_for(reader.read(), 2) == b""  # then the server closes
        assert server.associations[0].error.startswith(f"{layer}:")
    run(body)


def test_a_silent_client_is_dropped_after_the_timeout() -> None:
    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        writer.write(b"\x03\x00\x00\x16")  # a TPKT header, then nothing
        assert await asyncio.wait_for(reader.read(), 3) == b""
        assert server.associations[0].error == "TimeoutError"
    run(body, timeout=0.3)


def test_client_refuses_a_response_to_another_invoke_id() -> None:
    class WrongId(MmsServer):
        def answer(self, assoc, pdu_bytes):  # type: ignore[no-untyped-def]
            good = super().answer(assoc, pdu_bytes)
            return mms.ConfirmedResponse(good.invoke_id + 1, good.service)

    async def main() -> None:
        async with WrongId(MODEL, timeout=2) as server:
            c = await MmsClient.connect(server.host, server.port, timeout=2)
            with pytest.raises(MmsPeerError, match="response to invokeID 2, the request had 1"):
                await c.read("EV1/LLN0$ST$Mod$stVal")
            await c.conn.close()
    asyncio.run(main())


def test_frames_are_logged_with_both_sizes() -> None:
    async def body(server: MmsServer) -> None:
        c = await MmsClient.connect(server.host, server.port, timeout=2)
        await c.read("EV1/DEEV1$MX$Soc$mag$f")
        await c.conclude()
        sent = [f.frame for f in c.conn.log if f.sent]
        assert len(sent[0]) == 22 and len(sent[1]) == 158  # CR, association request
        assert mms.sizes(sent[2]) == mms.Sizes(62, 42)  # the Read of the hand-checked layout
        got = [f.frame for f in c.conn.log if not f.sent]
        assert mms.sizes(got[2]) == mms.Sizes(36, 16)  # a1 0e 020101 a4 09 a1 07 87 05 08 <float>
    run(body)


def test_the_server_answers_a_large_tpdu_size_with_at_most_2048() -> None:
    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        writer.write(osi.tpkt_encode(osi.CotpConnect(tpdu_size=13).encode()))
        cc = osi.cotp_decode(osi.tpkt_decode(await osi.read_tpkt(reader, 2)))
        assert isinstance(cc, osi.CotpConnect) and cc.confirm and cc.tpdu_size == osi.CLASS0_MAX_SIZE_CODE
        writer.close()
    run(body)


def test_a_close_after_conclude_without_release_is_told_apart() -> None:
    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        await _associate(reader, writer)
        writer.write(osi.data_frame(mms.Conclude().encode()))
        assert await _answer(reader) == mms.Conclude(True)
        writer.close()
        await asyncio.wait_for(reader.read(), 2)
        await asyncio.sleep(0.05)
        assert server.associations[0].error == \
            "the peer closed the connection after the MMS conclude without an ACSE release"
    run(body)


def test_on_write_hears_every_applied_write_and_no_refused_one() -> None:
    heard: list[tuple[str, data.Data]] = []

    async def main() -> None:
        async with MmsServer(MODEL, timeout=2, on_write=lambda n, v: heard.append((str(n), v))) as server:
            c = await MmsClient.connect(server.host, server.port, timeout=2)
            assert await c.write("EV1/DEEV1$SP$WChaTgt$setMag$f", data.float32(11000.0)) is None
            assert await c.write("EV1/DEEV1$MX$Soc$mag$f", data.float32(1.0)) == mms.OBJECT_ACCESS_DENIED
            await c.conclude()
    asyncio.run(main())
    assert heard == [("EV1/DEEV1$SP$WChaTgt$setMag$f", data.float32(11000.0))]


def test_the_server_follows_the_context_ids_the_client_proposes() -> None:
    ids = osi.Contexts(acse=5, mms=7)
    cp = osi.PresentationConnect(b"", contexts=(osi.Context(5, osi.ACSE_AS), osi.Context(7, osi.MMS_AS),
                                                osi.Context(9, (1, 2, 3))), user_context=5)
    aarq = osi.Acse(osi.AARQ, user_context=7, diagnostic=None)

    async def body(server: MmsServer) -> None:
        reader, writer = await _raw(server)
        writer.write(osi.tpkt_encode(osi.CotpConnect().encode()) +
                     osi.connect_frame(mms.Initiate().encode(), acse=aarq, ppdu=cp))
        await osi.read_tpkt(reader, 2)
        accept = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(await osi.read_tpkt(reader, 2))).data, ids)
        assert accept.presentation.results == (osi.ContextResult(), osi.ContextResult(),
                                               osi.ContextResult(2, None, 1))  # the unknown one refused
        writer.write(osi.data_frame(mms.ConfirmedRequest(1, mms.ReadRequest((mms.Name.parse(MODEL[3].ref),)))
                                    .encode(), 7))
        answer = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(await osi.read_tpkt(reader, 2))).data, ids)
        assert answer.context == 7 and isinstance(mms.decode(answer.mms), mms.ConfirmedResponse)
        writer.write(osi.data_frame(mms.Conclude().encode(), 3))  # a context this association does not have
        abort = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(await osi.read_tpkt(reader, 2))).data, ids)
        assert abort.acse.kind == osi.ABRT
        assert server.associations[0].error.startswith("presentation: data in context 3")
    run(body)


def test_with_128_byte_tpdus_both_ends_segment_and_reassemble() -> None:
    async def body(server: MmsServer) -> None:
        c = await MmsClient.connect(server.host, server.port, timeout=2, tpdu_size=7)  # 128 bytes
        assert c.conn.tpdu_size == 128
        names = await c.get_name_list(mms.NAMED_VARIABLE, "EV1")  # a response of about 250 bytes
        assert len(names) == 16  # 2 LNs, 4 FCs, 4 DOs, 2 inner DAs, 4 attributes
        await c.conclude()
        for log in (c.conn.log, server.associations[0].conn.log):
            assert max(len(e.frame) for e in log) <= 128 + 4  # a TPDU of 128 bytes in its TPKT header
        dts = [osi.cotp_decode(osi.tpkt_decode(e.frame)) for e in c.conn.log if e.sent]
        assert [d.eot for d in dts[1:3]] == [False, True]  # the 158-byte association request in two DTs
    run(body)


VALID_STREAM = (osi.tpkt_encode(osi.CotpConnect().encode()) + osi.connect_frame(mms.Initiate().encode()) +
                mms.request_frame(1, mms.ReadRequest((mms.Name.parse(MODEL[0].ref),))) +
                osi.data_frame(mms.Conclude().encode()) + osi.release_frame())


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID_STREAM) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_a_mutated_session_never_crashes_or_stalls_the_server(flips: list[tuple[int, int]]) -> None:
    stream = bytearray(VALID_STREAM)
    for pos, value in flips:
        stream[pos] = value
    unexpected: list[dict] = []

    async def body(server: MmsServer) -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: unexpected.append(ctx))
        reader, writer = await _raw(server)
        writer.write(bytes(stream))
        await asyncio.wait_for(reader.read(), 3)  # the server ends the connection: done, aborted or timed out
        writer.close()
        c = await MmsClient.connect(server.host, server.port, timeout=2)  # and still serves the next client
        assert await c.read(MODEL[0].ref) == MODEL[0].value
        await c.conclude()
        assert [a.harness_error for a in server.associations] == [None, None]
    run(body, timeout=0.2)
    assert not unexpected


def test_a_double_a_client_wrote_is_read_back() -> None:
    """A client's Write of a 64-bit floating-point beyond single precision's range to a FLOAT32 attribute is
    applied (the kinds match), and the read that follows made the server's encoder raise OverflowError, a harness
    fault. The read now answers with the double."""
    from vgitest.iec61850 import ber

    server = MmsServer([Attribute("LD0/MMXU1$MX$TotW$mag$f", data.float32(0.0))])
    name = mms.Name.parse("LD0/MMXU1$MX$TotW$mag$f")
    double = data.decode(ber.decode(bytes.fromhex("87090b7fefffffffffffff")))
    assert server.serve(mms.WriteRequest((name,), (double,))) == mms.WriteResponse((None,))
    answer = server.serve(mms.ReadRequest((name,)))
    wire = mms.ConfirmedResponse(1, answer).encode()
    assert mms.decode(wire) == mms.ConfirmedResponse(1, mms.ReadResponse((double,)))
    assert bytes.fromhex("87090b7fefffffffffffff") in wire

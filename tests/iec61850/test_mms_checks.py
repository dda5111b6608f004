"""The MMS checks: silent on a conforming session (ours, both roles), and each rule caught by a faulty peer or a
recorded frame that breaks it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from vgitest.iec61850 import data, mms, mms_checks, osi
from vgitest.iec61850.mms_peer import FrameLog, MmsClient, MmsPeerError, MmsServer, ServerFaults

from .test_mms_peer import MODEL

SOC = "EV1/DEEV1$MX$Soc$mag$f"
TARGET = "EV1/DEEV1$SP$WChaTgt$setMag$f"
READ_ONLY = {a.ref for a in MODEL if a.read_only}


def session(server_cls: type[MmsServer] = MmsServer, conclude: bool = True) -> tuple[list[FrameLog], list[FrameLog]]:
    """(the client's log, the server's log) of: associate, read, write a read-only and a writable attribute."""
    async def main() -> tuple[list[FrameLog], list[FrameLog]]:
        async with server_cls(MODEL, timeout=2) as server:
            c = await MmsClient.connect(server.host, server.port, timeout=2)
            try:
                await c.read(SOC)
                await c.write(SOC, data.float32(1.0))
                await c.write(TARGET, data.float32(11000.0))
                if conclude:
                    await c.conclude()
            except MmsPeerError:
                pass
            finally:
                await c.conn.close()
            await asyncio.sleep(0.05)
            return c.conn.log, server.associations[0].conn.log
    return asyncio.run(main())


def rules(findings: list) -> list[str]:
    return sorted(f.rule_id for f in findings)


def test_a_conforming_session_has_no_findings_in_either_role() -> None:
    client_log, server_log = session()
    assert mms_checks.judge(client_log, "server", READ_ONLY) == []
    assert mms_checks.judge(server_log, "client") == []


def test_a_server_that_accepts_a_write_to_a_read_only_attribute() -> None:
    class Accepts(MmsServer):
        def serve(self, svc):  # type: ignore[no-untyped-def]
            if isinstance(svc, mms.WriteRequest):
                return mms.WriteResponse(tuple(None for _ in svc.names))
            return super().serve(svc)
    client_log, _ = session(Accepts)
    findings = mms_checks.judge(client_log, "server", READ_ONLY)
    assert rules(findings) == ["MMS-READONLY-WRITE"] and findings[0].details == {"variable": SOC}


def test_a_response_to_the_wrong_invoke_id() -> None:
    class WrongId(MmsServer):
        def answer(self, assoc, pdu_bytes):  # type: ignore[no-untyped-def]
            good = super().answer(assoc, pdu_bytes)
            return dataclasses.replace(good, invoke_id=good.invoke_id + 7) if hasattr(good, "invoke_id") else good
    client_log, _ = session(WrongId)
    assert rules(mms_checks.judge(client_log, "server", READ_ONLY)) == ["MMS-INVOKE-ID", "MMS-RESPONSE-MISSING"]


def test_a_response_of_another_service_and_a_wrong_result_count() -> None:
    class WrongService(MmsServer):
        def serve(self, svc):  # type: ignore[no-untyped-def]
            if isinstance(svc, mms.ReadRequest):
                return mms.WriteResponse((None,))
            if isinstance(svc, mms.WriteRequest):
                return mms.WriteResponse((None, None))
            return super().serve(svc)
    client_log, _ = session(WrongService)
    assert rules(mms_checks.judge(client_log, "server")) == ["MMS-RESPONSE-SERVICE"]  # the client stops there

    class WrongCount(MmsServer):
        def serve(self, svc):  # type: ignore[no-untyped-def]
            if isinstance(svc, mms.ReadRequest):
                return mms.ReadResponse((data.float32(1.0), data.float32(2.0)))
            return super().serve(svc)
    client_log, _ = session(WrongCount)
    assert rules(mms_checks.judge(client_log, "server")) == ["MMS-RESULT-COUNT"]


def test_an_initiate_response_above_the_proposal() -> None:
    class Greedy(MmsServer):
        def __init__(self, *a, **k) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*a, **k)
            self.max_outstanding = 50

    async def main() -> list[FrameLog]:
        async with Greedy(MODEL, timeout=2) as server:
            # the server negotiates min(proposal, 50): propose more than it negotiates back by hand below
            c = await MmsClient.connect(server.host, server.port, timeout=2, initiate=mms.Initiate(max_calling=20,
                                                                                                      max_called=20))
            await c.conclude()
            return c.conn.log
    log = asyncio.run(main())
    assert mms_checks.judge(log, "server") == []
    # the same session as if the client had proposed 5: the device's 20 is above it
    request = mms.Initiate(max_calling=5, max_called=5)
    log[2] = FrameLog(True, osi.connect_frame(request.encode()), log[2].at)
    assert rules(mms_checks.judge(log, "server")) == ["MMS-INITIATE-NEGOTIATION"] * 2


def _log(*frames: tuple[bool, bytes]) -> list[FrameLog]:
    return [FrameLog(sent, frame, float(i)) for i, (sent, frame) in enumerate(frames)]


CR = osi.tpkt_encode(osi.CotpConnect().encode())
CC = osi.tpkt_encode(osi.CotpConnect(True, 1).encode())
AARQ = osi.connect_frame(mms.Initiate().encode())
AARE = osi.accept_frame(mms.Initiate(True).encode())
READ = mms.ReadRequest((mms.Name.parse(SOC),))


def test_association_not_answered() -> None:
    dr = osi.tpkt_encode(osi.CotpDisconnect(1, 0, 128 + 2).encode())
    assert rules(mms_checks.judge(_log((True, CR), (False, dr)), "server")) == ["MMS-ASSOCIATION"]
    refuse = osi.frame(osi.Spdu(osi.SI_REFUSE, requirements=None, transport_disconnect=1).encode())
    assert rules(mms_checks.judge(_log((True, CR), (False, CC), (True, AARQ), (False, refuse)), "server")) == \
        ["MMS-ASSOCIATION"]


def test_undecodable_and_long_form_frames_from_the_device() -> None:
    good = mms.response_frame(1, mms.ReadResponse((data.float32(1.0),)))
    bad = good[:-7] + b"\x88" + good[-6:]  # the Data tag [7] floating-point becomes [8], outside the CHOICE
    log = _log((True, CR), (False, CC), (True, AARQ), (False, AARE), (True, mms.request_frame(1, READ)),
               (False, bad))
    findings = mms_checks.judge(log, "server")
    assert rules(findings) == ["MMS-FRAME-DECODE", "MMS-RESPONSE-MISSING"] and findings[0].frame_index == 5
    assert "not an MMS Data alternative" in findings[0].message
    # the same response with the Read's [1] list length in long form (81 07 for 07)
    pdu = mms.ConfirmedResponse(1, mms.ReadResponse((data.float32(1.0),))).encode()
    long_pdu = bytes.fromhex("a10f020101a40aa18107") + pdu[9:]
    assert mms.decode(long_pdu) == mms.decode(pdu)
    log[5] = FrameLog(False, osi.data_frame(long_pdu), 5.0)
    findings = mms_checks.judge(log, "server")
    assert rules(findings) == ["MMS-BER-LENGTH"] and findings[0].details == {"count": 1}


def test_a_client_that_reuses_an_invoke_id_exceeds_outstanding_and_does_not_release() -> None:
    one = mms.Initiate(True, max_calling=1, max_called=1)
    log = _log((False, CR), (True, CC), (False, AARQ), (True, osi.accept_frame(one.encode())),
               (False, mms.request_frame(4, READ)), (False, mms.request_frame(4, READ)))
    assert rules(mms_checks.judge(log, "client")) == ["MMS-INVOKE-ID", "MMS-RELEASE"]
    log.append(FrameLog(False, mms.request_frame(5, READ), 6.0))  # a second one outstanding, 1 negotiated
    assert rules(mms_checks.judge(log, "client")) == ["MMS-INVOKE-ID", "MMS-OUTSTANDING", "MMS-RELEASE"]


def test_a_client_that_closes_without_release() -> None:
    _, server_log = session(conclude=False)
    assert rules(mms_checks.judge(server_log, "client")) == ["MMS-RELEASE"]


def test_a_harness_frame_that_does_not_decode_is_a_harness_fault() -> None:
    with pytest.raises(osi.OsiError):
        mms_checks.judge(_log((True, b"\x03\x00\x00\x08\x02\xf0\x80\x0b")), "server")  # SPDU type 11


def test_a_release_answered_with_a_finish_or_not_at_all() -> None:
    client_log, _ = session()
    assert client_log[-2].sent and client_log[-1].frame == osi.release_frame(osi.RLRE)
    # what the Rust iec61850 0.14 server sends back: a FINISH with empty user data
    client_log[-1] = FrameLog(False, bytes.fromhex("0300000b02f0800902c100"), client_log[-1].at)
    findings = mms_checks.judge(client_log, "server", READ_ONLY)
    assert rules(findings) == ["MMS-RELEASE-RESPONSE"] and "FINISH without an ACSE APDU" in findings[0].message
    # what open61850 0.9.12's server does: close the connection after the conclude-Response, the RLRQ unanswered
    assert rules(mms_checks.judge(client_log[:-1], "server", READ_ONLY)) == ["MMS-RELEASE-UNANSWERED"]


def _faulty_session(faults: ServerFaults) -> list[FrameLog]:
    class Faulty(MmsServer):
        def __init__(self, *a, **k) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*a, faults=faults, **k)
    return session(Faulty)[0]


def test_the_server_fault_knobs_are_caught_by_the_checks() -> None:
    assert rules(mms_checks.judge(_faulty_session(ServerFaults()), "server", READ_ONLY)) == []
    assert rules(mms_checks.judge(_faulty_session(ServerFaults(accept_read_only_writes=True)), "server",
                                  READ_ONLY)) == ["MMS-READONLY-WRITE"]
    assert rules(mms_checks.judge(_faulty_session(ServerFaults(wrong_invoke_id=True)), "server", READ_ONLY)) == \
        ["MMS-INVOKE-ID", "MMS-RESPONSE-MISSING"]


def test_a_tpdu_above_the_negotiated_size() -> None:
    small_cc = osi.tpkt_encode(osi.CotpConnect(True, 1, tpdu_size=7).encode())  # 128 bytes
    names = tuple(f"DEEV1$MX$Attribute{i:02}" for i in range(8))
    big = mms.response_frame(1, mms.GetNameListResponse(names))  # one DT of about 250 bytes
    log = _log((True, CR), (False, small_cc), (True, AARQ), (False, AARE),
               (True, mms.request_frame(1, mms.GetNameListRequest(mms.NAMED_VARIABLE, "EV1"))), (False, big))
    findings = mms_checks.judge(log, "server")
    # the 139-byte AARE TPDU and the GetNameList response both exceed 128
    assert rules(findings) == ["MMS-TPDU-SIZE"] * 2 and [f.frame_index for f in findings] == [3, 5]
    assert "TPDU of 139 bytes, above the 128 negotiated" in findings[0].message
    log[1] = FrameLog(False, CC, 1.0)  # 1024 negotiated: the same DT is fine
    assert mms_checks.judge(log, "server") == []


def test_our_server_refuses_a_tpdu_above_the_negotiated_size() -> None:
    async def main() -> str | None:
        async with MmsServer(MODEL, timeout=2) as server:
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(osi.tpkt_encode(osi.CotpConnect(tpdu_size=7).encode()))
            await osi.read_tpkt(reader, 2)
            writer.write(AARQ)  # 154 bytes in one DT, 128 negotiated
            await asyncio.wait_for(reader.read(), 2)
            return server.associations[0].error
    assert asyncio.run(main()) == "COTP: TPDU of 154 bytes, above the 128 negotiated"



def test_the_peer_the_checks_and_the_trace_decode_each_frame_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-fuzz found streams of ~2,000 frames taking 80-260 ms: each frame was decoded by the peer that read
    it, again by the checks and again by the trace. The decode is now kept on the frame's log entry: between them
    they decode each TSDU's upper layers once and each MMS PDU once, with the same findings and items as from a
    fresh log. Entries that keep nothing show what the count catches: the checks and the trace each decode."""
    import types

    from vgitest.iec61850 import flowtrace

    client_log, _ = session()
    tsdus = [e for e in client_log if isinstance(osi.cotp_decode(osi.tpkt_decode(e.frame)), osi.CotpData)]
    with_mms = [e for e in tsdus if osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(e.frame)).data).mms]
    assert len(tsdus) >= 8 and 0 < len(with_mms) < len(tsdus)  # every TSDU here is one DT
    calls = {"upper": 0, "mms": 0}

    def counting(name: str, f):  # type: ignore[no-untyped-def]
        def wrapped(*args):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return f(*args)
        return wrapped
    monkeypatch.setattr(osi, "upper_decode", counting("upper", osi.upper_decode))
    monkeypatch.setattr(mms, "decode", counting("mms", mms.decode))

    def decodes(log: list) -> tuple[dict[str, int], object]:  # type: ignore[type-arg]
        calls.update(upper=0, mms=0)
        out = (mms_checks.judge(log, "server"), [dataclasses.replace(i, t_ns=0) for i in
                                                 flowtrace.mms_items(log, True)])
        return dict(calls), out

    # the client decoded what it received; the checks decode what it sent, once, and the trace nothing
    sent = [e for e in tsdus if e.sent]
    got, kept = decodes(client_log)
    assert got == {"upper": len(sent), "mms": len([e for e in with_mms if e.sent])}
    assert decodes(client_log) == ({"upper": 0, "mms": 0}, kept)  # judged and traced again: nothing decoded
    fresh = [FrameLog(e.sent, e.frame, e.at) for e in client_log]
    assert decodes(fresh) == ({"upper": len(tsdus), "mms": len(with_mms)}, kept)
    plain = [types.SimpleNamespace(sent=e.sent, frame=e.frame, at=e.at) for e in client_log]
    assert decodes(plain) == ({"upper": 2 * len(tsdus), "mms": 2 * len(with_mms)}, kept)


def test_a_kept_decode_is_the_decode_of_the_same_bytes() -> None:
    """What a log entry keeps is used only for the bytes it was kept for (a TSDU reassembled differently, a
    frame replaced, other context ids decode afresh), and an error is kept and raised again as it was."""
    from vgitest.iec61850.mms_peer import frame_pdu, frame_tpdu, frame_upper

    good = osi.data_frame(mms.Conclude().encode())
    entry = FrameLog(False, good, 0.0)
    tsdu = frame_tpdu(entry).data  # type: ignore[union-attr]
    assert frame_upper(entry, tsdu, osi.DEFAULT_IDS) == osi.upper_decode(tsdu)
    other = osi.Contexts(5, 7)
    with pytest.raises(osi.OsiError) as first:
        frame_upper(entry, tsdu, other)  # context 3 is not this association's
    with pytest.raises(osi.OsiError) as again:
        frame_upper(entry, tsdu, other)
    assert again.value is first.value and frame_upper(entry, tsdu, osi.DEFAULT_IDS).mms == mms.Conclude().encode()
    with pytest.raises(osi.OsiError):
        frame_upper(entry, b"\x01\x00\x01\x00" + tsdu[4:-1], osi.DEFAULT_IDS)  # other bytes: decoded again
    entry.frame = osi.data_frame(mms.Conclude(True).encode())
    assert frame_tpdu(entry) == osi.cotp_decode(osi.tpkt_decode(entry.frame))
    assert frame_pdu(entry, mms.Conclude().encode()) == mms.Conclude()
    assert frame_pdu(entry, mms.Conclude(True).encode()) == mms.Conclude(True)
    with pytest.raises(mms.MmsError):
        frame_pdu(entry, b"\x00")

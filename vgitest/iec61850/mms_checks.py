"""Judge the device's side of one recorded MMS connection (the log of the harness's MMS peer).

The recording is the harness end's :class:`~vgitest.iec61850.mms_peer.FrameLog` list: ``sent`` frames are the
harness's, the others the device's, so who sent a frame never depends on its contents. Only the device's frames
and behaviour become findings (``dut`` is ``"server"`` when the harness was the client, ``"client"`` when it
was the server); a frame the harness sent that does not decode is a harness fault and raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from ..findings import Finding
from . import mms, osi
from . import mms_rules as _rules  # noqa: F401 - registers the MMS rule ids
from .mms_peer import FrameLog, frame_pdu, frame_tpdu, frame_upper

ROLES = ("server", "client")


@dataclasses.dataclass(frozen=True)
class Message:
    """One TSDU (reassembled from its DT TPDUs) or one other TPDU, with the log index of its last frame."""

    index: int
    from_dut: bool
    tpdu: osi.Cotp | None = None
    upper: osi.Upper | None = None
    pdu: mms.Pdu | None = None


def judge(log: Sequence[FrameLog], dut: str, read_only: Collection[str] = ()) -> list[Finding]:
    """Findings about the device. ``read_only``: ``LD/LN$FC$DO$DA`` names the harness knows are not writable
    (for a device server: a write the harness sends to one of them must be refused)."""
    if dut not in ROLES:
        raise ValueError(f"dut must be one of {ROLES}")
    findings: list[Finding] = []
    messages = _messages(log, findings)
    _association(messages, dut, findings)
    _exchanges(messages, dut, {mms.Name.parse(r) for r in read_only}, findings)
    _release(messages, dut, findings)
    return findings


def _messages(log: Sequence[FrameLog], findings: list[Finding]) -> list[Message]:
    out: list[Message] = []
    pending = {True: b"", False: b""}
    contexts = osi.DEFAULT_IDS  # until a CONNECT proposes the association's own
    broken = {True: False, False: False}  # a direction whose framing broke: later frames are not judged
    tpdu_size: int | None = None  # bytes, once a CC has set it
    for index, entry in enumerate(log):
        from_dut = not entry.sent
        if broken[from_dut]:
            continue
        try:
            tpdu = frame_tpdu(entry)
            if from_dut and tpdu_size is not None and len(entry.frame) - osi.TPKT_HEADER > tpdu_size:
                findings.append(Finding.of("MMS-TPDU-SIZE", f"TPDU of {len(entry.frame) - osi.TPKT_HEADER} bytes, "
                                           f"above the {tpdu_size} negotiated", index))
            if isinstance(tpdu, osi.CotpConnect) and tpdu.confirm:
                tpdu_size = osi.TPDU_SIZES.get(tpdu.tpdu_size or 7, 128)
            if not isinstance(tpdu, osi.CotpData):
                out.append(Message(index, from_dut, tpdu))
                continue
            pending[from_dut] += tpdu.data
            if not tpdu.eot:
                continue
            tsdu, pending[from_dut] = pending[from_dut], b""
            upper = frame_upper(entry, tsdu, contexts)
            contexts = upper.contexts or contexts
            pdu = frame_pdu(entry, upper.mms) if upper.mms is not None else None
        except (osi.OsiError, mms.MmsError) as exc:
            if not from_dut:
                raise
            findings.append(Finding.of("MMS-FRAME-DECODE", str(exc), index))
            if isinstance(exc, osi.OsiError) and exc.layer in ("TPKT", "COTP"):
                broken[from_dut] = True
            continue
        if from_dut:
            long_forms = _long_forms(upper)
            if long_forms:
                findings.append(Finding.of("MMS-BER-LENGTH", f"{long_forms} BER length(s) in a longer form than "
                                           "needed", index, count=long_forms))
        out.append(Message(index, from_dut, tpdu, upper, pdu))
    return out


def _long_forms(upper: osi.Upper) -> int:
    """Long-form lengths in the BER layers of a TSDU: the session user data nests presentation, ACSE and MMS in
    one BER tree, counted when the presentation layer decoded it (:attr:`osi.Upper.long_forms`)."""
    return upper.long_forms


def _association(messages: list[Message], dut: str, findings: list[Finding]) -> None:
    if dut != "server":
        return
    cr = next((m for m in messages if not m.from_dut and isinstance(m.tpdu, osi.CotpConnect)), None)
    if cr is None:
        return
    cc = next((m for m in messages if m.from_dut), None)
    if cc is None or not isinstance(cc.tpdu, osi.CotpConnect) or not cc.tpdu.confirm:
        findings.append(Finding.of("MMS-ASSOCIATION", "the COTP CR was not answered with a CC",
                                   cc.index if cc else None))
        return
    request = next((m for m in messages if not m.from_dut and isinstance(m.pdu, mms.Initiate)), None)
    if request is None:
        return
    answer = next((m for m in messages if m.from_dut and m.index > request.index), None)
    if answer is None or answer.upper is None or answer.upper.spdu.si != osi.SI_ACCEPT or \
            answer.upper.acse is None or answer.upper.acse.kind != osi.AARE or answer.upper.acse.result != 0 or \
            not isinstance(answer.pdu, mms.Initiate) or not answer.pdu.response:
        what = "nothing" if answer is None else (answer.upper.spdu.name if answer.upper else type(answer.tpdu).__name__)
        findings.append(Finding.of("MMS-ASSOCIATION", f"the association request was answered with {what}, not an "
                                   "accepted AARE with an initiate-Response", answer.index if answer else None))
        return
    proposed, got = request.pdu, answer.pdu
    assert isinstance(proposed, mms.Initiate)
    for field in ("max_calling", "max_called"):
        if getattr(got, field) > getattr(proposed, field):
            findings.append(Finding.of("MMS-INITIATE-NEGOTIATION", f"{field.replace('_', ' ')} "
                                       f"{getattr(got, field)} above the {getattr(proposed, field)} proposed",
                                       answer.index))
    if got.nesting is not None and proposed.nesting is not None and got.nesting > proposed.nesting:
        findings.append(Finding.of("MMS-INITIATE-NEGOTIATION", f"nesting level {got.nesting} above the "
                                   f"{proposed.nesting} proposed", answer.index))


def _exchanges(messages: list[Message], dut: str, read_only: set[mms.Name], findings: list[Finding]) -> None:
    requester_is_dut = dut == "client"
    outstanding: dict[int, Message] = {}
    max_calling: int | None = None
    released = False
    for m in messages:
        pdu = m.pdu
        if isinstance(pdu, mms.Initiate) and pdu.response:
            max_calling = pdu.max_calling
        if m.upper is not None and m.upper.acse is not None and m.upper.acse.kind in (osi.RLRQ, osi.ABRT):
            released = released or m.from_dut == requester_is_dut
        if isinstance(pdu, mms.Conclude) and not pdu.response and m.from_dut == requester_is_dut:
            released = True
        if isinstance(pdu, mms.ConfirmedRequest) and m.from_dut == requester_is_dut:
            if m.from_dut and pdu.invoke_id in outstanding:
                findings.append(Finding.of("MMS-INVOKE-ID", f"invokeID {pdu.invoke_id} reused while its request "
                                           "is outstanding", m.index))
            outstanding[pdu.invoke_id] = m
            if m.from_dut and max_calling is not None and len(outstanding) > max_calling:
                findings.append(Finding.of("MMS-OUTSTANDING", f"{len(outstanding)} requests outstanding, "
                                           f"{max_calling} negotiated", m.index))
            continue
        if isinstance(pdu, (mms.ConfirmedResponse, mms.ConfirmedError)) and m.from_dut != requester_is_dut:
            request = outstanding.pop(pdu.invoke_id, None)
            if request is None:
                if m.from_dut:
                    findings.append(Finding.of("MMS-INVOKE-ID", f"{type(pdu).__name__} to invokeID "
                                               f"{pdu.invoke_id}, which no outstanding request has", m.index))
                continue
            if m.from_dut and isinstance(pdu, mms.ConfirmedResponse):
                _judge_response(request, m, read_only, findings)
        if isinstance(pdu, mms.Reject) and m.from_dut != requester_is_dut and pdu.invoke_id is not None:
            outstanding.pop(pdu.invoke_id, None)
    if not requester_is_dut:
        for request in outstanding.values():
            findings.append(Finding.of("MMS-RESPONSE-MISSING", f"no answer to invokeID "
                                       f"{request.pdu.invoke_id}", request.index))  # type: ignore[union-attr]
    elif messages and not released:
        findings.append(Finding.of("MMS-RELEASE", "the client closed the connection without an MMS conclude or "
                                   "an ACSE release or abort", messages[-1].index))


def _judge_response(request: Message, answer: Message, read_only: set[mms.Name], findings: list[Finding]) -> None:
    req, resp = request.pdu, answer.pdu
    assert isinstance(req, mms.ConfirmedRequest) and isinstance(resp, mms.ConfirmedResponse)
    if req.service.tag != resp.service.tag:
        findings.append(Finding.of("MMS-RESPONSE-SERVICE", f"{mms.SERVICE_NAMES[resp.service.tag]} response to a "
                                   f"{mms.SERVICE_NAMES[req.service.tag]} request", answer.index))
        return
    if isinstance(req.service, (mms.ReadRequest, mms.WriteRequest)):
        results = resp.service.results  # type: ignore[union-attr]
        if len(results) != len(req.service.names):
            findings.append(Finding.of("MMS-RESULT-COUNT", f"{len(results)} results for "
                                       f"{len(req.service.names)} variables", answer.index))
            return
    if isinstance(req.service, mms.WriteRequest):
        for name, result in zip(req.service.names, resp.service.results):  # type: ignore[union-attr]
            if name in read_only and result is None:
                findings.append(Finding.of("MMS-READONLY-WRITE", f"the write to read-only {name} was accepted",
                                           answer.index, variable=str(name)))


def _release(messages: list[Message], dut: str, findings: list[Finding]) -> None:
    """The device server's answer to the harness's release request: a DISCONNECT carrying an RLRE."""
    if dut != "server":
        return
    rlrq = next((m for m in messages if not m.from_dut and m.upper is not None and m.upper.acse is not None
                 and m.upper.acse.kind == osi.RLRQ), None)
    if rlrq is None:
        return
    answer = next((m for m in messages if m.from_dut and m.index > rlrq.index), None)
    if answer is None:
        findings.append(Finding.of("MMS-RELEASE-UNANSWERED", "the connection closed without an answer to the "
                                   "release request", rlrq.index))
        return
    upper = answer.upper
    if upper is None or upper.spdu.si != osi.SI_DISCONNECT or upper.acse is None or upper.acse.kind != osi.RLRE:
        what = type(answer.tpdu).__name__ if upper is None else \
            f"{upper.spdu.name}{' with ' + upper.acse.name if upper.acse else ' without an ACSE APDU'}"
        findings.append(Finding.of("MMS-RELEASE-RESPONSE", f"the release request was answered with {what}",
                                   answer.index))

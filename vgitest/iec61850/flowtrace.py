"""The frames of one Table 5 flow as trace frames: named so that :mod:`vgitest.table5` finds each row, and measured.

Names and kinds. MMS data frames carry their PDU: ``MMS Write PowerRequest (<ref>)`` (kind REQUEST / RESPONSE, rows
1 and 2), ``MMS Read EVParameters (<n> variables)`` (rows 3 and 4), other reads and writes ``MMS Read`` / ``MMS
Write`` with their first variable; association and release frames are kind ``ASSOCIATION`` / ``RELEASE``. GOOSE
frames are kind ``GOOSE`` named ``GOOSE initiate`` / ``GOOSE terminate`` (rows 5 and 7, by the charging state they
carry), SV frames kind ``SV`` named ``SV SoC update`` (row 6).

Sizes. ``meta["frame_size"]`` is what a Table 5 row is compared with, ``meta["apdu_size"]`` the application PDU.
For GOOSE and SV the frame is the bytes the AF_PACKET socket carried (MAC addresses to the end of the padding, no
FCS) and the APDU the header's Length (APPID to the end of the PDU). For MMS the socket is a TCP stream, so the
frame is the TPKT (as logged by the MMS peer) plus 54 bytes: Ethernet (14), IPv4 (20) and TCP (20) headers without
options, one TPKT per segment. That is the reading in which Table 5 row 2 ("ACK, 54 B") is a whole frame; Linux
adds 12 bytes of TCP timestamps to every segment, which the figure leaves out on purpose (a device's stack
decides it, its MMS implementation does not). The MMS PDU size is the MMS PDU alone (no OSI upper layers). A
message the sender segmented into several COTP DTs is named and sized on its last frame, its frame size the sum of
its segments' (each with its own 54 bytes).
``meta["raw_size"]`` is the frame size, so the trace's ``Frame.size`` and the Table 5 report use it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..trace import Direction
from . import ber, goose, mms, model, osi, sv
from .ether import ETHERTYPE_GOOSE, ETHERTYPE_SV, FrameError, ethertype, measure
from .flow import EV_ATTRIBUTES, is_charging_goose
from .mms_peer import frame_pdu, frame_tpdu, frame_upper

TCP_IP_ETHERNET = 54  # Ethernet 14 + IPv4 20 + TCP 20, no options
POWER_REQUEST = "MMS Write PowerRequest"
EV_PARAMETERS = "MMS Read EVParameters"


@dataclasses.dataclass
class Item:
    """One frame ready for the trace (``index`` is its place in the record list it came from)."""

    t_ns: int
    direction: Direction
    kind: str
    name: str
    raw: bytes
    meta: dict[str, Any]
    correlation: str | None = None
    index: int = -1


def l2_items(records: Sequence[Any]) -> list[Item]:
    """GOOSE/SV records (:class:`~vgitest.iec61850.l2.Seen`) as items; ``rx`` is the device's."""
    out = []
    for i, r in enumerate(records):
        direction = Direction.IN if r.direction == "rx" else Direction.OUT
        etype = ethertype(r.raw)
        meta: dict[str, Any] = {"frame_size": len(r.raw), "raw_size": len(r.raw)}
        try:
            f = goose.decode(r.raw) if etype == ETHERTYPE_GOOSE else sv.decode(r.raw) if etype == ETHERTYPE_SV \
                else None
            if f is not None:
                meta["apdu_size"] = measure(r.raw, etype).apdu  # type: ignore[arg-type]
        except FrameError as exc:
            out.append(Item(r.t_ns, direction, "MALFORMED", f"0x{etype or 0:04X} frame: {exc}", r.raw, meta, index=i))
            continue
        if isinstance(f, goose.GooseFrame):
            charging = is_charging_goose(f)
            name = "GOOSE initiate" if charging else "GOOSE terminate" if charging is False else "GOOSE"
            meta.update(row=5 if charging else 7 if charging is False else None, stNum=f.pdu.st_num,
                        sqNum=f.pdu.sq_num, timeAllowedtoLive=f.pdu.time_allowed_to_live)
            out.append(Item(r.t_ns, direction, "GOOSE", name, r.raw, meta, f"st{f.pdu.st_num}", i))
        elif isinstance(f, sv.SvFrame):
            meta.update(row=6, smpCnt=[a.smp_cnt for a in f.pdu.asdus], svID=[a.sv_id for a in f.pdu.asdus])
            out.append(Item(r.t_ns, direction, "SV", "SV SoC update", r.raw, meta, index=i))
    return out


def mms_items(log: Sequence[Any], harness_is_client: bool) -> list[Item]:
    """One association's frame log (:class:`~vgitest.iec61850.mms_peer.FrameLog`) as items; the frames the harness
    did not send are the device's. ``harness_is_client`` says which side's requests the rows count."""
    out: list[Item] = []
    requests: dict[int, str] = {}
    last_request = ""
    contexts = osi.DEFAULT_IDS  # until the CONNECT proposes the association's own
    segments: dict[bool, tuple[bytes, int]] = {True: (b"", 0), False: (b"", 0)}  # per sender: data, frame bytes
    for i, entry in enumerate(log):
        direction = Direction.OUT if entry.sent else Direction.IN
        size = len(entry.frame) + TCP_IP_ETHERNET
        meta: dict[str, Any] = {"frame_size": size, "raw_size": size, "tpkt_size": len(entry.frame),
                                "harness": "client" if harness_is_client else "server"}
        kind, name, corr = "MALFORMED", "MMS ?", None
        try:
            tpdu = frame_tpdu(entry)  # decoded once for the checks and the trace
            if isinstance(tpdu, osi.CotpConnect):
                kind, name = "ASSOCIATION", "COTP CC" if tpdu.confirm else "COTP CR"
            elif not isinstance(tpdu, osi.CotpData):
                kind, name = "RELEASE", f"COTP {type(tpdu).__name__}"
            elif not tpdu.eot:  # a segment: the message is named (and sized, all segments) on its last one
                data, before = segments[entry.sent]
                segments[entry.sent] = (data + tpdu.data, before + size)
                kind, name = "SEGMENT", "COTP DT (segment)"
            else:
                data, before = segments[entry.sent]
                segments[entry.sent] = (b"", 0)
                if before:
                    meta.update(frame_size=before + size, raw_size=before + size, segmented=True)
                upper = frame_upper(entry, data + tpdu.data, contexts)
                contexts = upper.contexts or contexts
                pdu = frame_pdu(entry, upper.mms) if upper.mms is not None else None
                meta["apdu_size"] = len(upper.mms) if upper.mms is not None else 0
                kind, name = ("ASSOCIATION" if upper.spdu.si in (osi.SI_CONNECT, osi.SI_ACCEPT) else "RELEASE",
                              f"{upper.spdu.name}" + (f" {upper.acse.name}" if upper.acse is not None else ""))
                if isinstance(pdu, mms.ConfirmedRequest):
                    kind, name, corr = "REQUEST", _request_name(pdu.service), str(pdu.invoke_id)
                    requests[pdu.invoke_id] = last_request = name
                elif isinstance(pdu, mms.ConfirmedResponse):
                    kind, corr = "RESPONSE", str(pdu.invoke_id)
                    name = requests.get(pdu.invoke_id, last_request) or f"MMS {mms.SERVICE_NAMES[pdu.service.tag]}"
                elif isinstance(pdu, (mms.ConfirmedError, mms.Reject)):
                    kind, name = "ERROR", f"MMS {type(pdu).__name__}"
                elif isinstance(pdu, mms.Conclude):
                    kind, name = "RELEASE", "MMS Conclude"
                elif pdu is not None:
                    name = f"MMS {type(pdu).__name__}"
        except (osi.OsiError, mms.MmsError, ber.BerError) as exc:
            name = f"MMS frame that does not decode: {exc}"
        if kind in ("REQUEST", "RESPONSE") and (name.startswith(POWER_REQUEST) or name.startswith(EV_PARAMETERS)):
            rows = (1, 2) if name.startswith(POWER_REQUEST) else (3, 4)
            meta["row"] = rows[0] if kind == "REQUEST" else rows[1]
        out.append(Item(int(entry.at * 1e9), direction, kind, name, entry.frame, meta, corr, i))
    return out


def _request_name(svc: Any) -> str:
    if isinstance(svc, mms.WriteRequest):
        refs = [str(n) for n in svc.names]
        if set(refs) == {model.POWER_REQUEST}:
            return f"{POWER_REQUEST} ({refs[0]})"
        return f"MMS Write ({', '.join(refs)})"
    if isinstance(svc, mms.ReadRequest):
        refs = [str(n) for n in svc.names]
        if set(refs) in (set(model.EV_PARAMETERS), set(EV_ATTRIBUTES)):
            return f"{EV_PARAMETERS} ({len(refs)} variables)"
        return f"MMS Read ({', '.join(refs)})"
    return f"MMS {mms.SERVICE_NAMES.get(svc.tag, type(svc).__name__)}"

"""Judge a received GOOSE or SV stream (the frames a device published, as the harness recorded them).

Input is any sequence of records with ``t_ns`` (receive time, monotonic ns) and ``raw`` (the frame), such as
:class:`~vgitest.iec61850.l2.Seen`; findings point at the record's index. GOOSE streams are told apart by source
MAC, APPID and gocbRef, SV streams by source MAC and APPID, so two publishers on one link are judged separately.
Rule ids and the timing tolerance are in :mod:`vgitest.iec61850.rules`.

What the checks cannot tell apart, and say so in the message: a gap in sqNum or smpCnt seen at the subscriber is
either the publisher skipping or a frame lost on the link; on the harness's own veth link nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from typing import Protocol, TypeVar

from ..findings import Finding
from . import rules as _rules  # noqa: F401 - registers the rule ids
from .ether import FrameError
from .goose import GooseFrame
from .goose import decode as decode_goose
from .publisher import next_counter
from .sv import SvFrame
from .sv import decode as decode_sv

TAL_TOLERANCE_MS = 2.0
INTERVAL_TOLERANCE_MS = 1.0  # receive-time jitter allowed before a shorter repeat interval counts as shrinking
SMPCNT_WRAP = 1 << 16  # without a configured wrap (smpRate per second), smpCnt wraps after 65535
F = TypeVar("F", GooseFrame, SvFrame)


class Recorded(Protocol):
    t_ns: int
    raw: bytes


def _decoded(records: Sequence[Recorded], decode: Callable[[bytes], F], kind: str,
             out: list[Finding]) -> Iterator[tuple[int, Recorded, F]]:
    """Each record that decodes, with its index; the others become ``<kind>-FRAME-DECODE`` findings in ``out``."""
    for i, r in enumerate(records):
        try:
            yield i, r, decode(r.raw)
        except FrameError as exc:
            out.append(Finding.of(f"{kind}-FRAME-DECODE", f"frame {i} is not a well-formed {kind} frame: {exc}", i))


def check_goose(records: Sequence[Recorded], end_ns: int | None = None,
                tolerance_ms: float = TAL_TOLERANCE_MS) -> list[Finding]:
    """Findings on every GOOSE stream in ``records``. With ``end_ns`` (when the observation stopped), a stream
    whose last message expired before then is a finding too."""
    out: list[Finding] = []
    streams: dict[tuple[bytes, int, str], list[tuple[int, int, GooseFrame]]] = {}
    for i, r, f in _decoded(records, decode_goose, "GOOSE", out):
        if f.pdu.num_dat_set_entries != len(f.pdu.all_data):
            out.append(Finding.of("GOOSE-ENTRIES", f"numDatSetEntries {f.pdu.num_dat_set_entries} but "
                                  f"{len(f.pdu.all_data)} allData values", i))
        if f.header.simulation != f.pdu.simulation:
            out.append(Finding.of("GOOSE-SIMULATION", f"Reserved 1 simulation bit {int(f.header.simulation)} but "
                                  f"goosePdu simulation {str(f.pdu.simulation).upper()}", i))
        streams.setdefault((f.header.src, f.header.appid, f.pdu.gocb_ref), []).append((i, r.t_ns, f))
    for msgs in streams.values():
        out += _goose_stream(msgs, end_ns, tolerance_ms)
    return sorted(out, key=lambda f: (f.frame_index if f.frame_index is not None else 1 << 62))


def _goose_stream(msgs: list[tuple[int, int, GooseFrame]], end_ns: int | None,
                  tolerance_ms: float) -> list[Finding]:
    out: list[Finding] = []
    ref = msgs[0][2].pdu.gocb_ref
    last_gap: int | None = None
    for (_ia, ta, a), (ib, tb, b) in pairwise(msgs):
        pa, pb = a.pdu, b.pdu
        gap_ms = (tb - ta) / 1e6
        if gap_ms > pa.time_allowed_to_live + tolerance_ms:
            out.append(Finding.of("GOOSE-TAL-EXPIRED", f"{ref}: message {ib} came {gap_ms:.1f} ms after the previous "
                                  f"one, whose timeAllowedtoLive was {pa.time_allowed_to_live} ms", ib,
                                  gap_ms=round(gap_ms, 3), tal_ms=pa.time_allowed_to_live))
        if pb.st_num == pa.st_num:
            if pb.sq_num != next_counter(pa.sq_num):
                out.append(Finding.of("GOOSE-SQNUM", f"{ref}: sqNum {pa.sq_num} then {pb.sq_num} in state "
                                      f"{pb.st_num} (a skip is a publisher fault or a lost frame)", ib))
            if [d.encode() for d in pb.all_data] != [d.encode() for d in pa.all_data]:
                out.append(Finding.of("GOOSE-DATA-CHANGE", f"{ref}: allData changed without a new stNum "
                                      f"({pb.st_num})", ib))
            if pb.t != pa.t:
                out.append(Finding.of("GOOSE-T", f"{ref}: t changed from {pa.t.to_float():.6f} to "
                                      f"{pb.t.to_float():.6f} without a new stNum ({pb.st_num})", ib))
            gap = tb - ta
            if last_gap is not None and gap < last_gap - INTERVAL_TOLERANCE_MS * 1e6 and pb.sq_num > 1:
                out.append(Finding.of("GOOSE-RETRANSMISSION", f"{ref}: retransmission interval shrank from "
                                      f"{last_gap / 1e6:.1f} to {gap / 1e6:.1f} ms", ib))
            last_gap = gap
        else:
            last_gap = None
            if pb.st_num != next_counter(pa.st_num):
                out.append(Finding.of("GOOSE-STNUM", f"{ref}: stNum {pa.st_num} then {pb.st_num}", ib))
            if pb.sq_num != 0:
                out.append(Finding.of("GOOSE-SQNUM", f"{ref}: new state {pb.st_num} starts with sqNum {pb.sq_num}",
                                      ib))
    i_last, t_last, last = msgs[-1]
    if end_ns is not None and (end_ns - t_last) / 1e6 > last.pdu.time_allowed_to_live + tolerance_ms:
        out.append(Finding.of("GOOSE-TAL-EXPIRED", f"{ref}: nothing followed message {i_last} within its "
                              f"timeAllowedtoLive of {last.pdu.time_allowed_to_live} ms "
                              f"(observed {(end_ns - t_last) / 1e6:.1f} ms more)", i_last))
    return out


def check_sv(records: Sequence[Recorded], sv_id: str | None = None, wrap: int | None = None) -> list[Finding]:
    """Findings on every SV stream in ``records``: ``sv_id`` is the configured svID (None: any, but constant);
    ``wrap`` the smpCnt wrap value (the sample rate per second when smpCnt counts within a second)."""
    out: list[Finding] = []
    streams: dict[tuple[bytes, int], list[tuple[int, SvFrame]]] = {}
    for i, _r, f in _decoded(records, decode_sv, "SV", out):
        if f.pdu.no_asdu != len(f.pdu.asdus):
            out.append(Finding.of("SV-NOASDU", f"noASDU {f.pdu.no_asdu} but {len(f.pdu.asdus)} ASDUs", i))
        streams.setdefault((f.header.src, f.header.appid), []).append((i, f))
    for (src, appid), frames in streams.items():
        asdus = [(i, a) for i, f in frames for a in f.pdu.asdus]
        first_id = asdus[0][1].sv_id if asdus else None
        wanted = sv_id if sv_id is not None else first_id
        for i, a in asdus:
            if a.sv_id != wanted:
                why = "the configured" if sv_id is not None else "the stream's first"
                out.append(Finding.of("SV-SVID", f"stream {src.hex()}/0x{appid:04X}: svID {a.sv_id!r} where {why} "
                                      f"is {wanted!r}", i))
                break  # one finding per stream: every later ASDU would repeat it
        limit = wrap or SMPCNT_WRAP
        for (_ia, a), (ib, b) in pairwise(asdus):
            expected = (a.smp_cnt + 1) % limit
            if b.smp_cnt != expected and not (wrap is None and b.smp_cnt == 0):
                out.append(Finding.of("SV-SMPCNT", f"stream {src.hex()}/0x{appid:04X}: smpCnt {a.smp_cnt} then "
                                      f"{b.smp_cnt} (expected {expected}; a gap is a publisher fault or a lost "
                                      f"frame)", ib, previous=a.smp_cnt, got=b.smp_cnt))
    return sorted(out, key=lambda f: (f.frame_index if f.frame_index is not None else 1 << 62))

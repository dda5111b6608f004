"""Judge one side of a recorded SLAC session (the device under test) against ISO 15118-3's sequence and timers.

Input is the recording of one endpoint (normally the harness's emulated peer; the DUT's own recording works
too, and is the only way to see its CM_SET_KEY exchange). ``tx`` records were sent by the recording side,
``rx`` records by the other side, so the sender of a frame never depends on trusting its contents.
Only the DUT's behaviour becomes findings: a peer that misbehaves is the harness's problem, not the DUT's.
Timer budgets come from ``schemas/budgets/slac.toml`` via :class:`SlacTimers`. One matching session per
recording (RunID of the first CM_SLAC_PARM.REQ).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ..findings import Finding
from . import rules as _rules  # noqa: F401 - registers the SLAC rule ids
from .frames import (
    BROADCAST,
    MIN_FRAME_LEN,
    AttenCharInd,
    Frame,
    MMType,
    MnbcSoundInd,
    SetKeyReq,
    SlacFrameError,
    SlacMatchCnf,
    SlacMatchReq,
    SlacParmCnf,
    decode,
)
from .link import Record
from .timers import SlacTimers

SIDES = ("ev", "evse")
EV_SENDS = frozenset({MMType.CM_SLAC_PARM_REQ, MMType.CM_START_ATTEN_CHAR_IND, MMType.CM_MNBC_SOUND_IND,
                      MMType.CM_ATTEN_CHAR_RSP, MMType.CM_SLAC_MATCH_REQ})
EVSE_SENDS = frozenset({MMType.CM_SLAC_PARM_CNF, MMType.CM_ATTEN_CHAR_IND, MMType.CM_SLAC_MATCH_CNF})
# (request, answer, side that answers)
EXCHANGES = ((MMType.CM_SLAC_PARM_REQ, MMType.CM_SLAC_PARM_CNF, "evse"),
             (MMType.CM_ATTEN_CHAR_IND, MMType.CM_ATTEN_CHAR_RSP, "ev"),
             (MMType.CM_SLAC_MATCH_REQ, MMType.CM_SLAC_MATCH_CNF, "evse"))


@dataclasses.dataclass(frozen=True)
class Entry:
    index: int
    t_ns: int
    sender: str
    raw: bytes
    frame: Frame | None
    error: str = ""

    @property
    def mmtype(self) -> MMType | None:
        return self.frame.mmtype if self.frame else None

    @property
    def run_id(self) -> bytes | None:
        return getattr(self.frame.mme, "run_id", None) if self.frame else None


def _label(mmtype: MMType | None) -> str:
    """CM_SLAC_MATCH_REQ -> CM_SLAC_MATCH.REQ, the way the standard writes message names."""
    if mmtype is None:
        return "?"
    head, _, prim = mmtype.name.rpartition("_")
    return f"{head}.{prim}"


def _ms(ns: int) -> float:
    return round(ns / 1e6, 1)


class _Judge:
    def __init__(self, records: Sequence[Record], dut: str, recorded_by: str, timers: SlacTimers) -> None:
        if dut not in SIDES or recorded_by not in SIDES:
            raise ValueError(f"dut and recorded_by must be one of {SIDES}")
        self.dut, self.t = dut, timers
        self.peer = "evse" if dut == "ev" else "ev"
        self.findings: list[Finding] = []
        self.plc: list[Entry] = []
        self.modem: list[Entry] = []
        other = "evse" if recorded_by == "ev" else "ev"
        for i, rec in enumerate(records):
            sender = recorded_by if rec.direction == "tx" else other
            try:
                entry = Entry(i, rec.t_ns, sender, rec.raw, decode(rec.raw))
            except SlacFrameError as exc:
                entry = Entry(i, rec.t_ns, sender, rec.raw, None, str(exc))
            (self.modem if rec.via == "modem" else self.plc).append(entry)
        self.plc.sort(key=lambda e: (e.t_ns, e.index))

    def add(self, rule: str, message: str, entry: Entry | None = None, **details: Any) -> None:
        self.findings.append(Finding.of(rule, message, entry.index if entry else None, **details))

    def of(self, mmtype: MMType, sender: str | None = None, run_id: bytes | None = None) -> list[Entry]:
        return [e for e in self.plc if e.mmtype is mmtype and (sender is None or e.sender == sender)
                and (run_id is None or e.run_id == run_id)]

    def first(self, mmtype: MMType, sender: str | None = None) -> Entry | None:
        got = self.of(mmtype, sender)
        return got[0] if got else None

    # ---- frame validity -------------------------------------------------------------------------------
    def frames(self) -> None:
        own = EV_SENDS if self.dut == "ev" else EVSE_SENDS
        short = [e for e in self.plc if e.sender == self.dut and len(e.raw) < MIN_FRAME_LEN]
        if short:
            self.add("SLAC-FRAME-PADDING", f"{len(short)} frame(s) of the {self.dut.upper()} are shorter than "
                     f"{MIN_FRAME_LEN} bytes (first: {len(short[0].raw)} bytes)", short[0], count=len(short))
        for e in self.plc:
            if e.sender != self.dut:
                continue
            if e.frame is None:
                self.add("SLAC-FRAME-DECODE", f"{self.dut.upper()} frame does not decode: {e.error}", e,
                         hex=e.raw.hex())
                continue
            if e.mmtype not in own and e.mmtype in (EV_SENDS | EVSE_SENDS):
                self.add("SLAC-SEQUENCE", f"the {self.dut.upper()} sent {_label(e.mmtype)}, a message of the other "
                         "side", e)
            for problem in e.frame.mme.problems():
                self.add("SLAC-FRAME-FIELD", f"{_label(e.mmtype)}: {problem}", e)

    # ---- run id ---------------------------------------------------------------------------------------
    def run_ids(self, run_id: bytes) -> None:
        seen: set[MMType] = set()
        for e in self.plc:
            if e.sender != self.dut or e.run_id is None or e.run_id == run_id or e.mmtype in seen:
                continue
            seen.add(e.mmtype)  # type: ignore[arg-type]
            self.add("SLAC-RUN-ID", f"{_label(e.mmtype)} carries RunID {e.run_id.hex()}, the session's is "
                     f"{run_id.hex()}", e, run_id=e.run_id.hex(), expected=run_id.hex())

    # ---- request / answer pairs -----------------------------------------------------------------------
    def exchanges(self, run_id: bytes) -> list[tuple[Entry, Entry]]:
        """Pair requests and answers in order. A request with a foreign RunID needs no answer (the asker's
        fault), nor does a CM_ATTEN_CHAR.IND that came after the EV's TT_EV_atten_results had run out."""
        budget_ns = int(self.t.match_response * 1e9)
        atten_end = self.atten_deadline()
        pairs: list[tuple[Entry, Entry]] = []
        for req_type, rsp_type, answerer in EXCHANGES:
            asker = "ev" if answerer == "evse" else "evse"
            pending: list[Entry] = []
            late: list[tuple[Entry, Entry]] = []
            for e in self.plc:
                if e.mmtype is req_type and e.sender == asker:
                    if e.run_id != run_id:
                        continue
                    if req_type is MMType.CM_ATTEN_CHAR_IND and atten_end is not None and e.t_ns > atten_end:
                        continue
                    pending.append(e)
                elif e.mmtype is rsp_type and e.sender == answerer:
                    if not pending:
                        if answerer == self.dut:
                            self.add("SLAC-SEQUENCE", f"{_label(rsp_type)} answers no pending {_label(req_type)}", e)
                        continue
                    req = pending.pop(0)
                    pairs.append((req, e))
                    if e.t_ns - req.t_ns > budget_ns:
                        late.append((req, e))
            if answerer != self.dut:
                continue
            if late:
                req, rsp = late[0]
                self.add("SLAC-RESPONSE-TIME", f"{_label(rsp_type)} came {_ms(rsp.t_ns - req.t_ns)} ms after "
                         f"{_label(req_type)} (TT_match_response {self.t.match_response * 1000:.0f} ms); "
                         f"{len(late)} late answer(s)", rsp, request_frame=req.index, late=len(late))
            if pending:
                self.add("SLAC-RESPONSE-MISSING", f"{len(pending)} {_label(req_type)} without {_label(rsp_type)}",
                         pending[0], unanswered=len(pending))
        return pairs

    def atten_deadline(self) -> int | None:
        """When the EV stops waiting for CM_ATTEN_CHAR.IND (first CM_START_ATTEN_CHAR.IND + TT_EV_atten_results)."""
        start = self.first(MMType.CM_START_ATTEN_CHAR_IND, "ev")
        return None if start is None else start.t_ns + int(self.t.ev_atten_results * 1e9)

    # ---- the EVSE as DUT --------------------------------------------------------------------------------
    def evse(self, run_id: bytes, pairs: list[tuple[Entry, Entry]]) -> None:
        first_req = self.first(MMType.CM_SLAC_PARM_REQ, "ev")
        for cnf in self.of(MMType.CM_SLAC_PARM_CNF, "evse"):
            if first_req is None or cnf.t_ns < first_req.t_ns:
                self.add("SLAC-SEQUENCE", "CM_SLAC_PARM.CNF before any CM_SLAC_PARM.REQ", cnf)
                break
        start = self.first(MMType.CM_START_ATTEN_CHAR_IND, "ev")
        inds = self.of(MMType.CM_ATTEN_CHAR_IND, "evse")
        if start is not None:
            if not inds:
                self.add("SLAC-ATTEN-CHAR-MISSING", "the EV sounded but the EVSE sent no CM_ATTEN_CHAR.IND", start)
            else:
                ind = inds[0]
                dt = ind.t_ns - start.t_ns
                if dt < 0:
                    self.add("SLAC-SEQUENCE", "CM_ATTEN_CHAR.IND before the EV's CM_START_ATTEN_CHAR.IND", ind)
                elif dt > int(self.t.ev_atten_results * 1e9):
                    self.add("SLAC-ATTEN-CHAR-TIME", f"CM_ATTEN_CHAR.IND came {_ms(dt)} ms after the first "
                             f"CM_START_ATTEN_CHAR.IND (TT_EV_atten_results {self.t.ev_atten_results * 1000:.0f}"
                             " ms)", ind, elapsed_ms=_ms(dt))
                sounds = len(self.of(MMType.CM_MNBC_SOUND_IND, "ev", run_id))
                assert isinstance(ind.frame.mme, AttenCharInd)  # type: ignore[union-attr]
                counted = ind.frame.mme.num_sounds  # type: ignore[union-attr]
                if counted > sounds:
                    self.add("SLAC-ATTEN-CHAR-SOUNDS", f"CM_ATTEN_CHAR.IND counts {counted} sounds, the EV sent "
                             f"{sounds}", ind, counted=counted, sent=sounds)
        for req, cnf in pairs:
            if cnf.mmtype is not MMType.CM_SLAC_MATCH_CNF:
                continue
            q, c = req.frame.mme, cnf.frame.mme  # type: ignore[union-attr]
            assert isinstance(q, SlacMatchReq) and isinstance(c, SlacMatchCnf)
            wrong = [n for n, ok in (("PEV MAC", c.pev_mac == q.pev_mac), ("EVSE MAC", c.evse_mac == cnf.raw[6:12]))
                     if not ok]
            if wrong:
                self.add("SLAC-MATCH-CONTENT", f"CM_SLAC_MATCH.CNF has the wrong {', '.join(wrong)}", cnf,
                         pev_mac=c.pev_mac.hex(":"), evse_mac=c.evse_mac.hex(":"))
            self.set_key(cnf, c)

    def set_key(self, cnf: Entry, c: SlacMatchCnf) -> None:
        keys = [e for e in self.modem if e.sender == "evse" and e.mmtype is MMType.CM_SET_KEY_REQ]
        if not keys:
            return  # the EVSE's modem exchange is only visible in the EVSE's own recording
        before = [e for e in keys if e.t_ns <= cnf.t_ns] or keys
        key = before[-1].frame.mme  # type: ignore[union-attr]
        assert isinstance(key, SetKeyReq)
        if (key.nid, key.new_key) != (c.nid, c.nmk):
            self.add("SLAC-SET-KEY", "the EVSE's modem got another NID/NMK than CM_SLAC_MATCH.CNF hands out", cnf,
                     set_key_frame=before[-1].index)

    # ---- the EV as DUT ----------------------------------------------------------------------------------
    def ev(self, run_id: bytes, parm_reqs: list[Entry]) -> None:
        t = self.t
        seq_ns = int(t.match_sequence * 1e9)
        reqs = [e for e in parm_reqs if e.run_id == run_id]
        gaps = [(b.t_ns - a.t_ns, b) for a, b in pairwise(reqs)]
        # a retry exactly TT_match_response after the request may look a little sooner at the capture point
        quick = [(g, e) for g, e in gaps if g < int((t.match_response - t.batch_tolerance) * 1e9)]
        if len(reqs) > 1 + t.match_retry or quick:
            at = quick[0][1] if quick else reqs[1 + t.match_retry]
            self.add("SLAC-PARM-RETRY", f"{len(reqs)} CM_SLAC_PARM.REQ (at most {1 + t.match_retry}); "
                     f"{len(quick)} repeated sooner than TT_match_response", at, count=len(reqs))

        cnfs = [e for e in self.of(MMType.CM_SLAC_PARM_CNF, "evse") if e.run_id == run_id]
        starts = self.of(MMType.CM_START_ATTEN_CHAR_IND, "ev")
        sounds = self.of(MMType.CM_MNBC_SOUND_IND, "ev")
        if starts and (not cnfs or starts[0].t_ns < cnfs[0].t_ns):
            self.add("SLAC-SEQUENCE", "CM_START_ATTEN_CHAR.IND before CM_SLAC_PARM.CNF", starts[0])
        if sounds and (not starts or sounds[0].t_ns < starts[0].t_ns):
            self.add("SLAC-SEQUENCE", "CM_MNBC_SOUND.IND before CM_START_ATTEN_CHAR.IND", sounds[0])
        if cnfs:
            if not starts:
                self.add("SLAC-SEQUENCE-TIMEOUT", "no CM_START_ATTEN_CHAR.IND after CM_SLAC_PARM.CNF", cnfs[0])
            elif starts[0].t_ns - cnfs[0].t_ns > seq_ns:
                self.add("SLAC-SEQUENCE-TIMEOUT", f"CM_START_ATTEN_CHAR.IND {_ms(starts[0].t_ns - cnfs[0].t_ns)} ms "
                         "after CM_SLAC_PARM.CNF", starts[0])
        if starts or sounds:
            self.sounding(starts, sounds, cnfs)

        atten_end = self.atten_deadline()
        inds = [e for e in self.of(MMType.CM_ATTEN_CHAR_IND, "evse", run_id)
                if atten_end is None or e.t_ns <= atten_end]  # a later one the EV may ignore
        matches = self.of(MMType.CM_SLAC_MATCH_REQ, "ev")
        if matches and (not inds or matches[0].t_ns < inds[0].t_ns):
            self.add("SLAC-SEQUENCE", "CM_SLAC_MATCH.REQ before CM_ATTEN_CHAR.IND", matches[0])
        if inds:
            rsps = self.of(MMType.CM_ATTEN_CHAR_RSP, "ev")
            base = rsps[0] if rsps else inds[0]
            label = "CM_ATTEN_CHAR.RSP" if rsps else "CM_ATTEN_CHAR.IND"
            after = [m for m in matches if m.t_ns >= base.t_ns]
            if not after:
                self.add("SLAC-SEQUENCE-TIMEOUT", f"no CM_SLAC_MATCH.REQ after {label}", base)
            elif after[0].t_ns - base.t_ns > seq_ns:
                self.add("SLAC-SEQUENCE-TIMEOUT", f"CM_SLAC_MATCH.REQ {_ms(after[0].t_ns - base.t_ns)} ms after "
                         f"{label} (TT_match_sequence {t.match_sequence * 1000:.0f} ms)", after[0],
                         elapsed_ms=_ms(after[0].t_ns - base.t_ns))
        for m in matches[:1]:
            q = m.frame.mme  # type: ignore[union-attr]
            assert isinstance(q, SlacMatchReq)
            wrong = [n for n, ok in (("PEV MAC", q.pev_mac == m.raw[6:12]), ("EVSE MAC", q.evse_mac == m.raw[0:6]),
                                     ("destination (unicast to the EVSE)", m.raw[0:6] != BROADCAST)) if not ok]
            if wrong:
                self.add("SLAC-MATCH-CONTENT", f"CM_SLAC_MATCH.REQ has the wrong {', '.join(wrong)}", m)

    def sounding(self, starts: list[Entry], sounds: list[Entry], cnfs: list[Entry]) -> None:
        t = self.t
        if len(starts) != t.start_atten_inds:
            self.add("SLAC-START-ATTEN-COUNT", f"{len(starts)} CM_START_ATTEN_CHAR.IND (expected "
                     f"{t.start_atten_inds})", starts[0] if starts else sounds[0], count=len(starts))
        cnf = cnfs[0].frame.mme if cnfs else None  # type: ignore[union-attr]
        expected = cnf.num_sounds if isinstance(cnf, SlacParmCnf) else t.num_sounds
        if len(sounds) != expected:
            self.add("SLAC-SOUND-COUNT", f"{len(sounds)} CM_MNBC_SOUND.IND, {expected} asked for",
                     sounds[-1] if sounds else starts[-1], count=len(sounds), expected=expected)
        counts = [e.frame.mme.count for e in sounds if isinstance(e.frame.mme, MnbcSoundInd)]  # type: ignore
        if counts and (counts[-1] != 0 or any(b >= a for a, b in pairwise(counts))):
            self.add("SLAC-SOUND-COUNTER", f"CM_MNBC_SOUND.IND Cnt values {counts} do not count down to 0",
                     sounds[0], counts=counts)
        batch = sorted(starts + sounds, key=lambda e: e.t_ns)
        gaps = [(b.t_ns - a.t_ns, b) for a, b in pairwise(batch)]
        lo, hi = int((t.batch_min - t.batch_tolerance) * 1e9), int((t.batch_max + t.batch_tolerance) * 1e9)
        bad = [(g, e) for g, e in gaps if not lo <= g <= hi]
        if bad:
            g, e = bad[0]
            self.add("SLAC-BATCH-INTERVAL", f"{len(bad)} of {len(gaps)} sounding intervals outside "
                     f"{t.batch_min * 1000:.0f}-{t.batch_max * 1000:.0f} ms (first: {_ms(g)} ms)", e,
                     min_ms=_ms(min(x for x, _ in gaps)), max_ms=_ms(max(x for x, _ in gaps)))

    def run(self) -> list[Finding]:
        self.frames()
        parm_reqs = self.of(MMType.CM_SLAC_PARM_REQ, "ev")
        if not parm_reqs:
            if self.dut == "ev":
                self.add("SLAC-NO-PARM-REQ", "the recording holds no CM_SLAC_PARM.REQ from the EV")
            return self.sorted()
        run_id = parm_reqs[0].run_id
        assert run_id is not None
        self.run_ids(run_id)
        pairs = self.exchanges(run_id)
        if self.dut == "evse":
            self.evse(run_id, pairs)
        else:
            self.ev(run_id, parm_reqs)
        return self.sorted()

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.frame_index is None, f.frame_index or 0))


def check(records: Sequence[Record], dut: str, recorded_by: str | None = None,
          timers: SlacTimers | None = None) -> list[Finding]:
    """Findings about ``dut`` ("ev" or "evse") in one endpoint's recording (by default the other side's).

    Total over the recorded bytes: a frame that does not decode is a SLAC-FRAME-DECODE finding (when the DUT sent
    it), never an exception; only a bad ``dut``/``recorded_by`` raises (``ValueError``)."""
    recorded_by = recorded_by or ("evse" if dut == "ev" else "ev")
    return _Judge(records, dut, recorded_by, timers or SlacTimers.from_budgets()).run()


def timeline(records: Sequence[Record]) -> list[dict[str, Any]]:
    """The recording as JSON-ready rows (evidence for a report): time relative to the first frame, type, hex."""
    if not records:
        return []
    t0 = records[0].t_ns
    return [dict(r.to_dict(), index=i, t_ms=_ms(r.t_ns - t0)) for i, r in enumerate(records)]

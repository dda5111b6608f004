"""Emulated SLAC roles (ISO 15118-3 matching): an EVSE and an EV, each with named, deliberate faults.

Each role is the harness's stand-in for the side that is *not* under test, and its faults let the checks
be tested against known defects. Both roles are lenient where leniency yields more evidence (the EVSE keeps
listening for CM_SLAC_MATCH.REQ even after an unanswered CM_ATTEN_CHAR.IND), and every wait has a deadline
derived from the SLAC timers, so a run always ends.

The "modem" of each side (the PLC chip that receives CM_SET_KEY.REQ from its host) is emulated in process:
the key exchange is recorded in the same recording with ``via="modem"`` but never put on the wire.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterable

from .frames import (
    AAG_GROUPS,
    BROADCAST,
    ETH_HEADER_LEN,
    MATCH_CNF_MVF_LENGTH,
    MATCH_REQ_MVF_LENGTH,
    MME_HEADER_LEN,
    NID_LEN,
    NMK_LEN,
    AttenCharInd,
    AttenCharRsp,
    Frame,
    MMType,
    MnbcSoundInd,
    SetKeyCnf,
    SetKeyReq,
    SlacMatchCnf,
    SlacMatchReq,
    SlacParmCnf,
    SlacParmReq,
    StartAttenCharInd,
    decode,
)
from .link import Link
from .timers import SlacTimers


@dataclasses.dataclass(frozen=True)
class Fault:
    """A deliberate defect of a role, and the rule id a check judging that role must report."""

    name: str
    description: str
    rule: str


def _faults(*rows: tuple[str, str, str]) -> dict[str, Fault]:
    return {name: Fault(name, text, rule) for name, text, rule in rows}


EVSE_FAULTS = _faults(
    ("no_parm_cnf", "never answers CM_SLAC_PARM.REQ", "SLAC-RESPONSE-MISSING"),
    ("late_parm_cnf", "answers CM_SLAC_PARM.REQ after 1.5 x TT_match_response", "SLAC-RESPONSE-TIME"),
    ("wrong_run_id", "CM_SLAC_PARM.CNF carries a RunID that is not the EV's", "SLAC-RUN-ID"),
    ("no_atten_char_ind", "never sends CM_ATTEN_CHAR.IND after the sounds", "SLAC-ATTEN-CHAR-MISSING"),
    ("atten_char_ind_late", "sends CM_ATTEN_CHAR.IND after TT_EV_atten_results", "SLAC-ATTEN-CHAR-TIME"),
    ("truncated_atten_char_ind", "sends a CM_ATTEN_CHAR.IND cut short (does not decode)", "SLAC-FRAME-DECODE"),
    ("no_match_cnf", "never answers CM_SLAC_MATCH.REQ", "SLAC-RESPONSE-MISSING"),
    ("late_match_cnf", "answers CM_SLAC_MATCH.REQ after 1.5 x TT_match_response", "SLAC-RESPONSE-TIME"),
    ("match_cnf_wrong_run_id", "CM_SLAC_MATCH.CNF carries a RunID that is not the EV's", "SLAC-RUN-ID"),
    ("wrong_mvf_length", "CM_SLAC_MATCH.CNF has MVFLength 0x3E instead of 0x56", "SLAC-FRAME-FIELD"),
    ("match_cnf_wrong_mac", "CM_SLAC_MATCH.CNF names another PEV MAC than the request", "SLAC-MATCH-CONTENT"),
    ("set_key_mismatch", "installs another NMK in its modem than it sends in CM_SLAC_MATCH.CNF", "SLAC-SET-KEY"),
    # robustness faults only generated input shows (suites/slac_fuzz)
    ("parm_any_app_type", "answers a CM_SLAC_PARM.REQ whatever its application type", "SLAC-FUZZ-IGNORE"),
    ("parm_reserved_security", "answers a CM_SLAC_PARM.REQ with a reserved security type", "SLAC-FUZZ-IGNORE"),
    ("match_any_mvf_length", "answers a CM_SLAC_MATCH.REQ whatever its MVFLength", "SLAC-FUZZ-IGNORE"),
    ("crash_on_cut_frame", "a SLAC frame cut short ends its session (it answers nothing more)", "SLAC-FUZZ-ALIVE"),
    ("deaf_after_unknown_mmtype", "an MME of an unknown MMTYPE makes it stop listening for the session",
     "SLAC-FUZZ-ALIVE"),
)

EV_FAULTS = _faults(
    ("no_atten_char_rsp", "never answers CM_ATTEN_CHAR.IND", "SLAC-RESPONSE-MISSING"),
    ("late_atten_char_rsp", "answers CM_ATTEN_CHAR.IND after 1.5 x TT_match_response", "SLAC-RESPONSE-TIME"),
    ("too_few_sounds", "sends 5 CM_MNBC_SOUND.IND instead of the announced number", "SLAC-SOUND-COUNT"),
    ("slow_sounds", "spaces its sounding messages 80 ms apart", "SLAC-BATCH-INTERVAL"),
    ("fast_sounds", "sends its sounding messages back to back (about 2 ms apart)", "SLAC-BATCH-INTERVAL"),
    ("single_start_atten", "sends CM_START_ATTEN_CHAR.IND once instead of 3 times", "SLAC-START-ATTEN-COUNT"),
    ("wrong_run_id_in_match", "CM_SLAC_MATCH.REQ carries another RunID than CM_SLAC_PARM.REQ",
     "SLAC-RUN-ID"),
    ("no_match_req", "stops after CM_ATTEN_CHAR.RSP without CM_SLAC_MATCH.REQ", "SLAC-SEQUENCE-TIMEOUT"),
    ("late_match_req", "sends CM_SLAC_MATCH.REQ after TT_match_sequence", "SLAC-SEQUENCE-TIMEOUT"),
    ("wrong_mvf_length", "CM_SLAC_MATCH.REQ has MVFLength 0x56 instead of 0x3E", "SLAC-FRAME-FIELD"),
    ("parm_req_flood", "repeats CM_SLAC_PARM.REQ every 20 ms, 6 times", "SLAC-PARM-RETRY"),
    ("unpadded_frames", "sends its frames without padding to the 60-byte minimum", "SLAC-FRAME-PADDING"),
    # robustness faults only generated input shows (suites/slac_fuzz)
    ("parm_cnf_any_app_type", "starts sounding on a CM_SLAC_PARM.CNF whatever its application type",
     "SLAC-FUZZ-IGNORE"),
    ("parm_cnf_any_run_id", "starts sounding on a CM_SLAC_PARM.CNF of another RunID", "SLAC-FUZZ-IGNORE"),
    ("atten_ind_any_run_id", "answers a CM_ATTEN_CHAR.IND of another RunID", "SLAC-FUZZ-IGNORE"),
    ("atten_ind_any_groups", "answers a CM_ATTEN_CHAR.IND whatever its NumGroups", "SLAC-FUZZ-IGNORE"),
    ("crash_on_cut_frame", "a SLAC frame cut short ends its session (it sends nothing more)", "SLAC-FUZZ-ALIVE"),
    ("match_cnf_any_run_id", "installs the NMK of a CM_SLAC_MATCH.CNF of another RunID", "SLAC-FUZZ-IGNORE"),
)

LATE_FACTOR = 1.5
BACKLOG_MAX = 64
OtherHandler = Callable[[Frame], Awaitable[None]]


class DeviceCrash(RuntimeError):
    """A robustness fault of a reference device ended its session on a frame it should have dropped."""


def _cut(raw: bytes) -> bool:
    """An undecodable frame whose header names a SLAC MME it is too short for (not an unknown MMTYPE)."""
    from .frames import MESSAGES, MMV_AV11
    return len(raw) < ETH_HEADER_LEN + MME_HEADER_LEN or (
        raw[14] == MMV_AV11 and int.from_bytes(raw[15:17], "little") in MESSAGES)


def _unknown_mmtype(raw: bytes) -> bool:
    from .frames import MESSAGES, MMV_AV11
    return (len(raw) >= ETH_HEADER_LEN + MME_HEADER_LEN and raw[14] == MMV_AV11
            and int.from_bytes(raw[15:17], "little") not in MESSAGES)


def _defects(mme: object) -> set[str]:
    """What a strict receiver finds wrong in a decoded MME (each a reason to drop it): "app", "security", "range"."""
    out = set()
    if getattr(mme, "application_type", 0) != 0:
        out.add("app")
    if getattr(mme, "security_type", 0) not in (0, 1):
        out.add("security")
    if isinstance(mme, SlacParmCnf) and (mme.num_sounds == 0 or mme.time_out == 0):
        out.add("range")
    if isinstance(mme, AttenCharInd) and mme.num_groups != AAG_GROUPS:
        out.add("groups")
    if isinstance(mme, SlacMatchReq) and mme.mvf_length != MATCH_REQ_MVF_LENGTH:
        out.add("mvf")
    if isinstance(mme, SlacMatchCnf) and mme.mvf_length != MATCH_CNF_MVF_LENGTH:
        out.add("mvf")
    return out


def _check_faults(faults: Iterable[str], known: dict[str, Fault], role: str) -> frozenset[str]:
    got = frozenset(faults)
    unknown = sorted(got - set(known))
    if unknown:
        raise ValueError(f"unknown {role} fault(s) {unknown}; known: {sorted(known)}")
    return got


def nid_from_nmk(nmk: bytes, security_level: int = 0) -> bytes:
    """A 7-byte NID derived from the NMK by repeated SHA-256 (54 bits plus the 2-bit security level).

    Only the emulation uses it; the checks do not require any particular derivation.
    """
    digest = nmk
    for _ in range(5):
        digest = hashlib.sha256(digest).digest()
    nid = bytearray(digest[:NID_LEN])
    nid[6] = (nid[6] >> 4) | ((security_level & 0x3) << 4)
    return bytes(nid)


@dataclasses.dataclass
class SlacResult:
    """What a role ended with; ``ok`` means the matching completed from its point of view."""

    role: str
    ok: bool
    reason: str = ""
    run_id: bytes | None = None
    peer_mac: bytes | None = None
    nid: bytes | None = None
    nmk: bytes | None = None
    attenuation_db: float | None = None


class EmulatedModem:
    """The local PLC modem of one side: takes CM_SET_KEY.REQ, confirms it, remembers the key."""

    MAC = bytes.fromhex("00b052000001")  # placeholder address of the local modem

    def __init__(self, link: Link) -> None:
        self.link = link
        self.nid: bytes | None = None
        self.nmk: bytes | None = None

    def set_key(self, nid: bytes, nmk: bytes) -> bool:
        req = Frame(self.MAC, self.link.mac, SetKeyReq(nid=nid, new_key=nmk, my_nonce=int.from_bytes(os.urandom(4),
                                                                                                   "little")))
        raw_req = req.encode()
        self.link.records.add("tx", raw_req, via="modem")
        got = decode(raw_req).mme
        assert isinstance(got, SetKeyReq)
        self.nid, self.nmk = got.nid, got.new_key
        cnf = Frame(self.link.mac, self.MAC, SetKeyCnf(result=0, your_nonce=got.my_nonce))
        self.link.records.add("rx", cnf.encode(), via="modem")
        return True


class _Role:
    role = ""

    # defects of a decoded MME a fault makes this role overlook (see _defects); others drop the frame when strict
    overlooked: frozenset[str] = frozenset()

    def __init__(self, link: Link, timers: SlacTimers | None = None, *, strict_input: bool = False) -> None:
        self.link = link
        self.t = timers or SlacTimers()
        self.modem = EmulatedModem(link)
        self._tasks: set[asyncio.Task[None]] = set()
        self._backlog: list[Frame] = []  # frames that arrived while waiting for something else
        # a reference device drops MMEs with values the message definition does not allow; the harness's own
        # role takes them (the checks judge them, and the session goes on to give more evidence)
        self.strict_input = strict_input

    def _acceptable(self, frame: Frame) -> bool:
        return not self.strict_input or not (_defects(frame.mme) - self.overlooked)

    def _watch_bad_frames(self, crash: bool, deaf: bool) -> None:
        """Robustness faults: a cut frame raises (the session ends), an unknown MMTYPE too (the role goes deaf)."""
        def on_bad(raw: bytes) -> None:
            if crash and _cut(raw):
                raise DeviceCrash("a cut SLAC frame")
            if deaf and _unknown_mmtype(raw):
                raise DeviceCrash("an unknown MMTYPE")
        if (crash or deaf) and hasattr(self.link, "on_bad"):
            self.link.on_bad = on_bad  # type: ignore[attr-defined]

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _send(self, frame: Frame, *, pad: bool = True) -> None:
        raw = frame.encode()
        if not pad:
            raw = raw[:ETH_HEADER_LEN + MME_HEADER_LEN + frame.mme.size()]
        await self.link.send_raw(raw)

    def _send_later(self, delay: float, frame: Frame) -> None:
        """Send after ``delay`` without blocking the role (late-answer faults keep listening meanwhile)."""
        async def later() -> None:
            await asyncio.sleep(delay)
            await self._send(frame)
        task = asyncio.get_running_loop().create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        """Let delayed sends go out (bounded: the longest delay used is below 2 s)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()

    async def _wait_for(self, deadline: float, *types: MMType, run_id: bytes | None = None,
                        on_other: OtherHandler | None = None) -> Frame | None:
        """The next frame of one of ``types`` (and ``run_id`` if given) before ``deadline`` (loop time).

        Other frames go to ``on_other`` if given, else to a bounded backlog that later waits look at first,
        so a message that arrives early (a CM_SLAC_MATCH.REQ while we still wait for CM_ATTEN_CHAR.RSP) is
        not lost.
        """
        def wanted(frame: Frame) -> bool:
            return (frame.mmtype in types and (run_id is None or getattr(frame.mme, "run_id", None) == run_id)
                    and self._acceptable(frame))

        backlog, self._backlog = self._backlog, []
        for i, frame in enumerate(backlog):
            if wanted(frame):
                self._backlog = backlog[i + 1:] + self._backlog
                return frame
            if on_other is not None:
                await on_other(frame)
            else:
                self._backlog.append(frame)
        while (left := deadline - self._now()) > 0:
            frame = await self.link.recv(left)
            if frame is None:
                return None
            if wanted(frame):
                return frame
            if on_other is not None:
                await on_other(frame)
            elif len(self._backlog) < BACKLOG_MAX:
                self._backlog.append(frame)
        return None


class SlacEvse(_Role):
    """EVSE side: answers the EV, measures (simulates) attenuation, hands out NID/NMK on match."""

    role = "evse"

    def __init__(self, link: Link, faults: Iterable[str] = (), timers: SlacTimers | None = None, *,
                 nmk: bytes | None = None, attenuation_db: int = 20, init_timeout: float | None = None,
                 session_timeout: float | None = None, strict_input: bool = False) -> None:
        super().__init__(link, timers, strict_input=strict_input)
        self.faults = _check_faults(faults, EVSE_FAULTS, "EVSE")
        self.overlooked = frozenset(d for fault, d in (("parm_any_app_type", "app"),
                                                       ("parm_reserved_security", "security"),
                                                       ("match_any_mvf_length", "mvf")) if fault in self.faults)
        self.nmk = nmk or os.urandom(NMK_LEN)
        self.nid = nid_from_nmk(self.nmk)
        self.attenuation_db = attenuation_db
        self.init_timeout = self.t.evse_slac_init if init_timeout is None else init_timeout
        self.session_timeout = self.t.evse_match_session if session_timeout is None else session_timeout
        self.sounds_heard = 0

    def _late(self) -> float:
        return self.t.match_response * LATE_FACTOR

    def _parm_cnf(self, req: Frame) -> Frame:
        assert isinstance(req.mme, SlacParmReq)
        run_id = bytes(b ^ 0xFF for b in req.mme.run_id) if "wrong_run_id" in self.faults else req.mme.run_id
        return Frame(req.src, self.link.mac, SlacParmCnf(run_id=run_id, forwarding_sta=req.src,
                                                         num_sounds=self.t.num_sounds,
                                                         time_out=self.t.time_out_units))

    async def _answer_parm(self, req: Frame) -> None:
        if "no_parm_cnf" in self.faults:
            return
        if "late_parm_cnf" in self.faults:
            self._send_later(self._late(), self._parm_cnf(req))
        else:
            await self._send(self._parm_cnf(req))

    def _aag(self) -> bytes:
        """Simulated attenuation per group: the configured level with a gentle slope over frequency."""
        return bytes(min(255, self.attenuation_db + g // 12) for g in range(AAG_GROUPS))

    async def run(self) -> SlacResult:
        self._watch_bad_frames("crash_on_cut_frame" in self.faults, "deaf_after_unknown_mmtype" in self.faults)
        try:
            return await self._run()
        except DeviceCrash as exc:
            if "deaf_after_unknown_mmtype" in self.faults and "MMTYPE" in str(exc):
                await asyncio.sleep(self.session_timeout)  # holds its socket, answers nothing
            return SlacResult("evse", False, f"fault: stopped on {exc}")

    async def _run(self) -> SlacResult:
        fail = lambda reason, **kw: SlacResult("evse", False, reason, nid=self.nid, nmk=self.nmk, **kw)
        installed = bytes(b ^ 0x5A for b in self.nmk) if "set_key_mismatch" in self.faults else self.nmk
        self.modem.set_key(self.nid, installed)
        try:
            req = await self._wait_for(self._now() + self.init_timeout, MMType.CM_SLAC_PARM_REQ)
            if req is None:
                return fail("no CM_SLAC_PARM.REQ")
            assert isinstance(req.mme, SlacParmReq)
            run_id, ev = req.mme.run_id, req.src
            await self._answer_parm(req)

            async def repeat_parm(frame: Frame) -> None:
                if frame.mmtype is MMType.CM_SLAC_PARM_REQ and frame.src == ev and self._acceptable(frame):
                    await self._answer_parm(frame)

            # The EV retries CM_SLAC_PARM.REQ up to C_EV_match_retry times before sounding.
            parm_window = self.t.match_response * (self.t.match_retry + 1) + self.t.match_sequence
            start = await self._wait_for(self._now() + parm_window, MMType.CM_START_ATTEN_CHAR_IND,
                                         run_id=run_id, on_other=repeat_parm)
            if start is None:
                return fail("no CM_START_ATTEN_CHAR.IND", run_id=run_id, peer_mac=ev)
            t_start = self._now()
            mnbc_end = t_start + self.t.evse_match_mnbc
            while (frame := await self._wait_for(mnbc_end, MMType.CM_MNBC_SOUND_IND, run_id=run_id)) is not None:
                self.sounds_heard += 1
                assert isinstance(frame.mme, MnbcSoundInd)
                if frame.mme.count == 0:
                    break

            ind = Frame(ev, self.link.mac, AttenCharInd(run_id=run_id, source_address=ev,
                                                        num_sounds=self.sounds_heard, aag=self._aag()))
            rsp = None
            if "no_atten_char_ind" in self.faults:
                pass
            elif "truncated_atten_char_ind" in self.faults:
                await self.link.send_raw(ind.encode()[:60])
            else:
                if "atten_char_ind_late" in self.faults:
                    await asyncio.sleep(max(0.0, t_start + self.t.ev_atten_results + 0.15 - self._now()))
                for _ in range(1 + self.t.match_retry):
                    await self._send(ind)
                    rsp = await self._wait_for(self._now() + self.t.match_response, MMType.CM_ATTEN_CHAR_RSP,
                                               MMType.CM_SLAC_MATCH_REQ, run_id=run_id)
                    if rsp is not None:
                        if rsp.mmtype is MMType.CM_SLAC_MATCH_REQ:
                            self._backlog.insert(0, rsp)  # the EV moved on without answering: so do we
                        break

            # Lenient: wait for the match request even without an ATTEN_CHAR exchange (more evidence).
            match_end = self._now() + self.session_timeout
            while True:
                mreq = await self._wait_for(match_end, MMType.CM_SLAC_MATCH_REQ)
                if mreq is None:
                    return fail("no CM_SLAC_MATCH.REQ", run_id=run_id, peer_mac=ev)
                assert isinstance(mreq.mme, SlacMatchReq)
                if mreq.mme.run_id == run_id:
                    break  # a MATCH.REQ of another run is not ours to answer
            if "no_match_cnf" in self.faults:
                await asyncio.sleep(self.t.match_response * (self.t.match_retry + 1))
                return fail("fault: no CM_SLAC_MATCH.CNF", run_id=run_id, peer_mac=ev)
            cnf_run = bytes(b ^ 0xFF for b in run_id) if "match_cnf_wrong_run_id" in self.faults else run_id
            pev_mac = bytes(6) if "match_cnf_wrong_mac" in self.faults else mreq.mme.pev_mac
            mvf = MATCH_REQ_MVF_LENGTH if "wrong_mvf_length" in self.faults else MATCH_CNF_MVF_LENGTH
            cnf = Frame(ev, self.link.mac, SlacMatchCnf(run_id=cnf_run, pev_mac=pev_mac, evse_mac=self.link.mac,
                                                        pev_id=mreq.mme.pev_id, evse_id=mreq.mme.evse_id,
                                                        nid=self.nid, nmk=self.nmk, mvf_length=mvf))
            if "late_match_cnf" in self.faults:
                self._send_later(self._late(), cnf)
            else:
                await self._send(cnf)
            await self._flush()
            return SlacResult("evse", True, "matched", run_id=run_id, peer_mac=ev, nid=self.nid, nmk=self.nmk)
        finally:
            await self._flush()


class SlacEv(_Role):
    """EV side: parameter exchange, sounding, attenuation decision, match; ends with the EVSE's NID/NMK."""

    role = "ev"

    def __init__(self, link: Link, faults: Iterable[str] = (), timers: SlacTimers | None = None, *,
                 run_id: bytes | None = None, max_attenuation_db: float = 60.0, strict_input: bool = False) -> None:
        super().__init__(link, timers, strict_input=strict_input)
        self.faults = _check_faults(faults, EV_FAULTS, "EV")
        self.overlooked = frozenset(d for fault, d in (("parm_cnf_any_app_type", "app"),
                                                       ("atten_ind_any_groups", "groups")) if fault in self.faults)
        self.run_id = run_id or os.urandom(8)
        self.max_attenuation_db = max_attenuation_db
        self.pad = "unpadded_frames" not in self.faults

    async def _send(self, frame: Frame, *, pad: bool = True) -> None:
        await super()._send(frame, pad=pad and self.pad)

    def _interval(self) -> float:
        if "slow_sounds" in self.faults:
            return 0.08
        if "fast_sounds" in self.faults:
            return 0.002
        return self.t.batch_interval

    async def run(self) -> SlacResult:
        self._watch_bad_frames("crash_on_cut_frame" in self.faults, False)
        try:
            return await self._run()
        except DeviceCrash as exc:
            return SlacResult("ev", False, f"fault: stopped on {exc}", run_id=self.run_id)
        finally:
            await self._flush()

    async def _run(self) -> SlacResult:
        run_id, me = self.run_id, self.link.mac
        fail = lambda reason, **kw: SlacResult("ev", False, reason, run_id=run_id, **kw)
        parm = Frame(BROADCAST, me, SlacParmReq(run_id=run_id))
        cnf = None
        if "parm_req_flood" in self.faults:
            for _ in range(6):
                await self._send(parm)
                await asyncio.sleep(0.02)
            cnf = await self._wait_for(self._now() + self.t.match_response, MMType.CM_SLAC_PARM_CNF, run_id=run_id)
        else:
            parm_run = None if "parm_cnf_any_run_id" in self.faults else run_id
            for _ in range(1 + self.t.match_retry):
                await self._send(parm)
                cnf = await self._wait_for(self._now() + self.t.match_response, MMType.CM_SLAC_PARM_CNF,
                                           run_id=parm_run)
                if cnf is not None:
                    break
        if cnf is None:
            return fail("no CM_SLAC_PARM.CNF")
        assert isinstance(cnf.mme, SlacParmCnf)
        evse = cnf.src
        num_sounds = 5 if "too_few_sounds" in self.faults else cnf.mme.num_sounds
        starts = 1 if "single_start_atten" in self.faults else self.t.start_atten_inds
        interval = self._interval()

        t_start = self._now()
        start = Frame(BROADCAST, me, StartAttenCharInd(run_id=run_id, forwarding_sta=me,
                                                       num_sounds=cnf.mme.num_sounds, time_out=cnf.mme.time_out))
        for i in range(starts):
            await self._send(start)
            await asyncio.sleep(interval)
        for i in range(num_sounds):
            await self._send(Frame(BROADCAST, me, MnbcSoundInd(run_id=run_id, count=num_sounds - 1 - i,
                                                               rnd=os.urandom(16))))
            if i < num_sounds - 1:
                await asyncio.sleep(interval)

        ind = await self._wait_for(t_start + self.t.ev_atten_results, MMType.CM_ATTEN_CHAR_IND,
                                   run_id=None if "atten_ind_any_run_id" in self.faults else run_id)
        if ind is None:
            return fail("no CM_ATTEN_CHAR.IND within TT_EV_atten_results", peer_mac=evse)
        assert isinstance(ind.mme, AttenCharInd)
        rsp = Frame(ind.src, me, AttenCharRsp(run_id=run_id, source_address=me, result=0))

        async def answer_ind(frame: Frame) -> None:
            """The EVSE repeats CM_ATTEN_CHAR.IND when our answer is late: answer each copy."""
            if (frame.mmtype is MMType.CM_ATTEN_CHAR_IND and getattr(frame.mme, "run_id", None) == run_id
                    and self._acceptable(frame)):
                await respond()

        async def respond() -> None:
            if "no_atten_char_rsp" in self.faults:
                return
            if "late_atten_char_rsp" in self.faults:
                self._send_later(self.t.match_response * LATE_FACTOR, rsp)
            else:
                await self._send(rsp)

        await respond()
        atten = ind.mme.average_db
        if atten > self.max_attenuation_db:
            return fail(f"attenuation {atten:.1f} dB above {self.max_attenuation_db} dB", peer_mac=evse,
                        attenuation_db=atten)
        if "no_match_req" in self.faults:
            await self._wait_for(self._now() + self.t.match_sequence + 0.1, on_other=answer_ind)
            return fail("fault: no CM_SLAC_MATCH.REQ", peer_mac=evse, attenuation_db=atten)
        if "late_match_req" in self.faults:
            await self._wait_for(self._now() + self.t.match_sequence + 0.15, on_other=answer_ind)
        elif "late_atten_char_rsp" in self.faults:
            await self._flush()  # the match request follows our (late) answer, not precedes it

        match_run = bytes(b ^ 0xFF for b in run_id) if "wrong_run_id_in_match" in self.faults else run_id
        mvf = MATCH_CNF_MVF_LENGTH if "wrong_mvf_length" in self.faults else MATCH_REQ_MVF_LENGTH
        mreq = Frame(evse, me, SlacMatchReq(run_id=match_run, pev_mac=me, evse_mac=evse, mvf_length=mvf))
        mcnf = None
        for _ in range(1 + self.t.match_retry):
            await self._send(mreq)
            mcnf = await self._wait_for(self._now() + self.t.match_response, MMType.CM_SLAC_MATCH_CNF,
                                        run_id=None if "match_cnf_any_run_id" in self.faults else run_id,
                                        on_other=answer_ind)
            if mcnf is not None:
                break
        if mcnf is None:
            return fail("no CM_SLAC_MATCH.CNF", peer_mac=evse, attenuation_db=atten)
        assert isinstance(mcnf.mme, SlacMatchCnf)
        self.modem.set_key(mcnf.mme.nid, mcnf.mme.nmk)
        return SlacResult("ev", True, "matched", run_id=run_id, peer_mac=evse, nid=mcnf.mme.nid,
                          nmk=mcnf.mme.nmk, attenuation_db=atten)

"""ISO 15118-3 SLAC, EV under test: the harness is the EVSE (fake SLAC EVSE). Ids follow ISO 15118-5's TC_EVCC_*
naming; the purposes are vgitest's own words. Every case plugs the EV in and runs one whole matching session;
the fake EVSE judges each frame of the EV against the SLAC sequence and timers, and the case checks what it
provoked with the fake's rules (``slac_evse.check`` / ``check_outcome``)."""

from __future__ import annotations

from itertools import pairwise

from vgitest.slac.frames import MATCH_REQ_MVF_LENGTH
from vgitest.slac.suite import PROTOCOL, case, is_broadcast, matched, ms, padded
from vgitest.verdict import Inconclusive

pytestmark = PROTOCOL


@case("TC_EVCC_CMN_VTB_CmSlacParm_001", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_001(slac_evse):
    """After plug-in the EV starts with one broadcast CM_SLAC_PARM.REQ and, once answered, begins the sounding
    (CM_START_ATTEN_CHAR.IND) within TT_match_sequence."""
    s = slac_evse.match()
    reqs = s.of("CM_SLAC_PARM_REQ", "dut")
    slac_evse.check_outcome(reqs, "SLAC-NO-PARM-REQ", f"the EV sent no CM_SLAC_PARM.REQ after plug-in: {s.describe()}")
    slac_evse.check(is_broadcast(reqs[0]), "SLAC-ADDRESSING", f"CM_SLAC_PARM.REQ goes to "
                    f"{reqs[0].frame.raw[0:6].hex(':')}, not to the broadcast address", reqs[0].frame)
    slac_evse.check_outcome(len(reqs) == 1, "SLAC-PARM-RETRY", f"{len(reqs)} CM_SLAC_PARM.REQ although the first "
                            f"was answered", reqs[-1].frame)
    cnf, start = s.first("CM_SLAC_PARM_CNF", "harness"), s.first("CM_START_ATTEN_CHAR_IND", "dut")
    slac_evse.check_outcome(start is not None, "SLAC-SEQUENCE-TIMEOUT", f"no CM_START_ATTEN_CHAR.IND after "
                            f"CM_SLAC_PARM.CNF: {s.describe()}")
    slac_evse.check_outcome(ms(cnf, start) <= slac_evse.timers.match_sequence * 1000, "SLAC-SEQUENCE-TIMEOUT",
                            f"the sounding began {ms(cnf, start):.0f} ms after CM_SLAC_PARM.CNF (TT_match_sequence "
                            f"{slac_evse.timers.match_sequence * 1000:.0f} ms)", start.frame)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_CmSlacParm_002", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_002(slac_evse):
    """The EVSE ignores the first CM_SLAC_PARM.REQ: the EV repeats it after TT_match_response (not sooner, at most
    C_EV_match_retry times) with the same RunID, and matches on the answer to the repeat."""
    s = slac_evse.match(drop_first=["CM_SLAC_PARM_REQ"])
    reqs = s.of("CM_SLAC_PARM_REQ", "dut")
    slac_evse.check_outcome(len(reqs) >= 2, "SLAC-PARM-RETRY", f"the EV did not repeat its unanswered "
                            f"CM_SLAC_PARM.REQ: {s.describe()}")
    slac_evse.check_outcome(len(reqs) <= 1 + slac_evse.timers.match_retry, "SLAC-PARM-RETRY", f"{len(reqs)} "
                            f"CM_SLAC_PARM.REQ; at most {1 + slac_evse.timers.match_retry} (C_EV_match_retry)",
                            reqs[-1].frame)
    slac_evse.check_outcome(len({r.mme.run_id for r in reqs}) == 1, "SLAC-RUN-ID", "the repeated CM_SLAC_PARM.REQ "
                            "carries another RunID than the first", reqs[1].frame)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_CmSlacParm_003", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_003(slac_evse):
    """Every frame the EV sends is a well-formed SLAC MME with allowed field values, padded to 60 bytes."""
    s = slac_evse.match()
    mine = [m for m in s.messages if m.sender == "dut"]
    slac_evse.check_outcome(mine, "SLAC-NO-PARM-REQ", f"the EV sent nothing after plug-in: {s.describe()}")
    bad = [m for m in mine if m.slac is None]
    slac_evse.check_outcome(not bad, "SLAC-FRAME-DECODE", f"{len(bad)} frame(s) of the EV do not decode as SLAC "
                            "MMEs", bad[0].frame if bad else None)
    short = [m for m in mine if not padded(m)]
    slac_evse.check_outcome(not short, "SLAC-FRAME-PADDING", f"frames shorter than 60 bytes: "
                            f"{[m.frame.kind for m in short]}", short[0].frame if short else None)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_001", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_001(slac_evse):
    """The EV sends C_EV_start_atten_char_inds CM_START_ATTEN_CHAR.IND and then as many CM_MNBC_SOUND.IND as
    CM_SLAC_PARM.CNF asked for, their counter running down to 0, all with the session's RunID."""
    s = slac_evse.match()
    cnf = s.first("CM_SLAC_PARM_CNF", "harness")
    starts, sounds = s.of("CM_START_ATTEN_CHAR_IND", "dut"), s.of("CM_MNBC_SOUND_IND", "dut")
    want = slac_evse.timers.start_atten_inds
    slac_evse.check_outcome(len(starts) == want, "SLAC-START-ATTEN-COUNT", f"{len(starts)} CM_START_ATTEN_CHAR.IND; "
                            f"{want} were due (C_EV_start_atten_char_inds)")
    slac_evse.check_outcome(len(sounds) == cnf.mme.num_sounds, "SLAC-SOUND-COUNT", f"{len(sounds)} "
                            f"CM_MNBC_SOUND.IND; CM_SLAC_PARM.CNF asked for {cnf.mme.num_sounds}")
    counts = [m.mme.count for m in sounds]
    slac_evse.check_outcome(counts[-1] == 0, "SLAC-SOUND-COUNTER", f"the CM_MNBC_SOUND.IND counter ends at "
                            f"{counts[-1]} ({counts}); it must count down to 0", sounds[-1].frame)
    other = [m for m in starts + sounds if m.mme.run_id != cnf.mme.run_id]
    slac_evse.check_outcome(not other, "SLAC-RUN-ID", f"{len(other)} sounding message(s) carry another RunID than "
                            "the session's", other[0].frame if other else None)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_002", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_002(slac_evse):
    """The EV spaces its sounding messages (CM_START_ATTEN_CHAR.IND and CM_MNBC_SOUND.IND) by
    TP_EV_batch_msg_interval (20 ms to 50 ms, within the capture tolerance)."""
    s = slac_evse.match()
    batch = s.of("CM_START_ATTEN_CHAR_IND", "dut") + s.of("CM_MNBC_SOUND_IND", "dut")
    if len(batch) < 2:
        raise Inconclusive(f"the phase under test was not reached: no sounding whose intervals could be measured "
                           f"({s.describe()})")
    t = slac_evse.timers
    gaps = [ms(a, b) for a, b in pairwise(sorted(batch, key=lambda m: m.frame.t_ns))]
    lo, hi = (t.batch_min - t.batch_tolerance) * 1000, (t.batch_max + t.batch_tolerance) * 1000
    slac_evse.check_outcome(all(lo <= g <= hi for g in gaps), "SLAC-BATCH-INTERVAL", f"sounding intervals "
                            f"{min(gaps):.1f}-{max(gaps):.1f} ms, outside {lo:.0f}-{hi:.0f} ms "
                            f"(TP_EV_batch_msg_interval with its tolerance)")
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_003", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_003(slac_evse):
    """The EV answers CM_ATTEN_CHAR.IND with CM_ATTEN_CHAR.RSP (its RunID and MAC, result 0) within
    TT_match_response."""
    s = slac_evse.match()
    ind, rsp = s.first("CM_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_RSP", "dut")
    slac_evse.check_outcome(rsp is not None, "SLAC-RESPONSE-MISSING", f"no CM_ATTEN_CHAR.RSP to CM_ATTEN_CHAR.IND: "
                            f"{s.describe()}")
    slac_evse.check_outcome(ms(ind, rsp) <= slac_evse.timers.match_response * 1000, "SLAC-RESPONSE-TIME",
                            f"CM_ATTEN_CHAR.RSP came {ms(ind, rsp):.0f} ms after CM_ATTEN_CHAR.IND (TT_match_response "
                            f"{slac_evse.timers.match_response * 1000:.0f} ms)", rsp.frame)
    slac_evse.check_outcome(rsp.mme.run_id == ind.mme.run_id, "SLAC-RUN-ID", f"CM_ATTEN_CHAR.RSP carries RunID "
                            f"{rsp.mme.run_id.hex()}, the session's is {ind.mme.run_id.hex()}", rsp.frame)
    slac_evse.check(rsp.mme.source_address == rsp.frame.raw[6:12], "SLAC-FRAME-FIELD", f"CM_ATTEN_CHAR.RSP names "
                    f"source address {rsp.mme.source_address.hex(':')}, not the EV's MAC "
                    f"{rsp.frame.raw[6:12].hex(':')}", rsp.frame)
    slac_evse.check(rsp.mme.result == 0, "SLAC-FRAME-FIELD", f"CM_ATTEN_CHAR.RSP Result {rsp.mme.result}; 0 was due",
                    rsp.frame)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_001", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_001(slac_evse):
    """Within TT_match_sequence of its CM_ATTEN_CHAR.RSP the EV sends CM_SLAC_MATCH.REQ, unicast to the EVSE, with
    both MAC addresses and MVFLength 0x3E, and takes the NID/NMK of the CNF."""
    s = slac_evse.match()
    rsp, req = s.first("CM_ATTEN_CHAR_RSP", "dut"), s.first("CM_SLAC_MATCH_REQ", "dut")
    slac_evse.check_outcome(req is not None, "SLAC-SEQUENCE-TIMEOUT", f"no CM_SLAC_MATCH.REQ after "
                            f"CM_ATTEN_CHAR.RSP: {s.describe()}")
    slac_evse.check_outcome(ms(rsp, req) <= slac_evse.timers.match_sequence * 1000, "SLAC-SEQUENCE-TIMEOUT",
                            f"CM_SLAC_MATCH.REQ came {ms(rsp, req):.0f} ms after CM_ATTEN_CHAR.RSP (TT_match_sequence "
                            f"{slac_evse.timers.match_sequence * 1000:.0f} ms)", req.frame)
    q = req.mme
    slac_evse.check_outcome(q.evse_mac == req.frame.raw[0:6] and q.pev_mac == req.frame.raw[6:12],
                            "SLAC-MATCH-CONTENT", f"CM_SLAC_MATCH.REQ names EVSE MAC {q.evse_mac.hex(':')} and PEV "
                            f"MAC {q.pev_mac.hex(':')}; the frame goes from {req.frame.raw[6:12].hex(':')} to "
                            f"{req.frame.raw[0:6].hex(':')}", req.frame)
    slac_evse.check(not is_broadcast(req), "SLAC-ADDRESSING", "CM_SLAC_MATCH.REQ is broadcast; it goes to the "
                    "EVSE's MAC", req.frame)
    slac_evse.check_outcome(q.mvf_length == MATCH_REQ_MVF_LENGTH, "SLAC-FRAME-FIELD", f"CM_SLAC_MATCH.REQ MVFLength "
                            f"{q.mvf_length:#x}; {MATCH_REQ_MVF_LENGTH:#x} was due", req.frame)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_002", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_002(slac_evse):
    """Every message of the EV's matching session carries the RunID of its first CM_SLAC_PARM.REQ."""
    s = slac_evse.match()
    mine = [m for m in s.messages if m.sender == "dut" and m.mme is not None and hasattr(m.mme, "run_id")]
    slac_evse.check_outcome(mine, "SLAC-NO-PARM-REQ", f"the EV sent nothing after plug-in: {s.describe()}")
    other = [m for m in mine if m.mme.run_id != mine[0].mme.run_id]
    slac_evse.check_outcome(not other, "SLAC-RUN-ID", f"messages with another RunID than the first CM_SLAC_PARM.REQ "
                            f"({mine[0].mme.run_id.hex()}): {({m.frame.kind: m.mme.run_id.hex() for m in other})}",
                            other[0].frame if other else None)
    matched(slac_evse, s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_003", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_003(slac_evse):
    """The EVSE ignores the first CM_SLAC_MATCH.REQ: the EV repeats it after TT_match_response with the same
    content and matches on the answer to the repeat."""
    s = slac_evse.match(drop_first=["CM_SLAC_MATCH_REQ"])
    reqs = s.of("CM_SLAC_MATCH_REQ", "dut")
    slac_evse.check_outcome(len(reqs) >= 2, "SLAC-RETRY", f"the EV did not send its unanswered CM_SLAC_MATCH.REQ "
                            f"again: {s.describe()}")
    gap = ms(reqs[0], reqs[1])
    slac_evse.check_outcome(gap >= slac_evse.timers.match_response * 1000 * 0.9, "SLAC-RETRY", f"CM_SLAC_MATCH.REQ "
                            f"repeated {gap:.0f} ms after the first, before TT_match_response "
                            f"({slac_evse.timers.match_response * 1000:.0f} ms, less 10 %)", reqs[1].frame)
    slac_evse.check_outcome(reqs[1].mme.run_id == reqs[0].mme.run_id, "SLAC-RUN-ID", "the repeated "
                            "CM_SLAC_MATCH.REQ carries another RunID than the first", reqs[1].frame)
    matched(slac_evse, s)

"""ISO 15118-3 SLAC, EVSE under test: the harness is the EV (fake SLAC EV). Ids follow ISO 15118-5's TC_SECC_*
naming; the purposes are vgitest's own words. Every case runs one whole matching session; the fake EV judges
each frame of the EVSE against the SLAC sequence and timers, and the case checks what it provoked with the fake's
rules (``slac_ev.check`` / ``check_outcome``)."""

from __future__ import annotations

from vgitest.slac.frames import AAG_GROUPS, MATCH_CNF_MVF_LENGTH, NID_LEN, NMK_LEN
from vgitest.slac.suite import PROTOCOL, case, matched, ms
from vgitest.verdict import HarnessError, Inconclusive

pytestmark = PROTOCOL


@case("TC_SECC_CMN_VTB_CmSlacParm_001", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacParm_001(slac_ev):
    """A broadcast CM_SLAC_PARM.REQ is answered within TT_match_response by a CM_SLAC_PARM.CNF sent to the EV,
    with the EV's RunID, the EV as forwarding station and sounding parameters the EV can follow."""
    s = slac_ev.match()
    req, cnf = s.first("CM_SLAC_PARM_REQ", "harness"), s.first("CM_SLAC_PARM_CNF", "dut")
    slac_ev.check_outcome(cnf is not None, "SLAC-RESPONSE-MISSING", f"no CM_SLAC_PARM.CNF to the EV's "
                          f"CM_SLAC_PARM.REQ: {s.describe()}")
    _in_time(slac_ev, req, cnf)
    slac_ev.check_outcome(cnf.mme.run_id == req.mme.run_id, "SLAC-RUN-ID", f"CM_SLAC_PARM.CNF carries RunID "
                          f"{cnf.mme.run_id.hex()}, the EV's is {req.mme.run_id.hex()}", cnf.frame)
    ev = req.frame.raw[6:12]
    slac_ev.check(cnf.frame.raw[0:6] == ev, "SLAC-ADDRESSING", f"CM_SLAC_PARM.CNF goes to "
                  f"{cnf.frame.raw[0:6].hex(':')}, not to the EV ({ev.hex(':')})", cnf.frame)
    slac_ev.check(cnf.mme.forwarding_sta == ev, "SLAC-ADDRESSING", f"CM_SLAC_PARM.CNF names forwarding station "
                  f"{cnf.mme.forwarding_sta.hex(':')}, not the EV ({ev.hex(':')})", cnf.frame)
    slac_ev.check(1 <= cnf.mme.num_sounds <= 32 and cnf.mme.time_out >= 1, "SLAC-FRAME-FIELD", f"CM_SLAC_PARM.CNF "
                  f"asks for {cnf.mme.num_sounds} sounds (1 to 32) with time-out {cnf.mme.time_out} (at least 1)",
                  cnf.frame)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_CmSlacParm_002", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacParm_002(slac_ev):
    """The EV misses the first CM_SLAC_PARM.CNF and repeats its request after TT_match_response: the EVSE answers
    the repeat too, in time and with the same RunID, and the matching goes on."""
    s = slac_ev.match(drop_first=["CM_SLAC_PARM_CNF"])
    reqs, cnfs = s.of("CM_SLAC_PARM_REQ", "harness"), s.of("CM_SLAC_PARM_CNF", "dut")
    if len(reqs) < 2:
        raise HarnessError(f"the fake EV did not repeat its CM_SLAC_PARM.REQ after dropping the first answer: "
                           f"{s.describe()}")
    slac_ev.check_outcome(len(cnfs) >= 2, "SLAC-RESPONSE-MISSING", f"{len(reqs)} CM_SLAC_PARM.REQ, {len(cnfs)} "
                          f"CM_SLAC_PARM.CNF: the repeated request went unanswered")
    other = [c for c in cnfs if c.mme.run_id != reqs[0].mme.run_id]
    slac_ev.check_outcome(not other, "SLAC-RUN-ID", "a CM_SLAC_PARM.CNF carries another RunID than the EV's",
                          other[0].frame if other else None)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_001", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_001(slac_ev):
    """After the EV's CM_START_ATTEN_CHAR.IND and M-sounds, the EVSE sends CM_ATTEN_CHAR.IND within
    TT_EV_atten_results: to the EV, with its RunID and MAC, 58 attenuation groups and no more sounds than sent."""
    s = slac_ev.match()
    start, ind = s.first("CM_START_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_IND", "dut")
    _atten_char_in_time(slac_ev, s, start, ind)
    ev_mac = start.frame.raw[6:12]
    slac_ev.check_outcome(ind.mme.run_id == start.mme.run_id, "SLAC-RUN-ID", f"CM_ATTEN_CHAR.IND carries RunID "
                          f"{ind.mme.run_id.hex()}, the session's is {start.mme.run_id.hex()}", ind.frame)
    slac_ev.check(ind.mme.source_address == ev_mac, "SLAC-FRAME-FIELD", f"CM_ATTEN_CHAR.IND names source address "
                  f"{ind.mme.source_address.hex(':')}, not the EV's MAC {ev_mac.hex(':')}", ind.frame)
    slac_ev.check_outcome(ind.mme.num_groups == AAG_GROUPS and len(ind.mme.aag) == AAG_GROUPS, "SLAC-FRAME-FIELD",
                          f"CM_ATTEN_CHAR.IND has NumGroups {ind.mme.num_groups} and {len(ind.mme.aag)} attenuation "
                          f"groups; {AAG_GROUPS} were due", ind.frame)
    sent = len(s.of("CM_MNBC_SOUND_IND", "harness"))
    slac_ev.check_outcome(1 <= ind.mme.num_sounds <= sent, "SLAC-ATTEN-CHAR-SOUNDS", f"the EVSE counts "
                          f"{ind.mme.num_sounds} sounds, the EV sent {sent}", ind.frame)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_002", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_002(slac_ev):
    """The EV misses the first CM_ATTEN_CHAR.IND (no CM_ATTEN_CHAR.RSP): the EVSE sends it again after
    TT_match_response, and the matching completes on the repeat."""
    s = slac_ev.match(drop_first=["CM_ATTEN_CHAR_IND"])
    inds = s.of("CM_ATTEN_CHAR_IND", "dut")
    slac_ev.check_outcome(len(inds) >= 2, "SLAC-RETRY", f"{len(inds)} CM_ATTEN_CHAR.IND: the EVSE did not send its "
                          f"unanswered CM_ATTEN_CHAR.IND again ({s.describe()})")
    gap = ms(inds[0], inds[1])
    slac_ev.check_outcome(gap >= slac_ev.timers.match_response * 1000 * 0.9, "SLAC-RETRY", f"CM_ATTEN_CHAR.IND "
                          f"repeated {gap:.0f} ms after the first, before TT_match_response "
                          f"({slac_ev.timers.match_response * 1000:.0f} ms, less 10 %)", inds[1].frame)
    slac_ev.check_outcome(inds[1].mme.run_id == inds[0].mme.run_id, "SLAC-RUN-ID", "the repeated CM_ATTEN_CHAR.IND "
                          "carries another RunID than the first", inds[1].frame)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_003", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_003(slac_ev):
    """The EV sends only 5 of the M-sounds it announced: the EVSE still reports within TT_EV_atten_results and
    counts no more than the 5 it could have heard."""
    s = slac_ev.match(ev_behaviour=["too_few_sounds"])
    start, ind = s.first("CM_START_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_IND", "dut")
    _atten_char_in_time(slac_ev, s, start, ind, " after a short sounding")
    slac_ev.check_outcome(ind.mme.num_sounds <= 5, "SLAC-ATTEN-CHAR-SOUNDS", f"the EVSE counts {ind.mme.num_sounds} "
                          f"sounds, the EV sent 5", ind.frame)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_CmSlacMatch_001", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_001(slac_ev):
    """CM_SLAC_MATCH.REQ is answered within TT_match_response by a CM_SLAC_MATCH.CNF with the EV's RunID, the EV's
    and the EVSE's MAC, MVFLength 0x56 and a NID/NMK the EV's modem then holds."""
    s = slac_ev.match()
    req, cnf = s.first("CM_SLAC_MATCH_REQ", "harness"), s.first("CM_SLAC_MATCH_CNF", "dut")
    slac_ev.check_outcome(cnf is not None, "SLAC-RESPONSE-MISSING", f"no CM_SLAC_MATCH.CNF to the EV's "
                          f"CM_SLAC_MATCH.REQ: {s.describe()}")
    _in_time(slac_ev, req, cnf)
    c = cnf.mme
    slac_ev.check_outcome(c.run_id == req.mme.run_id, "SLAC-RUN-ID", f"CM_SLAC_MATCH.CNF carries RunID "
                          f"{c.run_id.hex()}, the EV's is {req.mme.run_id.hex()}", cnf.frame)
    slac_ev.check_outcome(c.pev_mac == req.mme.pev_mac and c.evse_mac == cnf.frame.raw[6:12], "SLAC-MATCH-CONTENT",
                          f"CM_SLAC_MATCH.CNF names PEV MAC {c.pev_mac.hex(':')} and EVSE MAC {c.evse_mac.hex(':')}; "
                          f"the request's PEV MAC is {req.mme.pev_mac.hex(':')}, the EVSE sends from "
                          f"{cnf.frame.raw[6:12].hex(':')}", cnf.frame)
    slac_ev.check_outcome(c.mvf_length == MATCH_CNF_MVF_LENGTH, "SLAC-FRAME-FIELD", f"CM_SLAC_MATCH.CNF MVFLength "
                          f"{c.mvf_length:#x}; {MATCH_CNF_MVF_LENGTH:#x} was due", cnf.frame)
    slac_ev.check_outcome(len(c.nid) == NID_LEN and len(c.nmk) == NMK_LEN and any(c.nmk), "SLAC-MATCH-CONTENT",
                          f"CM_SLAC_MATCH.CNF hands out no usable NID/NMK (NID {len(c.nid)} bytes, NMK {len(c.nmk)} "
                          f"bytes{', all zero' if not any(c.nmk) else ''})", cnf.frame)
    matched(slac_ev, s)
    if (s.harness.nid, s.harness.nmk) != (c.nid, c.nmk):
        raise HarnessError("the fake EV's modem did not take the NID/NMK of CM_SLAC_MATCH.CNF")


@case("TC_SECC_CMN_VTB_CmSlacMatch_002", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_002(slac_ev):
    """A CM_SLAC_MATCH.REQ with a RunID of no session of this EVSE comes first: it stays unanswered, and the
    request of the running session is answered with that session's RunID."""
    s = slac_ev.match(decoy_match=True)
    reqs = s.of("CM_SLAC_MATCH_REQ", "harness")
    run_id = s.first("CM_SLAC_PARM_REQ", "harness").mme.run_id
    if not (len(reqs) >= 2 and reqs[0].mme.run_id != run_id):
        raise HarnessError(f"the fake EV did not send the decoy CM_SLAC_MATCH.REQ: {s.describe()}")
    cnfs = s.of("CM_SLAC_MATCH_CNF", "dut")
    foreign = [c for c in cnfs if c.mme.run_id == reqs[0].mme.run_id]
    slac_ev.check_outcome(not foreign, "SLAC-RUN-ID", "the EVSE answered a CM_SLAC_MATCH.REQ whose RunID belongs to "
                          "no session of its own", foreign[0].frame if foreign else None)
    slac_ev.check_outcome(cnfs, "SLAC-RESPONSE-MISSING", f"no CM_SLAC_MATCH.CNF of this session: {s.describe()}")
    other = [c for c in cnfs if c.mme.run_id != run_id]
    slac_ev.check_outcome(not other, "SLAC-RUN-ID", f"a CM_SLAC_MATCH.CNF carries another RunID than the session's "
                          f"({run_id.hex()})", other[0].frame if other else None)
    matched(slac_ev, s)


@case("TC_SECC_CMN_VTB_CmSlacMatch_003", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_003(slac_ev):
    """The NID/NMK of CM_SLAC_MATCH.CNF are the ones the EVSE set in its own modem (CM_SET_KEY.REQ), so the EV's
    modem can join the EVSE's network. The EVSE's modem exchange is seen in the EVSE's own recording."""
    s = slac_ev.match()
    cnf = s.first("CM_SLAC_MATCH_CNF", "dut")
    slac_ev.check_outcome(cnf is not None, "SLAC-RESPONSE-MISSING", f"no CM_SLAC_MATCH.CNF: {s.describe()}")
    slac_ev.check_outcome(any(cnf.mme.nmk), "SLAC-MATCH-CONTENT", "CM_SLAC_MATCH.CNF hands out an all-zero NMK",
                          cnf.frame)
    matched(slac_ev, s)
    if slac_ev.dut_recording is None:
        raise Inconclusive("the EVSE's CM_SET_KEY exchange with its modem is not observable here (no recording of "
                           "the EVSE's host interface); CM_SLAC_MATCH.CNF itself is fine")
    slac_ev.check_outcome("SLAC-SET-KEY" not in s.rules(), "SLAC-SET-KEY", "the EVSE's modem holds another NID/NMK "
                          "than CM_SLAC_MATCH.CNF hands out")


def _in_time(slac_ev, req, rsp) -> None:
    """``rsp`` answered ``req`` within TT_match_response (SLAC-RESPONSE-TIME)."""
    limit = slac_ev.timers.match_response * 1000
    slac_ev.check_outcome(ms(req, rsp) <= limit, "SLAC-RESPONSE-TIME", f"{rsp.frame.meta.get('label', rsp.frame.kind)} "
                          f"came {ms(req, rsp):.0f} ms after the request (TT_match_response {limit:.0f} ms)", rsp.frame)


def _atten_char_in_time(slac_ev, s, start, ind, what: str = "") -> None:
    """The EVSE's CM_ATTEN_CHAR.IND came, within TT_EV_atten_results of the EV's first CM_START_ATTEN_CHAR.IND."""
    slac_ev.check_outcome(ind is not None, "SLAC-ATTEN-CHAR-MISSING", f"no decodable CM_ATTEN_CHAR.IND{what}: "
                          f"{s.describe()}")
    limit = slac_ev.timers.ev_atten_results * 1000
    slac_ev.check_outcome(ms(start, ind) <= limit, "SLAC-ATTEN-CHAR-TIME", f"CM_ATTEN_CHAR.IND came "
                          f"{ms(start, ind):.0f} ms after CM_START_ATTEN_CHAR.IND (TT_EV_atten_results {limit:.0f} ms)",
                          ind.frame)

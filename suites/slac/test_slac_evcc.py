"""ISO 15118-3 SLAC, EV under test: the harness is the EVSE (fake SLAC EVSE). Ids follow ISO 15118-5's TC_EVCC_*
naming; the purposes are vgitest's own words. Every case plugs the EV in and runs one whole matching session;
the fake EVSE judges each frame of the EV against the SLAC sequence and timers, and the case asserts what it
provoked."""

from __future__ import annotations

from itertools import pairwise

from vgitest.slac.frames import MATCH_REQ_MVF_LENGTH
from vgitest.slac.suite import PROTOCOL, assert_matched, case, is_broadcast, ms, padded

pytestmark = PROTOCOL


@case("TC_EVCC_CMN_VTB_CmSlacParm_001", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_001(slac_evse):
    """After plug-in the EV starts with one broadcast CM_SLAC_PARM.REQ and, once answered, begins the sounding
    (CM_START_ATTEN_CHAR.IND) within TT_match_sequence."""
    s = slac_evse.match()
    reqs = s.of("CM_SLAC_PARM_REQ", "dut")
    assert reqs, f"no CM_SLAC_PARM.REQ: {s.describe()}"
    assert is_broadcast(reqs[0]), "CM_SLAC_PARM.REQ is not broadcast"
    assert len(reqs) == 1, f"{len(reqs)} CM_SLAC_PARM.REQ although the first was answered"
    cnf, start = s.first("CM_SLAC_PARM_CNF", "harness"), s.first("CM_START_ATTEN_CHAR_IND", "dut")
    assert start is not None, f"no CM_START_ATTEN_CHAR.IND: {s.describe()}"
    assert ms(cnf, start) <= slac_evse.timers.match_sequence * 1000, f"sounding began {ms(cnf, start):.0f} ms late"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_CmSlacParm_002", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_002(slac_evse):
    """The EVSE ignores the first CM_SLAC_PARM.REQ: the EV repeats it after TT_match_response (not sooner, at most
    C_EV_match_retry times) with the same RunID, and matches on the answer to the repeat."""
    s = slac_evse.match(drop_first=["CM_SLAC_PARM_REQ"])
    reqs = s.of("CM_SLAC_PARM_REQ", "dut")
    assert len(reqs) >= 2, f"the EV did not repeat CM_SLAC_PARM.REQ: {s.describe()}"
    assert len(reqs) <= 1 + slac_evse.timers.match_retry, f"{len(reqs)} CM_SLAC_PARM.REQ"
    assert len({r.mme.run_id for r in reqs}) == 1, "the repeat carries another RunID"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_CmSlacParm_003", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacParm_003(slac_evse):
    """Every frame the EV sends is a well-formed SLAC MME with allowed field values, padded to 60 bytes."""
    s = slac_evse.match()
    mine = [m for m in s.messages if m.sender == "dut"]
    assert mine, f"the EV sent nothing: {s.describe()}"
    assert all(m.slac is not None for m in mine), "a frame of the EV does not decode"
    short = [m.frame.kind for m in mine if not padded(m)]
    assert not short, f"frames shorter than 60 bytes: {short}"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_001", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_001(slac_evse):
    """The EV sends C_EV_start_atten_char_inds CM_START_ATTEN_CHAR.IND and then as many CM_MNBC_SOUND.IND as
    CM_SLAC_PARM.CNF asked for, their counter running down to 0, all with the session's RunID."""
    s = slac_evse.match()
    cnf = s.first("CM_SLAC_PARM_CNF", "harness")
    starts, sounds = s.of("CM_START_ATTEN_CHAR_IND", "dut"), s.of("CM_MNBC_SOUND_IND", "dut")
    assert len(starts) == slac_evse.timers.start_atten_inds, f"{len(starts)} CM_START_ATTEN_CHAR.IND"
    assert len(sounds) == cnf.mme.num_sounds, f"{len(sounds)} CM_MNBC_SOUND.IND, {cnf.mme.num_sounds} asked for"
    assert [m.mme.count for m in sounds][-1] == 0
    assert all(m.mme.run_id == cnf.mme.run_id for m in starts + sounds)
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_002", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_002(slac_evse):
    """The EV spaces its sounding messages (CM_START_ATTEN_CHAR.IND and CM_MNBC_SOUND.IND) by
    TP_EV_batch_msg_interval (20 ms to 50 ms, within the capture tolerance)."""
    s = slac_evse.match()
    batch = s.of("CM_START_ATTEN_CHAR_IND", "dut") + s.of("CM_MNBC_SOUND_IND", "dut")
    assert len(batch) >= 2, f"no sounding: {s.describe()}"
    t = slac_evse.timers
    gaps = [ms(a, b) for a, b in pairwise(sorted(batch, key=lambda m: m.frame.t_ns))]
    lo, hi = (t.batch_min - t.batch_tolerance) * 1000, (t.batch_max + t.batch_tolerance) * 1000
    assert all(lo <= g <= hi for g in gaps), f"intervals {min(gaps):.1f}-{max(gaps):.1f} ms outside {lo:.0f}-{hi:.0f}"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_AttenuationCharacterization_003", "Ev")
def test_TC_EVCC_CMN_VTB_AttenuationCharacterization_003(slac_evse):
    """The EV answers CM_ATTEN_CHAR.IND with CM_ATTEN_CHAR.RSP (its RunID and MAC, result 0) within
    TT_match_response."""
    s = slac_evse.match()
    ind, rsp = s.first("CM_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_RSP", "dut")
    assert rsp is not None, f"no CM_ATTEN_CHAR.RSP: {s.describe()}"
    assert ms(ind, rsp) <= slac_evse.timers.match_response * 1000, f"CM_ATTEN_CHAR.RSP after {ms(ind, rsp):.0f} ms"
    assert rsp.mme.run_id == ind.mme.run_id and rsp.mme.source_address == rsp.frame.raw[6:12]
    assert rsp.mme.result == 0
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_001", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_001(slac_evse):
    """Within TT_match_sequence of its CM_ATTEN_CHAR.RSP the EV sends CM_SLAC_MATCH.REQ, unicast to the EVSE, with
    both MAC addresses and MVFLength 0x3E, and takes the NID/NMK of the CNF."""
    s = slac_evse.match()
    rsp, req = s.first("CM_ATTEN_CHAR_RSP", "dut"), s.first("CM_SLAC_MATCH_REQ", "dut")
    assert req is not None, f"no CM_SLAC_MATCH.REQ: {s.describe()}"
    assert ms(rsp, req) <= slac_evse.timers.match_sequence * 1000, f"CM_SLAC_MATCH.REQ {ms(rsp, req):.0f} ms late"
    q = req.mme
    assert q.evse_mac == req.frame.raw[0:6] and q.pev_mac == req.frame.raw[6:12] and not is_broadcast(req)
    assert q.mvf_length == MATCH_REQ_MVF_LENGTH, f"MVFLength {q.mvf_length:#x}"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_002", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_002(slac_evse):
    """Every message of the EV's matching session carries the RunID of its first CM_SLAC_PARM.REQ."""
    s = slac_evse.match()
    mine = [m for m in s.messages if m.sender == "dut" and m.mme is not None and hasattr(m.mme, "run_id")]
    assert mine, f"the EV sent nothing: {s.describe()}"
    run_ids = {m.frame.kind: m.mme.run_id.hex() for m in mine if m.mme.run_id != mine[0].mme.run_id}
    assert not run_ids, f"messages with another RunID: {run_ids}"
    assert_matched(s)


@case("TC_EVCC_CMN_VTB_CmSlacMatch_003", "Ev")
def test_TC_EVCC_CMN_VTB_CmSlacMatch_003(slac_evse):
    """The EVSE ignores the first CM_SLAC_MATCH.REQ: the EV repeats it after TT_match_response with the same
    content and matches on the answer to the repeat."""
    s = slac_evse.match(drop_first=["CM_SLAC_MATCH_REQ"])
    reqs = s.of("CM_SLAC_MATCH_REQ", "dut")
    assert len(reqs) >= 2, f"the EV did not repeat CM_SLAC_MATCH.REQ: {s.describe()}"
    assert ms(reqs[0], reqs[1]) >= slac_evse.timers.match_response * 1000 * 0.9, "repeated before TT_match_response"
    assert reqs[1].mme.run_id == reqs[0].mme.run_id
    assert_matched(s)

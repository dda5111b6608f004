"""ISO 15118-3 SLAC, EVSE under test: the harness is the EV (fake SLAC EV). Ids follow ISO 15118-5's TC_SECC_*
naming; the purposes are vgitest's own words. Every case runs one whole matching session; the fake EV judges
each frame of the EVSE against the SLAC sequence and timers, and the case asserts what it provoked."""

from __future__ import annotations

from vgitest.slac.frames import AAG_GROUPS, MATCH_CNF_MVF_LENGTH, NID_LEN, NMK_LEN
from vgitest.slac.suite import PROTOCOL, assert_matched, case, ms
from vgitest.verdict import Inconclusive

pytestmark = PROTOCOL


@case("TC_SECC_CMN_VTB_CmSlacParm_001", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacParm_001(slac_ev):
    """A broadcast CM_SLAC_PARM.REQ is answered within TT_match_response by a CM_SLAC_PARM.CNF sent to the EV,
    with the EV's RunID, the EV as forwarding station and sounding parameters the EV can follow."""
    s = slac_ev.match()
    req, cnf = s.first("CM_SLAC_PARM_REQ", "harness"), s.first("CM_SLAC_PARM_CNF", "dut")
    assert cnf is not None, f"no CM_SLAC_PARM.CNF: {s.describe()}"
    assert ms(req, cnf) <= slac_ev.timers.match_response * 1000, f"CM_SLAC_PARM.CNF after {ms(req, cnf):.0f} ms"
    assert cnf.mme.run_id == req.mme.run_id, "CM_SLAC_PARM.CNF carries another RunID"
    assert cnf.frame.raw[0:6] == req.frame.raw[6:12], "CM_SLAC_PARM.CNF is not addressed to the EV"
    assert cnf.mme.forwarding_sta == req.frame.raw[6:12], "the forwarding station is not the EV"
    assert 1 <= cnf.mme.num_sounds <= 32 and cnf.mme.time_out >= 1, (cnf.mme.num_sounds, cnf.mme.time_out)
    assert_matched(s)


@case("TC_SECC_CMN_VTB_CmSlacParm_002", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacParm_002(slac_ev):
    """The EV misses the first CM_SLAC_PARM.CNF and repeats its request after TT_match_response: the EVSE answers
    the repeat too, in time and with the same RunID, and the matching goes on."""
    s = slac_ev.match(drop_first=["CM_SLAC_PARM_CNF"])
    reqs, cnfs = s.of("CM_SLAC_PARM_REQ", "harness"), s.of("CM_SLAC_PARM_CNF", "dut")
    assert len(reqs) >= 2, f"the fake EV did not repeat its request: {s.describe()}"
    assert len(cnfs) >= 2, f"{len(reqs)} CM_SLAC_PARM.REQ, {len(cnfs)} CM_SLAC_PARM.CNF: the repeat went unanswered"
    assert all(c.mme.run_id == reqs[0].mme.run_id for c in cnfs), "a CM_SLAC_PARM.CNF carries another RunID"
    assert_matched(s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_001", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_001(slac_ev):
    """After the EV's CM_START_ATTEN_CHAR.IND and M-sounds, the EVSE sends CM_ATTEN_CHAR.IND within
    TT_EV_atten_results: to the EV, with its RunID and MAC, 58 attenuation groups and no more sounds than sent."""
    s = slac_ev.match()
    start, ind = s.first("CM_START_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_IND", "dut")
    assert ind is not None, f"no decodable CM_ATTEN_CHAR.IND: {s.describe()}"
    assert ms(start, ind) <= slac_ev.timers.ev_atten_results * 1000, f"CM_ATTEN_CHAR.IND after {ms(start, ind):.0f} ms"
    ev_mac = start.frame.raw[6:12]
    assert ind.mme.run_id == start.mme.run_id and ind.mme.source_address == ev_mac, "wrong RunID or source address"
    assert ind.mme.num_groups == AAG_GROUPS and len(ind.mme.aag) == AAG_GROUPS
    sent = len(s.of("CM_MNBC_SOUND_IND", "harness"))
    assert 1 <= ind.mme.num_sounds <= sent, f"the EVSE counts {ind.mme.num_sounds} sounds, the EV sent {sent}"
    assert_matched(s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_002", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_002(slac_ev):
    """The EV misses the first CM_ATTEN_CHAR.IND (no CM_ATTEN_CHAR.RSP): the EVSE sends it again after
    TT_match_response, and the matching completes on the repeat."""
    s = slac_ev.match(drop_first=["CM_ATTEN_CHAR_IND"])
    inds = s.of("CM_ATTEN_CHAR_IND", "dut")
    assert len(inds) >= 2, f"{len(inds)} CM_ATTEN_CHAR.IND: the EVSE did not repeat it ({s.describe()})"
    gap = ms(inds[0], inds[1])
    assert gap >= slac_ev.timers.match_response * 1000 * 0.9, f"repeated after {gap:.0f} ms, before TT_match_response"
    assert inds[1].mme.run_id == inds[0].mme.run_id
    assert_matched(s)


@case("TC_SECC_CMN_VTB_AttenuationCharacterization_003", "Evse")
def test_TC_SECC_CMN_VTB_AttenuationCharacterization_003(slac_ev):
    """The EV sends only 5 of the M-sounds it announced: the EVSE still reports within TT_EV_atten_results and
    counts no more than the 5 it could have heard."""
    s = slac_ev.match(ev_behaviour=["too_few_sounds"])
    start, ind = s.first("CM_START_ATTEN_CHAR_IND", "harness"), s.first("CM_ATTEN_CHAR_IND", "dut")
    assert ind is not None, f"no CM_ATTEN_CHAR.IND after a short sounding: {s.describe()}"
    assert ms(start, ind) <= slac_ev.timers.ev_atten_results * 1000, f"CM_ATTEN_CHAR.IND after {ms(start, ind):.0f} ms"
    assert ind.mme.num_sounds <= 5, f"the EVSE counts {ind.mme.num_sounds} sounds, the EV sent 5"
    assert_matched(s)


@case("TC_SECC_CMN_VTB_CmSlacMatch_001", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_001(slac_ev):
    """CM_SLAC_MATCH.REQ is answered within TT_match_response by a CM_SLAC_MATCH.CNF with the EV's RunID, the EV's
    and the EVSE's MAC, MVFLength 0x56 and a NID/NMK the EV's modem then holds."""
    s = slac_ev.match()
    req, cnf = s.first("CM_SLAC_MATCH_REQ", "harness"), s.first("CM_SLAC_MATCH_CNF", "dut")
    assert cnf is not None, f"no CM_SLAC_MATCH.CNF: {s.describe()}"
    assert ms(req, cnf) <= slac_ev.timers.match_response * 1000, f"CM_SLAC_MATCH.CNF after {ms(req, cnf):.0f} ms"
    c = cnf.mme
    assert c.run_id == req.mme.run_id, "CM_SLAC_MATCH.CNF carries another RunID"
    assert c.pev_mac == req.mme.pev_mac and c.evse_mac == cnf.frame.raw[6:12], "wrong PEV or EVSE MAC"
    assert c.mvf_length == MATCH_CNF_MVF_LENGTH, f"MVFLength {c.mvf_length:#x}"
    assert len(c.nid) == NID_LEN and len(c.nmk) == NMK_LEN and any(c.nmk), "no usable NID/NMK"
    assert_matched(s)
    assert (s.harness.nid, s.harness.nmk) == (c.nid, c.nmk), "the EV's modem did not get the NID/NMK handed out"


@case("TC_SECC_CMN_VTB_CmSlacMatch_002", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_002(slac_ev):
    """A CM_SLAC_MATCH.REQ with a RunID of no session of this EVSE comes first: it stays unanswered, and the
    request of the running session is answered with that session's RunID."""
    s = slac_ev.match(decoy_match=True)
    reqs = s.of("CM_SLAC_MATCH_REQ", "harness")
    run_id = s.first("CM_SLAC_PARM_REQ", "harness").mme.run_id
    assert len(reqs) >= 2 and reqs[0].mme.run_id != run_id, f"the decoy was not sent: {s.describe()}"
    cnfs = s.of("CM_SLAC_MATCH_CNF", "dut")
    foreign = [c for c in cnfs if c.mme.run_id == reqs[0].mme.run_id]
    assert not foreign, "the EVSE answered a CM_SLAC_MATCH.REQ of another session"
    assert cnfs and all(c.mme.run_id == run_id for c in cnfs), f"no CM_SLAC_MATCH.CNF of this session: {s.describe()}"
    assert_matched(s)


@case("TC_SECC_CMN_VTB_CmSlacMatch_003", "Evse")
def test_TC_SECC_CMN_VTB_CmSlacMatch_003(slac_ev):
    """The NID/NMK of CM_SLAC_MATCH.CNF are the ones the EVSE set in its own modem (CM_SET_KEY.REQ), so the EV's
    modem can join the EVSE's network. The EVSE's modem exchange is seen in the EVSE's own recording."""
    s = slac_ev.match()
    cnf = s.first("CM_SLAC_MATCH_CNF", "dut")
    assert cnf is not None and any(cnf.mme.nmk), f"no CM_SLAC_MATCH.CNF with an NMK: {s.describe()}"
    assert_matched(s)
    if slac_ev.dut_recording is None:
        raise Inconclusive("the EVSE's CM_SET_KEY exchange with its modem is not observable here (no recording of "
                           "the EVSE's host interface); CM_SLAC_MATCH.CNF itself is fine")
    assert "SLAC-SET-KEY" not in s.rules()

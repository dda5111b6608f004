"""SLAC checks on synthetic recordings: a clean session passes, each defect yields its rule id."""

from __future__ import annotations

import pytest

from vgitest.budgets import Budgets
from vgitest.findings import RULES, Severity, register_all
from vgitest.slac.checks import check, timeline
from vgitest.slac.frames import (
    AAG_GROUPS,
    BROADCAST,
    AttenCharInd,
    AttenCharRsp,
    Frame,
    MnbcSoundInd,
    SetKeyReq,
    SlacMatchCnf,
    SlacMatchReq,
    SlacParmCnf,
    SlacParmReq,
    StartAttenCharInd,
    encode,
)
from vgitest.slac.link import Record
from vgitest.slac.roles import EV_FAULTS, EVSE_FAULTS
from vgitest.slac.rules import ALL_RULE_IDS
from vgitest.slac.timers import SlacTimers

EV = bytes.fromhex("020000000b01")
EVSE = bytes.fromhex("020000000a01")
RUN = bytes(range(1, 9))
NID, NMK = bytes(range(7)), bytes(range(16))
MS = 1_000_000

Step = tuple[int, str, bytes]  # (t in ms, sender, raw)


def session(**change: object) -> list[Step]:
    """A correct session as (time, sender, raw) steps; keyword arguments alter one aspect."""
    interval = int(change.get("interval", 30))
    sounds = int(change.get("sounds", 10))
    parm_cnf_at = int(change.get("parm_cnf_at", 2))
    ind_at = change.get("ind_at", "auto")
    cnf_mvf = int(change.get("cnf_mvf", 0x56))
    steps: list[Step] = [(0, "ev", encode(Frame(BROADCAST, EV, SlacParmReq(run_id=RUN))))]
    steps.append((parm_cnf_at, "evse", encode(Frame(EV, EVSE, SlacParmCnf(run_id=RUN, forwarding_sta=EV)))))
    t = parm_cnf_at + 1
    start_t = t
    for _ in range(3):
        steps.append((t, "ev", encode(Frame(BROADCAST, EV, StartAttenCharInd(run_id=RUN, forwarding_sta=EV)))))
        t += interval
    for i in range(sounds):
        steps.append((t, "ev", encode(Frame(BROADCAST, EV, MnbcSoundInd(run_id=RUN, count=sounds - 1 - i)))))
        t += interval
    if ind_at is not None:
        t = start_t + int(ind_at) if ind_at != "auto" else t  # type: ignore[arg-type]
        steps.append((t, "evse", encode(Frame(EV, EVSE, AttenCharInd(run_id=RUN, source_address=EV, num_sounds=sounds,
                                                                    aag=bytes([20] * AAG_GROUPS))))))
        steps.append((t + 1, "ev", encode(Frame(EVSE, EV, AttenCharRsp(run_id=RUN, source_address=EV)))))
        t += 1
        if not change.get("no_match"):
            match_run = bytes(8) if change.get("match_run_zero") else RUN
            steps.append((t + 5, "ev", encode(Frame(EVSE, EV, SlacMatchReq(run_id=match_run, pev_mac=EV,
                                                                           evse_mac=EVSE)))))
            steps.append((t + 5 + int(change.get("match_cnf_after", 3)), "evse", encode(Frame(
                EV, EVSE, SlacMatchCnf(run_id=RUN, pev_mac=EV, evse_mac=EVSE, nid=NID, nmk=NMK,
                                       mvf_length=cnf_mvf)))))
    return steps


def record(steps: list[Step], by: str = "ev", modem: list[tuple[int, bytes]] = ()) -> list[Record]:  # type: ignore
    recs = [Record(t * MS, "tx" if sender == by else "rx", raw) for t, sender, raw in steps]
    recs += [Record(t * MS, "tx", raw, via="modem") for t, raw in modem]
    return sorted(recs, key=lambda r: r.t_ns)


def ids(records: list[Record], dut: str, recorded_by: str | None = None, **kw: object) -> set[str]:
    return {f.rule_id for f in check(records, dut, recorded_by, **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize("by", ["ev", "evse"])
def test_clean_session_has_no_findings(by: str) -> None:
    recs = record(session(), by)
    assert check(recs, "ev", by) == [] and check(recs, "evse", by) == []


CASES: list[tuple[str, dict[str, object], str, str]] = [
    ("late PARM.CNF", {"parm_cnf_at": 250}, "evse", "SLAC-RESPONSE-TIME"),
    ("no ATTEN_CHAR.IND", {"ind_at": None}, "evse", "SLAC-ATTEN-CHAR-MISSING"),
    ("late ATTEN_CHAR.IND", {"ind_at": 1300}, "evse", "SLAC-ATTEN-CHAR-TIME"),
    ("MATCH.CNF MVFLength", {"cnf_mvf": 0x3E}, "evse", "SLAC-FRAME-FIELD"),
    ("late MATCH.CNF", {"match_cnf_after": 260}, "evse", "SLAC-RESPONSE-TIME"),
    ("nine sounds", {"sounds": 9}, "ev", "SLAC-SOUND-COUNT"),
    ("slow sounds", {"interval": 70}, "ev", "SLAC-BATCH-INTERVAL"),
    ("fast sounds", {"interval": 5}, "ev", "SLAC-BATCH-INTERVAL"),
    ("no MATCH.REQ", {"no_match": True}, "ev", "SLAC-SEQUENCE-TIMEOUT"),
    ("MATCH.REQ RunID", {"match_run_zero": True}, "ev", "SLAC-RUN-ID"),
]


@pytest.mark.parametrize("name, change, dut, rule", CASES, ids=[c[0] for c in CASES])
def test_defect_yields_rule(name: str, change: dict[str, object], dut: str, rule: str) -> None:
    for by in ("ev", "evse"):
        assert rule in ids(record(session(**change), by), dut, by)


def test_late_atten_char_ind_does_not_blame_the_ev() -> None:
    """The EV has given up after TT_EV_atten_results: not answering a later IND is no EV defect."""
    steps = [s for s in session(ind_at=1300, no_match=True) if s[2][15:17] != b"\x6f\x60"]  # no RSP
    assert ids(record(steps, "evse"), "ev") == set()
    assert "SLAC-ATTEN-CHAR-TIME" in ids(record(steps, "ev"), "evse")


def test_undecodable_and_unpadded_frames() -> None:
    steps = session()
    steps.insert(2, (3, "evse", b"\xff" * 12 + b"\x88\xe1\x01\x34\x12\x00\x00" + bytes(41)))
    steps[0] = (0, "ev", steps[0][2][:29])  # PARM.REQ without padding
    recs = record(steps)
    assert ids(recs, "evse") == {"SLAC-FRAME-DECODE"}
    assert ids(recs, "ev", "ev") == {"SLAC-FRAME-PADDING"}


def test_sequence_violations() -> None:
    steps = session()
    match = next(s for s in steps if s[2][15:17] == b"\x7c\x60")
    steps.append((1, "ev", match[2]))  # a MATCH.REQ right after PARM.REQ
    assert "SLAC-SEQUENCE" in ids(record(steps), "ev", "ev")
    assert ids(record([]), "ev") == {"SLAC-NO-PARM-REQ"}
    assert ids(record([]), "evse") == set()


def test_set_key_must_match_the_match_cnf() -> None:
    good = encode(Frame(EVSE, EVSE, SetKeyReq(nid=NID, new_key=NMK)))
    bad = encode(Frame(EVSE, EVSE, SetKeyReq(nid=NID, new_key=bytes(16))))
    assert ids(record(session(), "evse", [(0, good)]), "evse", "evse") == set()
    assert ids(record(session(), "evse", [(0, bad)]), "evse", "evse") == {"SLAC-SET-KEY"}


def test_budgets_drive_the_checks() -> None:
    recs = record(session(parm_cnf_at=250))
    loose = SlacTimers.from_budgets(Budgets.load().override("slac", "tt_match_response", value_s=0.3))
    assert "SLAC-RESPONSE-TIME" in ids(recs, "evse")
    assert "SLAC-RESPONSE-TIME" not in ids(recs, "evse", timers=loose)


def test_timers_come_from_the_budget_file() -> None:
    assert SlacTimers.from_budgets() == SlacTimers()


def test_finding_points_at_the_frame() -> None:
    recs = record(session(parm_cnf_at=250))
    (f,) = check(recs, "evse")
    assert f.frame_index == 1 and f.details["request_frame"] == 0 and f.severity is Severity.FAIL
    rows = timeline(recs)
    assert rows[1]["mmtype"] == "CM_SLAC_PARM_CNF" and rows[1]["t_ms"] == 250.0


def test_rules_are_registered_for_slac() -> None:
    register_all()
    assert {r.id for r in RULES.for_protocol("slac")} == set(ALL_RULE_IDS)
    for fault in [*EV_FAULTS.values(), *EVSE_FAULTS.values()]:
        assert fault.rule in ALL_RULE_IDS, fault
    for rid in ALL_RULE_IDS:
        assert RULES[rid].ref and "15118-3" in RULES[rid].ref


def test_bad_side_name() -> None:
    with pytest.raises(ValueError):
        check([], "secc")


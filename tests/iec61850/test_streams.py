"""The GOOSE publisher's retransmission curve, and the GOOSE/SV stream checks: each check finds its fault in a
stream that has it and nothing in a correct stream."""

from __future__ import annotations

import dataclasses
import struct

import pytest

from vgitest.findings import RULES
from vgitest.iec61850 import data, goose, rules, sv
from vgitest.iec61850.l2 import Seen
from vgitest.iec61850.publisher import U32, GoosePublisher, RetransmissionCurve, next_counter
from vgitest.iec61850.streams import check_goose, check_sv

START = [data.boolean(True), data.bits(*[False] * 13)]
STOP = [data.boolean(False), data.bits(*[False] * 13)]
CHANGES = [(0.0, START), (0.5, STOP)]


def _records(plan: list[tuple[float, goose.GooseFrame]], t0_ns: int = 10**12) -> list[Seen]:
    return [Seen(t0_ns + round(t * 1e9), "rx", f.encode()) for t, f in plan]


def _ids(findings: list) -> set[str]:  # type: ignore[type-arg]
    return {f.rule_id for f in findings}


def test_curve_doubles_up_to_the_heartbeat_and_tal_is_twice_the_next_gap() -> None:
    plan = GoosePublisher(goose.example_initiate()).schedule(CHANGES, until=3.0)
    first = [(round(t, 3), f.pdu.st_num, f.pdu.sq_num, f.pdu.time_allowed_to_live) for t, f in plan[:5]]
    assert first == [(0.0, 1, 0, 8), (0.004, 1, 1, 16), (0.012, 1, 2, 32), (0.028, 1, 3, 64), (0.06, 1, 4, 128)]
    stop = [(t, f) for t, f in plan if f.pdu.st_num == 2]
    assert stop[0][0] == 0.5 and stop[0][1].pdu.sq_num == 0 and stop[0][1].pdu.all_data == tuple(STOP)
    assert stop[0][1].pdu.t == data.UtcTime.from_float(0.5)
    gaps = [round(b[0] - a[0], 6) for a, b in zip(stop, stop[1:], strict=False)]
    assert gaps == sorted(gaps) and max(gaps) == 1.0  # grows, then the 1 s heartbeat
    assert all(f.pdu.time_allowed_to_live == 2000 for t, f in stop if t > 1.6)


def test_counters_wrap_to_one() -> None:
    assert next_counter(U32) == 1 and next_counter(0) == 1 and next_counter(7) == 8
    pub = GoosePublisher(dataclasses.replace(goose.example_initiate(), pdu=dataclasses.replace(
        goose.example_initiate().pdu, st_num=U32)))
    plan = pub.schedule(CHANGES, until=0.6)
    assert {f.pdu.st_num for _, f in plan} == {U32, 1}
    assert check_goose(_records(plan)) == []


def test_a_conforming_publisher_gives_no_finding() -> None:
    plan = GoosePublisher(goose.example_initiate()).schedule(CHANGES, until=5.0)
    recs = _records(plan)
    assert check_goose(recs, end_ns=recs[-1].t_ns + 1_000_000_000) == []


@pytest.mark.parametrize("fault, rule", [("no_retransmission", "GOOSE-TAL-EXPIRED"), ("sqnum_skip", "GOOSE-SQNUM"),
                                         ("stnum_stuck", "GOOSE-DATA-CHANGE"), ("tal_too_short", "GOOSE-TAL-EXPIRED")])
def test_each_publisher_fault_is_caught(fault: str, rule: str) -> None:
    plan = GoosePublisher(goose.example_initiate(), faults=frozenset({fault})).schedule(CHANGES, until=3.0)
    recs = _records(plan)
    assert rule in _ids(check_goose(recs, end_ns=recs[-1].t_ns + 10**8))


def _edit(plan: list[tuple[float, goose.GooseFrame]], k: int, **kw: object) -> list[tuple[float, goose.GooseFrame]]:
    t, f = plan[k]
    return plan[:k] + [(t, dataclasses.replace(f, pdu=dataclasses.replace(f.pdu, **kw)))] + plan[k + 1:]


def _clean() -> list[tuple[float, goose.GooseFrame]]:
    return GoosePublisher(goose.example_initiate()).schedule(CHANGES, until=2.0)


def test_stnum_jump_and_sqnum_not_restarted() -> None:
    plan = _clean()
    k = next(i for i, (_, f) in enumerate(plan) if f.pdu.st_num == 2)
    later = [(t, dataclasses.replace(f, pdu=dataclasses.replace(f.pdu, st_num=5))) for t, f in plan[k:]]
    assert "GOOSE-STNUM" in _ids(check_goose(_records(plan[:k] + later)))
    assert "GOOSE-SQNUM" in _ids(check_goose(_records(_edit(plan, k, sq_num=4))))
    back = [(t, dataclasses.replace(f, pdu=dataclasses.replace(f.pdu, st_num=0))) for t, f in plan[k:]]
    assert "GOOSE-STNUM" in _ids(check_goose(_records(plan[:k] + back)))


def test_entries_mismatch_and_undecodable_frame() -> None:
    plan = _edit(_clean(), 2, num_dat_set_entries=3)
    assert _ids(check_goose(_records(plan))) == {"GOOSE-ENTRIES"}
    recs = _records(_clean())
    recs[3] = Seen(recs[3].t_ns, "rx", recs[3].raw[:30])
    assert "GOOSE-FRAME-DECODE" in _ids(check_goose(recs))


def test_t_changes_without_a_new_state_and_simulation_disagreement() -> None:
    plan = _clean()
    assert _ids(check_goose(_records(_edit(plan, 3, t=data.UtcTime(5))))) == {"GOOSE-T"}
    t, f = plan[1]
    sim_pdu_only = (t, dataclasses.replace(f, pdu=dataclasses.replace(f.pdu, simulation=True)))
    assert _ids(check_goose(_records(plan[:1] + [sim_pdu_only] + plan[2:]))) == {"GOOSE-SIMULATION"}
    both = [(t, goose.frame(dataclasses.replace(f.pdu, simulation=True), f.header.src)) for t, f in plan]
    assert check_goose(_records(both)) == []


def test_negative_zero_is_a_data_change() -> None:
    zero = [data.float32(0.0)]
    plan = GoosePublisher(goose.example_initiate()).schedule([(0.0, zero)], until=0.1)
    assert check_goose(_records(plan)) == []
    assert _ids(check_goose(_records(_edit(plan, 2, all_data=(data.float32(-0.0),))))) == {"GOOSE-DATA-CHANGE"}


def test_stream_that_stops_while_live_is_not_judged_but_one_that_outlives_tal_is() -> None:
    recs = _records(_clean())
    tal_ns = goose.decode(recs[-1].raw).pdu.time_allowed_to_live * 1_000_000
    assert check_goose(recs, end_ns=recs[-1].t_ns + tal_ns) == []  # exactly at the limit: not late
    assert _ids(check_goose(recs, end_ns=recs[-1].t_ns + tal_ns + 3_000_000)) == {"GOOSE-TAL-EXPIRED"}


def test_shrinking_retransmission_interval_is_a_warning() -> None:
    plan = _clean()
    t4, f4 = plan[4]
    plan[4] = (plan[3][0] + 0.002, f4)  # the 4th repeat comes 2 ms after the 3rd instead of 32 ms
    got = check_goose(_records(plan))
    assert _ids(got) == {"GOOSE-RETRANSMISSION"} and all(f.severity.value == "warn" for f in got)


def test_two_publishers_are_judged_apart() -> None:
    a = _clean()
    other = dataclasses.replace(goose.example_initiate(), pdu=dataclasses.replace(
        goose.example_initiate().pdu, gocb_ref="EVSE1/LLN0$GO$gcbOther", st_num=40))
    b = GoosePublisher(other).schedule(CHANGES, until=2.0)
    merged = sorted(a + b, key=lambda x: x[0])
    assert check_goose(_records(merged)) == []


# ---- SV ----------------------------------------------------------------------------------------------------

def _sv(counts: list[int], sv_ids: list[str] | None = None, wrap_rate: int | None = None) -> list[Seen]:
    out = []
    for k, n in enumerate(counts):
        asdu = sv.Asdu(sv_ids[k] if sv_ids else "EV1SoC", n, 1, 0, struct.pack(">fI", 0.5, 0), smp_rate=wrap_rate)
        out.append(Seen(10**12 + k * 1_000_000, "rx", sv.frame(sv.SavPdu.of(asdu), bytes(6)).encode()))
    return out


def test_sv_correct_streams_pass() -> None:
    assert check_sv(_sv(list(range(10)))) == []
    assert check_sv(_sv([65534, 65535, 0, 1])) == []
    assert check_sv(_sv([3998, 3999, 0, 1]), sv_id="EV1SoC", wrap=4000) == []
    assert check_sv(_sv([7, 8, 0, 1])) == []  # without a configured wrap, a restart at 0 is a wrap


@pytest.mark.parametrize("counts, wrap", [([0, 1, 3, 4], None), ([0, 1, 1, 2], None), ([3998, 3999, 4000], 4000),
                                          ([7, 8, 0, 1], 4000)], ids=["gap", "repeat", "past-wrap", "early-wrap"])
def test_sv_smpcnt_faults(counts: list[int], wrap: int | None) -> None:
    assert _ids(check_sv(_sv(counts), wrap=wrap)) == {"SV-SMPCNT"}


def test_sv_svid_changes_and_wrong_svid() -> None:
    assert _ids(check_sv(_sv([0, 1, 2], ["EV1SoC", "EV1SoC", "EV2SoC"]))) == {"SV-SVID"}
    assert _ids(check_sv(_sv([0, 1, 2]), sv_id="EV9SoC")) == {"SV-SVID"}
    assert check_sv(_sv([0, 1, 2]), sv_id="EV1SoC") == []


def test_sv_no_asdu_mismatch_and_decode() -> None:
    f = sv.example_soc()
    bad = sv.SvFrame(f.header, dataclasses.replace(f.pdu, no_asdu=3))
    assert _ids(check_sv([Seen(0, "rx", bad.encode())])) == {"SV-NOASDU"}
    assert _ids(check_sv([Seen(0, "rx", f.encode()[:40])])) == {"SV-FRAME-DECODE"}


def test_rules_are_registered_with_versions_and_clause_refs() -> None:
    assert set(rules.ALL_RULE_IDS) >= {"GOOSE-STNUM", "GOOSE-SQNUM", "GOOSE-TAL-EXPIRED", "SV-SMPCNT", "SV-SVID"}
    for rid in rules.ALL_RULE_IDS:
        r = RULES[rid]
        assert r.versions == ("ed2",) and r.ref.startswith("IEC 61850-") and r.protocol == "iec61850"


def test_every_rule_has_a_test_here() -> None:
    import pathlib
    text = pathlib.Path(__file__).read_text()
    missing = [rid for rid in rules.ALL_RULE_IDS if text.count(f'"{rid}"') < 1]
    assert not missing, missing

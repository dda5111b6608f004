"""Table 6 judgement of whole flows: exchanges cut at the device's edge, reliability, the verdicts and their
tolerance, and whether a link is inside an application's envelope."""

from __future__ import annotations

import dataclasses

import pytest

from vgitest.impair.envelope import for_protocol, judge
from vgitest.impair.exchanges import Exchange, cut, name
from vgitest.impair.profile import column
from vgitest.impair.relay import DOWN, UP, Chunk

MS = 1_000_000


def ex(latency_s: float | None, name_: str | None = None) -> Exchange:
    return Exchange(1, 0, None if latency_s is None else int(latency_s * 1e9), name=name_)


def test_cut_pairs_requests_and_answers_per_connection() -> None:
    chunks = [
        Chunk(1, DOWN, 5, 0, 1 * MS),  # the peer speaks first: no exchange
        Chunk(1, UP, 10, 2 * MS, 3 * MS), Chunk(1, UP, 10, 4 * MS, 5 * MS),  # one request in two reads
        Chunk(1, DOWN, 20, 6 * MS, 9 * MS), Chunk(1, DOWN, 20, 9 * MS, 12 * MS),  # its answer in two writes
        Chunk(2, UP, 7, 5 * MS, 6 * MS),  # another connection: never answered
        Chunk(1, UP, 10, 13 * MS, 14 * MS), Chunk(1, DOWN, 3, 15 * MS, 16 * MS),
    ]
    got = cut(chunks)
    assert [(e.conn, e.start_ns, e.end_ns, e.up_bytes, e.down_bytes) for e in got] == [
        (1, 2 * MS, 12 * MS, 20, 40), (2, 5 * MS, None, 7, 0), (1, 13 * MS, 16 * MS, 10, 3)]
    assert got[0].latency_s == pytest.approx(0.010)


def test_names_line_up_with_a_handshake_or_not_at_all() -> None:
    three = [ex(0.1), ex(0.1), ex(0.1)]
    name(three, ["Boot", "Status"])
    assert [e.name for e in three] == ["(handshake)", "Boot", "Status"]
    two = [ex(0.1), ex(0.1)]
    name(two, ["A", "B", "C", "D"])
    assert [e.name for e in two] == [None, None]


def test_verdicts_reliability_and_tolerance() -> None:
    env = for_protocol("sep2")  # monitoring and control: 1 s both ends, 99 %; tolerance max(10 ms, 2 %) = 20 ms
    assert (env.strict_s, env.loose_s, env.reliability_pct) == (1.0, 1.0, 99.0)
    at_limit = judge(env, [([ex(1.02)] * 50, True)])
    assert at_limit.verdict == "PASS" and at_limit.reliability_pct == 100  # exactly at limit + tolerance
    late = judge(env, [([ex(0.2)] * 98 + [ex(1.03), ex(None)], True)])
    assert late.verdict == "FAIL" and late.attempts == 100 and late.completed == 98
    assert "worst: an exchange took 1.030 s" in late.why
    unfinished = judge(env, [([ex(0.2)] * 60, True), ([ex(0.2)] * 39, False)])
    assert unfinished.attempts == 100 and unfinished.reliability_pct == 99.0 and unfinished.verdict == "PASS"
    two_unfinished = judge(env, [([ex(0.2)] * 40, False), ([ex(0.2)] * 40, False)])
    assert two_unfinished.verdict == "FAIL" and two_unfinished.reps_completed == 0


def test_non_strict_between_the_ends_of_a_range() -> None:
    env = for_protocol("ocpp")  # electrified transportation: 2 s to 300 s
    j = judge(env, [([ex(0.5)] * 90 + [ex(3.0)] * 10, True)])
    assert j.verdict == "NON_STRICT" and j.reliability_pct == 100 and j.strict_pct == 90
    assert judge(env, [([ex(306.0)] * 2 + [ex(0.1)] * 98, True)]).verdict == "NON_STRICT"  # 300 s + 2 %
    assert judge(env, [([ex(306.1)] * 2 + [ex(0.1)] * 98, True)]).verdict == "FAIL"


def test_own_timers_per_message() -> None:
    env = for_protocol("iso15118", timers="iso2_evcc_msg_timeout")
    assert env.limits("CurrentDemandReq") == pytest.approx((0.26, 0.26))  # 0.25 s + max(10 ms, 2 %)
    assert env.limits("PowerDeliveryReq")[0] == pytest.approx(5.1)
    assert env.limits(None)[0] == pytest.approx(2.04)
    one = judge(env, [([ex(0.3, "CurrentDemandReq")] + [ex(0.3, "SessionSetupReq")] * 99, True)])
    assert one.verdict == "PASS" and one.completed == 99  # 99 % is the lower reliability figure: met
    two = judge(env, [([ex(0.3, "CurrentDemandReq")] * 2 + [ex(0.3, "SessionSetupReq")] * 98, True)])
    assert two.verdict == "FAIL" and two.completed == 98


@pytest.mark.parametrize(("protocol", "col", "inside"), [
    ("ocpp", "9.6 kbps", True), ("openadr", "9.6 kbps", False), ("openadr", "56 kbps", True),
    ("sep2", "100 ms ± 50 ms", True), ("ocpp", "1 % loss", True), ("ocpp", "5 % loss", False),
    ("ocpp", "none", True)])
def test_inside_the_envelope(protocol: str, col: str, inside: bool) -> None:
    assert for_protocol(protocol).inside(column(col)) is inside


def test_iso_own_timers_put_a_100_ms_link_outside() -> None:
    """The worst round trip of 100 ± 50 ms (300 ms) exceeds CurrentDemand's 0.25 s."""
    env = for_protocol("iso15118", timers="iso2_evcc_msg_timeout")
    assert not env.inside(column("100 ms ± 50 ms")) and env.inside(column("56 kbps"))


def test_a_tighter_envelope_is_a_replace_away() -> None:
    env = dataclasses.replace(for_protocol("ocpp"), strict_s=0.1, loose_s=0.1)
    assert judge(env, [([ex(0.2)] * 10, True)]).verdict == "FAIL"


def test_the_matrix_document_names_its_command_and_marks_cells_outside_the_envelope() -> None:
    from vgitest.impair.matrix import render
    cell = {"flow": "ocpp16", "row": "OCPP 1.6 boot/authorize/transaction", "verdict": "FAIL",
            "inside_envelope": False, "median_s": 0.2, "p95_s": 0.3, "reliability_pct": 90.0, "attempts": 10,
            "reps": 2, "reps_completed": 1, "why": "reliability 90.00 % < 99 %"}
    meta = {"command": "python benchmarks/impairment_matrix.py --reps 2", "date": "2026-12-07 06:00 UTC",
            "wall_s": 12.0, "jobs": 6, "reps": 2, "kernel": {"netem": False},
            "machine": {"platform": "Linux", "python": "3.11", "cpus": 2, "load_1min": 1.0}}
    md = render([{**cell, "column": "5 % loss"}, {**cell, "column": "none", "verdict": "NOT_MEASURED"}], meta)
    assert "`python benchmarks/impairment_matrix.py --reps 2` on 2026-12-07 06:00 UTC" in md
    assert "| OCPP 1.6 boot/authorize/transaction | **FAIL** (outside)<br>0.200 / 0.300 s" in md
    assert "| NOT_MEASURED |" in md and "- OCPP 1.6 boot/authorize/transaction, 5 % loss: reliability" in md

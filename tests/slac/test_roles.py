"""Emulated roles against each other in memory: a clean match, and every fault caught by its rule.

The whole fault matrix runs concurrently on one event loop (the roles mostly sleep), so it costs about as
long as the slowest fault.
"""

from __future__ import annotations

import asyncio

import pytest

from vgitest.findings import Severity
from vgitest.slac.checks import check
from vgitest.slac.link import MemoryLink
from vgitest.slac.pair import PairConfig, PairRun, run_in_memory
from vgitest.slac.roles import EV_FAULTS, EVSE_FAULTS, SlacEv, SlacEvse

# The robustness faults (SLAC-FUZZ-*) show only on broken input, which a pair of roles never sends: the fuzz suite
# catches them (tests/test_fault_matrix.py), and tests/slac/test_robustness.py drives them in memory.
MATRIX = [(side, name) for side, faults in (("evse", EVSE_FAULTS), ("ev", EV_FAULTS)) for name, f in faults.items()
          if not f.rule.startswith("SLAC-FUZZ-")]


def judge(run: PairRun, side: str, fault: str | None = None) -> set[str]:
    """Rule ids about ``side``, judged from the other side's recording (the set-key exchange only shows in
    the EVSE's own recording)."""
    if side == "evse" and fault == "set_key_mismatch":
        findings = check(run.evse_records, "evse", "evse")
    else:
        findings = check(run.ev_records if side == "evse" else run.evse_records, side)
    return {f.rule_id for f in findings}


@pytest.fixture(scope="module")
def matrix() -> dict[tuple[str, str], PairRun]:
    async def all_runs() -> list[PairRun]:
        cfgs = [PairConfig.of([n] if s == "evse" else [], [n] if s == "ev" else []) for s, n in MATRIX]
        return await asyncio.wait_for(asyncio.gather(*(run_in_memory(c) for c in cfgs)), 20)
    return dict(zip(MATRIX, asyncio.run(all_runs())))


def test_clean_match_agrees_on_nmk_and_nid() -> None:
    run = asyncio.run(asyncio.wait_for(run_in_memory(PairConfig()), 10))
    assert run.evse.ok and run.ev.ok, (run.evse, run.ev)
    assert run.ev.nmk == run.evse.nmk and run.ev.nid == run.evse.nid and len(run.ev.nmk or b"") == 16
    assert run.ev.run_id == run.evse.run_id and run.ev.peer_mac == bytes.fromhex("020000000a01")
    for side in ("ev", "evse"):
        assert judge(run, side) == set()
    assert check(run.evse_records, "evse", "evse") == [] and check(run.ev_records, "ev", "ev") == []


@pytest.mark.parametrize("side, fault", MATRIX, ids=[f"{s}-{n}" for s, n in MATRIX])
def test_fault_is_caught(matrix: dict[tuple[str, str], PairRun], side: str, fault: str) -> None:
    run = matrix[side, fault]
    expected = (EVSE_FAULTS if side == "evse" else EV_FAULTS)[fault].rule
    assert expected in judge(run, side, fault)
    # The clean side is not blamed with a MUST violation.
    other = "ev" if side == "evse" else "evse"
    blamed = [f for f in check(run.evse_records if other == "ev" else run.ev_records, other)
              if f.severity is Severity.FAIL]
    assert blamed == []


def test_high_attenuation_makes_the_ev_decline() -> None:
    async def go() -> tuple[bool, str]:
        a, b = MemoryLink.pair()
        evse = SlacEvse(a, attenuation_db=80, init_timeout=2, session_timeout=0.3)
        _, ev = await asyncio.gather(evse.run(), SlacEv(b).run())
        return ev.ok, ev.reason
    ok, reason = asyncio.run(asyncio.wait_for(go(), 10))
    assert not ok and "attenuation" in reason


def test_unknown_fault_is_refused() -> None:
    a, _ = MemoryLink.pair()
    with pytest.raises(ValueError, match="unknown EVSE fault"):
        SlacEvse(a, ["no_such_fault"])
    with pytest.raises(ValueError, match="unknown EV fault"):
        SlacEv(a, ["no_parm_cnf"])


def test_at_least_eight_faults_per_side() -> None:
    assert len(EVSE_FAULTS) >= 8 and len(EV_FAULTS) >= 8


def test_evse_without_ev_gives_up_in_time() -> None:
    async def go() -> str:
        a, _ = MemoryLink.pair()
        return (await SlacEvse(a, init_timeout=0.2).run()).reason
    assert asyncio.run(asyncio.wait_for(go(), 2)) == "no CM_SLAC_PARM.REQ"

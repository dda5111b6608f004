"""The reference roles' robustness faults (SLAC-FUZZ-*) in memory: the harness's role sends one frame broken as a
fuzz example says (vgitest.slac.fuzzcases.breaker, through the fake's Injection), and the device role ignores it and
still matches, unless the fault under test makes it answer the broken frame or stop."""

from __future__ import annotations

import asyncio

import pytest

from vgitest.slac.fake import Injection, ShapedLink
from vgitest.slac.frames import MMType, SlacFrameError, decode
from vgitest.slac.fuzzcases import EV_PAIRS, EVSE_PAIRS, FORBIDDEN, WINDOW_MARGIN_S, breaker
from vgitest.slac.link import MemoryLink
from vgitest.slac.roles import EV_FAULTS, EVSE_FAULTS, SlacEv, SlacEvse
from vgitest.slac.timers import SlacTimers

T = SlacTimers()
P, M = MMType.CM_SLAC_PARM_REQ, MMType.CM_SLAC_MATCH_REQ
C, A, K = MMType.CM_SLAC_PARM_CNF, MMType.CM_ATTEN_CHAR_IND, MMType.CM_SLAC_MATCH_CNF
# each robustness fault, the (message, kind) that shows it, and the rule it breaks
CAUGHT_BY = {
    ("evse", "parm_any_app_type"): (P, "app-type", "SLAC-FUZZ-IGNORE"),
    ("evse", "parm_reserved_security"): (P, "security-type", "SLAC-FUZZ-IGNORE"),
    ("evse", "match_any_mvf_length"): (M, "length", "SLAC-FUZZ-IGNORE"),
    ("evse", "crash_on_cut_frame"): (P, "cut", "SLAC-FUZZ-ALIVE"),
    ("evse", "deaf_after_unknown_mmtype"): (P, "mmtype", "SLAC-FUZZ-ALIVE"),
    ("ev", "parm_cnf_any_app_type"): (C, "app-type", "SLAC-FUZZ-IGNORE"),
    ("ev", "parm_cnf_any_run_id"): (C, "run-id", "SLAC-FUZZ-IGNORE"),
    ("ev", "atten_ind_any_run_id"): (A, "run-id", "SLAC-FUZZ-IGNORE"),
    ("ev", "atten_ind_any_groups"): (A, "range", "SLAC-FUZZ-IGNORE"),
    ("ev", "crash_on_cut_frame"): (C, "cut", "SLAC-FUZZ-ALIVE"),
    ("ev", "match_cnf_any_run_id"): (K, "run-id", "SLAC-FUZZ-IGNORE"),
}


def outcome(side: str, target: MMType, kind: str, faults: tuple[str, ...] = (), value: int = 7, cut: int = 9) -> str:
    """The rule the device role (``side``, strict like a reference device) breaks on one broken frame, or ""."""
    async def go() -> tuple[Injection, bool, list]:
        dev, har = MemoryLink.pair()
        brk, _ = breaker({"kind": kind, "value": value, "cut": cut})
        inj = Injection(target, brk, T.match_response + WINDOW_MARGIN_S)
        shaped = ShapedLink(har, inject=inj)  # type: ignore[arg-type]
        if side == "evse":
            device = SlacEvse(dev, faults, T, strict_input=True, init_timeout=3, session_timeout=0.5)
            harness = SlacEv(shaped, (), T)
        else:
            device = SlacEv(dev, faults, T, strict_input=True)
            harness = SlacEvse(shaped, (), T, init_timeout=3, session_timeout=1.0)
        got, _ = await asyncio.gather(device.run(), harness.run())
        return inj, got.ok, list(dev.records)

    inj, ok, own = asyncio.run(asyncio.wait_for(go(), 15))
    assert inj.raw is not None, "the broken frame was never sent"
    for rec in inj.window:
        try:
            if decode(rec.raw).mmtype in FORBIDDEN[target]:
                return "SLAC-FUZZ-IGNORE"
        except SlacFrameError:
            continue
    keyed = [r for r in own if r.via == "modem" and r.direction == "tx" and r.t_ns < (inj.good_ns or 0)
             and decode(r.raw).mmtype is MMType.CM_SET_KEY_REQ]
    if side == "ev" and keyed:  # the EV's modem got a key before the good CM_SLAC_MATCH.CNF
        return "SLAC-FUZZ-IGNORE"
    return "" if ok else "SLAC-FUZZ-ALIVE"


PAIRS = [("evse", t, k) for t, k in EVSE_PAIRS] + [("ev", t, k) for t, k in EV_PAIRS]


@pytest.mark.parametrize("side, target, kind", PAIRS, ids=lambda v: getattr(v, "name", v))
def test_a_strict_device_ignores_every_broken_frame(side: str, target: MMType, kind: str) -> None:
    assert outcome(side, target, kind) == ""


@pytest.mark.parametrize("side, fault", sorted(CAUGHT_BY), ids=lambda v: v)
def test_robustness_fault_breaks_its_rule(side: str, fault: str) -> None:
    target, kind, rule = CAUGHT_BY[side, fault]
    assert (EVSE_FAULTS if side == "evse" else EV_FAULTS)[fault].rule == rule
    assert outcome(side, target, kind, (fault,)) == rule


def test_every_robustness_fault_is_here() -> None:
    fuzz = {(s, n) for s, cat in (("evse", EVSE_FAULTS), ("ev", EV_FAULTS)) for n, f in cat.items()
            if f.rule.startswith("SLAC-FUZZ-")}
    assert fuzz == set(CAUGHT_BY)

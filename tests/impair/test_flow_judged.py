"""A reference device over an impaired link, judged against Table 6: no false FAIL inside the envelope, a FAIL
once the same measured flow is outside it. One short run (about 2 s) serves both."""

from __future__ import annotations

import dataclasses

from vgitest.impair.envelope import judge
from vgitest.impair.flows import Ocpp16
from vgitest.impair.profile import Impairment


def test_ocpp16_over_a_100_ms_link_passes_table6_and_fails_a_budget_below_its_round_trip() -> None:
    """100 ms one way, no jitter: every exchange takes at least the 200 ms round trip (and, on a loaded machine,
    less than 200 + 150 ms). Electrified transportation (2 s strict) passes; a 150 ms budget fails."""
    flow = Ocpp16(step_s=20)
    flow.open(Impairment("100 ms", delay_ms=100), seed=1, kernel=False)
    try:
        reps = [flow.run_once(i) for i in range(2)]
    finally:
        flow.close()
    assert all(r.finished for r in reps), [r.why for r in reps]
    lat = [e.latency_s for r in reps for e in r.exchanges]
    assert len(lat) >= 14 and all(x is not None and 0.199 <= x < 0.35 for x in lat), lat
    assert [e.name for e in reps[0].exchanges][:2] == ["(handshake)", "BootNotification"]
    env = flow.envelope()
    ok = judge(env, [(r.exchanges, r.finished) for r in reps])
    assert ok.verdict == "PASS" and ok.reliability_pct == 100, ok
    tight = dataclasses.replace(env, strict_s=0.15, loose_s=0.15)
    bad = judge(tight, [(r.exchanges, r.finished) for r in reps])
    assert bad.verdict == "FAIL" and bad.completed == 0, bad


def test_a_peer_that_is_gone_leaves_an_unfinished_repetition_within_its_bound() -> None:
    """The fake CSMS stops answering (its port closed behind the relay): the repetition ends unfinished after
    its one-second step, naming the step, and judging it is a FAIL (no exchange completed)."""
    flow = Ocpp16(step_s=1)
    flow.open(Impairment("none"), kernel=False)
    try:
        flow.peer.stop()
        rep = flow.run_once(0)
    finally:
        flow.links[0].stop()
        flow.links.clear()
    assert not rep.finished and rep.why == "no BootNotification within 1 s" and rep.seconds < 3
    assert judge(flow.envelope(), [(rep.exchanges, rep.finished)]).verdict == "FAIL"

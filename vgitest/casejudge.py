"""How one test case is judged, apart from pytest's hooks: its body's window on the peer's trace, the peer's
after-test checks, the verdict of its findings and of how it ended, and its entry in results.json.

The plugin calls these at the right moments; :mod:`vgitest.case` defines the phases (preamble, body, postamble)
and ``docs/verdicts.md`` the whole model.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import case as vcase
from . import latency
from .evidence import allure, bundle
from .findings import Finding
from .fixturekit import not_applicable, open_window
from .verdict import Inconclusive, Verdict, worst

if TYPE_CHECKING:
    from .run import VgiRun


def applicable(run: VgiRun, rec: dict[str, Any], requires: tuple[str, ...]) -> None:
    """NOT_APPLICABLE (raised) when the DUT speaks another protocol or version than the case's (its vgi_protocol
    marker, in `rec`), or its PICS lacks a feature the case `requires` ('!X': needs X absent)."""
    profile = run.require_profile()
    if rec.get("protocol") is not None:
        versions = rec.get("versions") or ((rec["version"],) if rec.get("version") else ())
        if profile.protocol != rec["protocol"] or (versions and run.dut_version not in versions):
            not_applicable(None, f"the DUT speaks {profile.protocol} {run.dut_version}; this test is for "
                                 f"{rec['protocol']} {' and '.join(versions)}", rec)
        if run.dut_version in versions:
            rec["version"] = run.dut_version  # the version the case is judged in (its report label)
    missing = profile.missing(requires)
    if missing:
        not_applicable(None, f"PICS of {profile.name} does not declare "
                             f"{', '.join(m.lstrip('!') + (' absent' if m.startswith('!') else '') for m in missing)}",
                       rec)


def begin_body(run: VgiRun, rec: dict[str, Any]) -> None:
    """The preamble (fixtures) is done: what follows is the body, the only part of the case that is judged.
    Waits in the body look at the body's frames only."""
    if run.peer is None:
        return
    if rec.get("window") is None:
        open_window(rec, run.peer)
    window = rec["window"]
    window.body_start = window.mark()
    run.peer.begin_body(window.body_start[0])


def evaluate(run: VgiRun, rec: dict[str, Any]) -> tuple[Verdict, list[Finding]]:
    """Run the peer's after-test checks over the test's frames; the verdict of the findings in its body, and
    those that fail it."""
    peer = run.peer
    if peer is None:
        return Verdict.PASS, []
    if rec.get("window") is None:  # the fake peer started in this test's body: all of its frames are the body's
        rec["start"], rec["fstart"], rec["start_ns"] = 0, 0, 0
        rec["window"] = vcase.Window(peer.trace, (0, 0), body_start=(0, 0))
    window = rec["window"]
    if window.body_start is not None and window.body_end is None:
        window.body_end = window.mark()
    rec.update(peer.after_test(rec["start"], run.budgets, rec))
    rec["end_index"] = len(peer.trace)
    findings, observed = window.split()
    rec["findings"], rec["observed"] = findings, observed
    strict = run.settings.strict
    verdict = worst((f.verdict(strict) for f in findings), Verdict.PASS)
    rec["findings_verdict"] = verdict
    rec["latency"] = latency.of_frames(peer.trace.since(rec["start"]))
    return verdict, [f for f in findings if f.verdict(strict) >= Verdict.FAIL]


def final_verdict(exc: BaseException | None, *, when: str, skipped: bool, rec: dict[str, Any]) -> Verdict:
    """The case's verdict: the worst of its judged findings and of how its body ended (`exc`, in pytest's phase
    `when`). A set-up (preamble) that failed is INCONCLUSIVE, whatever the device did on the way, unless the
    harness itself failed (ERROR)."""
    import pytest
    base = rec.get("findings_verdict", Verdict.PASS)
    if skipped:
        return rec.get("verdict", Verdict.NOT_APPLICABLE)
    if exc is None:
        return base
    if when == "setup":
        return Verdict.INCONCLUSIVE if isinstance(exc, (Inconclusive, AssertionError)) else Verdict.ERROR
    if isinstance(exc, Inconclusive):
        return max(base, Verdict.INCONCLUSIVE)
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):  # a check, a plain assert, or pytest.fail()
        return Verdict.FAIL
    return Verdict.ERROR


def write_evidence(run: VgiRun, name: str, rec: dict[str, Any], findings: list[Finding],
                   observed: list[tuple[Finding, str]]) -> dict[str, str]:
    """The test's evidence folder (<run dir>/tests/<name>), from its frames in the peer's trace."""
    peer = run.peer
    assert peer is not None
    end = rec.get("end_index", len(peer.trace))
    frames = peer.trace.since(rec["start"])[: end - rec["start"]]
    verdict = rec.get("verdict")
    return bundle.write(run.run_dir / "tests" / bundle.folder_name(name), peer, frames, dut=run.identity,
                        start_ns=rec.get("start_ns", 0), verdict=verdict.name if verdict else None,
                        findings=findings, observed=observed,
                        extra={"harness_latency": rec.get("latency"), "sizes": rec.get("sizes")},
                        latency_budgets=run.budgets.answer_budgets(run.protocol) if run.profile else (None, None))



def finish(run: VgiRun, test: str, nodeid: str, rec: dict[str, Any], exc: BaseException | None, *, when: str,
           skipped: bool, outcome: str) -> dict[str, Any]:
    """The case has ended (in pytest's phase `when`, with `exc` if it raised): its verdict (kept in `rec`), its
    evidence, its Allure labels, and its entry in results.json."""
    if when == "setup" and not skipped and exc is not None and run.peer is not None and "findings" not in rec:
        evaluate(run, rec)
    rec["verdict"] = verdict = final_verdict(exc, when=when, skipped=skipped, rec=rec)
    evidence = {}
    if run.peer is not None and rec.get("start") is not None and not skipped:
        evidence = write_evidence(run, test, rec, rec.get("findings", []), rec.get("observed", []))
    allure.label(rec.get("protocol") or "", rec.get("version") or (run.dut_version if run.profile else ""),
                 rec.get("feature"), rec.get("case"), verdict.label,
                 run=f"{run.settings.run_name}: {run.profile.dut.get('name') or run.identity}" if run.profile else None)
    allure.run_parameter(run.settings.run_name)
    return result(test, nodeid, rec, verdict=verdict, outcome=outcome,
                  message=str(exc) if exc is not None else None, evidence=evidence)


def interrupted(run: VgiRun, running: dict[str, Any], rec: dict[str, Any], signame: str) -> dict[str, Any]:
    """The result of the case a signal stopped: INCONCLUSIVE (never judged), marked interrupted, with the frames
    it had."""
    from .evidence.report import interrupted_result
    out = interrupted_result(running, signame)
    if run.peer is not None and rec.get("start") is not None:
        try:
            out["evidence"] = write_evidence(run, str(running.get("test")), rec, [], [])
        except Exception as exc:  # the evidence of the ended cases matters more than this partial one
            out["evidence_error"] = repr(exc)
    return out


def result(test: str, nodeid: str, rec: dict[str, Any], *, verdict: Verdict, outcome: str, message: str | None,
           evidence: dict[str, str]) -> dict[str, Any]:
    """The case's entry in results.json."""
    findings: list[Finding] = rec.get("findings", [])
    return {"test": test, "nodeid": nodeid, "case": rec.get("case"), "feature": rec.get("feature"),
            "verdict": verdict.name, "outcome": outcome, "duration_s": round(time.time() - rec["t0"], 3),
            "findings": [f.to_dict() for f in findings],
            "observed": [{**f.to_dict(), "not_judged": why} for f, why in rec.get("observed", [])],
            "message": message[:2000] if message is not None else None,
            "harness_latency": rec.get("latency"), "sizes": rec.get("sizes"), "evidence": evidence}

"""The vgitest pytest plugin: options, markers, fixtures and the hooks that turn a trace into a verdict.

It is a thin layer: the fake peers, checks and evidence writers work without pytest.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from . import case as vcase
from .evidence import allure as vallure
from .findings import Finding
from .run import Settings, VgiRun
from .stopping import StopSignals, exit_code
from .verdict import HarnessError, Inconclusive, NonConformance, NotApplicable, Verdict, worst

RUN = pytest.StashKey[VgiRun]()
RECORD = pytest.StashKey[dict]()
STOP = pytest.StashKey[StopSignals]()
CURRENT = pytest.StashKey[pytest.Item]()  # the case running now

MARKERS = (
    "vgi_case(id, feature=None, requires=()): official test-case id (e.g. TC_B_01_CS), its functional block, "
    "and the PICS features it needs ('!X' = needs X absent); an undeclared feature makes the test NOT_APPLICABLE",
    "vgi_protocol(protocol, version): the suite's protocol and version; the test is NOT_APPLICABLE when the DUT "
    "profile declares another",
)

PORT_PROTOCOLS = ("ocpp", "openadr", "sep2")  # the fake peers that listen on --vgi-port


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("vgitest", "vgitest conformance harness")
    opts = [
        ("--vgi-profile", "vgi_profile", "DUT PICS/PIXIT profile (TOML path, or a built-in name such as "
                                         "reference-station-16)", None),
        ("--vgi-adapter", "vgi_adapter", "DUT adapter: simulated, manual or command (default: the profile's)", None),
        ("--vgi-host", "vgi_host", "address the fake peers listen on (default 127.0.0.1)", "127.0.0.1"),
        ("--vgi-port", "vgi_port", "port of the fake CSMS (default 0 = any free port)", "0"),
        ("--vgi-reports", "vgi_reports", "report directory (default: reports)", "reports"),
        ("--vgi-run-name", "vgi_run_name", "subfolder of the report directory for this run (default: the profile "
                                           "name)", None),
        ("--vgi-schemas", "vgi_schemas", "folder with the official schemas, instead of the pinned packages", None),
        ("--vgi-tls-cert", "vgi_tls_cert", "server certificate (PEM) for wss:// (security profiles 2 and 3)", None),
        ("--vgi-tls-key", "vgi_tls_key", "server private key (PEM)", None),
        ("--vgi-tls-ca", "vgi_tls_ca", "CA bundle that signs station certificates (security profile 3)", None),
    ]
    for flag, ini, help_, default in opts:
        g.addoption(flag, dest=ini, default=None, help=help_)
        parser.addini(ini, help_, default=default)
    g.addoption("--vgi-fault", dest="vgi_fault", action="append", default=[],
                help="inject a named fault into the reference simulator (repeatable; see `vgitest faults`)")
    g.addoption("--vgi-shard", dest="vgi_shard", default=None, metavar="K/N",
                help="run only shard K of N of the collected cases (reports in <run>/shard-K; see `vgitest run -j`)")
    g.addoption("--vgi-strict", dest="vgi_strict", action="store_true", default=None,
                help="treat NON_STRICT findings (a broken SHOULD) as FAIL")
    g.addoption("--vgi-lenient", dest="vgi_lenient", action="store_true", default=None,
                help="schema violations are warnings instead of failures")
    parser.addini("vgi_strict", "treat NON_STRICT as FAIL", type="bool", default=False)
    parser.addini("vgi_lenient", "schema violations are warnings", type="bool", default=False)


def _opt(config: pytest.Config, name: str) -> Any:
    v = config.getoption(name)
    return v if v is not None else config.getini(name)


def pytest_configure(config: pytest.Config) -> None:
    for m in MARKERS:
        config.addinivalue_line("markers", m)
    profile = _opt(config, "vgi_profile")
    run_name = _opt(config, "vgi_run_name") or (Path(profile).stem if profile else "default")
    settings = Settings(profile=profile, adapter=_opt(config, "vgi_adapter"), host=_opt(config, "vgi_host"),
                        port=int(_opt(config, "vgi_port")), reports=Path(_opt(config, "vgi_reports")),
                        run_name=run_name, faults=tuple(config.getoption("vgi_fault") or ()),
                        strict=bool(_opt(config, "vgi_strict")), lenient=bool(_opt(config, "vgi_lenient")),
                        schemas=_opt(config, "vgi_schemas"), tls_cert=_opt(config, "vgi_tls_cert"),
                        tls_key=_opt(config, "vgi_tls_key"), tls_ca=_opt(config, "vgi_tls_ca"))
    try:
        if config.getoption("vgi_shard"):
            from .shard import parse
            settings.shard = parse(config.getoption("vgi_shard"))
        config.stash[RUN] = run = VgiRun(settings)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if run.profile is not None:  # what would otherwise fail every test, or the report at the end
        from .profilevalidate import port_problem, reports_problem
        problem = reports_problem(run.run_dir)
        if problem is None and settings.port and run.protocol in PORT_PROTOCOLS and not hasattr(config, "workerinput"):
            problem = port_problem(settings.host, settings.port)
        if problem:
            raise pytest.UsageError(problem)
    if run.profile is not None and not hasattr(config, "workerinput"):
        config.stash[STOP] = stopper = StopSignals()
        stopper.install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.settings.shard is not None:
        from .shard import select
        keep, drop = select(items, *run.settings.shard)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN, None)
    if run is None:
        return []
    s = run.settings
    p = run.profile
    lines = [f"vgitest: profile={p.path if p else '-'} dut={p.name if p else '-'} adapter="
             f"{run.adapter_kind() if p else '-'} reports={run.run_dir}"]
    if s.faults:
        lines.append(f"vgitest: injected faults: {', '.join(s.faults)}")
    if s.strict or s.lenient:
        lines.append(f"vgitest: strict={s.strict} lenient={s.lenient}")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None:
        return
    stopper = session.config.stash.get(STOP, None)
    signum = stopper.signum if stopper else None
    interrupted = None
    if signum is not None or exitstatus == pytest.ExitCode.INTERRUPTED:
        interrupted = {"signal": signal.Signals(signum).name if signum else "SIGINT", "at": time.time()}
    current = session.config.stash.get(CURRENT, None)
    if interrupted and current is not None and run.profile is not None:
        _record_interrupted(current, run, interrupted["signal"])
    run.stop()
    if signum is not None:
        session.exitstatus = exit_code(signum)  # what a shell reports for a process a signal ended
    if not (run.results or interrupted) or run.profile is None:  # no DUT profile: no conformance run, no report
        return
    from .evidence.report import write_environment
    p = run.profile
    _write_results(run, interrupted=interrupted)
    allure_dir = session.config.getoption("allure_report_dir", None)
    if allure_dir and p is not None:
        write_environment({**p.environment(), "vgitest.faults": ",".join(run.settings.faults) or "none"},
                          Path(allure_dir), run.settings.run_name)


def _write_results(run: VgiRun, running: dict[str, Any] | None = None,
                   interrupted: dict[str, Any] | None = None) -> None:
    from .evidence.report import write_results
    p = run.profile
    meta = {"profile": str(p.path) if p and p.path else None, "profile_name": p.name if p else "",
            "dut": p.name if p else "", "faults": list(run.settings.faults), "strict": run.settings.strict,
            "started": run.started, "finished": time.time()}
    run.run_dir.mkdir(parents=True, exist_ok=True)
    write_results(run.results, run.run_dir, meta, running=running, interrupted=interrupted)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """results.json and summary.md are rewritten around every case: a run stopped by any signal, even SIGKILL,
    keeps each finished case, and names the one it was running."""
    run = item.config.stash.get(RUN, None)
    if run is None or run.profile is None:
        return (yield)
    item.config.stash[CURRENT] = item
    _write_results(run, running=_running(item))
    result = yield  # an interrupt propagates from here, leaving CURRENT set for pytest_sessionfinish
    del item.config.stash[CURRENT]
    _write_results(run)
    return result


def _running(item: pytest.Item) -> dict[str, Any]:
    case = item.get_closest_marker("vgi_case")
    return {"nodeid": item.nodeid, "test": item.name, "case": case.args[0] if case and case.args else None,
            "feature": case.kwargs.get("feature") if case else None, "started": time.time()}


def _record_interrupted(item: pytest.Item, run: VgiRun, signame: str) -> None:
    """The case a signal stopped: INCONCLUSIVE (never judged), marked interrupted, with the frames it had."""
    from .evidence.report import interrupted_result
    rec = item.stash.get(RECORD, None) or {}
    result = interrupted_result({**_running(item), "started": rec.get("t0")}, signame)
    if run.peer is not None and rec.get("start") is not None:
        try:
            result["evidence"] = _write_evidence(item, run, rec, [], [])
        except Exception as exc:  # the evidence of the ended cases matters more than this partial one
            result["evidence_error"] = repr(exc)
    run.results.append(result)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    from .evidence.console import teststatus
    return teststatus(report)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.profile is not None and run.results:
        from .evidence.console import write_verdicts
        write_verdicts(terminalreporter, run.settings.run_name, run.run_dir, run.results)


def pytest_unconfigure(config: pytest.Config) -> None:
    stopper = config.stash.get(STOP, None)
    if stopper is not None:
        stopper.uninstall()
    xml = getattr(config.option, "xmlpath", None)
    if xml and not hasattr(config, "workerinput"):  # the controller writes the JUnit file, not xdist workers
        from .evidence.junit import add_interrupted, align_with_verdicts
        align_with_verdicts(Path(xml))
        run = config.stash.get(RUN, None)
        if run is not None and run.profile is not None:
            add_interrupted(Path(xml), run.run_dir)  # pytest lists only the cases that ended


# --- applicability (PICS) -----------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    run = item.config.stash[RUN]
    case = item.get_closest_marker("vgi_case")
    proto = item.get_closest_marker("vgi_protocol")
    record: dict[str, Any] = {"case": case.args[0] if case and case.args else None,
                              "feature": case.kwargs.get("feature") if case else None,
                              "protocol": proto.args[0] if proto else None,
                              "version": proto.args[1] if proto and len(proto.args) > 1 else None,
                              "t0": time.time(), "start": None}
    item.stash[RECORD] = record
    if proto is None and case is None:
        return
    profile = run.require_profile()
    if proto is not None:
        dut_proto = str(profile.dut.get("protocol", ""))
        if dut_proto != proto.args[0] or (record["version"] and run.dut_version != record["version"]):
            record["verdict"] = Verdict.NOT_APPLICABLE
            _not_applicable(f"NOT_APPLICABLE: the DUT speaks {dut_proto} {run.dut_version}; this test is for "
                        f"{proto.args[0]} {record['version']}")
    if case is not None:
        missing = profile.missing(tuple(case.kwargs.get("requires", ())))
        if missing:
            record["verdict"] = Verdict.NOT_APPLICABLE
            _not_applicable(f"NOT_APPLICABLE: PICS of {profile.name} does not declare "
                        f"{', '.join(m.lstrip('!') + (' absent' if m.startswith('!') else '') for m in missing)}")
    if run.peer is not None:
        if getattr(run.peer.trace, "spill_path", 0) is None:  # frames of finished tests, once released (issue 13)
            run.peer.trace.spill_path = run.run_dir / "released-frames.jsonl"
        _open_window(record, run.peer)


def _open_window(record: dict, peer: Any) -> None:
    """The test's frames begin where the peer's trace stands now."""
    record["start"], record["fstart"] = peer.trace.mark(test_start=True)
    record["start_ns"] = time.monotonic_ns()
    for wire in list(getattr(peer, "wires", None) or []):  # the evidence of finished tests is written: their
        wire.release(record["start_ns"])  # bytes are no longer needed, only counted (issue 13)
    record["window"] = vcase.Window(peer.trace, (record["start"], record["fstart"]))
    vcase.begin(record["window"])


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fixture that cannot establish its state (a reusable state, a precondition) makes the case INCONCLUSIVE
    and names the state, whatever rule the device broke on the way: that defect is judged by the case that
    tests it."""
    try:
        return (yield)
    except AssertionError as exc:
        node = getattr(request, "node", None)
        if fixturedef.scope != "function" or node is None or node.stash.get(RECORD, None) is None:
            raise
        what = (fixturedef.func.__doc__ or fixturedef.argname).strip().splitlines()[0].rstrip(".")
        raise Inconclusive(f"preamble not reached: {what} ({fixturedef.argname}): {exc}") from exc


def _not_applicable(reason: str) -> None:
    """Skip, reported at the test's own location (not the plugin's)."""
    raise NotApplicable(reason)


# --- verdict ------------------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    __tracebackhide__ = True  # a vendor sees the findings, not the plugin's frames
    _begin_body(item)
    try:
        result = yield
    except BaseException:
        _evaluate(item)
        raise
    verdict, blocking = _evaluate(item)
    if verdict >= Verdict.FAIL and blocking:
        raise NonConformance("the DUT broke rules during this test:\n" + "\n".join(f"  {f}" for f in blocking),
                             blocking)
    return result


def _begin_body(item: pytest.Item) -> None:
    """The preamble (fixtures) is done: what follows is the body, the only part of the case that is judged.
    Waits in the body look at the body's frames only."""
    run = item.config.stash[RUN]
    rec = item.stash.get(RECORD, None)
    if rec is None or run.peer is None:
        return
    if rec.get("window") is None:
        _open_window(rec, run.peer)
    window = rec["window"]
    window.body_start = window.mark()
    begin_body = getattr(run.peer, "begin_body", None)  # peers whose waits keep a cursor (CSMS, VTN, 2030.5)
    if begin_body is not None:
        begin_body(window.body_start[0])


def _evaluate(item: pytest.Item) -> tuple[Verdict, list[Finding]]:
    """Run the trace checks over the test's frames and compute the verdict of the findings in its body."""
    run = item.config.stash[RUN]
    rec = item.stash.get(RECORD, None)
    peer = run.peer
    if rec is None or peer is None:
        return Verdict.PASS, []
    if rec.get("window") is None:  # the fake peer started in this test's body: all of its frames are the body's
        rec["start"], rec["fstart"], rec["start_ns"] = 0, 0, 0
        rec["window"] = vcase.Window(peer.trace, (0, 0), body_start=(0, 0))
    window = rec["window"]
    if window.body_start is not None and window.body_end is None:
        window.body_end = window.mark()
    if run.csms is not None and peer is run.csms:
        _ocpp_checks(run, rec)
    elif peer is run.v2g or peer is run.slac:
        pass  # the fake SECC/EVCC/SLAC peers judge every frame themselves (timing at the socket)
    else:
        if peer is run.sep2:
            from .sep2 import checks as trace_checks
        else:
            from .openadr import checks as trace_checks  # type: ignore[no-redef]
        for f in trace_checks.run_all(list(peer.trace), rec["start"], run.budgets):
            peer.trace[f.frame_index].findings.append(f) if f.frame_index is not None else peer.trace.add_finding(f)
    rec["end_index"] = len(peer.trace)
    findings, observed = window.split()
    rec["findings"], rec["observed"] = findings, observed
    strict = run.settings.strict
    verdict = worst((f.verdict(strict) for f in findings), Verdict.PASS)
    blocking = [f for f in findings if f.verdict(strict) >= Verdict.FAIL]
    rec["findings_verdict"] = verdict
    rec["latency"] = _latency_since(peer.trace, rec)
    return verdict, blocking


def _ocpp_checks(run: VgiRun, rec: dict) -> None:
    from .ocpp import checks
    csms = run.csms
    end_ns = time.monotonic_ns()
    frames = csms.trace.since(rec["start"])
    session = csms.sessions.get(run.identity)
    initial = None
    if session is not None and rec.get("initial_hb") is not None:
        initial = rec["initial_hb"]
    known_tx = set(session.transactions) if session is not None else set()
    for f in checks.run_all(frames, run.budgets, test_end_ns=end_ns, heartbeat_interval=initial,
                            known_transactions=known_tx):
        csms.trace.add_finding(f)
    table = checks.size_table(frames, run.budgets)
    for f in checks.size_findings(table, run.budgets):
        csms.trace.add_finding(f)
    rec["sizes"] = table


def _latency_since(trace: Any, rec: dict) -> dict | None:
    from .ocpp.csms import latency_summary
    samples = [int(f.meta["harness_latency_us"] * 1000) for f in trace.since(rec["start"])
               if "harness_latency_us" in f.meta]
    return latency_summary(samples)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    rec = item.stash.get(RECORD, None)
    if rec is None:
        return report
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        _finish(item, call, report, rec)
    return report


def _final_verdict(call: pytest.CallInfo, report: pytest.TestReport, rec: dict) -> Verdict:
    """The case's verdict: the worst of its judged findings and of how its body ended. A set-up (preamble) that
    failed is INCONCLUSIVE, whatever the device did on the way, unless the harness itself failed (ERROR)."""
    base = rec.get("findings_verdict", Verdict.PASS)
    if report.skipped:
        return rec.get("verdict", Verdict.NOT_APPLICABLE)
    exc = call.excinfo.value if call.excinfo else None
    if exc is None:
        return base
    if report.when == "setup":
        return Verdict.INCONCLUSIVE if isinstance(exc, (Inconclusive, AssertionError)) else Verdict.ERROR
    if isinstance(exc, Inconclusive):
        return max(base, Verdict.INCONCLUSIVE)
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):  # a check, a plain assert, or pytest.fail()
        return Verdict.FAIL
    return Verdict.ERROR


def _finish(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, rec: dict) -> None:
    run: VgiRun = item.config.stash[RUN]
    if not (rec.get("case") or rec.get("protocol") or rec.get("window")):
        return  # not a conformance case: no marker and no fake peer (e.g. a unit test in the same session)
    if report.when == "setup" and report.failed and run.peer is not None and "findings" not in rec:
        _evaluate(item)
    verdict = _final_verdict(call, report, rec)
    rec["verdict"] = verdict
    findings: list[Finding] = rec.get("findings", [])
    observed: list[tuple[Finding, str]] = rec.get("observed", [])
    item.user_properties.append(("verdict", verdict.label))
    report.user_properties.append(("verdict", verdict.label))  # the report was made from a copy of the item's
    if rec.get("case"):
        item.user_properties.append(("test_case", rec["case"]))
    if findings:
        item.user_properties.append(("rules", ",".join(sorted({f.rule_id for f in findings}))))
    evidence = {}
    if run.peer is not None and rec.get("start") is not None and not report.skipped:
        evidence = _write_evidence(item, run, rec, findings, observed)
    version = rec.get("version") or (run.dut_version if run.profile else "")
    vallure.label(rec.get("protocol") or "", version, rec.get("feature"), rec.get("case"), verdict.label)
    vallure.run_parameter(run.settings.run_name)
    run.results.append({
        "test": item.name, "nodeid": item.nodeid, "case": rec.get("case"), "feature": rec.get("feature"),
        "verdict": verdict.name, "outcome": report.outcome,
        "duration_s": round(time.time() - rec["t0"], 3),
        "findings": [f.to_dict() for f in findings],
        "observed": [{**f.to_dict(), "not_judged": why} for f, why in observed],
        "message": str(call.excinfo.value)[:2000] if call.excinfo else None,
        "harness_latency": rec.get("latency"), "sizes": rec.get("sizes"), "evidence": evidence,
    })


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


def _write_evidence(item: pytest.Item, run: VgiRun, rec: dict, findings: list[Finding],
                    observed: list[tuple[Finding, str]]) -> dict[str, str]:
    from .evidence import jsonl, pcapng, sequence
    peer = run.peer
    end = rec.get("end_index", len(peer.trace))
    frames = peer.trace.since(rec["start"])[: end - rec["start"]]
    d = run.run_dir / "tests" / _slug(item.name)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, str] = {}
    jsonl.write_frames(frames, d / "frames.jsonl")
    out["frames"] = str(d / "frames.jsonl")
    if rec.get("protocol") == "ocpp" or run.profile and run.profile.dut.get("protocol") == "ocpp":
        jsonl.write_open_ocpp_trace(frames, d / "trace.jsonl")
        out["open_ocpp_trace"] = str(d / "trace.jsonl")
    from .run import PEER_NAMES
    harness = PEER_NAMES.get(run.protocol, "HARNESS")
    seq = sequence.text(frames, dut=run.identity, harness=harness)
    (d / "sequence.txt").write_text(seq, encoding="utf-8")
    (d / "sequence.mmd").write_text(sequence.mermaid(frames, dut=run.identity, harness=harness.replace("-", " ").title()),
                                    encoding="utf-8")
    out["sequence"] = str(d / "sequence.txt")
    try:
        n = pcapng.write_pcapng(peer.wires, d / "capture.pcapng", rec.get("start_ns", 0), frames=frames)
        if n:
            out["pcapng"] = str(d / "capture.pcapng")
    except Exception as exc:  # evidence must never turn a verdict into an error
        (d / "capture.error.txt").write_text(f"pcapng not written: {exc!r}\n", encoding="utf-8")
    if run.protocol == "slac":  # layer-2 frames, no TCP: an Ethernet capture of the test's SLAC frames
        try:
            from .slac.capture import write_pcapng as write_slac_pcapng
            if write_slac_pcapng(frames, d / "capture.pcapng"):
                out["pcapng"] = str(d / "capture.pcapng")
        except Exception as exc:  # evidence must never turn a verdict into an error
            (d / "capture.error.txt").write_text(f"pcapng not written: {exc!r}\n", encoding="utf-8")
    import json
    summary = {"verdict": rec.get("verdict").name if rec.get("verdict") else None,
               "findings": [f.to_dict() for f in findings],
               "observed": [{**f.to_dict(), "not_judged": why} for f, why in observed],
               "harness_latency": rec.get("latency"), "sizes": rec.get("sizes")}
    (d / "findings.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    out["findings"] = str(d / "findings.json")
    vallure.attach_text(seq, "sequence diagram")
    vallure.attach_json(summary, "findings (judged and observed), sizes and harness latency")
    vallure.attach_file(d / "trace.jsonl", "trace (open-ocpp-trace JSONL)", "jsonl")
    vallure.attach_file(d / "frames.jsonl", "frames (raw, all)", "jsonl")
    vallure.attach_file(d / "capture.pcapng", "capture.pcapng", "pcapng")
    return out


# --- fixtures -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def vgi_run(request: pytest.FixtureRequest) -> VgiRun:
    return request.config.stash[RUN]


@pytest.fixture(scope="session")
def vgi_profile(vgi_run: VgiRun) -> Any:
    """The DUT's PICS/PIXIT profile."""
    return vgi_run.require_profile()


@pytest.fixture(scope="session")
def vgi_budgets(vgi_run: VgiRun) -> Any:
    """Timing and size budgets (schemas/budgets/*.toml, with the profile's [budgets] overrides)."""
    return vgi_run.budgets


def _started(server: Any, request: pytest.FixtureRequest) -> Any:
    """A fake peer started during this test's setup: the test's frames begin where its trace stands now."""
    rec = request.node.stash.get(RECORD, None)
    if rec is not None and rec.get("window") is None:
        _open_window(rec, server)
    return server


@pytest.fixture
def csms(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake CSMS (started once per session; every frame of this test is checked and kept as evidence)."""
    return _started(vgi_run.ensure_csms(), request)


@pytest.fixture(scope="session")
def dut(vgi_run: VgiRun) -> Any:
    """The DUT adapter: `dut.perform("plug_in", connector=1)` and the other physical actions."""
    return vgi_run.ensure_dut()


@pytest.fixture
def station(csms: Any, dut: Any, vgi_run: VgiRun, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The DUT's session on the fake CSMS (connected; per-test configuration reset). After the case, the postamble
    brings the station back to idle (transactions stopped, cable unplugged) and waits for it."""
    session = csms.session(vgi_run.identity)
    timeout = float(vgi_run.require_profile().param("connect_timeout", 30))
    try:
        session.wait_connected(timeout)
    except NonConformance as exc:
        raise Inconclusive(f"{exc} (is the station configured with {csms.url_for(vgi_run.identity)}?)") from None
    session.reset_for_test()
    rec = request.node.stash.get(RECORD, None)
    if rec is not None:
        session.cursor = rec["start"]
        rec["initial_hb"] = session.heartbeat_interval if session.registration == "Accepted" else None
    yield session
    from .ocpp.states import postamble  # the case is judged: bring the station back to idle, wait for it
    session.reset_for_test()  # the case's overrides (a held answer, a refused token) must not stall the clean-up
    notes = postamble(session, dut, vgi_run.require_profile())
    if notes:
        for result in reversed(vgi_run.results):
            if result["nodeid"] == request.node.nodeid:
                result["postamble"] = notes
                break


def _states(session: Any) -> Any:
    from .ocpp.states import for_version
    return for_version(session.version)


@pytest.fixture
def booted_station(station: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Booted: connected and registration Accepted in this power cycle."""
    _states(station).booted(station, dut, vgi_profile)
    return station


@pytest.fixture
def authorized_session(booted_station: Any, dut: Any, vgi_profile: Any) -> dict:
    """Reusable state Authorized: a valid token presented and accepted."""
    return _states(booted_station).authorized(booted_station, dut, vgi_profile)


@pytest.fixture
def running_transaction(booted_station: Any, dut: Any, vgi_profile: Any) -> dict:
    """Reusable state EnergyTransferStarted: EV plugged in, authorized, transaction running."""
    return _states(booted_station).transaction(booted_station, dut, vgi_profile)



def _session_for_test(session: Any, request: pytest.FixtureRequest) -> Any:
    """An HTTP fake's session with this test's settings back to defaults, reading from the test's first frame."""
    session.reset_for_test()
    rec = request.node.stash.get(RECORD, None)
    if rec is not None:
        session.cursor = rec["start"]
    return session


# --- OpenADR fixtures ---------------------------------------------------------------------------------------
@pytest.fixture
def vtn(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake VTN (started once per session; every exchange of this test is checked and kept as evidence)."""
    return _started(vgi_run.ensure_vtn(), request)


@pytest.fixture
def ven(vtn: Any, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The VEN under test as the fake VTN sees it (per-test overrides and queue reset)."""
    return _session_for_test(vtn.session, request)


@pytest.fixture
def registered_ven(ven: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Registered: the VEN is registered, its reports are registered and it polls."""
    from .openadr.states import registered
    registered(ven, dut, vgi_profile)
    return ven


@pytest.fixture
def oadr_pki(vtn: Any, vgi_run: VgiRun) -> Any:
    """The OpenADR test PKI generated for this run (good, untrusted and expired VTN certificates)."""
    if vgi_run.oadr_pki is None:
        raise Inconclusive("this test swaps the VTN's certificate: it needs the generated test PKI "
                           "(PIXIT tls_material = \"generated\")")
    return vgi_run.oadr_pki


# --- ISO 15118 / DIN SPEC 70121 fixtures ---------------------------------------------------------------------
@pytest.fixture
def secc(vgi_run: VgiRun, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The fake SECC (an EV under test): script its answers, then `dut.perform("plug_in")` and
    `secc.next_session(timeout)`."""
    if vgi_run.dut_role != "ev":
        raise Inconclusive("the fake SECC tests an EV: this profile's [dut] role is not \"ev\"")
    fake = _started(vgi_run.ensure_v2g(), request)
    fake.reset_for_test()
    return fake


@pytest.fixture
def evcc(vgi_run: VgiRun, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The fake EVCC (an EVSE under test): script its requests, then `evcc.charge()` runs one session."""
    if vgi_run.dut_role != "evse":
        raise Inconclusive("the fake EVCC tests an EVSE: this profile's [dut] role is not \"evse\"")
    fake = _started(vgi_run.ensure_v2g(), request)
    fake.reset_for_test()
    return fake


# --- ISO 15118-3 SLAC fixtures ------------------------------------------------------------------------------
@pytest.fixture
def slac(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake SLAC peer of this profile's role (a fake EVSE tests an EV, a fake EV tests an EVSE):
    `slac.match()` runs one matching session with the device and returns what it saw. NOT_APPLICABLE where the
    link cannot be made (no network namespaces for the veth pair)."""
    fake = vgi_run.ensure_slac()
    if fake.unavailable:
        rec = request.node.stash.get(RECORD, None)
        if rec is not None:
            rec["verdict"] = Verdict.NOT_APPLICABLE
        _not_applicable(f"NOT_APPLICABLE: {fake.unavailable}")
    fake = _started(fake, request)
    fake.dut = request.getfixturevalue("dut")
    fake.dut_recording = getattr(vgi_run.simulator, "own_records", None)
    fake.reset_for_test()
    return fake


@pytest.fixture
def slac_evse(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake SLAC EVSE (an EV under test)."""
    if vgi_run.dut_role != "ev":
        raise Inconclusive("the fake SLAC EVSE tests an EV: this profile's [dut] role is not \"ev\"")
    return request.getfixturevalue("slac")


@pytest.fixture
def slac_ev(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake SLAC EV (an EVSE under test)."""
    if vgi_run.dut_role != "evse":
        raise Inconclusive("the fake SLAC EV tests an EVSE: this profile's [dut] role is not \"evse\"")
    return request.getfixturevalue("slac")


# --- IEEE 2030.5 fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def sep2_server(vgi_run: VgiRun, request: pytest.FixtureRequest) -> Any:
    """The fake IEEE 2030.5 server (started once per session; every exchange of this test is checked)."""
    return _started(vgi_run.ensure_sep2(), request)


@pytest.fixture
def der_client(sep2_server: Any, dut: Any, request: pytest.FixtureRequest) -> Any:
    """The DER client under test as the fake 2030.5 server sees it (per-test overrides and outage reset)."""
    return _session_for_test(sep2_server.session, request)


@pytest.fixture
def following_client(der_client: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Following: the client walked from DeviceCapability to its DERProgramList and polls it."""
    from .sep2.states import following
    following(der_client, dut, vgi_profile)
    return der_client


@pytest.fixture
def csip_pki(sep2_server: Any, vgi_run: VgiRun) -> Any:
    """The CSIP test PKI generated for this run (chains of depth 2-4, the COMM-004 negative chains)."""
    if vgi_run.csip_pki is None:
        raise Inconclusive("this test needs the generated CSIP test PKI (PIXIT tls_material = \"generated\")")
    return vgi_run.csip_pki


"""The vgitest pytest plugin: options, markers, fixtures and the hooks that turn a trace into a verdict.

It is a thin layer: the fake peers, checks and evidence writers work without pytest.
"""

from __future__ import annotations

import importlib
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from . import casejudge, options, peer
from .fixturekit import RECORD, RUN, open_window
from .run import VgiRun
from .evidence.console import VerdictConsole, console_line
from .stopping import StopSignals, exit_code
from .verdict import Concluded, HarnessError, Inconclusive, NonConformance, Verdict

STOP = pytest.StashKey[StopSignals]()
CONSOLE = pytest.StashKey[VerdictConsole]()  # the verdict-per-line console, when it is on
CURRENT = pytest.StashKey[pytest.Item]()  # the case running now

MARKERS = (
    "vgi_case(id, feature=None, requires=()): the official test-case id, its functional block or feature group, "
    "and the PICS features it needs ('!X' = needs X absent); an undeclared feature makes the test NOT_APPLICABLE",
    "vgi_protocol(protocol, version, *more_versions): the suite's protocol and the version(s) its cases hold in; the "
    "test is NOT_APPLICABLE when the DUT profile declares another",
    "vgi_expected_s(seconds): how long the case takes against the reference device; a sharded run (--vgi-shard) deals "
    "the longest cases first to the least loaded shard",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


def pytest_configure(config: pytest.Config) -> None:
    for m in MARKERS:
        config.addinivalue_line("markers", m)
    for name in ("vgitest.fuzzing.fixtures", *peer.fixture_modules()):  # vgi_fuzz, each protocol package's fixtures
        if not config.pluginmanager.has_plugin(name):
            config.pluginmanager.register(importlib.import_module(name), name)
    try:
        config.stash[RUN] = run = VgiRun(options.settings(config))
        problem = run.startup_problem(check_port=not hasattr(config, "workerinput"))
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if problem:
        raise pytest.UsageError(problem)
    if config.getoption("allure_report_dir", None) and not config.pluginmanager.has_plugin("vgitest-allure-teardown"):
        config.pluginmanager.register(importlib.import_module("vgitest.evidence.allure_teardown"),
                                      "vgitest-allure-teardown")
    if run.profile is not None and not hasattr(config, "workerinput"):
        config.stash[STOP] = stopper = StopSignals()
        stopper.install()
        if run.settings.console == "verdicts":
            config.stash[CONSOLE] = console = VerdictConsole(config, run.settings.wait_line_s)
            config.pluginmanager.register(console, "vgitest-console")


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
    return run.header() if run is not None else []


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
        rec = current.stash.get(RECORD, None) or {}
        run.results.append(casejudge.interrupted(run, {**_running(current), "started": rec.get("t0")}, rec,
                                                 interrupted["signal"]))
    run.stop()
    if signum is not None:
        session.exitstatus = exit_code(signum)  # what a shell reports for a process a signal ended
    if (run.results or interrupted) and run.profile is not None:  # no DUT profile: no conformance run, no report
        run.write_results(interrupted=interrupted)
        allure_dir = session.config.getoption("allure_report_dir", None)
        if allure_dir:
            run.write_allure_environment(Path(allure_dir))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """results.json and summary.md are rewritten around every case: a run stopped by any signal, even SIGKILL,
    keeps each finished case, and names the one it was running."""
    run = item.config.stash.get(RUN, None)
    if run is None or run.profile is None:
        return (yield)
    item.config.stash[CURRENT] = item
    run.write_results(running=_running(item))
    result = yield  # an interrupt propagates from here, leaving CURRENT set for pytest_sessionfinish
    del item.config.stash[CURRENT]
    run.write_results()
    return result


def _running(item: pytest.Item) -> dict[str, Any]:
    case = item.get_closest_marker("vgi_case")
    return {"nodeid": item.nodeid, "test": item.name, "case": case.args[0] if case and case.args else None,
            "feature": case.kwargs.get("feature") if case else None, "started": time.time()}


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    from .evidence.console import teststatus
    return teststatus(report, lines=config.stash.get(CONSOLE, None) is not None)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.profile is not None and run.results:
        from .evidence.console import write_verdicts
        write_verdicts(terminalreporter, run.settings.run_name, run.run_dir, run.results)


def pytest_unconfigure(config: pytest.Config) -> None:
    console = config.stash.get(CONSOLE, None)
    if console is not None:
        console.stop()
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
                              # a case may hold in several versions of its protocol: vgi_protocol(p, "2.0.1", "2.1")
                              "versions": tuple(proto.args[1:]) if proto else (),
                              "version": proto.args[1] if proto and len(proto.args) > 1 else None,
                              "t0": time.time(), "start": None}
    item.stash[RECORD] = record
    if proto is None and case is None:
        return
    casejudge.applicable(run, record, tuple(case.kwargs.get("requires", ())) if case else ())
    if run.peer is not None:
        if getattr(run.peer.trace, "spill_path", 0) is None:  # frames of finished tests, once released (issue 13)
            run.peer.trace.spill_path = run.run_dir / "released-frames.jsonl"
        open_window(record, run.peer)


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


# --- verdict ------------------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    __tracebackhide__ = True  # a vendor sees the findings, not the plugin's frames
    run, rec = item.config.stash[RUN], item.stash.get(RECORD, None)
    if rec is not None:
        casejudge.begin_body(run, rec)
    try:
        result = yield
    except Concluded:  # the body stopped on the SHOULDs it found: judged on those findings below
        result = None
    except BaseException:
        if rec is not None:
            casejudge.evaluate(run, rec)
        raise
    verdict, blocking = casejudge.evaluate(run, rec) if rec is not None else (Verdict.PASS, [])
    if verdict >= Verdict.FAIL and blocking:
        raise NonConformance("the DUT broke rules during this test:\n" + "\n".join(f"  {f}" for f in blocking),
                             blocking)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    rec = item.stash.get(RECORD, None)
    if rec is None:
        return report
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        _finish(item, call, report, rec)
    return report


def _finish(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, rec: dict) -> None:
    run: VgiRun = item.config.stash[RUN]
    if not (rec.get("case") or rec.get("protocol") or rec.get("window")):
        return  # not a conformance case: no marker and no fake peer (e.g. a unit test in the same session)
    result = casejudge.finish(run, item.name, item.nodeid, rec, call.excinfo.value if call.excinfo else None,
                              when=report.when, skipped=report.skipped, outcome=report.outcome)
    for props in (item.user_properties, report.user_properties):  # the report was made from a copy of the item's
        props.append(("verdict", rec["verdict"].label))
    report.vgi_line = console_line(result)  # an extra report attribute: xdist carries it to the controller
    if rec.get("case"):
        item.user_properties.append(("test_case", rec["case"]))
    if result["findings"]:
        item.user_properties.append(("rules", ",".join(sorted({f["rule"] for f in result["findings"]}))))
    run.results.append(result)


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


@pytest.fixture(scope="session")
def dut(vgi_run: VgiRun) -> Any:
    """The DUT adapter: `dut.perform("plug_in", connector=1)` and the other physical actions."""
    return vgi_run.ensure_dut()

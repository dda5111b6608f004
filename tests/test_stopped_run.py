"""A stopped run keeps its evidence and never exits 0 (issue 13): `vgitest run` of a two-case suite is signalled
while its second case sleeps. Loopback only; each case is bounded (the sleeping case would take 60 s)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.suite_process import UNUSED_PLUGINS
from vgitest.evidence.report import write_results

ROOT = Path(__file__).resolve().parents[1]

SUITE = '''
import os, time
import pytest

@pytest.mark.vgi_case("TC_STOP_01")
def test_finishes():
    pass

@pytest.mark.vgi_case("TC_STOP_02")
def test_sleeps():
    with open(os.environ["STOP_PIDFILE"] + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(os.environ["STOP_PIDFILE"] + ".tmp", os.environ["STOP_PIDFILE"])
    time.sleep(60)
'''


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    """`vgitest run` of the suite in its own process group; returns it, the pid of its pytest child (once the
    second case sleeps) and the run's report folder."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_stop.py").write_text(SUITE)
    pidfile = tmp_path / "pytest.pid"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STOP_PIDFILE": str(pidfile)}
    proc = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "run", "--profile", "reference-station-16",
                             "--suite", str(suite), "--reports", str(tmp_path / "reports"), "--", *UNUSED_PLUGINS],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 15
    while not pidfile.is_file():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the suite did not reach its sleeping case:\n{proc.communicate()[0]}")
        time.sleep(0.05)
    return proc, int(pidfile.read_text()), tmp_path / "reports" / "reference-station-16"


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out = proc.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate()[0]
        pytest.fail(f"vgitest run did not end after the signal:\n{out}")
    return proc.returncode, out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _check_evidence(run_dir: Path, signame: str) -> dict:
    doc = json.loads((run_dir / "results.json").read_text())
    by_case = {r["case"]: r for r in doc["results"]}
    assert by_case["TC_STOP_01"]["verdict"] == "PASS"
    assert by_case["TC_STOP_02"]["verdict"] == "INCONCLUSIVE" and by_case["TC_STOP_02"]["interrupted"]
    assert doc["interrupted"]["signal"] == signame
    summary = (run_dir / "summary.md").read_text()
    assert "TC_STOP_01" in summary and "interrupted" in summary.lower()
    # a catchable signal: pytest ends its session, writes JUnit and the plugin adds the interrupted case; after
    # SIGKILL vgitest run writes JUnit from results.json. Either way a CI gate reading JUnit sees both cases.
    cases = {c.get("name"): c for c in ET.parse(run_dir / "junit.xml").getroot().iter("testcase")}
    assert [e.tag for e in cases["test_finishes"] if e.tag in ("failure", "error", "skipped")] == []
    assert [e.tag for e in cases["test_sleeps"] if e.tag in ("failure", "error", "skipped")] == ["error"]
    return doc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_pytest_child_keeps_the_finished_cases_and_fails_the_run(tmp_path: Path,
                                                                          sig: signal.Signals) -> None:
    proc, child, run_dir = _start(tmp_path)
    os.kill(child, sig)
    rc, out = _finish(proc)
    assert rc == 128 + sig, out
    _check_evidence(run_dir, sig.name)


def test_ctrl_c_keeps_the_evidence_and_exits_130(tmp_path: Path) -> None:
    proc, child, run_dir = _start(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground process group
    rc, out = _finish(proc)
    assert rc == 130, out
    assert "Traceback" not in out, out
    _check_evidence(run_dir, "SIGINT")


def test_sigterm_to_vgitest_run_stops_its_child_and_exits_143(tmp_path: Path) -> None:
    proc, child, run_dir = _start(tmp_path)
    os.kill(proc.pid, signal.SIGTERM)
    rc, out = _finish(proc)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert rc == 143, out
    assert not alive, "the pytest child outlived vgitest run"
    _check_evidence(run_dir, "SIGTERM")


def test_results_are_replaced_never_rewritten_in_place(tmp_path: Path) -> None:
    """A reader (or a kill) during a write sees the old file or the new one, never a truncated one."""
    first = [{"test": "t1", "case": "A", "verdict": "PASS"}]
    write_results(first, tmp_path, {})
    with (tmp_path / "results.json").open() as results, (tmp_path / "summary.md").open() as summary:
        old_results, old_summary = (tmp_path / "results.json").read_text(), (tmp_path / "summary.md").read_text()
        write_results(first + [{"test": "t2", "case": "B", "verdict": "FAIL"}], tmp_path, {})
        assert results.read() == old_results and summary.read() == old_summary  # the old inodes are untouched
    assert json.loads((tmp_path / "results.json").read_text())["counts"] == {"PASS": 1, "FAIL": 1}
    assert not list(tmp_path.glob("*.tmp"))


def test_sigterm_stops_every_run_of_a_parallel_vgitest_run(tmp_path: Path) -> None:
    """`vgitest run -j 2` with two runs side by side: the signal reaches both pytest processes, each keeps its
    finished case and marks the interrupted one, and no further run starts."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_stop.py").write_text(SUITE.replace('os.environ["STOP_PIDFILE"]',
                                                      'os.environ["STOP_PIDFILE"] + str(os.getpid())'))
    profile = (ROOT / "profiles" / "reference-station-16.toml").read_text()
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / f"{name}.toml").write_text(profile)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STOP_PIDFILE": str(tmp_path / "pid-")}
    proc = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "run", "-j", "2", "--profile", "alpha.toml",
                             "--profile", "beta.toml", "--profile", "gamma.toml", "--suite", str(suite), "--reports",
                             str(tmp_path / "reports"), "--", *UNUSED_PLUGINS], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 20
    while len([p for p in tmp_path.glob("pid-*") if not p.name.endswith(".tmp")]) < 2:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the runs did not reach their sleeping cases:\n{proc.communicate()[0]}")
        time.sleep(0.05)
    children = [int(p.read_text()) for p in tmp_path.glob("pid-*") if not p.name.endswith(".tmp")]
    os.kill(proc.pid, signal.SIGTERM)
    rc, out = _finish(proc)
    alive = [c for c in children if _alive(c)]
    for c in alive:
        os.kill(c, signal.SIGKILL)
    assert rc == 143, out
    assert not alive, "a pytest child outlived vgitest run"
    for name in ("alpha", "beta"):
        _check_evidence(tmp_path / "reports" / name, "SIGTERM")
    assert not (tmp_path / "reports" / "gamma" / "results.json").exists(), "a run started after the stop signal"

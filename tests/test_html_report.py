"""`vgitest report html` (issue 19): two DUT profiles run into one Allure results folder become one self-contained
HTML file, and a headless Chromium that opens it from disk shows both DUTs at the top of its tree, each run's DUT in
the report's metadata, and asks no server for anything. A screenshot of what it showed is kept.

Node.js (npx) and a Chromium are needed; .ci/run installs the Chromium. Without them these tests are errors that
say what to install, never a silent pass; VGITEST_NO_BROWSER=1 skips them knowingly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Callable

import pytest

from tests import headless
from vgitest.cli import main
from vgitest.evidence import htmlreport
from vgitest.peer import reference_runs
from vgitest.resources import data_dir

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "reports" / "html-check"  # kept after the run (reports/ is the project's output folder, not tracked)
RUNS = ("ocpp16-core", "ocpp16-ups")  # two DUT profiles, 5 cases, seconds
SKIP_ENV = "VGITEST_NO_BROWSER"
RENDER_TIMEOUT_S = 60.0

# The report's tree: each top-level branch's title and whether a person sees it (inside the window, not hidden).
# null while Allure's loading screen is up.
TOP_OF_TREE = """document.getElementById('allure-app-loader') ? null :
  [...document.querySelectorAll('[data-testid="tree-content"] > div > [data-testid="tree-section"]')].map(s => {
    const t = s.querySelector('[data-testid="tree-section-title"]'); const r = t.getBoundingClientRect();
    return {title: t.textContent.trim(), shown: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight
            && getComputedStyle(t).visibility === 'visible'};
  })"""
METADATA = """(() => {
  const more = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Show more');
  if (more) more.click();
  return [...document.querySelectorAll('[data-testid="metadata-item-key"]')].map(k => k.textContent.trim()); })()"""


def expected_duts() -> dict[str, str]:
    """run -> the DUT name its profile gives (read from the profile files, not from the results under test)."""
    profiles = {r.name: r.profile for r in reference_runs()}
    out = {}
    for run in RUNS:
        with (data_dir("profiles") / f"{profiles[run]}.toml").open("rb") as f:
            out[run] = tomllib.load(f)["dut"]["name"]
    return out


def report_problems(page: headless.Page, duts: dict[str, str], shot: Path) -> list[str]:
    """What a reader of the report would miss: a run whose "<run>: <DUT>" branch is not at the top of the tree or
    not on screen, a run whose DUT is not in the metadata, a request for anything outside the file. The screenshot
    is taken once the tree has rendered, before the metadata is unfolded."""
    tree = page.wait_for(TOP_OF_TREE, RENDER_TIMEOUT_S)
    page.screenshot(shot)
    print(f"screenshot: {shot}")
    if not tree:
        return [f"the report's tree did not render in {RENDER_TIMEOUT_S:.0f} s"]
    problems = []
    for run, dut in duts.items():
        branch = next((b for b in tree if b["title"] == f"{run}: {dut}"), None)
        if branch is None:
            problems.append(f"no branch '{run}: {dut}' at the top of the tree (it has {[b['title'] for b in tree]})")
        elif not branch["shown"]:
            problems.append(f"the branch of {run} is not on screen")
    keys = page.wait_for(METADATA, 10) or []
    problems += [f"the metadata has no {run}.dut.name" for run in duts if f"{run}.dut.name" not in keys]
    outside = [u for u in page.requests if u.split(":", 1)[0] not in ("file", "data", "blob")]
    problems += [f"the page asked the network for {u[:120]}" for u in outside]
    return problems


@pytest.fixture(scope="module")
def tools() -> None:
    """npx and a Chromium, or an error that says which is missing (a skip only when asked for by name)."""
    missing = [m for m, ok in (("npx (Node.js with npm)", shutil.which("npx")),
                               (f"a Chromium ({headless.INSTALL_HINT})", headless.find_chromium())) if not ok]
    if missing and os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1 and missing: {'; '.join(missing)}")
    if missing:
        pytest.fail(f"the HTML report check needs {' and '.join(missing)}; set {SKIP_ENV}=1 to skip it knowingly",
                    pytrace=False)


@pytest.fixture(scope="module")
def two_dut_results(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Allure results folder with two DUT profiles' runs, made the way a user makes it."""
    reports = tmp_path_factory.mktemp("two-duts")
    cmd = [sys.executable, "-m", "vgitest.cli", "run", *(a for r in RUNS for a in ("--only", r)),
           "--reports", str(reports), "--no-bundle", "-j", "2"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return reports / "allure-results"


def _render(results: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["report", "html", str(results), "-o", str(out), *extra]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _look(html: Path, shot: Path) -> tuple[list[str], Path]:
    with headless.open_page(html.as_uri()) as page:
        return report_problems(page, expected_duts(), shot), shot


def test_two_duts_in_one_single_file_report(two_dut_results: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            record_property: Callable[[str, object], None]) -> None:
    """Both DUTs are seen; and the same check on the same results with one run's cases taken out names the DUT a
    reader would miss (one test, so that the two-DUT run is made once whatever worker runs it)."""
    out_dir = tmp_path / "out"
    out = _render(two_dut_results, out_dir / "two-duts.html", capsys)
    # the five cases and the run's Table 5 result; the default name says the runs
    assert f'"vgitest: {", ".join(sorted(RUNS))} (' in out and "6 results of 2 run(s)" in out
    assert [p.name for p in out_dir.iterdir()] == ["two-duts.html"]  # one file, nothing beside it
    assert "googletagmanager" not in (out_dir / "two-duts.html").read_text(encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out_dir / "two-duts.html", SHOTS / "two-duts.html")
    problems, shot = _look(SHOTS / "two-duts.html", SHOTS / "two-duts.png")
    record_property("screenshot", str(shot))
    assert problems == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    one = tmp_path / "one-dut"
    shutil.copytree(two_dut_results, one)
    for path in one.glob("*-result.json"):
        params = json.loads(path.read_text(encoding="utf-8")).get("parameters") or []
        if any(p.get("name") == "run" and RUNS[1] in str(p.get("value")) for p in params):
            path.unlink()
    _render(one, tmp_path / "one-dut.html", capsys, "--name", "one DUT missing")
    problems, _ = _look(tmp_path / "one-dut.html", SHOTS / "one-dut-missing.png")
    assert len(problems) == 1 and problems[0].startswith(f"no branch '{RUNS[1]}: "), problems


def test_report_name_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """No Node.js, no results: one line each and exit 2, nothing written. The default name says the runs and day."""
    assert htmlreport.default_name(["a", "b"], 1796680000.0) == "vgitest: a, b (2026-12-07)"
    assert htmlreport.default_name([f"r{i}" for i in range(6)], 1796680000.0) == \
        "vgitest: r0, r1, r2, r3 and 2 more (2026-12-07)"
    assert main(["report", "html", str(tmp_path / "none"), "-o", str(tmp_path / "x.html")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["report", "html", str(tmp_path / "empty"), "-o", str(tmp_path / "x.html")]) == 2
    assert "no Allure test results" in capsys.readouterr().err
    (tmp_path / "empty" / "u-result.json").write_text('{"name": "t", "status": "passed"}')
    monkeypatch.setenv("PATH", str(tmp_path / "no-node-here"))
    assert main(["report", "html", str(tmp_path / "empty"), "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vgitest report html: npx not found") and err.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_offline_needs_allure_in_the_npm_cache(tools: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--offline never downloads: with an empty npm cache it is one line that says what to do, and no file."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "u-result.json").write_text('{"name": "t", "status": "passed"}')
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "empty-npm-cache"))
    out = tmp_path / "x.html"
    assert main(["report", "html", str(tmp_path / "results"), "-o", str(out), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vgitest report html: {htmlreport.ALLURE_NPM} generate failed") and err.count("\n") == 1
    assert "run once without --offline" in err
    assert not out.exists()

"""One HTML file a lab can mail or archive: the Allure results of one or more runs rendered by Allure 3 (a Node.js
program, fetched through npx, no Java) in its single-file mode, grouped by run and DUT first.

vgitest does not bundle Allure: npx fetches the pinned version once into the npm cache (about 54 MB) and later runs
use that copy without asking the registry (``--prefer-offline``; ``offline=True`` forbids the network). The file
Allure writes loads Google's analytics script when opened online; it is taken out, so the report opens without
asking any server for anything. docs/report.md is the user's view."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ALLURE_NPM = "allure@3.18.0"  # the one pin of the Allure 3 command line (npm package `allure`)
GENERATE_TIMEOUT_S = 600.0  # the first run downloads Allure (seconds on CI); a stuck npx ends here
TREE = ("parentSuite", "suite", "subSuite")  # run: DUT > protocol version > functional block (evidence/allure.py)
MAX_NAMED_RUNS = 4  # a default report name names at most this many runs, then "and N more"
# What Allure 3's page template adds when analytics are on: the tag manager script and the call that configures it.
_ANALYTICS = re.compile(r'\s*<script async src="https://www\.googletagmanager\.com/[^"]*"></script>\s*'
                        r'<script>\s*window\.dataLayer[^<]*</script>')


class HtmlReportError(Exception):
    """The report cannot be generated; the message is one line that says what to do."""


@dataclass
class HtmlReport:
    path: Path
    name: str
    results: int  # test results Allure read (each run of a test is one)
    runs: list[str]
    seconds: float
    analytics_removed: bool


def results_summary(results_dir: Path) -> tuple[int, list[str], float | None]:
    """How many test results the folder holds, the runs they belong to (the `run` parameter vgitest gives every
    case; sorted by name, as runs side by side have no order) and when the last one ended (epoch seconds)."""
    runs: set[str] = set()
    count, last = 0, None
    for path in results_dir.glob("*-result.json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # Allure skips it too; the count says what it will show
        count += 1
        stop = doc.get("stop") or doc.get("start")
        if isinstance(stop, (int, float)):
            last = max(last or 0.0, stop / 1000)
        for p in doc.get("parameters") or []:
            if p.get("name") == "run":
                runs.add(str(p.get("value", "")).strip("'\""))
    return count, sorted(runs), last


def default_name(runs: list[str], last: float | None) -> str:
    """"vgitest: <runs> (<date of the last result, UTC>)": several reports of one lab stay apart by name."""
    shown = ", ".join(runs[:MAX_NAMED_RUNS]) + (f" and {len(runs) - MAX_NAMED_RUNS} more"
                                                 if len(runs) > MAX_NAMED_RUNS else "")
    when = datetime.datetime.fromtimestamp(last if last is not None else time.time(), datetime.timezone.utc)
    return f"vgitest: {shown or 'no runs'} ({when:%Y-%m-%d})"


def allure_config(name: str) -> dict[str, object]:
    """Allure 3's configuration (allurerc.json): the Awesome report as one file, named, its tree grouped by the
    labels vgitest sets (run and DUT first, so two DUTs in one results folder are two branches)."""
    return {"name": name, "plugins": {"awesome": {"options": {
        "singleFile": True, "reportName": name, "groupBy": list(TREE)}}}}


def npx_command(offline: bool = False) -> list[str]:
    """The npx call that runs the pinned Allure: from the npm cache when it is there, downloaded once otherwise
    (``--offline``: only from the cache, an error when it is not there)."""
    npx = shutil.which("npx")
    if npx is None:
        raise HtmlReportError("npx not found: the HTML report needs Node.js with npm (e.g. `apt-get install nodejs "
                              "npm`, or https://nodejs.org); the Allure results themselves are complete without it")
    return [npx, "--yes", "--offline" if offline else "--prefer-offline", ALLURE_NPM]


def generate(results_dir: Path, out: Path, name: str | None = None, offline: bool = False,
             timeout: float = GENERATE_TIMEOUT_S) -> HtmlReport:
    """Render `results_dir` (allure-pytest output) as the single file `out`."""
    results_dir = results_dir.resolve()
    if not results_dir.is_dir():
        raise HtmlReportError(f"{results_dir}: no such folder (run `vgitest run` first, or name the Allure results "
                              "folder)")
    count, runs, last = results_summary(results_dir)
    if not count:
        raise HtmlReportError(f"{results_dir}: no Allure test results (*-result.json) in it")
    name = name or default_name(runs, last)
    cmd = npx_command(offline)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    # A folder of its own: Allure writes more than the page (summary.json, test-results.json), and npx must not
    # pick up a package.json or an allurerc.* of wherever the user stands.
    with tempfile.TemporaryDirectory(prefix="vgitest-html-") as tmp:
        config = Path(tmp) / "allurerc.json"
        config.write_text(json.dumps(allure_config(name), ensure_ascii=False), encoding="utf-8")
        site = Path(tmp) / "report"
        env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false"}
        try:
            proc = subprocess.run([*cmd, "generate", str(results_dir), "--config", str(config), "--output",
                                   str(site)], cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HtmlReportError(f"{ALLURE_NPM} did not finish in {timeout:.0f} s (a first run downloads it from "
                                  "the npm registry: is it reachable?)") from None
        page = site / "index.html"
        if proc.returncode != 0 or not page.is_file():
            raise HtmlReportError(f"{ALLURE_NPM} generate failed (exit {proc.returncode}): "
                                  f"{_last_line(proc.stderr) or _last_line(proc.stdout) or 'no output'}"
                                  + (" (--offline: is it in the npm cache? run once without --offline)"
                                     if offline and "ENOTCACHED" in proc.stderr else ""))
        html = page.read_text(encoding="utf-8")
        html, removed = _ANALYTICS.subn("", html)
        tmp_out = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        tmp_out.write_text(html, encoding="utf-8")
        tmp_out.replace(out)
    return HtmlReport(out, name, count, runs, time.monotonic() - t0, bool(removed))


def _last_line(text: str) -> str:
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).strip() for ln in (text or "").splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("npm error A complete log")]
    return lines[-1][:300] if lines else ""

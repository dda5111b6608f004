"""What the console says about verdicts: the word (or letter) of each case instead of pytest's outcome, and a
closing section that lists every case that did not pass with its rule ids or what was not reached."""

from __future__ import annotations

import collections
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .. import waits

# verdict label -> (category in pytest's final count line, progress letter, word with -v)
STATUS = {"pass": ("passed", ".", "PASS"), "non-strict": ("non_strict", "w", "NON_STRICT"),
          "informational": ("informational", "i", "INFORMATIONAL"),
          "not-applicable": ("not_applicable", "n", "NOT_APPLICABLE"),
          "inconclusive": ("inconclusive", "I", "INCONCLUSIVE"), "fail": ("failed", "F", "FAIL"),
          "error": ("error", "E", "ERROR")}


def teststatus(report: Any, *, lines: bool = False) -> tuple[str, str, str] | None:
    """The verdict word of a case's report (an INCONCLUSIVE case is not a harness error `E`, a NOT_APPLICABLE case
    not a plain skip `s`); None for reports that carry no verdict (pytest decides). With `lines` (the
    :class:`VerdictConsole` writes the case's line itself) only the category, so pytest writes no letter."""
    if report.when in ("teardown", "collect") or (report.when == "setup" and report.passed):
        return None  # a collection report (e.g. a module that cannot be imported) has no verdict and no properties
    verdict = dict(getattr(report, "user_properties", ())).get("verdict")
    status = STATUS.get(verdict) if isinstance(verdict, str) else None
    if status is not None and lines and getattr(report, "vgi_line", None):
        return status[0], "", ""
    return status


def console_line(result: dict[str, Any]) -> dict[str, Any]:
    """What the console says of one judged case (kept small and JSON-able: it travels on the pytest report)."""
    why = reason(result).removeprefix(f"{result['verdict']}: ") if result["verdict"] != "PASS" else ""
    return {"verdict": result["verdict"], "case": result.get("case"), "test": result["test"],
            "why": why, "duration_s": result.get("duration_s")}


class VerdictConsole:
    """The console of a conformance run: one line per case (its verdict word, case id, test and the rule ids or
    the reason behind a verdict that is not PASS), and, while a wait has lasted `wait_line_s`, a line saying what
    the harness waits for and how long it will still wait (vgitest.waits). On a terminal the waiting line is
    redrawn in place; in a log it is written once per wait (and per new thing a wait waits for), then every 30 s
    of it."""

    LOG_EVERY_S = 30.0

    def __init__(self, config: Any, wait_line_s: float) -> None:
        self.config = config
        self.wait_line_s = wait_line_s
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()
        self._live = False  # a waiting line is on the terminal's last line
        self._logged: tuple[int, str, float] | None = None  # (wait, what, when) of the last waiting line in a log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # the waiting line is written while a case runs, when pytest's capture has fd 1 on a file: it goes to a
        # copy of the real stdout taken now (configure time, capture suspended)
        self._out: Any = None
        if wait_line_s > 0:
            try:
                self._out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8",
                                      errors="replace")
            except (OSError, ValueError, AttributeError):  # no real stdout (e.g. an embedding): no waiting line
                self._out = None

    # pytest hooks (registered as a plugin by vgitest.plugin) ------------------------------------------------
    def pytest_collection_finish(self, session: Any) -> None:
        self.total = len(session.items)
        terminal = self._terminal()
        if terminal is not None:
            terminal.showfspath = False  # no "file.py" prefix lines: each case has its own line
        if self._out is not None and self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="vgitest-console", daemon=True)
            self._thread.start()

    def pytest_runtest_logreport(self, report: Any) -> None:
        line = getattr(report, "vgi_line", None)
        if not line:
            return
        self.done += 1
        self.write(self.format(line, self.done, self.total))

    # -----------------------------------------------------------------------------------------------------------
    @staticmethod
    def format(line: dict[str, Any], done: int, total: int) -> str:
        width = len(str(total)) if total else 1
        case = line.get("case") or ""
        label = f"{case} ({line['test']})" if case and case.replace("-", "_") not in line["test"] else \
            (case or line["test"])
        took = f"  {line['duration_s']:.1f} s" if isinstance(line.get("duration_s"), (int, float)) else ""
        why = f"  {line['why']}" if line.get("why") else ""
        return f"[{done:>{width}}/{total}] {line['verdict']:<14} {label}{took}{why}"

    def write(self, text: str) -> None:
        terminal = self._terminal()
        if terminal is None:
            return
        self._clear()
        with self._lock:
            terminal.ensure_newline()
            terminal.write_line(text)
            terminal.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._clear()
        if self._out is not None:
            self._out.close()
            self._out = None

    def _terminal(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self._show(waits.current())
            except Exception:  # the console must never end a run
                return

    def _show(self, wait: waits.Wait | None) -> None:
        out = self._out
        if out is None:
            return
        now = time.monotonic()
        if wait is None or wait.elapsed(now) < self.wait_line_s:
            self._clear()
            return
        text = f"  ... waiting for {wait.what}: {wait.elapsed(now):.0f} s so far, at most {wait.left(now):.0f} s more"
        with self._lock:
            if out.isatty():
                width = shutil.get_terminal_size().columns
                out.write("\r\x1b[K" + text[: max(20, width - 1)])
                out.flush()
                self._live = True
            elif self._logged is None or self._logged[:2] != (id(wait), wait.what) \
                    or now - self._logged[2] >= self.LOG_EVERY_S:
                out.write(text + "\n")
                out.flush()
                self._logged = (id(wait), wait.what, now)

    def _clear(self) -> None:
        with self._lock:
            if self._live and self._out is not None:
                self._out.write("\r\x1b[K")
                self._out.flush()
                self._live = False


def write_verdicts(terminal: Any, run_name: str, run_dir: Path, results: list[dict[str, Any]]) -> None:
    """The run's verdict counts, then one line per case that did not PASS (its verdict, case id and why: the rule
    ids, or what was not reached), NOT_APPLICABLE ones grouped by reason."""
    counts = ", ".join(f"{v}={n}" for v, n in sorted(collections.Counter(r["verdict"] for r in results).items()))
    terminal.section("vgitest verdicts")
    terminal.write_line(f"{run_name}: {counts}  ->  {run_dir}")
    not_applicable = collections.Counter(_first_line(r) for r in results if r["verdict"] == "NOT_APPLICABLE"
                                         and r.get("message"))
    for why, n in sorted(not_applicable.items()):
        terminal.write_line(f"{'NOT_APPLICABLE':<14} {n} case(s): {why.removeprefix('NOT_APPLICABLE: ')}")
    for r in results:
        if r["verdict"] in ("PASS", "NOT_APPLICABLE"):
            continue
        why = reason(r)
        case = f" [{r['case']}]" if r.get("case") else ""
        terminal.write_line(f"{r['verdict']:<14} {r['test']}{case}{': ' + why if why else ''}")


def reason(result: dict[str, Any]) -> str:
    """Why a case has its verdict: the ids of the rules it broke (its informational ones when it broke none, as an
    INFORMATIONAL case), else the first line of its message (what was not reached, why it does not apply)."""
    rules = sorted({f["rule"] for f in result["findings"] if f["severity"] != "info"}) \
        or sorted({f["rule"] for f in result["findings"]})
    return ",".join(rules) or _first_line(result)


def _first_line(result: dict[str, Any]) -> str:
    lines = (result.get("message") or "").strip().splitlines()
    return lines[0][:160] if lines else ""


SUMMARY_COLUMNS = ("PASS", "NON_STRICT", "INFORMATIONAL", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "ERROR")


def summary_table(rows: list[tuple[str, int, dict[str, int], float]]) -> list[str]:
    """The closing table of `vgitest run`: per run (name, exit code, verdict counts, seconds) its exit code and
    the count of each verdict; a column appears when some run has that verdict (PASS, FAIL and INCONCLUSIVE
    always), a run killed by a signal names it, a run with no results shows `-`; the last line adds the runs up
    (their time is the sum of their own, not the wall-clock time of runs that ran side by side)."""
    import signal
    cols = [c for c in SUMMARY_COLUMNS
            if c in ("PASS", "FAIL", "INCONCLUSIVE") or any(counts.get(c) for _, _, counts, _ in rows)]
    exits = [f"{rc} ({signal.Signals(-rc).name})" if rc < 0 else str(rc) for _, rc, _, _ in rows]
    head = ["run", "exit", *cols, "time"]
    body = [[name, ex, *(str(counts.get(c, 0)) if counts else "-" for c in cols), f"{dt:.0f} s"]
            for (name, _, counts, dt), ex in zip(rows, exits)]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def fmt(r: list[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
    out = [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in body]
    if len(rows) > 1:
        totals = ["all", "",
                  *(str(sum(counts.get(c, 0) for _, _, counts, _ in rows)) for c in cols),
                  f"{sum(dt for *_, dt in rows):.0f} s"]
        out.append(fmt(totals))
    return [line.rstrip() for line in out]

"""What the console says about verdicts: the word (or letter) of each case instead of pytest's outcome, and a
closing section that lists every case that did not pass with its rule ids or what was not reached."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

# verdict label -> (category in pytest's final count line, progress letter, word with -v)
STATUS = {"pass": ("passed", ".", "PASS"), "non-strict": ("non_strict", "w", "NON_STRICT"),
          "informational": ("informational", "i", "INFORMATIONAL"),
          "not-applicable": ("not_applicable", "n", "NOT_APPLICABLE"),
          "inconclusive": ("inconclusive", "I", "INCONCLUSIVE"), "fail": ("failed", "F", "FAIL"),
          "error": ("error", "E", "ERROR")}


def teststatus(report: Any) -> tuple[str, str, str] | None:
    """The verdict word of a case's report (an INCONCLUSIVE case is not a harness error `E`, a NOT_APPLICABLE case
    not a plain skip `s`); None for reports that carry no verdict (pytest decides)."""
    if report.when in ("teardown", "collect") or (report.when == "setup" and report.passed):
        return None  # a collection report (e.g. a module that cannot be imported) has no verdict and no properties
    verdict = dict(getattr(report, "user_properties", ())).get("verdict")
    return STATUS.get(verdict) if isinstance(verdict, str) else None


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
        rules = ",".join(sorted({f["rule"] for f in r["findings"] if f["severity"] != "info"})
                         or sorted({f["rule"] for f in r["findings"]}))
        why = rules or _first_line(r)
        case = f" [{r['case']}]" if r.get("case") else ""
        terminal.write_line(f"{r['verdict']:<14} {r['test']}{case}{': ' + why if why else ''}")


def _first_line(result: dict[str, Any]) -> str:
    lines = (result.get("message") or "").strip().splitlines()
    return lines[0][:160] if lines else ""

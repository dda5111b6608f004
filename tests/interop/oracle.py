"""Independent implementations as standing oracles: the reviewed verdicts a suite must give each of them.

An expected-verdict table (``tests/interop/expected/<name>.toml``) lists, per test of a suite, the verdict the
suite must give an implementation nobody here wrote, the rule ids behind a FAIL or NON_STRICT, and one line with
the clause that justifies every verdict other than PASS. A person reviews the table; the tests compare every run
with it, so a changed verdict fails the build until someone decides which side was wrong (the suite or the
implementation) and edits the table with the reason.

``make test`` runs the rows marked ``slice = true`` (a representative part that fits the CI time limit);
``make oracles`` (pytest option ``--oracle-full``) runs every table in full.

Table format::

    oracle = "what the implementation is, its version and where it comes from"
    suite = "suites/ocpp16"                       # what runs against it (folders apart by spaces: 2.1 runs two)
    reviewed = "2026-12-06: who checked the verdicts against which documents"

    [[case]]
    test = "test_TC_001_CS"                       # the test's name as results.json reports it
    verdict = "PASS"
    slice = true

    [[case]]
    test = "test_TC_VGI_RPC_01_CS"
    verdict = "FAIL"
    rules = ["OCPP-RESPONSE-STATUS"]              # fail/warn rule ids of the judged findings, sorted
    clause = "OCPP-J 1.6 §4.2.3 Table 7: an unknown action is NotImplemented; the library answers NotSupported"

A device whose own timing decides between two verdicts from run to run (a response time that straddles a limit)
gets both, each reviewed: ``also = [{verdict = "PASS"}]`` beside the main verdict, and ``varies`` saying why.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, Iterable

from tests.suite_process import UNUSED_PLUGINS

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).resolve().parent / "expected"
VERDICTS = ("PASS", "NON_STRICT", "FAIL", "INFORMATIONAL", "INCONCLUSIVE", "NOT_APPLICABLE", "ERROR")
FULL_ENV = "VGITEST_ORACLE_FULL"  # set by --oracle-full (tests/conftest.py), so subprocesses see it too


@dataclasses.dataclass(frozen=True)
class Expected:
    """One reviewed verdict."""

    test: str
    verdict: str
    rules: tuple[str, ...] = ()
    clause: str = ""
    slice: bool = False
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()  # other reviewed (verdict, rules) the device's timing may give
    varies: str = ""  # why the verdict varies from run to run

    def accepts(self, verdict: str, rules: tuple[str, ...]) -> bool:
        for v, r in ((self.verdict, self.rules), *self.also):
            if verdict == v and (v not in ("FAIL", "NON_STRICT") or rules == r):
                return True
        return False


@dataclasses.dataclass
class Table:
    """The reviewed verdicts of one implementation under one suite."""

    name: str
    oracle: str
    suite: str
    reviewed: str
    cases: dict[str, Expected]
    extra: dict[str, Any]

    @classmethod
    def load(cls, name: str, folder: Path = EXPECTED) -> "Table":
        path = folder / f"{name}.toml"
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        cases: dict[str, Expected] = {}
        for row in doc.get("case", []):
            also = tuple((a["verdict"], tuple(sorted(a.get("rules", ())))) for a in row.get("also", ()))
            e = Expected(row["test"], row["verdict"], tuple(sorted(row.get("rules", ()))), row.get("clause", ""),
                         bool(row.get("slice", False)), also, row.get("varies", ""))
            if e.test in cases:
                raise ValueError(f"{path}: {e.test} is listed twice")
            cases[e.test] = e
        extra = {k: v for k, v in doc.items() if k not in ("oracle", "suite", "reviewed", "case")}
        table = cls(name, doc.get("oracle", ""), doc.get("suite", ""), doc.get("reviewed", ""), cases, extra)
        problems = table.problems()
        if problems:
            raise ValueError(f"{path}:\n  " + "\n  ".join(problems))
        return table

    def problems(self) -> list[str]:
        """What makes the table unfit for review: an unknown verdict, a non-PASS without its clause, a FAIL or
        NON_STRICT without the rule ids that carry it."""
        out = []
        if not self.oracle or not self.reviewed:
            out.append("the table names no oracle or no review")
        for e in self.cases.values():
            if e.verdict not in VERDICTS:
                out.append(f"{e.test}: unknown verdict {e.verdict!r}")
            if e.verdict != "PASS" and not e.clause.strip():
                out.append(f"{e.test}: {e.verdict} needs the clause that justifies it")
            if e.verdict in ("FAIL", "NON_STRICT") and not e.rules:
                out.append(f"{e.test}: {e.verdict} needs the rule ids that carry it")
            if e.verdict == "ERROR" or any(v == "ERROR" for v, _ in e.also):
                out.append(f"{e.test}: ERROR is a harness fault; it is never an expected verdict")
            if e.also and not e.varies.strip():
                out.append(f"{e.test}: a second verdict (also) needs `varies`: why the device's verdict varies")
            for v, r in e.also:
                if v not in VERDICTS or (v in ("FAIL", "NON_STRICT") and not r):
                    out.append(f"{e.test}: the alternative {v} needs a known verdict and, for FAIL/NON_STRICT, rules")
        return out

    def selected(self, full: bool | None = None) -> list[Expected]:
        """The rows to run: all of them in a full run, else the slice."""
        full = full_run() if full is None else full
        return [e for e in self.cases.values() if full or e.slice]


def full_run() -> bool:
    return os.environ.get(FULL_ENV, "") not in ("", "0")


def judged_rules(result: dict[str, Any]) -> tuple[str, ...]:
    """The fail/warn rule ids of the findings a result's verdict was judged on (observed findings excluded)."""
    return tuple(sorted({f["rule"] for f in result.get("findings", []) if f.get("severity") in ("fail", "warn")}))


def compare(table: Table, results: Iterable[dict[str, Any]], ran: Iterable[str] | None = None) -> list[str]:
    """Every difference between a run and the table, one line each (an empty list: the run matches).

    `ran` names the tests that were meant to run (default: the table's selection); each must have a result. A
    result for a test the table does not list is a difference too: a new case needs a reviewed verdict."""
    by_test = {r["test"]: r for r in results}
    wanted = list(ran) if ran is not None else [e.test for e in table.selected()]
    out = []
    for test in wanted:
        e = table.cases.get(test)
        r = by_test.get(test)
        if e is None:
            out.append(f"{test}: not in the table {table.name}")
            continue
        if r is None:
            out.append(f"{test}: expected {e.verdict}, but the run has no result for it")
            continue
        got_rules = judged_rules(r)
        if not e.accepts(r["verdict"], got_rules):
            msg = (r.get("message") or "").replace("\n", " ")[:400]
            out.append(f"{test}: expected {e.verdict} {list(e.rules) or ''}, got {r['verdict']} {list(got_rules) or ''}"
                       f"{(' — ' + msg) if msg else ''}")
    for test in sorted(set(by_test) - set(table.cases)):
        out.append(f"{test}: ran ({by_test[test]['verdict']}) but has no reviewed verdict in {table.name}")
    return out


def keyword(tests: Iterable[str]) -> str:
    """A pytest -k expression that selects exactly these test names."""
    names = sorted(set(tests))
    return " or ".join(names) if names else "not test_"


def run_suite(suite: str, profile: Path, reports: Path, run_name: str, tests: Iterable[str], *,
              timeout: float, extra: Iterable[str] = (), env: dict[str, str] | None = None,
              command_prefix: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Run `tests` of `suite` against `profile` in a pytest process of its own, as a user would, and return
    results.json's results. A run that writes no results.json is a harness problem: it raises with the output.
    ``command_prefix`` goes before the command (``nice -n -10`` for a device that shares the CPU, see josev.py)."""
    cmd = [*command_prefix, sys.executable, "-m", "pytest", *suite.split(), "-k", keyword(tests),
           f"--vgi-profile={profile}",
           f"--vgi-reports={reports}", f"--vgi-run-name={run_name}", "-p", "no:cacheprovider", *UNUSED_PLUGINS,
           "-q", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    results_file = reports / run_name / "results.json"
    if not results_file.is_file():
        raise AssertionError(f"run {run_name!r} wrote no results.json (exit {proc.returncode}):\n"
                             f"{(proc.stdout + proc.stderr)[-4000:]}")
    return json.loads(results_file.read_text())["results"]

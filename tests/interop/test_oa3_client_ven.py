"""python-oa3-client 0.5.0 (PyPI, MIT) as a standing oracle for suites/openadr3 (issue 18 item 5): an OpenADR 3.1.0
VEN nobody here wrote registers, receives events by poll and by webhook and reports against the fake VTN playing
3.1.0, and every verdict must be the one a person reviewed in tests/interop/expected/oa3-client-ven.toml.

The library is a dev extra (MIT); tests/interop/oa3_client_ven.py is the small application on its public API that
makes it a VEN. The suite runs in a pytest process of its own, as a user would run it, every row each time (~20 s).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.interop.oracle import ROOT, Table, compare, run_suite

PROFILE = Path(__file__).resolve().parent / "profiles" / "oa3-client-ven.toml"
TABLE = "oa3-client-ven"
SUITE_TIMEOUT_S = 300  # a bound, not a budget: the suite takes ~20 s
# what issue 18 asks this oracle to show, and the case that shows it: each must stay PASS in the reviewed table
SHOWN = {"registration": "test_TC_VGI_OA3_03", "an event received by poll": "test_TC_VGI_OA3_05",
         "an event received by webhook, then reported on": "test_TC_VGI_OA3_08",
         "a report as the event asked": "test_TC_VGI_OA3_09"}


def test_the_suite_gives_python_oa3_client_the_reviewed_verdicts(tmp_path: Path) -> None:
    table = Table.load(TABLE)
    not_pass = {what: test for what, test in SHOWN.items() if table.cases[test].verdict != "PASS"}
    assert not not_pass, f"the table no longer shows what issue 18 asks of this oracle: {not_pass}"
    rows = [e.test for e in table.cases.values()]
    results = run_suite(table.suite, PROFILE, tmp_path, TABLE, rows, timeout=SUITE_TIMEOUT_S)
    problems = compare(table, results, rows)
    assert not problems, "\n".join(problems) + f"\n(evidence: {tmp_path / TABLE})"


def test_the_table_covers_the_whole_suite() -> None:
    """A case added to suites/openadr3 needs a reviewed verdict for this VEN before it can be merged."""
    table = Table.load(TABLE)
    out = subprocess.run([sys.executable, "-m", "pytest", table.suite, "--collect-only", "-q", "-p",
                          "no:cacheprovider", f"--vgi-profile={PROFILE}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120).stdout
    collected = {line.split("::")[-1] for line in out.splitlines() if "::test_" in line}
    assert collected and collected == set(table.cases), (sorted(collected - set(table.cases)),
                                                         sorted(set(table.cases) - collected))

"""The OCPP 1.6, 2.0.1 and 2.1 suites against a charging station the harness did not write: `mh_station` speaks OCPP
through the `ocpp` library 2.1.0 (mobilityhouse), not through vgitest's codec or station base.

Each suite runs through the vgitest plugin in a pytest process of its own, exactly as a user would run it, and
every verdict must be the one in the reviewed table tests/interop/expected/mobilityhouse-station-<16|201|21>.toml:
PASS where the library does what the case requires, FAIL with the named rule where the library itself breaks
the specification (each with the clause and the library source that does it). The CI slice runs by default,
every row with --oracle-full (`make oracles`). All cases run in one process: a failing case must neither hide
nor cause a verdict elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.oracle import ROOT, Table, compare, full_run, run_suite

PROFILES = Path(__file__).resolve().parent / "profiles"
RUNS = {"1.6": ("mobilityhouse-station-16", "mobilityhouse-station-16.toml"),
        "2.0.1": ("mobilityhouse-station-201", "mobilityhouse-station-201.toml"),
        "2.1": ("mobilityhouse-station-21", "mobilityhouse-station-21.toml"),  # the run ocpp21: two folders
        "1.6-fuzz": ("mobilityhouse-station-16-fuzz", "mobilityhouse-station-16.toml"),  # issue 15: the fuzz suites
        "2.0.1-fuzz": ("mobilityhouse-station-201-fuzz", "mobilityhouse-station-201.toml"),
        # issue 17: security profiles 2 and 3 (TLS over the run's test PKI), the connection-level cases only
        "1.6-sp2": ("mobilityhouse-station-16-sp2", "mobilityhouse-station-16-sp2.toml"),
        "1.6-sp3": ("mobilityhouse-station-16-sp3", "mobilityhouse-station-16-sp3.toml"),
        "2.0.1-sp2": ("mobilityhouse-station-201-sp2", "mobilityhouse-station-201-sp2.toml"),
        "2.0.1-sp3": ("mobilityhouse-station-201-sp3", "mobilityhouse-station-201-sp3.toml")}


@pytest.mark.parametrize("version", list(RUNS))
def test_suite_verdicts_match_the_reviewed_table(version: str, tmp_path: Path) -> None:
    table_name, profile = RUNS[version]
    table = Table.load(table_name)
    if not all((ROOT / folder).is_dir() for folder in table.suite.split()):
        pytest.skip(f"{table.suite} is not in this tree")
    tests = [e.test for e in table.selected()]
    results = run_suite(table.suite, PROFILES / profile, tmp_path / "reports", "mh", tests,
                        timeout=600 if full_run() else 300)
    diffs = compare(table, results, tests)
    assert not diffs, f"verdicts differ from the reviewed table {table_name}:\n  " + "\n  ".join(diffs)


@pytest.mark.parametrize("version", list(RUNS))
def test_the_table_covers_the_whole_suite(version: str) -> None:
    """A case added to the suite needs a reviewed verdict for this station before it can be merged (a table with
    `select` covers the cases that -k expression picks, as the built-in run it mirrors)."""
    import subprocess
    import sys
    table = Table.load(RUNS[version][0])
    select = ["-k", table.extra["select"]] if table.extra.get("select") else []
    out = subprocess.run([sys.executable, "-m", "pytest", *table.suite.split(), "--collect-only", "-q", "-p",
                          "no:cacheprovider", f"--vgi-profile={PROFILES / RUNS[version][1]}", *select], cwd=ROOT,
                         capture_output=True, text=True, timeout=120).stdout
    collected = {line.split("::")[-1] for line in out.splitlines() if "::test_" in line}
    assert collected and collected == set(table.cases), (sorted(collected - set(table.cases)),
                                                         sorted(set(table.cases) - collected))

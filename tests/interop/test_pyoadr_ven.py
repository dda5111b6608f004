"""pyoadr-ven 0.6.0 (Carbon Co-op, PyPI) as a standing oracle: suites/openadr20b run against it, as a user would run
it against a vendor's VEN, must give the verdicts a person reviewed in tests/interop/expected/pyoadr-ven*.toml.

pyoadr-ven lives in a virtualenv of its own (tests/interop/oracle_venv.py builds it on first use from PyPI) and
runs as its own process (tests/interop/pyoadr_ven_driver.py); vgitest never depends on it. Two tables:

* ``pyoadr-ven``: the suite with ``--vgi-lenient``. pyoadr-ven writes ``schemaVersion`` without its namespace on
  every payload, so a strict VTN refuses its registration (454) and no case gets past that; lenient, the schema
  findings are warnings and the suite judges everything behind them.
* ``pyoadr-ven-strict``: a few cases as the suite runs by default, where that refusal decides the verdicts.
* ``pyoadr-ven-fuzz``: suites/openadr20b_fuzz (issue 15), lenient like ``pyoadr-ven``.

`make test` runs the rows marked slice; ``--oracle-full`` (`make oracles`) every row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.oracle import Table, compare, run_suite
from tests.interop.oracle_venv import python_of
from tests.interop.pyoadr_ven_dut import PYTHON_ENV, REQUIREMENT

PROFILE = Path(__file__).resolve().parent / "profiles" / "pyoadr-ven.toml"
SUITE_TIMEOUT_S = 900  # a bound, not a budget: the whole table on a loaded 2-core machine


@pytest.fixture(scope="module")
def pyoadr_python() -> Path:
    return python_of("pyoadr-ven", REQUIREMENT)


@pytest.mark.parametrize("name", ["pyoadr-ven", "pyoadr-ven-strict", "pyoadr-ven-fuzz"])
def test_the_suite_gives_pyoadr_ven_the_reviewed_verdicts(name: str, pyoadr_python: Path, tmp_path: Path) -> None:
    table = Table.load(name)
    rows = [e.test for e in table.selected()]
    if not rows:
        pytest.skip(f"{name} has no slice rows")
    results = run_suite(table.suite, PROFILE, tmp_path, name, rows, timeout=SUITE_TIMEOUT_S,
                        extra=list(table.extra.get("pytest_args", [])), env={PYTHON_ENV: str(pyoadr_python)})
    problems = compare(table, results, rows)
    assert not problems, "\n".join(problems) + f"\n(evidence: {tmp_path / name})"

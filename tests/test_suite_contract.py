"""Suites judge with rules: a bare ``assert`` or ``pytest.fail`` in ``suites/`` gives a FAIL without a rule id in
results.json, which a lab cannot act on. A case judges with its fake peer's ``check/fail/record`` (a rule of the
protocol's registry), raises ``Inconclusive`` for a preamble it did not reach, or ``HarnessError`` for a fault of
the harness itself (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

SUITES = Path(__file__).resolve().parent.parent / "suites"


def bare_verdicts(path: Path, root: Path = SUITES.parent) -> list[str]:
    """``file:line`` of every assert statement and every ``pytest.fail(...)`` / ``fail(...)`` from pytest."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    from_pytest = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "pytest"
                   for a in n.names if a.name == "fail"}
    out = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Assert):
            what = "assert"
        elif isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Attribute) and fn.attr == "fail" and isinstance(fn.value, ast.Name) \
                    and fn.value.id == "pytest":
                what = "pytest.fail"
            elif isinstance(fn, ast.Name) and fn.id in from_pytest:
                what = "pytest.fail"
        if what:
            out.append(f"{path.relative_to(root)}:{node.lineno}: {what}")
    return out


def test_no_suite_judges_without_a_rule() -> None:
    found = [hit for path in sorted(SUITES.rglob("*.py")) for hit in bare_verdicts(path)]
    assert not found, ("a FAIL without a rule id: use the fake peer's check(cond, RULE, message, frame), "
                       "Inconclusive for a preamble or HarnessError for the harness:\n  " + "\n  ".join(found))


def test_the_contract_sees_what_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "suites" / "test_sample.py"
    sample.parent.mkdir()
    sample.write_text("import pytest\nfrom pytest import fail as f\n\ndef test_x(secc):\n    assert secc\n"
                      "    pytest.fail('no')\n    f('no')\n    secc.check(True, 'V2G-SEQUENCE', 'ok')\n")
    assert bare_verdicts(sample, tmp_path) == ["suites/test_sample.py:5: assert", "suites/test_sample.py:6: pytest.fail",
                                               "suites/test_sample.py:7: pytest.fail"]

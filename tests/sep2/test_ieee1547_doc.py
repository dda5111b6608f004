"""docs/ieee1547.md and suites/csip agree: every test the table says exercises a function exists, and every
function listed as "not yet" names no test that already exists (so the table is updated when one arrives).
Case ids are SunSpec's (``BASIC-006``) or vgitest's own (``VGI-SEP2-WATTVAR``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASE_ID = r"[A-Z]+-\d+[A-Z]?|VGI-SEP2-[A-Z0-9]+"


def _suite_cases() -> set[str]:
    return {m for path in (ROOT / "suites/csip").glob("test_*.py")
            for m in re.findall(rf'vgi_case\("({CASE_ID})"', path.read_text(encoding="utf-8"))}


def _rows() -> list[list[str]]:
    text = (ROOT / "docs/ieee1547.md").read_text(encoding="utf-8")
    return [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| IEEE 1547") and not line.startswith("|---")]


def test_the_table_names_real_tests() -> None:
    cases = _suite_cases()
    rows = _rows()
    assert len(rows) == 11  # the eleven functions of the mission notes
    for function, _element, tests, status in rows:
        named = re.findall(rf"`({CASE_ID})`", tests)
        if status.startswith(("exercised", "partly")):
            assert named and all(t in cases for t in named), (function, named)
        else:
            assert not [t for t in named if t in cases], f"{function}: {named} exists now; update docs/ieee1547.md"

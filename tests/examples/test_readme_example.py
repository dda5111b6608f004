"""The README's vendor test, run for real against the reference station (it must stay under 15 lines)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Writing your own test\n.*?```python\n(.*?)```", text, re.S)
    assert block, "README lost its example test"
    return block.group(1)


def test_readme_example_is_short_and_passes(pytester: pytest.Pytester) -> None:
    code = readme_example()
    assert len([x for x in code.splitlines() if x.strip()]) < 15
    code = code.replace('"60"', '"2"')  # the reference station's profile sets a 2 s heartbeat interval
    pytester.makepyfile(test_vendor=code)
    res = pytester.runpytest_subprocess(f"--vgi-profile={ROOT / 'profiles/reference-station-16.toml'}",
                                        "-p", "no:cacheprovider", f"--vgi-reports={pytester.path / 'r'}")
    res.assert_outcomes(passed=1)

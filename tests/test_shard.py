"""A run split across processes (`--vgi-shard K/N`, `vgitest run -j`) reads like one that was not: every case once,
in collection order, the same verdicts, in one results.json, summary.md and junit.xml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.suite_process import UNUSED_PLUGINS
from vgitest import shard
from vgitest.verdict import HarnessError

ROOT = Path(__file__).resolve().parents[1]

SUITE = '''
import pytest

@pytest.mark.vgi_case("TC_S_01")
def test_one():
    pass

@pytest.mark.vgi_case("TC_S_02")
def test_two():
    assert False, "the objective was not met"

@pytest.mark.vgi_case("TC_S_03", requires=("NoSuchFeature",))
def test_three():
    pass

@pytest.mark.vgi_case("TC_S_04")
def test_four():
    pass

@pytest.mark.vgi_case("TC_S_05")
def test_five():
    pass
'''


def test_parse_and_select() -> None:
    assert shard.parse("2/3") == (2, 3)
    for bad in ("3/2", "0/2", "x", "1/2/3"):
        with pytest.raises(HarnessError):
            shard.parse(bad)
    items = list("abcdefg")
    parts = [shard.select(items, k, 3)[0] for k in (1, 2, 3)]
    assert parts == [["a", "d", "g"], ["b", "e"], ["c", "f"]]
    assert shard._interleave(parts) == items

    class Case:  # a pytest item as select sees it: a name and, maybe, its expected time
        def __init__(self, name: str, seconds: float | None = None) -> None:
            self.name, self.seconds = name, seconds

        def get_closest_marker(self, name: str) -> object:
            return None if self.seconds is None else pytest.mark.vgi_expected_s(self.seconds).mark

    cases = [Case("a", 10), Case("b", 110), Case("c", 10), Case("d", 110), Case("e", 30), Case("f"), Case("g", 50)]
    split = [[c.name for c in shard.select(cases, k, 3)[0]] for k in (1, 2, 3)]
    assert split == [["b"], ["d"], ["a", "c", "e", "f", "g"]]  # 110 / 110 / 101 s; round robin: 170 / 140 / 11
    assert sorted(sum(split, [])) == list("abcdefg")


def _pytest(tmp_path: Path, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", str(tmp_path / "suite"), "--vgi-profile=reference-station-16",
                           f"--vgi-reports={reports}", "--vgi-run-name=demo", "-p", "no:cacheprovider", "-q",
                           *UNUSED_PLUGINS, *extra], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_shards_merge_into_the_run_they_split(tmp_path: Path) -> None:
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "test_demo.py").write_text(SUITE)
    whole = _pytest(tmp_path, tmp_path / "whole", f"--junitxml={tmp_path / 'whole' / 'demo' / 'junit.xml'}")
    assert whole.returncode == 1, whole.stdout
    split = tmp_path / "split" / "demo"
    for k in (1, 2):
        res = _pytest(tmp_path, tmp_path / "split", f"--vgi-shard={k}/2",
                      f"--junitxml={split / shard.dirname(k) / 'junit.xml'}")
        assert (split / shard.dirname(k) / "results.json").is_file(), res.stdout
    merged = shard.merge(split, 2)
    assert merged is not None

    def verdicts(run_dir: Path) -> list[tuple[str, str]]:
        doc = json.loads((run_dir / "results.json").read_text())
        return [(r["case"], r["verdict"]) for r in doc["results"]]

    expected = [("TC_S_01", "PASS"), ("TC_S_02", "FAIL"), ("TC_S_03", "NOT_APPLICABLE"), ("TC_S_04", "PASS"),
                ("TC_S_05", "PASS")]
    assert verdicts(tmp_path / "whole" / "demo") == expected
    assert verdicts(split) == expected
    assert json.loads((split / "results.json").read_text())["meta"]["shards"] == 2
    assert "TC_S_05" in (split / "summary.md").read_text()
    suite = ET.parse(split / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.iter("testcase")] == ["test_one", "test_two", "test_three", "test_four",
                                                               "test_five"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")


def test_vgitest_run_runs_profiles_side_by_side(tmp_path: Path) -> None:
    """`vgitest run -j 2` with two profiles: both pytest processes at once, each run's output in its console.log,
    the verdicts of each run on the console, the worst exit code."""
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "test_demo.py").write_text(SUITE)
    text = ROOT / "profiles" / "reference-station-16.toml"
    for name in ("alpha", "beta"):
        (tmp_path / f"{name}.toml").write_text(text.read_text())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "vgitest.cli", "run", "-j", "2", "--profile", "alpha.toml",
                          "--profile", "beta.toml", "--suite", str(tmp_path / "suite"), "--reports",
                          str(tmp_path / "reports"), "--", *UNUSED_PLUGINS], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 1, res.stdout + res.stderr
    for name in ("alpha", "beta"):
        run_dir = tmp_path / "reports" / name
        assert "1 failed" in (run_dir / "console.log").read_text()
        doc = json.loads((run_dir / "results.json").read_text())
        assert doc["counts"] == {"PASS": 3, "FAIL": 1, "NOT_APPLICABLE": 1}
        assert f"--- {name}: 1 fail, 1 not_applicable, 3 pass  (exit 1," in res.stdout
        assert (run_dir / "junit.xml").is_file()

"""The shared fuzz kit (vgitest.fuzzing): the property runner against a stand-in device, the profiles, the replay
file, and a counterexample from a real fuzz case reproduced with `vgitest replay` alone."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

from tests.suite_process import UNUSED_PLUGINS
from vgitest.fuzzing import profiles, replay
from vgitest.fuzzing.property import Counterexample, PropertyRunner

ROOT = Path(__file__).resolve().parent.parent


class Judge:
    """Stands for a session: records what the runner fails the case with."""

    def __init__(self) -> None:
        self.failed: tuple | None = None

    def fail(self, rule, message, frame=None):
        self.failed = (rule, message, frame)
        raise AssertionError(message)


def _runner(tmp_path: Path, profile: str = "pr", **kw) -> PropertyRunner:
    case = {"test_file": "suite.py", "test": "test_x", "profile": "p", "run_name": "r", "faults": []}
    return PropertyRunner(profiles.get(profile), 7, folder=tmp_path / "ev", case=case, **kw)


def test_the_minimal_counterexample_fails_the_case_and_is_written_for_replay(tmp_path: Path) -> None:
    sent: list[int] = []

    def device(n: int) -> None:  # breaks a MUST for any value over 10
        sent.append(n)
        if n > 10:
            raise Counterexample("RULE-X", f"{n} is too big")

    judge = Judge()
    runner = _runner(tmp_path)
    with pytest.raises(AssertionError):
        runner.run(st.integers(0, 1000), device, judge)
    rule, message, _ = judge.failed
    assert rule == "RULE-X" and "minimal example: 11" in message and "vgitest replay" in message
    doc = replay.load(tmp_path / "ev" / "counterexample.json")
    assert doc["example"] == 11 and doc["rule"] == "RULE-X"
    stats = json.loads((tmp_path / "ev" / "fuzz-stats.json").read_text())
    assert stats["failing"] >= 1 and stats["sent"] == len(sent) and stats["confirmed"] is True
    assert sent[-1] == 11, "the minimal example is sent once more, alone, before it is reported"
    assert len(sent[:-1]) == len(set(sent[:-1])), "while exploring, an example already sent was sent again"


def test_a_counterexample_that_does_not_fail_again_alone_is_reported_as_such(tmp_path: Path) -> None:
    """A device is no pure function: here only the first big value breaks it (a state the first one leaves)."""
    broken = [False]

    def device(n: int) -> None:
        if n > 10 and not broken[0]:
            broken[0] = True
            raise Counterexample("RULE-X", f"{n} broke it")

    judge = Judge()
    with pytest.raises(AssertionError):
        _runner(tmp_path).run(st.integers(0, 1000), device, judge)
    assert "sent again alone it did not fail" in judge.failed[1]
    assert json.loads((tmp_path / "ev" / "fuzz-stats.json").read_text())["confirmed"] is False


def test_a_device_that_breaks_nothing_passes_and_says_how_much_was_sent(tmp_path: Path) -> None:
    judge = Judge()
    stats = _runner(tmp_path).run(st.integers(0, 1000), lambda n: None, judge)
    assert judge.failed is None
    assert stats.sent == profiles.get("pr").max_examples
    assert not (tmp_path / "ev" / "counterexample.json").exists()


def test_the_time_budget_stops_sending(tmp_path: Path) -> None:
    """The budget runs from the first example: with none left after it, that one is sent and no other."""
    quick = dataclasses.replace(profiles.get("pr"), budget_s=0.0)
    runner = PropertyRunner(quick, None, folder=tmp_path, case={})
    stats = runner.run(st.integers(), lambda n: None, Judge())
    assert stats.sent == 1 and stats.cut > 0 and "not sent" in stats.summary()


def test_building_the_strategy_does_not_eat_the_budget(tmp_path: Path) -> None:
    """A strategy built from a schema costs seconds on a loaded machine before the first example exists; the
    examples still get the whole budget (here: the first draw takes longer than the budget)."""
    import time
    slow = [True]

    def build(n: int) -> int:
        if slow[0]:
            slow[0] = False
            time.sleep(0.4)
        return n

    runner = PropertyRunner(dataclasses.replace(profiles.get("pr"), budget_s=0.3), None, folder=tmp_path, case={})
    stats = runner.run(st.integers(0, 1000).map(build), lambda n: None, Judge())
    assert stats.sent == profiles.get("pr").max_examples and stats.first_example_s >= 0.4


def test_a_case_that_sent_nothing_is_inconclusive_not_passed(tmp_path: Path) -> None:
    """Nothing sent, nothing judged: never a PASS (a budget already spent stands for any cause)."""
    from vgitest.verdict import Inconclusive
    spent = dataclasses.replace(profiles.get("pr"), budget_s=-1.0)
    with pytest.raises(Inconclusive, match="no example was sent"):
        PropertyRunner(spent, None, folder=tmp_path, case={}).run(st.integers(), lambda n: None, Judge())


def test_a_spent_budget_ends_shrinking_at_once(tmp_path: Path) -> None:
    """Past the budget hypothesis would go on shrinking (each try cut, so "passing") up to its own time limit, and
    building an example from a schema costs CPU: the run must end instead, with the smallest failure found."""
    import time
    built: list[float] = []

    def dear(xs: list[int]) -> list[int]:  # an example that costs CPU to build
        built.append(time.monotonic())
        time.sleep(0.003)
        return xs

    def device(xs: list[int]) -> None:
        if sum(xs) > 10:
            raise Counterexample("RULE-X", f"sum {sum(xs)}")

    budget = 0.3
    judge = Judge()
    t0 = time.monotonic()
    with pytest.raises(AssertionError):
        PropertyRunner(dataclasses.replace(profiles.get("pr"), budget_s=budget), None, folder=tmp_path,
                       case={}).run(st.lists(st.integers(0, 1000), min_size=40, max_size=40).map(dear), device, judge)
    late = [t for t in built if t > t0 + budget]
    assert len(late) <= 2, f"{len(late)} examples were built after the budget was spent"
    assert judge.failed is not None and judge.failed[0] == "RULE-X"


def test_a_device_that_is_gone_ends_the_exploration(tmp_path: Path) -> None:
    calls: list[int] = []

    def device(n: int) -> None:
        calls.append(n)
        raise Counterexample("ALIVE", "gone", fatal=True)

    judge = Judge()
    with pytest.raises(AssertionError):
        _runner(tmp_path).run(st.integers(0, 1000), device, judge)
    assert len(calls) == 1, "examples were sent to a device that was gone"


def test_replay_sends_the_recorded_example_once(tmp_path: Path) -> None:
    (tmp_path / "ce.json").write_text(json.dumps({"format": replay.FORMAT, "test_file": "suite.py", "test": "test_x",
                                                  "profile": "p", "example": {"a": [1, 2]}}))
    seen = []
    runner = _runner(tmp_path, replay_file=tmp_path / "ce.json")
    stats = runner.run(st.integers(), seen.append, Judge())
    assert seen == [{"a": [1, 2]}] and stats.sent == 1 and stats.replayed_from


def test_profiles_and_seeds() -> None:
    assert set(profiles.PROFILES) == {"pr", "nightly", "cert"}
    assert profiles.hypothesis_settings(profiles.get("pr")).derandomize
    assert profiles.hypothesis_settings(profiles.get("cert"), 2).max_examples == 2 * profiles.get("cert").max_examples
    with pytest.raises(ValueError, match="unknown fuzz profile"):
        profiles.get("fast")


def test_replay_refuses_what_is_not_a_counterexample_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="not a vgitest counterexample file"):
        replay.load(bad)
    out = subprocess.run([sys.executable, "-m", "vgitest.cli", "replay", str(bad)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not a vgitest counterexample" in out.stderr


def test_a_counterexample_from_the_report_is_reproduced_by_one_command(tmp_path: Path) -> None:
    """Issue 15: a failing example is reproduced from the report alone (counterexample.json) with `vgitest replay`."""
    reports = tmp_path / "reports"
    cmd = [sys.executable, "-m", "pytest", "suites/ocpp16_fuzz", "-k", "FUZZ_05", "--vgi-profile=reference-station-16",
           "--vgi-fault=crash_on_burst", f"--vgi-reports={reports}", "--vgi-run-name=f", "-p", "no:cacheprovider",
           *UNUSED_PLUGINS, "-q"]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    result = json.loads((reports / "f" / "results.json").read_text())["results"][0]
    assert result["verdict"] == "FAIL" and "vgitest replay" in result["message"]
    path = result["message"].rsplit("vgitest replay ", 1)[1].split()[0]
    out = subprocess.run([sys.executable, "-m", "vgitest.cli", "replay", path, "--reports", str(tmp_path / "again")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "vgitest replay: FAIL OCPP-FUZZ-ALIVE" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    again = json.loads((tmp_path / "again" / "replay-f" / "results.json").read_text())["results"][0]
    stats = json.loads((Path(again["evidence"]["findings"]).parent / "fuzz-stats.json").read_text())
    assert stats["sent"] == 1 and stats["replayed_from"]


def test_a_session_failure_with_a_finding_is_a_counterexample_with_its_rule(tmp_path: Path) -> None:
    """A session helper (e.g. a call the device never answered) fails with its finding: shrunk and reported like the
    body's own counterexamples, under the finding's rule."""
    from vgitest.findings import Finding
    from vgitest.ocpp import rules
    from vgitest.verdict import NonConformance

    def device(n: int) -> None:
        if n > 3:
            raise NonConformance("no answer", [Finding.of(rules.RESPONSE_TIMEOUT, f"no answer to request {n}")])

    judge = Judge()
    with pytest.raises(AssertionError):
        _runner(tmp_path).run(st.integers(0, 100), device, judge)
    assert judge.failed[0] == "OCPPJ-RESPONSE-TIMEOUT" and "minimal example: 4" in judge.failed[1]


def test_the_examples_do_not_depend_on_the_projects_own_constants(tmp_path: Path, monkeypatch) -> None:
    """Hypothesis mixes literals of every local module into its draws; the fuzz runner must not (else any new
    message text in vgitest changes what a derandomized case sends, and reviewed verdicts flip)."""
    import importlib
    import hypothesis.internal.conjecture.providers as providers
    assert hasattr(providers, "_get_local_constants"), "hypothesis moved the hook vgitest.fuzzing.stable patches"

    many = dataclasses.replace(profiles.get("pr"), max_examples=300)

    def draws() -> list:
        seen: list = []
        PropertyRunner(many, None, folder=tmp_path, case={}).run(st.lists(st.text(), max_size=5), seen.append,
                                                                 Judge())
        return seen

    before = draws()
    (tmp_path / "vgi_local_constants.py").write_text(
        "WORDS = [" + ", ".join(f"'vgcst{i}'" for i in range(1000)) + "]\n")  # hypothesis keeps short ones
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("vgi_local_constants")
    after = draws()
    assert before == after
    assert not any("vgcst" in t for example in after for t in example)


def test_pr_examples_depend_on_the_case_and_part_not_on_the_runners_source(tmp_path: Path, monkeypatch) -> None:
    """Hypothesis's own derandomization seeds from a digest of the test function's source, which is the runner's
    inner function: an edit of the runner once changed every pr example of every suite. The runner seeds pr from
    the case's name and the part's label instead."""
    from hypothesis import core

    def draw(label: str) -> list[int]:
        seen: list[int] = []
        _runner(tmp_path).run(st.integers(0, 10 ** 9), seen.append, _Quiet(), weight=0.4, label=label)
        return seen

    first = draw("a")
    monkeypatch.setattr(core, "function_digest", lambda f: b"another source of the runner")
    assert draw("a") == first and len(first) >= 5
    assert draw("b") != first


class _Quiet:
    def fail(self, *a: object) -> None:
        raise AssertionError(a)

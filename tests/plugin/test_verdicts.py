"""The verdict model (docs/verdicts.md) through the plugin, with a scripted station sending raw frames:

- a preamble that is not reached is INCONCLUSIVE, names what was missing, and judges nothing it saw on the way;
- only the body is judged: a rule broken in a preamble frame is reported as observed, not as the verdict;
- a rule never judges a frame of a protocol version it does not apply to;
- pytest, the console, JUnit, results.json and Allure say the same verdict;
- each (run, test) is its own result in Allure, and the environment names every run.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.plugin.test_plugin import PROFILE, ROOT  # the scripted station's profile

CONFTEST = '''
import json
import pytest

LONG_ID = "x" * 40  # a message id longer than 36 characters: OCPPJ-MSGID-LENGTH, a MUST


@pytest.fixture
def never_reached(station, dut):
    """Reusable state Demo: the station reported its connector."""
    dut.perform("send", text=json.dumps([2, LONG_ID, "Heartbeat", {}]))
    station.expect("StatusNotification", timeout=0.3)  # the scripted station never sends it


@pytest.fixture
def reached_with_a_broken_rule(station, dut):
    """Reusable state Demo: the station sent a Heartbeat."""
    dut.perform("send", text=json.dumps([2, "y" * 40, "Heartbeat", {}]))
    station.expect("Heartbeat", timeout=2)
'''

TESTS = '''
import json
import pytest
from vgitest.case import preamble
from vgitest.findings import RULES
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")
ONLY_2X = RULES.add("TEST-ONLY-2X", "fail", "a rule of OCPP 2.0.1 only", "test", "ocpp", ("2.0.1",)).id


@pytest.mark.vgi_case("TC_P_01", feature="Demo")
def test_preamble_not_reached(never_reached):
    pass


@pytest.mark.vgi_case("TC_P_02", feature="Demo")
def test_preamble_breaks_a_rule_body_clean(reached_with_a_broken_rule, station, dut):
    dut.perform("send", text=json.dumps([2, "ok-1", "Authorize", {"idTag": "TAG-1"}]))
    station.expect("Authorize", timeout=2)


@pytest.mark.vgi_case("TC_P_03", feature="Demo")
def test_in_body_preamble_not_reached(station, dut):
    with preamble("the station booted again"):
        dut.perform("send", text=json.dumps([2, "z" * 40, "Heartbeat", {}]))
        station.expect("BootNotification", timeout=0.3)


@pytest.mark.vgi_case("TC_P_04", feature="Demo")
def test_body_fails_after_a_preamble(station, dut):
    with preamble("a Heartbeat went through"):
        dut.perform("send", text=json.dumps([2, "ok-2", "Heartbeat", {}]))
        station.expect("Heartbeat", timeout=2)
    station.fail(r.STATION_RESPONSE, "the objective was not met")


@pytest.mark.vgi_case("TC_P_05", feature="Demo")
def test_rule_of_another_version(station, dut):
    dut.perform("send", text=json.dumps([2, "ok-3", "Heartbeat", {}]))
    frame = station.expect("Heartbeat", timeout=2)
    station.record(ONLY_2X, "a 2.0.1 rule applied to a 1.6 frame", frame)
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_phases=TESTS)
    return pytester


def _run(p: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, dict]]:
    res = p.runpytest_subprocess("--vgi-profile=station.toml", "-p", "no:cacheprovider", *args)
    doc = json.loads((p.path / "reports" / "station" / "results.json").read_text())
    return res, {r["test"]: r for r in doc["results"]}


def _rules(entries: list[dict]) -> set[str]:
    return {f["rule"] for f in entries}


def test_phases_decide_what_is_judged(project: pytest.Pytester) -> None:
    res, by = _run(project, "-v", "--junitxml=junit.xml", "--alluredir=allure")

    r = by["test_preamble_not_reached"]
    assert r["verdict"] == "INCONCLUSIVE"
    assert r["message"].startswith("preamble not reached: Reusable state Demo: the station reported its connector "
                                   "(never_reached): expected StatusNotification")
    assert r["findings"] == []  # nothing it saw on the way is its verdict...
    assert {"OCPPJ-MSGID-LENGTH", "OCPP-EXPECTED-MESSAGE"} <= _rules(r["observed"])  # ...but all of it is shown
    assert {f["not_judged"] for f in r["observed"]} == {"in the preamble"}

    r = by["test_preamble_breaks_a_rule_body_clean"]
    assert r["verdict"] == "PASS" and r["findings"] == []
    assert _rules(r["observed"]) == {"OCPPJ-MSGID-LENGTH"}

    r = by["test_in_body_preamble_not_reached"]
    assert r["verdict"] == "INCONCLUSIVE" and r["findings"] == []
    assert r["message"].startswith("preamble not reached: the station booted again: expected BootNotification")
    assert "OCPPJ-MSGID-LENGTH" in _rules(r["observed"])

    r = by["test_body_fails_after_a_preamble"]
    assert r["verdict"] == "FAIL" and _rules(r["findings"]) == {"OCPP-RESPONSE-STATUS"}

    r = by["test_rule_of_another_version"]
    assert r["verdict"] == "PASS" and r["findings"] == []
    (o,) = r["observed"]
    assert o["rule"] == "TEST-ONLY-2X" and "does not apply to ocpp 1.6" in o["not_judged"]

    # the console says the verdict words: a line per case with its id, and the rule ids or what was not reached
    res.stdout.fnmatch_lines(["[[]1/5[]] INCONCLUSIVE   TC_P_01 (test_preamble_not_reached)  *s  preamble not "
                              "reached: Reusable state Demo*",
                              "[[]3/5[]] INCONCLUSIVE   TC_P_03 (test_in_body_preamble_not_reached)*",
                              "[[]4/5[]] FAIL           TC_P_04 (test_body_fails_after_a_preamble)  *s  "
                              "OCPP-RESPONSE-STATUS",
                              "[[]5/5[]] PASS           TC_P_05 (test_rule_of_another_version)  *s"])
    outcomes = res.parseoutcomes()
    assert outcomes["inconclusive"] == 2 and outcomes["failed"] == 1 and outcomes["passed"] == 2

    # JUnit: FAIL is a <failure>; INCONCLUSIVE an <error> wherever it was raised; each carries its verdict
    cases = {c.get("name"): c for c in ET.parse(project.path / "junit.xml").getroot().iter("testcase")}
    kinds = {n: [e.tag for e in c if e.tag in ("failure", "error", "skipped")] for n, c in cases.items()}
    assert kinds["test_preamble_not_reached"] == ["error"]
    assert kinds["test_in_body_preamble_not_reached"] == ["error"]
    assert kinds["test_body_fails_after_a_preamble"] == ["failure"]
    assert kinds["test_rule_of_another_version"] == []
    body_error = cases["test_in_body_preamble_not_reached"].find("error")
    assert body_error is not None and body_error.get("message", "").startswith("INCONCLUSIVE: ")
    suite = ET.parse(project.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("failures"), suite.get("errors")) == ("1", "2")

    # Allure: INCONCLUSIVE is broken (not a product defect), FAIL is failed
    status = {}
    for path in (project.path / "allure").glob("*-result.json"):
        doc = json.loads(path.read_text())
        status[doc["name"]] = doc["status"]
    assert status["test_preamble_not_reached"] == "broken"
    assert status["test_in_body_preamble_not_reached"] == "broken"
    assert status["test_body_fails_after_a_preamble"] == "failed"
    assert status["test_preamble_breaks_a_rule_body_clean"] == "passed"
    # no tear-down step without a status (pytest's post-finalizer bookkeeping, vgitest.evidence.allure_teardown)
    afters = [a for p in (project.path / "allure").glob("*-container.json")
              for a in json.loads(p.read_text()).get("afters", [])]
    assert afters and all(a.get("status") and "<lambda>" not in a["name"] for a in afters), afters
    assert {a["name"] for a in afters} >= {"station: clean-up"}


def test_pytest_console_and_waiting_line(project: pytest.Pytester) -> None:
    """--vgi-console=pytest gives pytest's own words; the verdict console says what a long wait waits for."""
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "-v", "--vgi-console=pytest", "-k",
                                       "rule_of_another_version or body_fails", "-p", "no:cacheprovider")
    res.stdout.fnmatch_lines(["*test_body_fails_after_a_preamble FAIL*", "*test_rule_of_another_version PASS*"])
    assert "[1/2]" not in res.stdout.str()

    project.makepyfile(test_wait=WAITING)
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "--vgi-wait-line=0.5", "test_wait.py",
                                       "-p", "no:cacheprovider")
    res.stdout.fnmatch_lines(["  ... waiting for StatusNotification from *: * s so far, at most * s more",
                              "[[]1/1[]] INCONCLUSIVE   TC_W_01 (test_waits)*expected StatusNotification*"])
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "--vgi-wait-line=0", "test_wait.py",
                                       "-p", "no:cacheprovider")
    assert "waiting for" not in res.stdout.str()  # 0: never


WAITING = '''
import pytest
from vgitest.case import preamble

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_W_01", feature="Demo")
def test_waits(station):
    with preamble("the station reported a connector"):
        station.expect("StatusNotification", timeout=1.6)
'''


def test_each_run_is_its_own_allure_result(project: pytest.Pytester) -> None:
    for run in ("run-a", "run-b"):
        res = project.runpytest_subprocess("--vgi-profile=station.toml", f"--vgi-run-name={run}", "--alluredir=allure",
                                           "-k", "rule_of_another_version", "-p", "no:cacheprovider")
        res.assert_outcomes(passed=1)
    docs = [json.loads(p.read_text()) for p in (project.path / "allure").glob("*-result.json")]
    assert len(docs) == 2
    assert len({d["historyId"] for d in docs}) == 2  # not one result and a "retry"
    assert {p["value"].strip("'") for d in docs for p in d["parameters"] if p["name"] == "run"} == {"run-a", "run-b"}
    # the Suites tree starts with the run and its DUT, so two runs into one folder stay apart
    assert {next(lb["value"] for lb in d["labels"] if lb["name"] == "parentSuite") for d in docs} == \
        {"run-a: Scripted station", "run-b: Scripted station"}
    env = (project.path / "allure" / "environment.properties").read_text()
    assert "run-a.dut.name=Scripted station" in env and "run-b.dut.name=Scripted station" in env


UNMARKED = '''
import json
import pytest


@pytest.mark.vgi_protocol("ocpp", "1.6")
@pytest.mark.vgi_case("TC_U_01", feature="Demo")
def test_a_case_that_fails(station, dut):
    dut.perform("send", text=json.dumps([2, "x" * 40, "Heartbeat", {}]))  # OCPPJ-MSGID-LENGTH, a MUST
    station.expect("Heartbeat", timeout=2)


def test_unmarked_without_a_peer():
    pass


def test_unmarked_with_another_fixture(tmp_path):
    assert tmp_path.is_dir()
'''


def test_a_test_with_no_marker_is_not_judged_on_earlier_frames(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a test with neither a vgitest marker nor a fake-peer fixture used to be judged from the start of
    the trace, so it failed with the previous test's finding."""
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makepyfile(test_unmarked=UNMARKED)
    res, by = _run(pytester, "-v")
    assert by["test_a_case_that_fails"]["verdict"] == "FAIL"
    assert "OCPPJ-MSGID-LENGTH" in _rules(by["test_a_case_that_fails"]["findings"])
    for name in ("test_unmarked_without_a_peer", "test_unmarked_with_another_fixture"):
        assert by[name]["verdict"] == "PASS", by[name]
        assert by[name]["findings"] == []
    res.assert_outcomes(passed=2, failed=1)


def test_a_module_that_cannot_be_collected_is_a_collection_error_not_an_internal_error(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A collection report has no verdict (nor user_properties): the console reporter left it to pytest only
    since issue 15; before, the verdict-word hook raised AttributeError and pytest stopped with INTERNALERROR."""
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makepyfile(test_broken="import no_such_module_vgitest\n")
    res = pytester.runpytest_subprocess("--vgi-profile=station.toml", "-p", "no:cacheprovider")
    out = res.stdout.str() + res.stderr.str()
    assert "INTERNALERROR" not in out
    assert "no_such_module_vgitest" in out and res.ret == pytest.ExitCode.INTERRUPTED


VERSIONS = '''
import json
import pytest


@pytest.mark.vgi_protocol("ocpp", "1.6", "2.0.1")
@pytest.mark.vgi_case("TC_V_01", feature="Demo")
def test_in_both_versions(station, dut):
    dut.perform("send", text=json.dumps([2, "v-1", "Heartbeat", {}]))
    station.expect("Heartbeat", timeout=2)


@pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")
@pytest.mark.vgi_case("TC_V_02", feature="Demo")
def test_in_other_versions(station, dut):
    pass
'''


def test_a_case_runs_in_every_version_its_marker_names(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A case marked for several versions runs for a DUT of any of them and is judged in the DUT's version; for
    a DUT of a version it does not name it is NOT_APPLICABLE, and says which versions it is for."""
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makepyfile(test_versions=VERSIONS)
    _, by = _run(pytester, "-v")
    assert by["test_in_both_versions"]["verdict"] == "PASS"
    other = by["test_in_other_versions"]
    assert other["verdict"] == "NOT_APPLICABLE"
    assert "this test is for ocpp 2.0.1 and 2.1" in other["message"]

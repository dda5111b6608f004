"""The plugin, driven through pytester with a scripted station: applicability, verdicts from findings,
strict mode, evidence files, JUnit properties and Allure results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROFILE = """
[dut]
name = "Scripted station"
protocol = "ocpp"
version = "1.6"
identity = "SCRIPTED-1"
password = "0123456789abcdef"
[pics]
Core = true
Reservation = false
[pixit]
heartbeat_interval = 300
connect_timeout = 5
[adapter]
kind = "simulated"
simulator = "tests.plugin.scripted_station:ScriptedStation"
"""

TESTS = '''
import threading, json
import pytest

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

@pytest.mark.vgi_case("TC_X_01_CS", feature="Demo", requires=("Core",))
def test_clean(station, dut):
    dut.perform("send", text=json.dumps([2, "h1", "Heartbeat", {}]))
    station.expect("Heartbeat", timeout=2)

@pytest.mark.vgi_case("TC_X_02_CS", feature="Demo", requires=("Reservation",))
def test_needs_reservation(station):
    pass

@pytest.mark.vgi_case("TC_X_03_CS", feature="Demo")
def test_body_passes_but_dut_breaks_a_rule(station, dut):
    dut.perform("send", text=json.dumps([2, "x" * 40, "Heartbeat", {}]))
    station.expect("Heartbeat", timeout=2)

@pytest.mark.vgi_case("TC_X_04_CS", feature="Demo")
def test_should_rule_only(station, dut):
    station.override("Heartbeat", __import__("vgitest.ocpp.csms", fromlist=["Delay"]).Delay(0.3), once=True)
    t = threading.Thread(target=dut.perform, args=("send",), kwargs={"text": json.dumps([2, "a", "Heartbeat", {}])})
    t.start()
    import time; time.sleep(0.05)
    station.send_raw  # noqa
    dut.target.ws.send(json.dumps([2, "b", "Heartbeat", {}]))
    t.join()
    station.expect("Heartbeat", timeout=2)

@pytest.mark.vgi_case("TC_X_05_CS", feature="Demo")
def test_call_answered(station, dut):
    t = threading.Thread(target=dut.perform, args=("answer_next",), kwargs={"payload": {"status": "Accepted"}})
    t.start()
    assert station.call("ClearCache", {}, timeout=3) == {"status": "Accepted"}
    t.join()
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makepyfile(test_demo=TESTS)
    return pytester


def _results(p: pytest.Pytester) -> dict:
    return json.loads((p.path / "reports" / "station" / "results.json").read_text())


def test_verdicts_evidence_and_junit(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "--junitxml=junit.xml", "-rs",
                                       "-p", "no:cacheprovider")
    res.assert_outcomes(passed=2, failed=1)  # the console counts verdicts: PASS, FAIL, NON_STRICT, NOT_APPLICABLE
    assert res.parseoutcomes()["non_strict"] == 1 and res.parseoutcomes()["not_applicable"] == 1
    res.stdout.fnmatch_lines(["*OCPPJ-MSGID-LENGTH*",
                              "*vgitest verdicts*",
                              "NOT_APPLICABLE*1 case(s): PICS of Scripted station does not declare Reservation",
                              "FAIL*test_body_passes_but_dut_breaks_a_rule ?TC_X_03_CS?: OCPPJ-MSGID-LENGTH"])
    by = {r["test"]: r for r in _results(project)["results"]}
    assert by["test_clean"]["verdict"] == "PASS"
    assert by["test_needs_reservation"]["verdict"] == "NOT_APPLICABLE"
    assert by["test_body_passes_but_dut_breaks_a_rule"]["verdict"] == "FAIL"
    assert "OCPPJ-MSGID-LENGTH" in {f["rule"] for f in by["test_body_passes_but_dut_breaks_a_rule"]["findings"]}
    assert by["test_should_rule_only"]["verdict"] == "NON_STRICT"  # 1.6: a second CALL is a SHOULD NOT
    assert by["test_call_answered"]["verdict"] == "PASS"
    ev = Path(by["test_clean"]["evidence"]["frames"]).parent
    for name in ("frames.jsonl", "trace.jsonl", "capture.pcapng", "sequence.txt", "findings.json"):
        assert (ev / name).is_file(), name
    records = [json.loads(x) for x in (ev / "trace.jsonl").read_text().splitlines()]
    assert [r["action"] for r in records if r["messageType"] == "CALL"] == ["Heartbeat"]
    assert all(r["schemaVersion"] == "1.1" and r["transport"] == "json" for r in records)
    from scapy.utils import rdpcap
    pkts = rdpcap(str(ev / "capture.pcapng"))
    payloads = b"".join(bytes(p["Raw"].load) for p in pkts if p.haslayer("Raw"))
    assert b"GET /ocpp/SCRIPTED-1" in payloads and b"101 Switching Protocols" in payloads
    assert b"client_no_context_takeover" in payloads  # each message decompresses on its own in Wireshark
    assert len(pkts) >= 7  # SYN, SYN-ACK, ACK, upgrade, 101, the Heartbeat CALL and its CALLRESULT
    junit = (project.path / "junit.xml").read_text()
    assert 'name="verdict" value="non-strict"' in junit and 'name="test_case" value="TC_X_01_CS"' in junit


def test_strict_turns_non_strict_into_fail(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "--vgi-strict", "-k", "should_rule",
                                       "-p", "no:cacheprovider")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*OCPPJ-CALL-CONCURRENT*"])


def test_allure_results_have_labels_steps_and_attachments(project: pytest.Pytester) -> None:
    res = project.runpytest_subprocess("--vgi-profile=station.toml", "--alluredir=allure", "-k", "clean",
                                       "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    results = [json.loads(p.read_text()) for p in (project.path / "allure").glob("*-result.json")]
    (r,) = [x for x in results if x["name"] == "test_clean"]
    labels = {(lab["name"], lab["value"]) for lab in r["labels"]}
    assert {("epic", "OCPP 1.6"), ("feature", "Demo"), ("story", "TC_X_01_CS"), ("verdict", "pass")} <= labels
    assert any(s["name"].startswith("expect Heartbeat") for s in r.get("steps", []))
    names = {a["name"] for a in r.get("attachments", [])}
    assert {"sequence diagram", "capture.pcapng", "open ocpp trace"} <= names
    assert (project.path / "allure" / "environment.properties").read_text().count("dut.name=Scripted station") == 1


def test_missing_profile_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_a(station):\n    pass\n")
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*no DUT profile: pass --vgi-profile*"])

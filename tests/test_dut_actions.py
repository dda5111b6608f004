"""DUT actions as a run sees them: an action the device lacks makes a case NOT_APPLICABLE (in every report), an
optional step can be left out with `supports`, and a command adapter's `power_on` runs once, before the first
test that needs the DUT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPTED = """
[dut]
name = "Scripted station"
protocol = "ocpp"
version = "1.6"
identity = "SCRIPTED-1"
[pics]
Core = true
[pixit]
connect_timeout = 5
[adapter]
kind = "simulated"
simulator = "tests.plugin.scripted_station:ScriptedStation"
unsupported = ["clear_fault"]
"""

NOT_SUPPORTED_TESTS = '''
import pytest
from vgitest.adapters import ActionNotSupported

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

@pytest.mark.vgi_case("TC_X_10_CS", feature="Demo")
def test_objective_needs_the_action(station, dut):
    dut.perform("clear_fault", connector=1)

@pytest.mark.vgi_case("TC_X_11_CS", feature="Demo")
def test_optional_step_left_out(station, dut):
    if dut.supports("clear_fault"):
        dut.perform("clear_fault", connector=1)
    try:
        dut.perform("clear_fault", connector=1)
    except ActionNotSupported:
        pass
'''


def test_an_action_the_device_lacks_is_not_applicable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=SCRIPTED)
    pytester.makepyfile(test_demo=NOT_SUPPORTED_TESTS)
    res = pytester.runpytest_subprocess("--vgi-profile=station.toml", "--junitxml=junit.xml", "-rs",
                                        "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    assert res.parseoutcomes()["not_applicable"] == 1
    res.stdout.fnmatch_lines(["NOT_APPLICABLE*1 case(s): the device does not support DUT action 'clear_fault' "
                              "(the profile lists it in [[]adapter] unsupported)*"])
    by = {r["test"]: r for r in json.loads((pytester.path / "reports/station/results.json").read_text())["results"]}
    assert by["test_objective_needs_the_action"]["verdict"] == "NOT_APPLICABLE"
    assert "clear_fault" in by["test_objective_needs_the_action"]["message"]
    assert by["test_optional_step_left_out"]["verdict"] == "PASS"
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="verdict" value="not-applicable"' in junit and "<skipped" in junit and "<error" not in junit


COMMAND = """
[dut]
name = "A station behind a command adapter"
protocol = "ocpp"
version = "1.6"
identity = "CMD-1"
[pics]
Core = true
[adapter]
kind = "command"
[adapter.commands]
power_on = "echo $VGI_ACTION $VGI_CSMS_URL >> {log}"
reboot = "echo reboot >> {log}"
"""

POWER_TESTS = '''
import pathlib

LOG = pathlib.Path({log!r})

def test_a_fake_peer_only(csms):
    assert not LOG.exists()  # nothing needed the DUT yet

def test_first_use(csms, dut):
    assert LOG.read_text().split() == ["power_on", csms.url]  # on before the test, with the fake CSMS listening

def test_second_use(dut):
    dut.perform("reboot")
    assert LOG.read_text().split("\\n")[:2] == ["power_on " + dut.env["csms_url"], "reboot"]
'''


def test_power_on_once_before_the_first_test_needs_the_dut(pytester: pytest.Pytester) -> None:
    log = pytester.path / "actions.log"
    pytester.makefile(".toml", station=COMMAND.replace("{log}", str(log)))
    pytester.makepyfile(test_power=POWER_TESTS.replace("{log!r}", repr(str(log))))
    res = pytester.runpytest_subprocess("--vgi-profile=station.toml", "-p", "no:cacheprovider", "-p", "no:randomly")
    res.assert_outcomes(passed=3)
    assert log.read_text().splitlines()[0].startswith("power_on ws://") and log.read_text().count("power_on") == 1


def test_simulated_adapter_does_not_power_on_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # the reference simulators switch themselves on when they start; the run must not add a power_on of its own
    from vgitest.run import Settings, VgiRun
    run = VgiRun(Settings(profile="reference-station-16", adapter=None, host="127.0.0.1", port=0,
                          reports=Path("/nonexistent"), run_name="x", faults=(), strict=False, lenient=False,
                          schemas=None, tls_cert=None, tls_key=None, tls_ca=None))
    try:
        adapter = run.ensure_dut()
        assert adapter.kind == "simulated" and run.powered_on_at is None
        assert [a for a, _ in adapter.log] == []
        run.peer.session(run.identity).wait_connected(10)  # it came up by itself
    finally:
        run.stop()


@pytest.mark.skipif(__import__("shutil").which("curl") is None, reason="the example profile's commands use curl")
def test_external_station_switched_off_comes_up_with_the_run(tmp_path: Path) -> None:
    # `vgitest station --powered-off` is a station nobody switched on: only the run's power_on brings it up
    import subprocess
    import sys

    from tests.test_external_station import free_port, run_suite, wait_for_hook
    csms_port, hook_port = free_port(), free_port()
    prof = tmp_path / "external.toml"
    prof.write_text((ROOT / "profiles/external-station-16.toml").read_text().replace("8765", str(hook_port)))
    station = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "station", "--version", "1.6", "--powered-off",
                                "--csms-url", f"ws://127.0.0.1:{csms_port}/ocpp", "--identity", "VGI-EXT-16",
                                "--password", "vgitest-ext16-basic-auth", "--hook-port", str(hook_port)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(station, hook_port)
        verdicts = run_suite(tmp_path, "suites/ocpp16", prof, csms_port, "-k", "TC_019_CS or TC_021_CS")
        assert verdicts == {"test_TC_019_CS": "PASS", "test_TC_021_CS": "PASS"}
    finally:
        station.terminate()
        station.wait(10)

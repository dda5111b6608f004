"""A station that runs outside the harness, driven through the `command` adapter.

`vgitest station` runs the reference station as a separate program with an HTTP test hook, exactly like a
vendor's station with its own test interface; the profile maps every DUT action to a `curl` call. The
OCPP 1.6 suite must give the same verdicts as with the in-process simulated adapter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def run_suite(tmp_path: Path, suite: str, profile: Path, port: int, *extra: str) -> dict[str, str]:
    """Run a suite in its own pytest process against the external DUT; it must exit 0. Verdict per test."""
    reports = tmp_path / "reports"
    run = subprocess.run([sys.executable, "-m", "pytest", suite, f"--vgi-profile={profile}", f"--vgi-port={port}",
                          f"--vgi-reports={reports}", "--vgi-run-name=ext", "-p", "no:cacheprovider", "-q", *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert (reports / "ext/results.json").is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((reports / "ext/results.json").read_text())
    assert run.returncode == 0, run.stdout[-4000:]
    return {r["test"]: r["verdict"] for r in results["results"]}


def wait_for_hook(proc: subprocess.Popen, hook_port: int, timeout: float = 20.0) -> None:
    """Wait until a standalone simulator answers on its test hook (or fail with its output)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{hook_port}/health", timeout=1).read()
            return
        except OSError:
            assert time.monotonic() < deadline, "the standalone simulator did not come up"
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else "the simulator exited"
            time.sleep(0.2)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the example profile's commands use curl")
def test_external_station_through_command_adapter(tmp_path: Path) -> None:
    csms_port, hook_port = free_port(), free_port()
    profile = (ROOT / "profiles/external-station-16.toml").read_text().replace("8765", str(hook_port))
    prof = tmp_path / "external.toml"
    prof.write_text(profile)
    station = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "station", "--version", "1.6",
                                "--csms-url", f"ws://127.0.0.1:{csms_port}/ocpp", "--identity", "VGI-EXT-16",
                                "--password", "vgitest-ext16-basic-auth", "--hook-port", str(hook_port),
                                "--param", "heartbeat_interval=2", "--param", "meter_sample_interval=1",
                                "--param", "connection_timeout=4"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(station, hook_port)
        verdicts = run_suite(tmp_path, "suites/ocpp16", prof, csms_port, "-x")
        assert verdicts and set(verdicts.values()) <= {"PASS", "NOT_APPLICABLE", "NON_STRICT", "INFORMATIONAL"}
        assert sum(v == "PASS" for v in verdicts.values()) >= 25, verdicts
    finally:
        station.terminate()
        station.wait(10)


# A slice of the 2.0.1 suite: boot, variables, the transaction points a case asks for, remote control, meter values.
SLICE_201 = ("test_TC_B_01_CS or test_TC_B_07_CS or test_TC_B_39_CS or test_TC_E_03_CS or test_TC_E_04_CS or "
             "test_TC_F_08_CS or test_TC_J_09_CS or test_TC_VGI_RPC_05_CS")


@pytest.mark.skipif(shutil.which("curl") is None, reason="the example profile's commands use curl")
def test_external_201_station_switched_on_by_the_run(tmp_path: Path) -> None:
    """profiles/external-station-201.toml as shipped (only its hook port changed): the station starts switched
    off, the run's power_on brings it up, and the cases pass through the command adapter."""
    csms_port, hook_port = free_port(), free_port()
    prof = tmp_path / "external.toml"
    prof.write_text((ROOT / "profiles/external-station-201.toml").read_text().replace("8767", str(hook_port)))
    station = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "station", "--version", "2.0.1",
                                "--csms-url", f"ws://127.0.0.1:{csms_port}/ocpp", "--identity", "VGI-EXT-201",
                                "--password", "vgitest-ext201-basic-auth", "--hook-port", str(hook_port),
                                "--param", "heartbeat_interval=2", "--param", "meter_sample_interval=1",
                                "--powered-off"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(station, hook_port)
        verdicts = run_suite(tmp_path, "suites/ocpp201", prof, csms_port, "-k", SLICE_201)
        assert len(verdicts) == 8 and set(verdicts.values()) == {"PASS"}, verdicts
    finally:
        station.terminate()
        station.wait(10)

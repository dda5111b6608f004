"""`vgitest profile check`: against a station that runs outside the harness (`vgitest station`, switched off, driven
through the command adapter) it powers the station on, sees it connect with the profile's identity and password
and boot, and runs every action once; a broken profile fails with one line per problem and the reason."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_external_station import free_port, wait_for_hook
from vgitest.cli import main
from vgitest.profilecheck import check

ROOT = Path(__file__).resolve().parents[1]
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="the example profile's commands use curl")


class Station:
    def __init__(self, csms_port: int, hook_port: int, proc: subprocess.Popen) -> None:
        self.csms_port, self.hook_port, self.proc = csms_port, hook_port, proc


def _station(password: str = "vgitest-ext16-basic-auth") -> Iterator[Station]:
    csms_port, hook_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "station", "--version", "1.6", "--powered-off",
                             "--csms-url", f"ws://127.0.0.1:{csms_port}/ocpp", "--identity", "VGI-EXT-16",
                             "--password", password, "--hook-port", str(hook_port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(proc, hook_port)
        yield Station(csms_port, hook_port, proc)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def station() -> Iterator[Station]:
    yield from _station()


@pytest.fixture
def station_with_other_password() -> Iterator[Station]:
    yield from _station("a-password-the-profile-lacks")


def _profile(tmp_path: Path, st: Station, edit: dict[str, str] | None = None) -> Path:
    text = (ROOT / "profiles/external-station-16.toml").read_text().replace("8765", str(st.hook_port))
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "station.toml"
    path.write_text(text)
    return path


def _check(path: Path, port: int) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Run the command as a vendor would; (exit status, {step: (status, reason)} of the last line per step, text)."""
    res = subprocess.run([sys.executable, "-m", "vgitest.cli", "profile", "check", str(path), "--port", str(port)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    steps = {}
    for line in res.stdout.splitlines():
        for status in ("NOT SUPPORTED", "OK", "FAILED", "SKIPPED", "WARNING"):
            if line.startswith(status + " "):
                name, _, reason = line[len(status):].strip().partition(" ")
                steps[name] = (status, reason.strip())
    return res.returncode, steps, res.stdout + res.stderr


@needs_curl
def test_external_station_checks_out(tmp_path: Path, station: Station) -> None:
    rc, steps, text = _check(_profile(tmp_path, station), station.csms_port)
    assert rc == 0, text
    assert steps["connect"] == ("OK", "connected as VGI-EXT-16 with ocpp1.6 and its HTTP Basic password and sent "
                                      "BootNotification after power_on"), text  # it was off: power_on woke it
    assert steps["reboot"][0] == "OK" and "sent BootNotification after reboot" in steps["reboot"][1]
    assert steps["plug_in(connector=1)"][0] == "OK", text
    assert steps["plug_in(connector=1)"][1].endswith("StatusNotification Preparing followed"), text
    assert steps["present_token(id_token=VGI-TAG-0001,"][0] == "OK", text
    for step in ("unplug(connector=1)", "fault_connector(connector=1)", "clear_fault(connector=1)", "power_off",
                 "power_on"):
        assert steps[step][0] == "OK", text
    assert steps["disconnect_network"] == ("NOT SUPPORTED", "the profile maps no command to it "
                                                            "([adapter.commands].disconnect_network)")
    assert text.rstrip().endswith("ready for the suites")


@needs_curl
def test_a_broken_profile_fails_with_reasons(tmp_path: Path, station: Station) -> None:
    path = _profile(tmp_path, station, {
        "/action/plug_in?": "/action/plug_inn?",  # the hook answers 404: curl -f exits 22
        'clear_fault = "curl': 'clear_fault = "echo no fault simulation here >&2; exit 77; curl',
        'other_id_token = "VGI-TAG-0002"\n': "",  # a required key left out
        "connection_timeout = 4 ": "connection_timeout = 4\nacme_rig_id = 7 ",  # a vendor's own key: a warning
    })
    t0 = time.monotonic()
    rc, steps, text = _check(path, station.csms_port)
    assert rc == 1, text
    assert time.monotonic() - t0 < 60, "a failing check must not take a suite's time"
    assert steps["connect"][0] == "OK", text
    status, reason = steps["plug_in(connector=1)"]
    assert status == "FAILED" and "failed with exit code 22" in reason and "plug_inn" in reason, text
    assert steps["clear_fault(connector=1)"] == ("NOT SUPPORTED", "its command exited 77: no fault simulation here")
    assert steps["fault_connector"] == ("SKIPPED", "it would leave the connector faulted: clear_fault did not work")
    assert steps["pixit"][0] == "FAILED" and "other_id_token" in steps["pixit"][1], text
    assert "unknown PIXIT key 'acme_rig_id': no suite reads it" in text
    assert "fix the FAILED steps" in text


def test_a_misspelt_pixit_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "dut.toml"
    path.write_text('[dut]\nprotocol = "ocpp"\nversion = "1.6"\n[pixit]\nconection_timeout = 4\n[adapter]\n'
                    'kind = "manual"\n')
    rc, _, text = _check(path, 0)
    assert rc == 2, text
    assert f"{path}:5: [pixit] conection_timeout: unknown PIXIT key 'conection_timeout' (did you mean " \
           "'connection_timeout'?)" in text


@needs_curl
def test_a_wrong_password_is_named_at_once(tmp_path: Path, station_with_other_password: Station) -> None:
    t0 = time.monotonic()
    rc, steps, text = _check(_profile(tmp_path, station_with_other_password), station_with_other_password.csms_port)
    assert rc == 1
    assert steps["connect"][0] == "WARNING" and "refused the station's connection after power_on: wrong password" \
        in steps["connect"][1], text
    assert steps["reboot"][0] == "FAILED" and "wrong password" in steps["reboot"][1], text
    assert steps["plug_in"] == ("SKIPPED", "the station is not connected")
    assert time.monotonic() - t0 < 20, "the refusal decides; the check does not wait out connect_timeout"


def test_an_unusable_profile_exits_2(tmp_path: Path) -> None:
    out = io.StringIO()
    assert check(str(tmp_path / "missing.toml"), out=out) == 2 and "not found" in out.getvalue()


@pytest.mark.parametrize("profile", ["reference-ven-20b", "reference-ev-din", "reference-der-client-csip"])
def test_reference_devices_check_out(profile: str) -> None:
    # every protocol's plan against the simulated reference device: all OK
    out = io.StringIO()
    assert check(profile, out=out) == 0, out.getvalue()
    assert "FAILED" not in out.getvalue() and "ready for the suites" in out.getvalue()


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["profile", "check", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "usage: vgitest profile check" in text and "Exit status 0: ready; 1: a step the suites need failed" in text


def test_external_ven_checks_out(tmp_path: Path) -> None:
    # the OpenADR plan against `vgitest ven` behind the command adapter: the VEN reaches the fake VTN and
    # registers, and every VEN action (opt_in/opt_out on an event the check sends) shows in its requests
    vtn_port, hook_port = free_port(), free_port()
    prof = tmp_path / "ven.toml"
    prof.write_text((ROOT / "profiles/external-ven-20b.toml").read_text().replace("8766", str(hook_port)))
    ven = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "ven", "--vtn-url",
                            f"http://127.0.0.1:{vtn_port}/OpenADR2/Simple/2.0b", "--hook-port", str(hook_port)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(ven, hook_port)
        rc, steps, text = _check(prof, vtn_port)
    finally:
        ven.terminate()
        ven.wait(10)
    assert rc == 0, text
    assert steps["reach"][0] == "OK" and "registered as VGI-EXT-VEN-1" in steps["reach"][1], text
    assert steps["opt_in(event_id=VGI-CHECK-EVENT)"][0] == "OK" and \
        steps["opt_in(event_id=VGI-CHECK-EVENT)"][1].endswith("oadrCreateOpt followed"), text
    for step in ("reregister", "reboot", "request_event", "cancel_registration", "cancel_opt(opt_id=VGI-CHECK-OPT)"):
        assert steps[step][0] == "OK", text

"""A DUT profile is validated before the run: a typo in a section, key, PICS feature, protocol, adapter kind or
value type, a port in use and a reports folder that cannot be written are each one line naming the file (or
host:port, or folder) and the key, with a non-zero exit, instead of silent NOT_APPLICABLE or pages of tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from vgitest import cli
from vgitest.profile import Profile
from vgitest.profilecheck import check
from vgitest.verdict import HarnessError

ROOT = Path(__file__).resolve().parents[1]
GOOD = """\
[dut]
name = "Tiny"
protocol = "ocpp"
version = "1.6"
[pics]
Core = true
RemoteTrigger = true
Reservation = false
[pixit]
heartbeat_interval = 60
valid_id_token = "A"
other_id_token = "B"
invalid_id_token = "C"
[budgets.ocpp]
tolerance = 0.5
[adapter]
kind = "manual"
"""
SUITE = """\
import pytest
pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

@pytest.mark.vgi_case("TC_T_01", requires=("Core",))
def test_core():
    pass

@pytest.mark.vgi_case("TC_T_02", requires=("RemoteTrigger",))
def test_trigger():
    pass
"""


def _bad(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD
    p = tmp_path / "dut.toml"
    p.write_text(GOOD.replace(old, new), encoding="utf-8")
    return p


def _error(path: Path) -> str:
    with pytest.raises(HarnessError) as info:
        Profile.load(path)
    return str(info.value)


def test_the_good_profile_loads(tmp_path: Path) -> None:
    p = tmp_path / "dut.toml"
    p.write_text(GOOD, encoding="utf-8")
    assert Profile.load(p).supports("RemoteTrigger")


@pytest.mark.parametrize("old, new, words", [
    ("RemoteTrigger = true", "RemoteTriger = true", ["[pics]", "RemoteTriger", "did you mean 'RemoteTrigger'"]),
    ("Reservation = false", "Resrvation = true", ["[pics]", "Resrvation", "did you mean 'Reservation'"]),
    ('name = "Tiny"', 'name = "Tiny"\nvendr = "ACME"', ["[dut]", "vendr", "did you mean 'vendor'"]),
    # a PIXIT key put in [dut] was silently ignored (reference-station-201 did it with security_profile)
    ('name = "Tiny"', 'name = "Tiny"\nsecurity_profile = 2', ["[dut]", "security_profile", "unknown key"]),
    ("[adapter]", "[adaptr]\n[adapter]", ["[adaptr]", "unknown section", "did you mean 'adapter'"]),
    ('kind = "manual"', 'kind = "manual"\ntimeuot = 3', ["[adapter]", "timeuot", "did you mean 'timeout'"]),
    ('protocol = "ocpp"', 'protocol = "ocp"', ["protocol", "'ocp'", "did you mean 'ocpp'"]),
    ('version = "1.6"', 'version = "1.5"', ["version", "'1.5'", "1.6", "2.0.1"]),
    ("heartbeat_interval = 60", 'heartbeat_interval = "fast"', ["heartbeat_interval", "'fast'", "a number"]),
    ('kind = "manual"', 'kind = "simulatd"', ["kind", "'simulatd'", "did you mean 'simulated'"]),
    ("tolerance = 0.5", 'tolerance = "half"', ["[budgets.ocpp]", "tolerance", "'half'", "a number"]),
    ("tolerance = 0.5", "tolernce = 0.5", ["[budgets.ocpp]", "tolernce", "did you mean 'tolerance'"]),
])
def test_a_wrong_profile_is_one_line_naming_file_and_key(tmp_path: Path, old: str, new: str,
                                                          words: list[str]) -> None:
    msg = _error(_bad(tmp_path, old, new))
    assert len(msg.splitlines()) == 1, msg
    assert str(tmp_path / "dut.toml") in msg, msg
    for word in words:
        assert word in msg, (word, msg)


def _repo_profiles() -> list[Path]:
    out = []
    for path in sorted(ROOT.glob("**/*.toml")):
        if ".venv" in path.parts or "node_modules" in path.parts or "newprotocol" in path.parts:
            continue  # newprotocol: a toy protocol's profile, valid once its package is loaded (test_new_protocol)
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        if "dut" in doc or "pics" in doc:
            out.append(path)
    return out


def test_the_scan_finds_the_profiles() -> None:
    found = {p.relative_to(ROOT).parts[0] for p in _repo_profiles()}
    assert {"profiles", "tests"} <= found and len(_repo_profiles()) >= 30


@pytest.mark.parametrize("path", _repo_profiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_profile_in_the_repository_is_valid(path: Path) -> None:
    Profile.load(path)


def _pytest(tmp_path: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(SUITE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                           f"--vgi-profile={profile}", f"--vgi-reports={tmp_path / 'reports'}", *args,
                           str(tmp_path / "test_tiny.py")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)


def test_pytest_stops_on_a_pics_typo_with_a_usage_error(tmp_path: Path) -> None:
    res = _pytest(tmp_path, _bad(tmp_path, "RemoteTrigger = true", "RemoteTriger = true"))
    assert res.returncode == 4, res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if "RemoteTriger" in ln]
    assert len(lines) == 1 and "did you mean 'RemoteTrigger'" in lines[0], res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_pytest_stops_on_a_wrong_budget_without_internal_error(tmp_path: Path) -> None:
    res = _pytest(tmp_path, _bad(tmp_path, "tolerance = 0.5", 'tolerance = "half"'))
    assert res.returncode == 4, res.stdout + res.stderr
    assert "INTERNALERROR" not in res.stdout + res.stderr and "Traceback" not in res.stdout + res.stderr
    assert "tolerance" in res.stderr


def test_a_port_in_use_is_one_line_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "dut.toml"
    p.write_text(GOOD, encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = _pytest(tmp_path, p, "--vgi-host=127.0.0.1", f"--vgi-port={port}")
    out = res.stdout + res.stderr
    assert res.returncode == 4, out
    assert [ln for ln in out.splitlines() if f"127.0.0.1:{port}" in ln], out
    assert "Traceback" not in out and len(out.splitlines()) < 5, out


def test_an_unwritable_reports_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "dut.toml"
    p.write_text(GOOD, encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    reports = tmp_path / "a-file" / "reports"  # cannot be made, not even by root
    res = _pytest(tmp_path, p, f"--vgi-reports={reports}")
    out = res.stdout + res.stderr
    assert res.returncode == 4, out
    assert [ln for ln in out.splitlines() if str(reports) in ln and "cannot be written" in ln], out
    assert "Traceback" not in out, out


def test_profile_check_rejects_the_profile_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _bad(tmp_path, 'protocol = "ocpp"', 'protocol = "ocp"')
    assert cli.main(["profile", "check", str(p)]) == 2
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and "'ocp'" in out and "did you mean 'ocpp'" in out, out


def test_profile_check_names_a_pics_typo(tmp_path: Path) -> None:
    import io
    out = io.StringIO()
    assert check(str(_bad(tmp_path, "RemoteTrigger = true", "RemoteTriger = true")), out=out) == 2
    assert "RemoteTriger" in out.getvalue()


def test_vgitest_run_rejects_the_profile_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _bad(tmp_path, "heartbeat_interval = 60", 'heartbeat_interval = "fast"')
    rc = cli.main(["run", "--reports", str(tmp_path / "r"), "--profile", str(p), "--suite",
                   str(tmp_path / "nosuchsuite")])
    captured = capsys.readouterr()
    assert rc != 0, captured.out
    assert "heartbeat_interval" in captured.err and "===" not in captured.out, (captured.out, captured.err)


def test_every_pics_feature_the_suites_read_is_known() -> None:
    # docs/pics.md is generated from the suites' markers (tests/test_docs.py keeps it current): a feature a case
    # needs must be one a profile may declare
    import re

    from vgitest.picsdocs import PROTOCOL, SUITE_TITLES, supports_calls
    from vgitest.profilevalidate import known_pics
    heads = {f"## {t} (`suites/{s}`)": s for s, t in SUITE_TITLES.items()}
    suite, seen = None, 0
    for line in (ROOT / "docs" / "pics.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            suite = heads.get(line)
        m = re.match(r"\| `([^`]+)` \|", line)
        if m and suite:
            seen += 1
            assert m.group(1) in known_pics(PROTOCOL[suite]), (suite, m.group(1))
    assert seen > 40
    every = set().union(*(known_pics(p) for p in set(PROTOCOL.values())))
    assert set(supports_calls()) <= every


PROTOCOL_VERSIONS = {"ocpp": "1.6", "openadr": "2.0b", "sep2": "2018", "iso15118": "iso-2", "slac": "15118-3"}


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_VERSIONS))
def test_a_misspelt_pics_feature_is_refused_naming_the_nearest_for_every_protocol(tmp_path: Path,
                                                                                   protocol: str) -> None:
    from vgitest.picsdocs import MEANINGS
    known = sorted(f for p, f in MEANINGS if p == protocol)
    feature = max(known, key=len)
    typo = feature[:-2] + feature[-1]  # one letter dropped
    assert typo not in known
    path = tmp_path / "dut.toml"
    path.write_text(f'[dut]\nprotocol = "{protocol}"\nversion = "{PROTOCOL_VERSIONS[protocol]}"\n[pics]\n'
                    f'{typo} = true\n[adapter]\nkind = "manual"\n', encoding="utf-8")
    msg = _error(path)
    assert msg.startswith(f"{path}:5: [pics] {typo}"), msg
    assert f"did you mean '{feature}'" in msg, msg

"""A new protocol is a new package and nothing else (issue 14): a toy line-echo protocol that lives only in
tests/newprotocol (its package with its PICS feature and PIXIT key, its suite and its profile) runs end to end
through profile validation, the plugin, the run, the evidence writer and results.json, with no line of vgitest/
naming it. `toyboot` puts the package beside vgitest's own (vgitest.toyecho), the way a protocol package in
vgitest/ is found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.suite_process import UNUSED_PLUGINS

HERE = Path(__file__).parent / "newprotocol"
ROOT = Path(__file__).parent.parent


def _pytest(tmp_path: Path, profile: Path, *faults: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "toyboot", *UNUSED_PLUGINS, "-p", "no:cacheprovider",
           str(HERE / "toy" / "suite_toy.py"), "--vgi-profile", str(profile), "--vgi-reports",
           str(tmp_path / "reports"), "--rootdir", str(HERE), *[a for f in faults for a in ("--vgi-fault", f)]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    return subprocess.run(cmd, cwd=HERE, env=env, capture_output=True, text=True, timeout=120)


def _run(tmp_path: Path, *faults: str) -> dict:
    proc = _pytest(tmp_path, HERE / "toy.toml", *faults)
    path = tmp_path / "reports" / "toy" / "results.json"
    assert path.is_file(), proc.stdout + proc.stderr
    assert "PixitWarning" not in proc.stdout + proc.stderr  # its PIXIT key is known: declared by its package
    return json.loads(path.read_text())


def test_a_protocol_package_alone_runs_a_suite_and_is_judged(tmp_path: Path) -> None:
    (result,) = _run(tmp_path)["results"]
    assert result["verdict"] == "PASS", result
    evidence = result["evidence"]
    assert Path(evidence["frames"]).is_file() and "FAKE-ECHO" in Path(evidence["sequence"]).read_text()


def test_the_packages_after_test_check_fails_its_fault(tmp_path: Path) -> None:
    (result,) = _run(tmp_path, "lowercase")["results"]
    assert result["verdict"] == "FAIL" and [f["rule"] for f in result["findings"]] == ["TOY-UPPER"], result


def test_the_packages_own_pixit_key_misspelt_is_refused_naming_it(tmp_path: Path) -> None:
    profile = tmp_path / "toy.toml"
    profile.write_text((HERE / "toy.toml").read_text().replace("hello_wait", "helo_wait"))
    proc = _pytest(tmp_path, profile)
    assert proc.returncode == 4 and "did you mean 'hello_wait'" in proc.stdout + proc.stderr, proc.stderr


@pytest.mark.parametrize("path", ["vgitest/plugin.py", "vgitest/run.py", "vgitest/casejudge.py",
                                  "vgitest/fixturekit.py", "vgitest/peer.py", "vgitest/evidence/bundle.py"])
def test_the_core_names_no_protocol(path: str) -> None:
    """The plugin, the run and the evidence bundle import no protocol package and name none."""
    import re
    text = (ROOT / path).read_text(encoding="utf-8")
    names = ("ocpp", "openadr", "sep2", "iso15118", "slac", "csms", "vtn", "secc", "evcc")
    found = [n for n in names if re.search(rf"\b{n}\b", text, re.IGNORECASE)]
    assert not found, f"{path} names {found}"

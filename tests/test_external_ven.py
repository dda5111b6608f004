"""A VEN that runs outside the harness, driven through the `command` adapter.

`vgitest ven` runs the reference VEN as a separate program with an HTTP test hook, like a vendor's VEN with
its own test interface; the profile maps every DUT action to a `curl` call. The OpenADR 2.0b suite must give
the same verdicts as with the in-process simulated adapter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_external_station import free_port, run_suite, wait_for_hook

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("curl") is None, reason="the example profile's commands use curl")
def test_external_ven_through_command_adapter(tmp_path: Path) -> None:
    vtn_port, hook_port = free_port(), free_port()
    prof = tmp_path / "external.toml"
    prof.write_text((ROOT / "profiles/external-ven-20b.toml").read_text().replace("8766", str(hook_port)))
    ven = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "ven", "--vtn-url",
                            f"http://127.0.0.1:{vtn_port}/OpenADR2/Simple/2.0b", "--name", "vgitest-ext-ven",
                            "--hook-port", str(hook_port)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(ven, hook_port)
        verdicts = run_suite(tmp_path, "suites/openadr20b", prof, vtn_port)
        assert sum(v == "PASS" for v in verdicts.values()) >= 25, verdicts
    finally:
        ven.terminate()
        ven.wait(10)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the example profile's commands use curl")
def test_external_push_ven(tmp_path: Path) -> None:
    """The same program as a push VEN: it serves its own endpoint, and the fake VTN POSTs to the address it
    registered; only the PICS of the profile change."""
    vtn_port, hook_port = free_port(), free_port()
    prof = tmp_path / "external-push.toml"
    text = (ROOT / "profiles/external-ven-20b.toml").read_text().replace("8766", str(hook_port))
    prof.write_text(text.replace("HttpPull = true", "HttpPull = false").replace("HttpPush = false", "HttpPush = true"))
    ven = subprocess.Popen([sys.executable, "-m", "vgitest.cli", "ven", "--vtn-url",
                            f"http://127.0.0.1:{vtn_port}/OpenADR2/Simple/2.0b", "--name", "vgitest-ext-ven",
                            "--hook-port", str(hook_port), "--param", "exchange_model=push"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_hook(ven, hook_port)
        verdicts = run_suite(tmp_path, "suites/openadr20b", prof, vtn_port)
        push = {k: v for k, v in verdicts.items() if k.split("_")[1][:2] in ("N0", "E0", "R0", "P0")}
        assert len(push) == 17 and set(push.values()) == {"PASS"}, verdicts
    finally:
        ven.terminate()
        ven.wait(10)

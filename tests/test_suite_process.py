"""The pytest processes that run a suite start fast: the fault matrix starts over 500 of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.suite_process import UNUSED_PLUGINS

ROOT = Path(__file__).resolve().parent.parent


def test_a_suite_process_imports_hypothesis_only_for_a_fuzz_case() -> None:
    """Collecting the OCPP suites with their fuzz cases (and setting up the run, which reads the fuzz profile)
    imports no hypothesis: it costs a tenth of a second or more of CPU per process, which only a fuzz case
    that runs needs."""
    cmd = [sys.executable, "-X", "importtime", "-m", "pytest", "suites/ocpp16", "suites/ocpp16_fuzz",
           "suites/ocpp201_fuzz", "--collect-only", "-q", "-p", "no:cacheprovider", *UNUSED_PLUGINS,
           "--vgi-profile=reference-station-16"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "collected" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    imported = [line for line in proc.stderr.splitlines() if line.rstrip().endswith(("| hypothesis", " hypothesis"))]
    assert imported == [], "hypothesis was imported by a suite process that ran no fuzz case"

"""The pytest processes that run a suite start fast: the fault matrix starts over 500 of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.suite_process import UNUSED_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys, pytest
pytest.main({args!r})
print("HYPOTHESIS", "hypothesis" in sys.modules)
"""


def test_a_suite_process_without_fuzz_cases_does_not_import_hypothesis() -> None:
    """Setting up a run reads the fuzz profile; that must not import hypothesis, which costs a tenth of a second
    of CPU or more per process (more where compiled modules are not kept) and is needed only by fuzz cases."""
    args = ["suites/ocpp16", "--collect-only", "-q", "-p", "no:cacheprovider", *UNUSED_PLUGINS,
            "--vgi-profile=reference-station-16"]
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert "collected" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "HYPOTHESIS False" in proc.stdout, "hypothesis was imported by a suite process that runs no fuzz case"

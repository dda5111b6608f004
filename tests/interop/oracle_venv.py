"""Virtualenvs of their own for oracles that must not be installed into vgitest's environment.

An implementation used as a standing oracle only runs as the device under test, in a process of its own. When it
cannot share vgitest's environment (it is GPL, pins or drags in what vgitest must not depend on, or misbehaves
when imported inside pytest), it gets a virtualenv under ``.oracle-venvs/<name>`` in the checkout, created on first
use with ``pip install <requirement>`` from the package index (so a fresh clone in CI builds it in its first
`make test`; pip's cache makes later builds quick). The virtualenv is rebuilt when the requirement changes.
Concurrent pytest workers wait for one another on a lock file.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".oracle-venvs"
BUILD_TIMEOUT_S = 300  # a bound, not a budget: creating the venv and installing from the index


class OracleVenvError(RuntimeError):
    """The oracle's virtualenv could not be built (no index, a failed install): a harness problem."""


def python_of(name: str, requirement: str) -> Path:
    """The interpreter of the virtualenv `name` with exactly `requirement` installed; built if needed."""
    folder = VENVS / name
    python = folder / "bin" / "python"
    marker = folder / ".requirement"
    VENVS.mkdir(exist_ok=True)
    with (VENVS / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.is_file() and marker.is_file() and marker.read_text() == requirement:
            return python
        shutil.rmtree(folder, ignore_errors=True)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        for cmd in ([sys.executable, "-m", "venv", str(folder)],
                    [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement]):
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=env)
            except subprocess.TimeoutExpired:
                raise OracleVenvError(f"{' '.join(cmd)} did not finish within {BUILD_TIMEOUT_S} s") from None
            if proc.returncode != 0:
                raise OracleVenvError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        marker.write_text(requirement)
        return python

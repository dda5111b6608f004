"""The fork server the fault matrix runs its rows from (tests/forkserver.py): each run is its own process as far
as the next run can tell, reports its exit code and output, and one that overruns is killed without taking the
server down."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.forkserver import ForkServer

CASES = '''
import time
import vgitest.run as run

def test_leaves_a_mark():
    assert not hasattr(run, "_left_by_an_earlier_run")
    run._left_by_an_earlier_run = True

def test_fails():
    assert 1 == 2

def test_overruns():
    time.sleep(60)
'''


def test_runs_are_separate_report_their_code_and_an_overrun_is_killed(tmp_path: Path) -> None:
    (tmp_path / "test_cases.py").write_text(CASES)
    server = ForkServer()
    try:
        args = ["test_cases.py", "-q", "-p", "no:cacheprovider", "-k"]
        for _ in range(2):  # the second child does not see what the first changed in a module the server imported
            done = server.run([*args, "leaves_a_mark"], tmp_path, 60)
            assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
        failed = server.run([*args, "fails"], tmp_path, 60)
        assert failed.returncode == 1 and "1 failed" in failed.stdout
        with pytest.raises(subprocess.TimeoutExpired):
            server.run([*args, "overruns"], tmp_path, 3)
        assert server.run([*args, "leaves_a_mark"], tmp_path, 60).returncode == 0
    finally:
        server.close()
    assert not server.workdir.exists()

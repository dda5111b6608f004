"""The ``vgitest`` command: behaviour that spans subcommands."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from vgitest.cli import main


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="POSIX only")
def test_main_leaves_sigpipe_alone(capsys: pytest.CaptureFixture[str]) -> None:
    # A default SIGPIPE handler kills the process on the next write to a socket the peer closed; that took down
    # a test worker (and would take down `vgitest station`) once `main()` had run in the same process.
    before = signal.getsignal(signal.SIGPIPE)
    assert main(["rules"]) == 0
    assert "OCPPJ-" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGPIPE) == before


def test_console_ends_quietly_when_the_reader_goes_away() -> None:
    # The listing is longer than any pipe buffer, so the writer meets the closed pipe for certain.
    code = ("import vgitest.cli as c\n"
            "def long_listing(argv=None):\n"
            "    for i in range(200000): print('rule', i)\n"
            "    return 0\n"
            "c.main = long_listing\n"
            "raise SystemExit(c.console_main())\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `vgitest rules | head -1`
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 1


def test_a_reference_run_may_run_some_cases_only(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    # csip-sub runs the subscription cases only: the rest of the suite is written around a short pollRate
    import vgitest.cli as cli

    calls: list[list[str]] = []
    monkeypatch.setattr(cli.ChildRunner, "run", lambda self, cmd: calls.append(cmd) or 0)
    assert main(["run", "--reports", str(tmp_path), "--only", "csip-sub", "--only", "csip"]) == 0
    by_run = {next(a for a in cmd if a.startswith("--vgi-run-name=")): cmd for cmd in calls}
    sub, plain = by_run["--vgi-run-name=csip-sub"], by_run["--vgi-run-name=csip"]
    assert "--vgi-profile=reference-der-client-csip-sub" in sub
    assert sub[sub.index("-k") + 1] == "CORE_018 or CORE_019 or ERR_002" and "-k" not in plain

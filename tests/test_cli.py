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

    def run_many(self, children, parallel, started, ended):  # type: ignore[no-untyped-def]
        for i, child in enumerate(children):
            calls.append(child.cmd)
            started(i, child)
            ended(i, child, 0)
    monkeypatch.setattr(cli.ChildRunner, "run_many", run_many)
    assert main(["run", "-j", "1", "--reports", str(tmp_path), "--only", "csip-sub", "--only", "csip"]) == 0
    by_run = {next(a for a in cmd if a.startswith("--vgi-run-name=")): cmd for cmd in calls}
    sub, plain = by_run["--vgi-run-name=csip-sub"], by_run["--vgi-run-name=csip"]
    assert "--vgi-profile=reference-der-client-csip-sub" in sub
    assert sub[sub.index("-k") + 1] == "CORE_018 or CORE_019 or ERR_001 or ERR_002" and "-k" not in plain
    assert (tmp_path / "table5.md").is_file()  # the built-in runs end with the Table 5 comparison


def test_with_jobs_the_long_reference_runs_are_sharded(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import vgitest.cli as cli

    calls: list[list[str]] = []

    def run_many(self, children, parallel, started, ended):  # type: ignore[no-untyped-def]
        assert parallel == 4
        for i, child in enumerate(children):
            calls.append(child.cmd)
            assert child.log is not None and child.log.name == "console.log"  # side by side: output to files
            started(i, child)
            ended(i, child, 0)
    monkeypatch.setattr(cli.ChildRunner, "run_many", run_many)
    assert main(["run", "-j", "4", "--reports", str(tmp_path), "--only", "csip", "--only", "ocpp16"]) == 0
    shards = sorted(a for c in calls if "--vgi-run-name=csip" in c for a in c if a.startswith("--vgi-shard="))
    n = next(r.shards for r in cli.reference_runs() if r.name == "csip")
    assert n > 1 and shards == [f"--vgi-shard={k}/{n}" for k in range(1, n + 1)]
    assert "--vgi-shard=1/3" in calls[0] and "--vgi-run-name=ocpp16" in calls[-1]  # longest first

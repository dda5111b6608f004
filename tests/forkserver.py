"""Suite processes forked from a warm parent: the fault matrix starts over 900 pytest processes on CI's two cores,
and half of each one's CPU (0.4 of 0.9 s, measured) went to importing pytest, the harness and its libraries again.
A fork server imports them once per xdist worker; each run is a child forked from it, running ``pytest.main`` with
its own working folder, output files and process group, so it is as separate from the next run as a new process
(nothing it changes reaches the server). The server starts no thread before it forks.

The modules imported here are not assertion-rewritten in the children (they were imported before pytest started);
the harness never judges with a bare assert, and the children are told to ignore pytest's warning about it."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# What every suite process imports anyway (measured with -X importtime on a fault-matrix row).
WARM = ("pytest", "_pytest.python", "_pytest.fixtures", "xdist", "allure_commons", "cryptography.x509",
        "cryptography.hazmat.primitives.asymmetric.ec", "websockets.asyncio.server", "websockets.asyncio.client",
        "aiohttp.web", "lxml.etree", "jsonschema", "fastjsonschema", "vgitest.plugin", "vgitest.run",
        "vgitest.ocpp.peer", "vgitest.ocpp.csms", "vgitest.ocpp.station.v16", "vgitest.ocpp.station.v201",
        "vgitest.ocpp.station.v21", "vgitest.openadr.peer", "vgitest.openadr.ven.reference", "vgitest.sep2.peer",
        "vgitest.sep2.client.reference", "vgitest.iso15118.peer", "vgitest.slac.peer", "vgitest.iec61850.peer")
NO_REWRITE_WARNING = ("-W", "ignore::pytest.PytestAssertRewriteWarning")

_SERVER = r"""
import importlib, json, os, sys, traceback
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # an optional library: the child imports what it needs itself
import pytest
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.setpgid(0, 0)
            os.chdir(req["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.argv = ["pytest", *req["args"]]
            code = int(pytest.main(req["args"]))
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


@dataclass
class Completed:
    """What subprocess.run would have returned (text mode)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


class ForkServer:
    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="vgi-fork-"))  # the children's output, read and removed
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVER, json.dumps(WARM)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.runs = 0
        if self._line(120).get("ready") is not True:
            raise RuntimeError("the fork server did not start")

    def _line(self, timeout: float) -> dict:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, timeout))
        if not ready:
            raise subprocess.TimeoutExpired("fork server", timeout)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server ended (exit {self.proc.poll()})")
        return json.loads(line)

    def run(self, args: list[str], cwd: Path, timeout: float) -> Completed:
        """Run ``pytest args`` in a child forked from the server; kill its process group after `timeout` s."""
        assert self.proc.stdin is not None
        self.runs += 1
        out, err = self.workdir / f"run{self.runs}.out", self.workdir / f"run{self.runs}.err"
        self.proc.stdin.write(json.dumps({"args": [*args, *NO_REWRITE_WARNING], "cwd": str(cwd), "out": str(out),
                                          "err": str(err)}) + "\n")
        self.proc.stdin.flush()
        pid = int(self._line(30)["pid"])
        deadline = time.monotonic() + timeout
        try:
            code = int(self._line(deadline - time.monotonic())["code"])
        except subprocess.TimeoutExpired:
            os.killpg(pid, signal.SIGKILL)
            self._line(30)
            raise subprocess.TimeoutExpired(["pytest", *args], timeout) from None
        done = Completed(["pytest", *args], code, out.read_text(errors="replace"), err.read_text(errors="replace"))
        out.unlink()
        err.unlink()
        return done

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for leftover in self.workdir.glob("run*"):
            leftover.unlink()
        self.workdir.rmdir()


_server: ForkServer | None = None


def run_pytest(args: list[str], cwd: Path, timeout: float) -> Completed:
    """``python -m pytest args`` in `cwd`, from this process's fork server (started on first use)."""
    global _server
    if _server is None or _server.proc.poll() is not None:
        _server = ForkServer()
        atexit.register(_server.close)
    return _server.run(args, cwd, timeout)

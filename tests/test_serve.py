"""`vgitest serve <peer>` with a client in another process: the peer prints its URL, shows each frame, and on
SIGTERM writes the trace, the findings and a pcapng, then exits 0. Loopback only; every wait is bounded."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class Proc:
    """A subprocess whose output lines are read in the background."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.p = subprocess.Popen([sys.executable, "-m", "vgitest.cli", *args], cwd=cwd, env=ENV, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, words: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if words in line:
                return line
        pytest.fail(f"no line with {words!r} within {timeout} s:\n" + "\n".join(self.seen))

    def stop(self) -> int:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        if p.p.poll() is None:
            p.p.kill()
            p.p.wait()


def _serve(procs: list[Proc], tmp_path: Path, peer: str) -> tuple[Proc, str]:
    serve = Proc(["serve", peer, "--reports", str(tmp_path / "reports")], tmp_path)
    procs.append(serve)
    line = serve.wait_line("listening on")
    return serve, line.split("listening on ")[1].split()[0]


def _evidence(serve: Proc, tmp_path: Path, peer: str) -> tuple[list[dict], list[dict]]:
    assert serve.stop() == 0, "\n".join(serve.seen)
    serve.wait_line(f"vgitest serve {peer}: stopped")
    run_dir = tmp_path / "reports" / f"serve-{peer}"
    frames = [json.loads(line) for line in (run_dir / "frames.jsonl").read_text().splitlines()]
    findings = json.loads((run_dir / "findings.json").read_text())
    assert (run_dir / "capture.pcapng").stat().st_size > 0
    return frames, findings


def test_serve_csms_with_an_external_station(tmp_path: Path, procs: list[Proc]) -> None:
    serve, url = _serve(procs, tmp_path, "csms")
    assert url.startswith("ws://127.0.0.1:") and url.endswith("/ocpp")
    procs.append(Proc(["station", "--csms-url", url, "--identity", "EXT-1", "--hook-port", str(free_port())],
                      tmp_path))
    serve.wait_line("CALL BootNotification")
    serve.wait_line("CALLRESULT BootNotification")
    frames, findings = _evidence(serve, tmp_path, "csms")
    assert any(f.get("name") == "BootNotification" and f.get("kind") == "CALL" for f in frames)
    assert findings == [], findings  # the reference station speaks correct OCPP


def test_serve_vtn_with_an_external_ven(tmp_path: Path, procs: list[Proc]) -> None:
    serve, url = _serve(procs, tmp_path, "vtn")
    assert url.startswith("http://127.0.0.1:")
    procs.append(Proc(["ven", "--vtn-url", url, "--hook-port", str(free_port())], tmp_path))
    serve.wait_line("oadrCreatePartyRegistration")
    serve.wait_line("oadrPoll", timeout=40)
    frames, findings = _evidence(serve, tmp_path, "vtn")
    assert any(f.get("name") == "oadrCreatePartyRegistration" for f in frames)


def test_serve_sep2_with_an_external_client(tmp_path: Path, procs: list[Proc]) -> None:
    serve, url = _serve(procs, tmp_path, "sep2")
    assert url.startswith("http://127.0.0.1:") and url.endswith("/dcap")
    client = subprocess.run([sys.executable, "-c", "import sys, urllib.request; "
                             "print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())", url],
                            capture_output=True, text=True, timeout=30)
    assert "DeviceCapability" in client.stdout, client.stdout + client.stderr
    serve.wait_line("GET")
    frames, findings = _evidence(serve, tmp_path, "sep2")
    assert any("dcap" in str(f.get("name")) or "DeviceCapability" in json.dumps(f) for f in frames)


def test_a_profile_of_another_protocol_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "vgitest.cli", "serve", "vtn", "--profile", "reference-station-16",
                          "--reports", str(tmp_path)], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        "vgitest serve: profile reference-station-16: its DUT speaks ocpp; the fake vtn serves openadr"]


def _device(procs: list[Proc], tmp_path: Path, profile: str, url: str) -> tuple[Proc, str]:
    """A reference V2G device in its own process (`vgitest device`); its first line: its hook, where it listens."""
    dev = Proc(["device", profile, "--peer-url", url, "--hook-port", str(free_port())], tmp_path)
    procs.append(dev)
    return dev, dev.wait_line("test hook on", timeout=60)


def test_serve_secc_with_an_external_ev(tmp_path: Path, procs: list[Proc]) -> None:
    serve = Proc(["serve", "secc", "--profile", "reference-ev-iso2", "--reports", str(tmp_path / "reports")],
                 tmp_path)
    procs.append(serve)
    url = serve.wait_line("listening on", timeout=60).split("listening on ")[1].split()[0]
    assert url.startswith("sdp://[::1]:")
    _, line = _device(procs, tmp_path, "reference-ev-iso2", url)
    hook = line.split("test hook on ")[1].replace("<name>", "plug_in")
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(hook, method="POST"), timeout=10).read()
    serve.wait_line("REQUEST SessionSetupReq")
    serve.wait_line("RESPONSE SessionStopRes", timeout=60)
    frames, findings = _evidence(serve, tmp_path, "secc")
    assert any(f.get("name") == "SessionSetupReq" for f in frames)
    assert findings == [], findings  # the reference EV speaks correct ISO 15118-2


def test_serve_evcc_with_an_external_evse(tmp_path: Path, procs: list[Proc]) -> None:
    _, line = _device(procs, tmp_path, "reference-evse-iso2", "none")
    port = line.split("SDP port ")[1].split(";")[0]
    serve = Proc(["serve", "evcc", "--profile", "reference-evse-iso2", "--param", f"sdp_port={port}", "--reports",
                  str(tmp_path / "reports")], tmp_path)
    procs.append(serve)
    assert serve.wait_line("talking to", timeout=60).split("talking to ")[1].startswith(f"sdp://[::1]:{port}")
    serve.wait_line("session completed: iso-2", timeout=60)
    frames, findings = _evidence(serve, tmp_path, "evcc")
    assert any(f.get("name") == "SessionSetupRes" for f in frames)
    assert findings == [], findings  # the reference EVSE speaks correct ISO 15118-2

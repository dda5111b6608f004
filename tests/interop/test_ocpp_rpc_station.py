"""The ocpp-rpc interop station (tests/interop/ocpp_rpc_station, Node.js) under suites/ocpp16 and suites/ocpp201,
and under their fuzz suites (suites/ocpp16_fuzz, suites/ocpp201_fuzz).

The station is a second independent OCPP-J implementation: neither vgitest's code nor the `ocpp` library, but
the ocpp-rpc stack (MIT) with behaviour written here from the OCPP specifications. It runs as its own process
with an HTTP test hook and is driven through the `command` adapter with curl, exactly as a vendor's station;
its profiles (tests/interop/profiles/ocpp-rpc-station-*.toml) were written from the README and docs alone.
Every verdict is compared with the reviewed table tests/interop/expected/ocpp-rpc-station-<16|201>.toml: the
CI slice by default, everything with --oracle-full."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.interop.oracle import ROOT, Table, compare, full_run, run_suite
from tests.ports import free_port

STATION = ROOT / "tests/interop/ocpp_rpc_station"
PROFILES = ROOT / "tests/interop/profiles"

# version -> (table, suite, profile, its hook port, identity, password, station parameters)
RUNS = {
    "1.6": ("ocpp-rpc-station-16", "suites/ocpp16", "ocpp-rpc-station-16.toml", 8781, "RPC-16",
            "ocpp-rpc-16-basic-auth", {"heartbeat_interval": 2, "meter_sample_interval": 1, "connection_timeout": 4}),
    "2.0.1": ("ocpp-rpc-station-201", "suites/ocpp201", "ocpp-rpc-station-201.toml", 8782, "RPC-201",
              "ocpp-rpc-201-basic-auth", {"heartbeat_interval": 2, "meter_interval": 1, "ev_connection_timeout": 10}),
}


# The fuzz suites (issue 15) against the same station process: (table, suite) per version
FUZZ = {"1.6": ("ocpp-rpc-station-16-fuzz", "suites/ocpp16_fuzz"),
        "2.0.1": ("ocpp-rpc-station-201-fuzz", "suites/ocpp201_fuzz")}


def missing() -> str | None:
    """Why the station cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not on the PATH"
    if not (STATION / "node_modules/ocpp-rpc").is_dir():
        return "the station's packages are not installed (make setup runs npm ci)"
    if shutil.which("curl") is None:
        return "the station's profiles drive it with curl"
    return None


class RpcStation:
    """The station process: started with free ports, its profile rewritten to its hook port."""

    def __init__(self, version: str, tmp: Path) -> None:
        _, _, profile, hook, identity, password, params = RUNS[version]
        self.csms_port, self.hook_port = free_port(), free_port()
        self.profile = tmp / profile
        self.profile.write_text((PROFILES / profile).read_text().replace(f"127.0.0.1:{hook}",
                                                                         f"127.0.0.1:{self.hook_port}"))
        self.log = tmp / "station.log"
        cmd = ["node", str(STATION / "station.js"), "--version", version,
               "--csms-url", f"ws://127.0.0.1:{self.csms_port}/ocpp", "--identity", identity,
               "--password", password, "--hook-port", str(self.hook_port), "--log", str(self.log)]
        for k, v in params.items():
            cmd += ["--param", f"{k}={v}"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_hook(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.hook_port}/health", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the station exited: {self.proc.stdout.read() if self.proc.stdout else ''}")
                assert time.monotonic() < deadline, "the station's test hook did not come up"
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def rpc_station(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RpcStation]:
    why = missing()
    if why:
        pytest.skip(why)
    station = RpcStation(request.param, tmp_path)
    try:
        station.wait_hook()
        yield station
    finally:
        station.stop()


@pytest.mark.parametrize("rpc_station", list(RUNS), indirect=True, ids=["1.6", "2.0.1"])
def test_suite_verdicts_match_the_reviewed_table(rpc_station: RpcStation, request: pytest.FixtureRequest,
                                                 tmp_path: Path) -> None:
    version = request.node.callspec.params["rpc_station"]
    _check_table(*RUNS[version][:2], rpc_station, tmp_path)


@pytest.mark.parametrize("rpc_station", list(FUZZ), indirect=True, ids=["1.6", "2.0.1"])
def test_fuzz_suite_verdicts_match_the_reviewed_table(rpc_station: RpcStation, request: pytest.FixtureRequest,
                                                      tmp_path: Path) -> None:
    _check_table(*FUZZ[request.node.callspec.params["rpc_station"]], rpc_station, tmp_path)


def _check_table(table_name: str, suite: str, rpc_station: RpcStation, tmp_path: Path) -> None:
    table = Table.load(table_name)
    tests = [e.test for e in table.selected()]
    assert tests, f"{table_name} selects no test"
    results = run_suite(suite, rpc_station.profile, tmp_path / "reports", "rpc", tests,
                        timeout=900 if full_run() else 300, extra=[f"--vgi-port={rpc_station.csms_port}"])
    diffs = compare(table, results, tests)
    assert not diffs, "verdicts differ from the reviewed table " + table_name + ":\n  " + "\n  ".join(diffs)


def test_tables_cover_every_case_of_both_suites() -> None:
    """A new suite case needs a reviewed verdict for this station (collected without running anything)."""
    tables = [(t, s, p) for t, s, p, *_ in RUNS.values()]
    tables += [(t, s, RUNS[v][2]) for v, (t, s) in FUZZ.items()]
    for table_name, suite, profile in tables:
        table = Table.load(table_name)
        proc = subprocess.run([sys.executable, "-m", "pytest", suite, "--collect-only", "-q",
                               f"--vgi-profile={PROFILES / profile}", "-p", "no:cacheprovider"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        collected = {line.rsplit("::", 1)[1] for line in proc.stdout.splitlines() if "::" in line}
        assert collected, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert collected == set(table.cases), (f"{table_name}: not in the table {sorted(collected - set(table.cases))},"
                                               f" no longer in the suite {sorted(set(table.cases) - collected)}")

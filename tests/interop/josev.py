"""Josev as a standing oracle for the ISO 15118 / DIN SPEC 70121 suites: its own virtualenv, a veth link between two
network namespaces, Josev in one of them (the device's), the suite's pytest process in the other (the harness's).

Josev (`iso15118` on PyPI, EcoG-io, Apache-2.0) pins pydantic 1.10 and cryptography 44 and imports `aiofile`
without declaring it, so it lives in a virtualenv of its own, built once into the vgitest cache from the pinned,
hash-checked wheel vgitest already takes the ISO 15118 XSDs from (:mod:`vgitest.upstream`). Its EXI codec runs in
a JVM (Java 17 here). ``tests/interop/josev_hook.py`` runs Josev with a test hook; the profiles in
``tests/interop/profiles/josev-*.toml`` drive it through the ``command`` adapter, as a vendor's bench would.

The harness side of the link has the fixed link-local address ``fe80::2`` (the EV profiles' ``secc_address``);
Josev's side keeps the address the kernel gives it. Nothing here touches an interface outside the namespaces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Iterable

from tests.interop.oracle import run_suite
from vgitest import upstream
from vgitest.slac import netns

HOOK = Path(__file__).resolve().parent / "josev_hook.py"
PROFILES = Path(__file__).resolve().parent / "profiles"
VERSION = upstream.UPSTREAMS["iso15118"].version  # 0.31.2, the wheel whose hash vgitest pins
EXTRA_DEPS = ("aiofile>=3.8,<4",)  # imported by iso15118/evcc/evcc_config.py, not declared by the wheel
PYTHON_ENV = "VGITEST_JOSEV_PYTHON"  # a Python that already has Josev (skips the build)
HARNESS_ADDR = "fe80::2"  # the harness's link-local address on the link (profiles: secc_address)
# Josev encodes and decodes EXI in a JVM over py4j: ~80 ms per message on an idle machine, so a response takes
# 150-260 ms against ISO 15118-2's 2 s limit. On CI's two cores shared with a dozen suite processes it once took
# over 2 s (and the harness judged the lateness correctly). A device under test has a CPU of its own; here it
# shares one, so Josev, its JVM and the harness process that measures it run at a raised priority (we are root
# whenever Josev runs at all: it needs network namespaces). That was not enough on CI (1.9 s, at nice -10 or
# without it: the timings line says which), so `make test` also runs Josev's tests alone, after the other suites.
PRIORITY = ("nice", "-n", "-10")


def cpu_pressure_us() -> int | None:
    """Microseconds, since boot, in which some runnable task waited for a CPU (/proc/pressure/cpu, PSI); the share
    of a run's wall time spent so says how contended the machine was while Josev answered."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None
READY_TIMEOUT_S = 90.0  # Josev's start: Python imports and the JVM (a few seconds; bounded generously for CI load)
DAD_TIMEOUT_S = 10.0


class Unavailable(Exception):
    """Josev cannot run here (no Java, no namespaces, no virtualenv): the test skips with this reason."""


def unavailable_reason() -> str | None:
    if shutil.which("java") is None:
        return "Josev's EXI codec needs a Java runtime (`java` is not on the PATH)"
    ok, why = netns.available()
    if not ok:
        return f"network namespaces unavailable: {why}"
    return None


# --- Josev's virtualenv ---------------------------------------------------------------------------------------------
def josev_python() -> Path:
    """The Python of a virtualenv with Josev: $VGITEST_JOSEV_PYTHON, else one built once in the vgitest cache (a
    file lock keeps parallel workers from building it twice)."""
    given = os.environ.get(PYTHON_ENV)
    if given:
        return Path(given)
    venv = upstream.cache_root() / f"josev-{VERSION}-venv"
    python = venv / "bin" / "python"
    marker = venv / ".complete"
    if marker.is_file():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"josev-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        _build(venv)
        marker.write_text(f"iso15118=={VERSION}\n")
    return python


def _build(venv: Path) -> None:
    def run(*cmd: str | Path) -> None:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise Unavailable(f"building Josev's virtualenv failed: {' '.join(map(str, cmd))}\n"
                              f"{(proc.stdout + proc.stderr)[-2000:]}")
    run(sys.executable, "-m", "venv", venv)
    with tempfile.TemporaryDirectory(prefix="vgitest-josev-") as tmp:
        try:
            wheel, _ = upstream._fetch_wheel(upstream.UPSTREAMS["iso15118"], tmp)  # sha256-checked
        except upstream.UpstreamError as exc:
            raise Unavailable(str(exc)) from None
        run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel,
            *EXTRA_DEPS)


# --- the device and its link ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Device:
    """Josev running with its hook in namespace ``ns``; the harness belongs in ``harness_ns``."""

    role: str
    ns: str
    harness_ns: str
    hook: Path  # the hook's unix socket ($JOSEV_HOOK of the adapter commands)
    log: Path
    proc: subprocess.Popen

    def alive(self) -> bool:
        return self.proc.poll() is None

    def niceness(self) -> int | None:
        """The device process's nice value as the kernel holds it (``nice -n -10`` silently does nothing without
        CAP_SYS_NICE): shown with every slice's timings, so a late answer can be told from a starved device."""
        try:
            return int(Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
        except (OSError, IndexError, ValueError):
            return None

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def run(self, suite: str, profile: str, reports: Path, run_name: str, tests: Iterable[str], *,
            timeout: float, extra: Iterable[str] = (), env: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Run ``tests`` of ``suite`` with ``profile`` (a file in tests/interop/profiles) in a pytest process inside
        the harness's namespace; results.json's results."""
        if not self.alive():
            raise AssertionError(f"Josev ({self.role}) exited with {self.proc.returncode}:\n{self.log_tail()}")
        tests, extra = list(tests), list(extra)
        return netns.run_in_netns(self.harness_ns, lambda: run_suite(
            suite, PROFILES / profile, reports, run_name, tests, timeout=timeout, extra=extra,
            env={**(env or {}), "JOSEV_HOOK": str(self.hook)}, command_prefix=PRIORITY), timeout=timeout + 30)


def josev_env(role: str, ifname: str, pki: Path | None = None) -> dict[str, str]:
    """Josev's own settings (environment variables it reads; see iso15118/secc/secc_settings.py,
    iso15118/evcc/evcc_settings.py, iso15118/shared/settings.py)."""
    env = {"NETWORK_INTERFACE": ifname, "LOG_LEVEL": "INFO", "MESSAGE_LOG_JSON": "True", "MESSAGE_LOG_EXI": "False",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    if pki is not None:
        env["PKI_PATH"] = str(pki) + "/"
    if role == "evse":
        env.update({"PROTOCOLS": "DIN_SPEC_70121,ISO_15118_2,ISO_15118_20_AC,ISO_15118_20_DC",
                    "AUTH_MODES": "EIM" if pki is None else "EIM,PNC", "SECC_ENFORCE_TLS": "False",
                    "FREE_CHARGING_SERVICE": "False", "ALLOW_CERT_INSTALL_SERVICE": "False",
                    "USE_CPO_BACKEND": "False", "STANDBY_ALLOWED": "False"})
    return env


def _link_local(ns: str, ifname: str, timeout: float = DAD_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", ifname], capture_output=True,
                             text=True, timeout=5).stdout
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                if a.get("local", "").startswith("fe80") and not a.get("tentative"):
                    return a["local"]
        time.sleep(0.1)
    raise AssertionError(f"no usable link-local address on {ifname} in {ns} within {timeout} s")


def _ns(ns: str, *cmd: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True, capture_output=True, text=True, timeout=10)


@contextlib.contextmanager
def josev_device(role: str, workdir: Path, *, tls: bool = False, pki: Path | None = None) -> Iterator[Device]:
    """Josev's EV (``role="ev"``) or EVSE (``"evse"``) with its hook, on a veth link between two fresh namespaces;
    stopped and the namespaces deleted on exit."""
    why = unavailable_reason()
    if why:
        raise Unavailable(why)
    python = josev_python()
    workdir.mkdir(parents=True, exist_ok=True)
    sockdir = Path(tempfile.mkdtemp(prefix="josev-"))  # short: a unix socket path has at most 107 bytes
    with netns.NetnsPair("vgijosev") as pair:
        device_ns, harness_ns = pair.a, pair.b
        subprocess.run(["ip", "-n", harness_ns, "addr", "add", f"{HARNESS_ADDR}/64", "dev", pair.ifname, "nodad"],
                       check=True, capture_output=True, text=True, timeout=10)
        # Workaround until the fake SECC chooses its TCP port itself: the SDP-announced port must be a dynamic one
        # (49152-65535, ISO 15118-2 [V2G2-633]); Josev refuses any other. The harness gets its port from the kernel.
        _ns(harness_ns, "sysctl", "-qw", "net.ipv4.ip_local_port_range=49152 65535")
        # Josev talks to its JVM (py4j) over 127.0.0.1: a fresh namespace's loopback is down.
        subprocess.run(["ip", "-n", device_ns, "link", "set", "lo", "up"], check=True, capture_output=True,
                       text=True, timeout=10)
        _link_local(device_ns, pair.ifname)
        log = workdir / f"josev-{role}.log"
        cmd = [*PRIORITY, "ip", "netns", "exec", device_ns, str(python), str(HOOK), "serve", "--role", role,
               "--socket", str(sockdir / "hook.sock")] + (["--tls"] if tls else [])
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, cwd=workdir, env=josev_env(role, pair.ifname, pki), stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        device = Device(role, device_ns, harness_ns, sockdir / "hook.sock", log, proc)
        try:
            _wait_ready(device)
            yield device
        finally:
            _stop(proc)
            shutil.rmtree(sockdir, ignore_errors=True)


def _wait_ready(device: Device) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not device.alive():
            raise AssertionError(f"Josev ({device.role}) exited with {device.proc.returncode} while starting:\n"
                                 f"{device.log_tail()}")
        if "josev_hook ready" in device.log_tail(10 ** 6):
            return
        time.sleep(0.2)
    raise AssertionError(f"Josev ({device.role}) not ready within {READY_TIMEOUT_S:.0f} s:\n{device.log_tail()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # the hook and its JVM (its own process group)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)

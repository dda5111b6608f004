"""Run-level state of a vgitest pytest session: profile, budgets, the fake peer and the DUT adapter.

Kept separate from the pytest plugin so that the plugin stays a thin layer of options, fixtures and hooks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import peer as peers
from .adapters import ActionNotSupported, DutAdapter, from_profile
from .budgets import Budgets
from .findings import Finding, Severity
from .peer import RunPeer
from .profile import Profile
from .verdict import HarnessError

@dataclasses.dataclass
class Settings:
    profile: str | None
    adapter: str | None
    host: str
    port: int
    reports: Path
    run_name: str
    faults: tuple[str, ...]
    strict: bool
    lenient: bool
    schemas: str | None
    tls_cert: str | None
    tls_key: str | None
    tls_ca: str | None
    shard: tuple[int, int] | None = None  # (K, N): this process runs shard K of N (vgitest.shard)
    fuzz_profile: str = "pr"  # vgitest.fuzzing.profiles
    fuzz_seed: int | None = None  # the seed of a non-derandomized fuzz profile (None: a new one per process)
    console: str = "verdicts"  # vgitest.evidence.console: a line per case, or pytest's own output
    wait_line_s: float = 5.0  # a wait this long gets a console line saying what it waits for (0: never)


def _sha256(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


class VgiRun:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.profile = Profile.load(settings.profile) if settings.profile else None
        self.budgets = Budgets.load()
        if self.profile is not None:
            for proto, values in self.profile.budgets.items():
                for name, value in values.items():
                    self.budgets = self.budgets.override(proto, name, value_s=float(value))
        self.run_dir = settings.reports / settings.run_name
        if settings.shard is not None:
            from .shard import dirname
            self.run_dir = self.run_dir / dirname(settings.shard[0])
        self.results: list[dict[str, Any]] = []
        self.peer: RunPeer | None = None  # the fake peer of the DUT's protocol (None until a test needs it)
        self.pki: Any = None  # the test PKI generated for this run, if its peer made one
        self.simulator_params: dict[str, Any] = {}  # extra PIXIT for the reference simulator (e.g. TLS files)
        self.simulator: Any = None
        self.adapter: DutAdapter | None = None
        self.powered_on_at: float | None = None  # when the run switched the DUT on (power_on at the start)
        self.started = time.time()
        # what the evidence bundle ties the run to: the profile's bytes as the run read them, and its command line
        self.provenance: dict[str, Any] = {"command": list(sys.orig_argv), "cwd": os.getcwd(),
                                           "profile_sha256": _sha256(self.profile.path) if self.profile else None}

    def startup_problem(self, *, check_port: bool) -> str | None:
        """What would otherwise fail every test, or the report at the end: a report folder that cannot be written,
        a --vgi-port already taken (`check_port`: not in an xdist worker, whose controller checked it)."""
        if self.profile is None:
            return None
        from .profilevalidate import port_problem, reports_problem
        problem = reports_problem(self.run_dir)
        s = self.settings
        if problem is None and check_port and s.port and peers.kind(self.protocol).listens_on_port:
            problem = port_problem(s.host, s.port)
        return problem

    def require_profile(self) -> Profile:
        if self.profile is None:
            raise HarnessError("no DUT profile: pass --vgi-profile PATH (or the name of a built-in profile: "
                               "`vgitest profiles` lists them), or set vgi_profile in the ini file")
        return self.profile

    @property
    def dut_version(self) -> str:
        return str(self.require_profile().dut.get("version", ""))

    @property
    def identity(self) -> str:
        return str(self.require_profile().dut.get("identity", "VGI-REF-001"))

    @property
    def protocol(self) -> str:
        return self.require_profile().protocol

    @property
    def dut_role(self) -> str:
        """"ev" or "evse" where the protocol has an EV side and a charger side: the side the DUT plays."""
        return str(self.require_profile().dut.get("role", "evse"))

    def ensure_peer(self, protocol: str | None = None) -> RunPeer:
        """The fake peer of the DUT's protocol, started on first use. A test that needs another `protocol`'s peer
        than the profile's DUT speaks is a harness error (the suite's vgi_protocol marker should have made it
        NOT_APPLICABLE)."""
        if protocol is not None and protocol != self.protocol:
            raise HarnessError(f"this test needs the fake peer of {protocol}; the profile's DUT speaks "
                               f"{self.protocol}")
        if self.peer is None:
            self.peer = peers.kind(self.protocol).build(self)
        return self.peer

    def adapter_kind(self) -> str:
        return self.settings.adapter or str(self.require_profile().adapter.get("kind", "simulated"))

    def ensure_dut(self, *, power_on: bool = True) -> DutAdapter:
        """The DUT adapter (made once per run). With `power_on`, a command adapter switches the DUT on first."""
        if self.adapter is not None:
            return self.adapter
        p = self.require_profile()
        kind = self.adapter_kind()
        protocol = p.protocol
        if kind == "simulated":
            target = p.adapter.get("simulator") or peers.kind(protocol).simulators.get(self.dut_version)
            if target is None:
                raise HarnessError(f"no reference simulator for {protocol} {self.dut_version}")
            mod, cls = target.split(":")
            simulator_cls = getattr(importlib.import_module(mod), cls)
            fake = self.ensure_peer()
            try:
                self.simulator = simulator_cls(fake.url, self.identity, password=p.dut.get("password"),
                                               connectors=int(p.pixit.get("connectors", 1)),
                                               faults=self.settings.faults,
                                               params={**p.pixit, **self.simulator_params}).start()
            except ValueError as exc:  # e.g. an unknown fault name
                raise HarnessError(str(exc)) from None
            fake.simulator_started(self.simulator)
        elif self.settings.faults:
            raise HarnessError("--vgi-fault only applies to the simulated adapter (the reference simulators)")
        fake = self.ensure_peer()
        adapter = from_profile(kind, p.adapter, simulator=self.simulator,
                               env={**fake.adapter_env(), "identity": self.identity})
        fake.adapter_ready(adapter)
        if power_on:
            self._power_on_at_start(adapter)
        self.adapter = adapter
        return adapter

    def _power_on_at_start(self, adapter: DutAdapter) -> None:
        """Switch the DUT on once, before the first test needs it, when the command adapter has a `power_on`
        command; the fake peer already listens, so the device can connect as soon as it is up. The simulated
        adapter's reference simulators switch themselves on when they start, and with the manual adapter the
        operator switches the device on before the run. A failing command raises HarnessError (every test that
        needs the DUT ends ERROR); a command that answers "not supported" (exit 77) is taken at its word."""
        if adapter.kind != "command" or not adapter.supports("power_on"):
            return
        try:
            adapter.perform("power_on")
        except ActionNotSupported:
            return
        self.powered_on_at = time.time()

    def write_results(self, running: dict[str, Any] | None = None, interrupted: dict[str, Any] | None = None) -> None:
        """results.json and summary.md of the cases so far (`running`: the case that has begun)."""
        from .evidence.report import write_results
        from .evidence.runbundle import dut_identity
        p = self.profile
        meta = {"profile": str(p.path) if p and p.path else None, "profile_name": p.name if p else "",
                "dut": p.name if p else "", "faults": list(self.settings.faults), "strict": self.settings.strict,
                "started": self.started, "finished": time.time(), **self.provenance,
                "dut_identity": dut_identity({"dut": p.dut}) if p else {}}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_results(self.results, self.run_dir, meta, running=running, interrupted=interrupted)

    def write_allure_environment(self, allure_dir: Path) -> None:
        from .evidence.report import write_environment
        write_environment({**self.require_profile().environment(),
                           "vgitest.faults": ",".join(self.settings.faults) or "none"}, allure_dir,
                          self.settings.run_name)

    def header(self) -> list[str]:
        """The lines pytest prints under its own header: profile, DUT, adapter, reports, faults."""
        s, p = self.settings, self.profile
        lines = [f"vgitest: profile={p.path if p else '-'} dut={p.name if p else '-'} adapter="
                 f"{self.adapter_kind() if p else '-'} reports={self.run_dir}"]
        if s.faults:
            lines.append(f"vgitest: injected faults: {', '.join(s.faults)}")
        if s.strict or s.lenient:
            lines.append(f"vgitest: strict={s.strict} lenient={s.lenient}")
        return lines

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.peer is not None:
            self.peer.stop()
            self.peer = None

    # --- verdict inputs -----------------------------------------------------------------------------------
    @staticmethod
    def dut_findings(findings: list[Finding]) -> list[Finding]:
        """Findings that speak about the DUT (not the harness's own frames)."""
        return [f for f in findings if f.details.get("side") != "harness"]

    def counts(self, findings: list[Finding]) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in findings:
            out[f.severity.value] += 1
        return out

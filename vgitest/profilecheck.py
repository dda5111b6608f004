"""`vgitest profile check PROFILE`: try a DUT profile before a suite does.

It loads the profile (PIXIT warnings, required keys), starts the fake peer the suites would start, runs every
adapter action of the profile once in an order that leaves the device as it found it, and checks what can be
checked cheaply: that the device connects to the fake peer with the profile's identity (OCPP: and password,
and sends BootNotification; OpenADR: the VEN reaches the fake VTN and registers; IEEE 2030.5: the client GETs
/dcap; ISO 15118: the EV starts SDP after plug_in, the EVSE answers SDP), and what each action visibly does.
One line per step: OK, FAILED, NOT SUPPORTED, SKIPPED or WARNING, with the reason. Exit status 1 when a step
the suites need failed.

A destructive action is run only with the action that undoes it (power_off with power_on, fault_connector with
clear_fault, disconnect_network with reconnect_network, cancel_registration with reregister); without it, it is
SKIPPED. Actions whose parameters come from a running scenario get made-up but valid ones (an opt schedule an
hour from now, an event the fake VTN sends for the purpose).
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .actions import REQUIRED
from .adapters import BY_NAME, ActionNotSupported, DutAdapter
from .pixit import missing_required
from .profile import Profile
from .run import Settings, VgiRun
from .verdict import HarnessError, Inconclusive

OK, FAILED, NOT_SUPPORTED, SKIPPED, WARNING = "OK", "FAILED", "NOT SUPPORTED", "SKIPPED", "WARNING"


@dataclasses.dataclass
class Step:
    name: str
    status: str
    reason: str
    required: bool = True  # a FAILED required step fails the check

    @property
    def failed(self) -> bool:
        return self.status == FAILED and self.required

    def line(self) -> str:
        return f"{self.status:<14} {self.name:<20} {self.reason}"


class Check:
    """One profile check: the steps run so far, printed as they happen."""

    def __init__(self, run: VgiRun, profile: Profile, out: TextIO) -> None:
        self.run, self.profile, self.out = run, profile, out
        self.steps: list[Step] = []
        self.dut: DutAdapter | None = None
        self.protocol = profile.protocol
        self.done: set[str] = set()

    def add(self, name: str, status: str, reason: str, required: bool = True) -> Step:
        step = Step(name, status, reason, required)
        self.steps.append(step)
        print(step.line(), file=self.out, flush=True)
        return step

    def wait(self, key: str, default: float) -> float:
        return float(self.profile.param(key, default))

    def needed(self, action: str) -> bool:
        """Whether the suites of this protocol need `action` (docs/adapters.md: required)."""
        from .peer import kind
        suites = tuple(kind(self.protocol).suites)
        return any(need == REQUIRED and set(suites) & set(s) for s, need, _ in BY_NAME[action].uses)

    def supported(self, action: str) -> bool:
        assert self.dut is not None
        return self.dut.supports(action)

    def act(self, action: str, observe: Callable[[int, float], tuple[bool, str]] | None = None, *,
            needed: bool | None = None, **params: Any) -> bool:
        """Run `action` once; then `observe(trace position before, seconds the command took)` says what the
        device did. Returns whether the action ran and did what was expected. `needed` overrides whether the
        suites need it (by default: docs/adapters.md)."""
        assert self.dut is not None
        self.done.add(action)
        label = action + (f"({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
        if not self.dut.supports(action):
            self._not_supported(label, action, self.dut.why_not(action) or "the adapter says so", needed)
            return False
        peer = self.run.peer
        start = len(peer.trace) if peer is not None else 0
        t0 = time.monotonic()
        try:
            self.dut.perform(action, **params)
        except ActionNotSupported as exc:
            self._not_supported(label, action, exc.why, needed)
            return False
        except (HarnessError, Inconclusive) as exc:
            self.add(label, FAILED, one_line(str(exc)))
            return False
        took = time.monotonic() - t0
        if observe is None:
            self.add(label, OK, f"done ({took:.1f} s)")
            return True
        good, what = observe(start, took)
        self.add(label, OK if good else FAILED, f"done ({took:.1f} s); {what}")
        return good

    def _not_supported(self, label: str, action: str, why: str, needed: bool | None = None) -> None:
        if self.needed(action) if needed is None else needed:
            self.add(label, FAILED, f"not supported ({why}); the {self.protocol} suites need it: most cases would be "
                                    "NOT_APPLICABLE")
        else:
            self.add(label, NOT_SUPPORTED, why, required=False)

    def skip(self, action: str, reason: str) -> None:
        """Leave `action` out (it would leave the device in a state nothing here undoes)."""
        self.done.add(action)
        assert self.dut is not None
        if self.dut.supports(action):
            self.add(action, SKIPPED, reason, required=False)
        else:
            self._not_supported(action, action, self.dut.why_not(action) or "the adapter says so")


def one_line(text: str) -> str:
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    return " / ".join(lines[:2])[:300] if lines else "(no message)"


def first_contact(c: Check, reaches: Callable[[int, str], tuple[bool, str]], peer: str) -> bool:
    """Switch the device on (when the adapter can) and check that it reaches the fake `peer`; when it does not
    and can be told to register again (the next step), that is a WARNING, not FAILED. True when powered."""
    powered = c.supported("power_on")
    if powered:
        c.act("power_on")
    good, what = reaches(0, "after power_on" if powered else f"after {peer} started")
    if not good and c.supported("reregister"):
        c.add("reach", WARNING, what + "; trying reregister", required=False)
    else:
        c.add("reach", OK if good else FAILED, what)
    return powered


def off_and_on(c: Check, powered: bool, comes_back: Callable[[int, float], tuple[bool, str]]) -> None:
    if powered:
        c.act("power_off")
        c.act("power_on", comes_back)
    else:
        c.skip("power_off", "it would leave the device off: power_on is not supported")


def plan(protocol: str) -> Callable[[Check], None]:
    """The protocol package's plan (vgitest/<protocol>/checkplan.py: `plan(c)`), or a plan that only switches the
    device on, for a protocol that has none yet."""
    import importlib.util
    if importlib.util.find_spec(f"vgitest.{protocol}.checkplan") is None:
        return _power_on_only
    return importlib.import_module(f"vgitest.{protocol}.checkplan").plan


def _power_on_only(c: Check) -> None:
    if c.supported("power_on"):
        c.act("power_on")
    c.add("reach", WARNING, f"no check of the device reaching the fake peer is written for {c.run.protocol}",
          required=False)


def check(profile_path: str, *, host: str = "127.0.0.1", port: int = 0, adapter: str | None = None,
          tls_cert: str | None = None, tls_key: str | None = None, tls_ca: str | None = None,
          out: TextIO | None = None) -> int:
    """Run the check; prints one line per step and returns the exit status (0 ready, 1 a required step failed,
    2 the profile cannot be used at all)."""
    out = sys.stdout if out is None else out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # printed below, one line each
        try:
            profile = Profile.load(profile_path)
        except HarnessError as exc:
            for line in str(exc).splitlines():  # one line per problem of the profile
                print(f"{FAILED:<14} {'profile':<20} {line}", file=out)
            return 2
    protocol = profile.protocol
    print(f"vgitest profile check: {profile.path} ({profile.name}; {protocol} {profile.dut.get('version', '?')}, "
          f"adapter {adapter or profile.adapter.get('kind', 'simulated')})", file=out, flush=True)
    reports = Path(tempfile.mkdtemp(prefix="vgitest-check-"))
    settings = Settings(profile=str(profile.path), adapter=adapter, host=host, port=port, reports=reports,
                        run_name="check", faults=(), strict=False, lenient=False, schemas=None, tls_cert=tls_cert,
                        tls_key=tls_key, tls_ca=tls_ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = VgiRun(settings)
    c = Check(run, profile, out)
    for w in profile.warnings:
        c.add("pixit", WARNING, w, required=False)
    missing = missing_required(profile.pixit, protocol, str(profile.dut.get("version", "")))
    if missing:
        c.add("pixit", FAILED, "missing required keys: " + ", ".join(k.name for k in missing) + " (docs/pixit.md)")
    elif not profile.warnings:
        c.add("pixit", OK, "every key is known and the required ones are set")
    try:
        try:
            peer = run.ensure_peer()
        except (HarnessError, OSError) as exc:
            c.add("fake peer", FAILED, one_line(str(exc)))
            return _summary(c)
        try:
            c.dut = run.ensure_dut(power_on=False)
        except (HarnessError, ValueError) as exc:
            c.add("adapter", FAILED, one_line(str(exc)))
            return _summary(c)
        c.add("fake peer", OK, f"listening: {peer.dut_url()}")
        plan(protocol)(c)
        for action in getattr(c.dut, "commands", {}):
            if action not in c.done:
                c.add(action, SKIPPED, f"not an action of {protocol} devices (docs/adapters.md)", required=False)
    finally:
        run.stop()
    return _summary(c)


def _summary(c: Check) -> int:
    counts = {s: sum(1 for x in c.steps if x.status == s) for s in (OK, FAILED, NOT_SUPPORTED, SKIPPED, WARNING)}
    failed = any(s.failed for s in c.steps)
    print("result: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + " — "
          + ("fix the FAILED steps before running the suites" if failed else "ready for the suites"), file=c.out)
    return 1 if failed else 0

"""DUT adapters: how the harness asks for something physical (plug in, present a card, power-cycle).

* ``simulated`` drives a reference simulator in-process;
* ``manual`` prompts an operator on the terminal and waits (bounded) for confirmation;
* ``command`` runs the shell commands the profile maps to each action (e.g. an HTTP call to a vendor's
  test hook), with parameters substituted.

Actions are plain names with keyword parameters: ``power_on``, ``power_off``, ``reboot``,
``plug_in(connector)``, ``unplug(connector)``, ``present_token(id_token, connector)``,
``fault_connector(connector)``, ``clear_fault(connector)``, ``disconnect_network``, ``reconnect_network``;
for an OpenADR VEN ``reregister``, ``cancel_registration``, ``request_event``, ``set_event_opt(opt)``,
``opt_in(event_id)``, ``opt_out(event_id)``, ``opt_schedule(start, duration_s, opt)``, ``cancel_opt(opt_id)``;
for an IEEE 2030.5 DER client ``reregister``, ``set_power(w)`` (the EV's demand in W, negative: the EV offers
to discharge), ``alarm``, ``set_grid(v, hz)`` (the voltage and/or frequency its grid simulator applies at the
point of connection).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from typing import Any, Protocol

from .verdict import HarnessError, Inconclusive

ACTIONS = ("power_on", "power_off", "reboot", "plug_in", "unplug", "present_token", "fault_connector",
           "clear_fault", "disconnect_network", "reconnect_network",
           # OpenADR VEN: register from scratch, cancel its registration, ask for events, opt in/out
           "reregister", "cancel_registration", "request_event", "set_event_opt", "opt_in", "opt_out",
           "opt_schedule", "cancel_opt",
           # IEEE 2030.5 DER client: the EV's demand, an alarm, the grid at its point of connection
           "set_power", "alarm", "set_grid")


class DutAdapter(Protocol):
    kind: str

    def perform(self, action: str, **params: Any) -> None: ...

    def supports(self, action: str) -> bool: ...


class SimulatedAdapter:
    """Drives an in-process simulator object that has `perform(action, **params)`."""

    kind = "simulated"

    def __init__(self, target: Any) -> None:
        self.target = target
        self.log: list[tuple[str, dict[str, Any]]] = []

    def supports(self, action: str) -> bool:
        return hasattr(self.target, f"do_{action}")

    def perform(self, action: str, **params: Any) -> None:
        self.log.append((action, params))
        self.target.perform(action, **params)


class ManualAdapter:
    """Asks an operator. Without a terminal (CI) the step cannot happen: the test is INCONCLUSIVE."""

    kind = "manual"

    def __init__(self, timeout: float = 120.0, tty: str = "/dev/tty") -> None:
        self.timeout = timeout
        self.tty = tty

    def supports(self, action: str) -> bool:
        return True

    def perform(self, action: str, **params: Any) -> None:
        what = action.replace("_", " ") + (" " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else "")
        try:
            fd = os.open(self.tty, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            raise Inconclusive(f"manual step '{what}' needs an operator, but there is no terminal") from None
        with os.fdopen(fd, "r+b", buffering=0) as tty:
            tty.write(f"\n[vgitest] OPERATOR: {what} — press Enter when done "
                      f"(timeout {self.timeout:g} s): ".encode())
            deadline = time.monotonic() + self.timeout
            import select
            while time.monotonic() < deadline:
                ready, _, _ = select.select([tty], [], [], min(1.0, deadline - time.monotonic()))
                if ready:
                    tty.readline()
                    return
            raise Inconclusive(f"operator did not confirm '{what}' within {self.timeout:g} s")


class CommandAdapter:
    """Runs the profile's shell command for each action. Parameters fill `{name}` placeholders (shell-quoted)."""

    kind = "command"

    def __init__(self, commands: dict[str, str], timeout: float = 60.0, env: dict[str, str] | None = None) -> None:
        unknown = [a for a in commands if a not in ACTIONS]
        if unknown:
            raise HarnessError(f"adapter commands for unknown actions {unknown}; known actions: {', '.join(ACTIONS)}")
        self.commands = commands
        self.timeout = timeout
        self.env = env or {}
        self.log: list[tuple[str, str, int]] = []

    def supports(self, action: str) -> bool:
        return action in self.commands

    def perform(self, action: str, **params: Any) -> None:
        template = self.commands.get(action)
        if template is None:
            raise Inconclusive(f"the profile maps no command to DUT action '{action}' ([adapter.commands].{action})")
        values = {k: shlex.quote(str(v)) for k, v in {**self.env, **params}.items()}
        try:
            cmd = template.format(**values)
        except KeyError as exc:
            raise HarnessError(f"adapter command for '{action}' uses {{{exc.args[0]}}}, which this action does "
                               f"not provide (has: {', '.join(values) or 'nothing'})") from None
        try:
            proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=self.timeout,
                                  env={**os.environ, **{f"VGI_{k.upper()}": str(v) for k, v in params.items()}})
        except subprocess.TimeoutExpired:
            raise HarnessError(f"adapter command for '{action}' did not finish within {self.timeout:g} s: {cmd}")
        self.log.append((action, cmd, proc.returncode))
        if proc.returncode != 0:
            raise HarnessError(f"adapter command for '{action}' failed with exit code {proc.returncode}: {cmd}\n"
                               f"{proc.stderr.strip()[-2000:]}")


def from_profile(kind: str, profile_adapter: dict[str, Any], *, simulator: Any = None,
                 env: dict[str, str] | None = None) -> DutAdapter:
    if kind == "simulated":
        if simulator is None:
            raise HarnessError("the simulated adapter needs a reference simulator")
        return SimulatedAdapter(simulator)
    if kind == "manual":
        return ManualAdapter(float(profile_adapter.get("timeout", 120)))
    if kind == "command":
        return CommandAdapter(dict(profile_adapter.get("commands", {})), float(profile_adapter.get("timeout", 60)),
                              env)
    raise HarnessError(f"unknown DUT adapter {kind!r} (simulated, manual, command)")


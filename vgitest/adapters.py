"""DUT adapters: how the harness asks for something physical (plug in, present a card, power-cycle).

* ``simulated`` drives a reference simulator in-process;
* ``manual`` prompts an operator on the terminal and waits (bounded) for confirmation;
* ``command`` runs the shell commands the profile maps to each action (e.g. an HTTP call to a vendor's
  test hook), with parameters substituted.

Actions are plain names with keyword parameters; :data:`REGISTRY` says what the device must do for each and
``docs/adapters.md`` (generated from it) when the suites ask for it.

A device may lack an action (a station without fault simulation has no ``clear_fault``). The adapter then
raises :class:`ActionNotSupported` (a NOT_APPLICABLE verdict) and ``supports(action)`` is False, so that a
caller can leave out an optional step. An action is not supported when the profile lists it in
``[adapter] unsupported``, when the command adapter has no command for it, or when its command exits with
:data:`EXIT_NOT_SUPPORTED` (77).
"""

from __future__ import annotations

import dataclasses
import os
import select
import shlex
import subprocess
import time
from typing import Any, Protocol

from .verdict import HarnessError, Inconclusive, NotApplicable

# A command that exits with 77 says "this device cannot do that" (the automake convention for a skipped test).
EXIT_NOT_SUPPORTED = 77


OCPP = ("ocpp16", "ocpp201")
V2G = ("din70121", "iso15118_2", "iso15118_20")
EVERY = ("ocpp16", "ocpp201", "openadr20b", "csip", *V2G, "slac")
# How much a suite depends on an action (docs/adapters.md):
REQUIRED = "required"  # the suite's reusable states need it: without it most cases are NOT_APPLICABLE
CASES = "some cases"  # the objective of some cases needs it: without it those cases are NOT_APPLICABLE
OPTIONAL = "optional"  # used when the device has it; without it nothing is left out


@dataclasses.dataclass(frozen=True)
class Action:
    """One physical action: what the device must do, its parameters, the protocols whose devices may have it,
    and how each suite uses it: (suites, REQUIRED/CASES/OPTIONAL, when)."""

    name: str
    does: str
    params: tuple[tuple[str, str], ...] = ()  # (name, meaning)
    protocols: tuple[str, ...] = ()
    uses: tuple[tuple[tuple[str, ...], str, str], ...] = ()


REGISTRY: tuple[Action, ...] = (
    Action("power_on", "switch the device on; it then connects to the fake peer by itself", (),
           ("ocpp", "openadr", "sep2", "iso15118", "slac"),
           uses=((EVERY, OPTIONAL, "once at the start of the run, before the first test needs the device (command adapter "
                  "only)"),)),
    Action("power_off", "switch the device off (connections closed)", (), ("ocpp", "openadr", "sep2")),
    Action("reboot", "power-cycle the device: off, then on; it boots and connects again (OCPP: a new "
           "BootNotification; OpenADR: the VEN queries its registration and polls; IEEE 2030.5: the client walks "
           "again from /dcap)", (), ("ocpp", "openadr", "sep2"),
           uses=((OCPP, REQUIRED, "the boot cases power-cycle the station; the reusable state Booted does when the "
                  "station is not registered or a connector cannot be made idle otherwise"),
                 (("openadr20b",), CASES, "a registration case restarts the VEN"))),
    Action("plug_in", "connect an EV: OCPP, to the station's connector (it reports Preparing in 1.6, Occupied in "
           "2.0.1); ISO 15118 (EV under test), plug the EV into the harness's EVSE so that it starts a V2G session "
           "with the fake SECC; SLAC, the device starts matching",
           (("connector", "OCPP: the connector (1.6) or EVSE (2.0.1) id, from 1"),
            ("mode", "ISO 15118 EV, optional: the energy transfer the EV asks for (AC, DC, AC_BPT, DC_BPT)"),
            ("pause", "ISO 15118 EV, optional: true: the EV pauses the session (it ends with SessionStop Pause)"),
            ("resume", "ISO 15118 EV, optional: true: the EV resumes the session it paused"),
            ("control_mode", "ISO 15118-20 EV, optional: the control mode the EV asks for (Scheduled, Dynamic)")),
           ("ocpp", "iso15118", "slac"),
           uses=((OCPP, REQUIRED, "the reusable state with a running transaction and the transaction cases"),
                 (V2G, REQUIRED, "every EV case (TC_EVCC_*) starts its session with it, some with mode, pause, resume "
                  "or control_mode; not used for an EVSE under test"),
                 (("slac",), OPTIONAL, "each matching session starts with it; without it the device must start "
                  "matching by itself"))),
    Action("unplug", "disconnect the EV (OCPP: from the connector; the station ends a running transaction as "
           "configured and reports the connector Available)",
           (("connector", "OCPP: the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp", "iso15118", "slac"),
           uses=((OCPP, REQUIRED, "cases end their transactions with it; the reusable state Booted unplugs an occupied "
                  "connector"),
                 (("slac",), OPTIONAL, "after each matching session (PIXIT unplug_after_match)"))),
    Action("present_token", "present an identifier (an RFID card) at the station's reader for the connector",
           (("id_token", "the idTag (1.6) or idToken (2.0.1) value, from the PIXIT"),
            ("connector", "the connector (1.6) or EVSE (2.0.1) id")), ("ocpp",),
           uses=((OCPP, REQUIRED, "the reusable states Authorized and with a running transaction, and the "
                  "authorization cases"),)),
    Action("fault_connector", "put the connector into an error state (it reports Faulted)",
           (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",)),
    Action("clear_fault", "clear the connector's error state (it reports Available again)",
           (("connector", "the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp",),
           uses=((OCPP, OPTIONAL, "the reusable state Booted, to recover a connector that is not idle"),)),
    Action("disconnect_network", "cut the device's network link to the harness (the device stays on)", (),
           ("ocpp",)),
    Action("reconnect_network", "restore the device's network link", (), ("ocpp",)),
    Action("reregister", "OpenADR: forget the registration and register from scratch "
           "(oadrCreatePartyRegistration); IEEE 2030.5: forget what was discovered and walk again from /dcap",
           (), ("openadr", "sep2"),
           uses=((("openadr20b", "csip"), REQUIRED, "the reusable state Registered (OpenADR) or Following (CSIP) "
                  "when the device is not registered, and the registration cases"),)),
    Action("cancel_registration", "the VEN cancels its registration (oadrCancelPartyRegistration)", (),
           ("openadr",),
           uses=((("openadr20b",), CASES, "the cancellation cases"),)),
    Action("request_event", "the VEN asks for events now (oadrRequestEvent)", (), ("openadr",),
           uses=((("openadr20b",), CASES, "the event request case"),)),
    Action("set_event_opt", "how the VEN answers the next events that need a response (oadrCreatedEvent)",
           (("opt", "optIn or optOut"),), ("openadr",),
           uses=((("openadr20b",), CASES, "the case in which the VEN answers an event optOut (and back to optIn)"),)),
    Action("opt_in", "the VEN opts in to an event (oadrCreateOpt)",
           (("event_id", "the eventID the fake VTN sent"),), ("openadr",),
           uses=((("openadr20b",), CASES, "the opt cases"),)),
    Action("opt_out", "the VEN opts out of an event (oadrCreateOpt)",
           (("event_id", "the eventID the fake VTN sent"),), ("openadr",),
           uses=((("openadr20b",), CASES, "the opt cases"),)),
    Action("opt_schedule", "the VEN sends an opt schedule not tied to an event (oadrCreateOpt with availability)",
           (("start", "start of the window, UTC, ISO 8601 (e.g. 2030-01-01T12:00:00Z)"),
            ("duration_s", "length of the window, s"), ("opt", "optIn or optOut"),
            ("opt_id", "the optID the VEN must use")), ("openadr",),
           uses=((("openadr20b",), CASES, "the opt schedule cases"),)),
    Action("cancel_opt", "the VEN cancels an opt schedule (oadrCancelOpt)",
           (("opt_id", "the optID of the schedule"),), ("openadr",),
           uses=((("openadr20b",), CASES, "the opt cancellation case"),)),
    Action("set_power", "the EV's power demand changes (the DER client reports it and follows the controls)",
           (("w", "demand in W; negative: the EV offers to discharge"),), ("sep2",),
           uses=((("csip",), CASES, "the control-mode and metering cases: the EV asks for power, the client "
                  "must follow the controls"),)),
    Action("alarm", "the DER client raises an alarm (it POSTs a LogEvent)", (), ("sep2",),
           uses=((("csip",), CASES, "the alarm case"),)),
    Action("set_grid", "the grid simulator at the client's point of connection steps to a voltage and frequency",
           (("v", "volts"), ("hz", "hertz")), ("sep2",),
           uses=((("csip",), CASES, "the voltage and frequency cases; the others reset the grid with it when "
                  "it is there"),)),
)
ACTIONS = tuple(a.name for a in REGISTRY)
BY_NAME = {a.name: a for a in REGISTRY}


class ActionNotSupported(NotApplicable):
    """The device cannot perform a DUT action. A case whose objective needs it is NOT_APPLICABLE with this reason;
    a caller for whom the step is optional checks ``supports(action)`` first or catches this exception."""

    def __init__(self, action: str, why: str) -> None:
        super().__init__(f"NOT_APPLICABLE: the device does not support DUT action '{action}' ({why})")
        self.action = action
        self.why = why


class DutAdapter(Protocol):
    kind: str

    def perform(self, action: str, **params: Any) -> None:
        """Do `action`; ActionNotSupported when the device cannot."""

    def supports(self, action: str) -> bool:
        """Whether `action` can be asked for (as far as the adapter knows before asking)."""

    def why_not(self, action: str) -> str | None:
        """Why `action` is not supported, or None."""


def _unsupported(names: Any) -> frozenset[str]:
    """The profile's ``[adapter] unsupported`` list, checked against the known actions."""
    names = tuple(names or ())
    unknown = [a for a in names if a not in ACTIONS]
    if unknown:
        raise HarnessError(f"[adapter] unsupported names unknown actions {unknown}; known actions: "
                           f"{', '.join(ACTIONS)}")
    return frozenset(names)


class SimulatedAdapter:
    """Drives an in-process simulator object that has `perform(action, **params)` and a `do_<action>` method
    for each action it can do."""

    kind = "simulated"

    def __init__(self, target: Any, unsupported: Any = ()) -> None:
        self.target = target
        self.unsupported = _unsupported(unsupported)
        self.log: list[tuple[str, dict[str, Any]]] = []

    def supports(self, action: str) -> bool:
        return self.why_not(action) is None

    def why_not(self, action: str) -> str | None:
        """Why `action` is not supported (None when it is)."""
        if action in self.unsupported:
            return "the profile lists it in [adapter] unsupported"
        if action in ACTIONS and not hasattr(self.target, f"do_{action}"):
            return f"the simulator {type(self.target).__name__} has no such action"
        return None

    def perform(self, action: str, **params: Any) -> None:
        why = self.why_not(action)
        if why is not None:
            raise ActionNotSupported(action, why)
        self.log.append((action, params))
        self.target.perform(action, **params)


class ManualAdapter:
    """Asks an operator. Without a terminal (CI) the step cannot happen: the test is INCONCLUSIVE."""

    kind = "manual"

    def __init__(self, timeout: float = 120.0, tty: str = "/dev/tty", unsupported: Any = ()) -> None:
        self.timeout = timeout
        self.tty = tty
        self.unsupported = _unsupported(unsupported)

    def supports(self, action: str) -> bool:
        return action not in self.unsupported

    def why_not(self, action: str) -> str | None:
        """Why `action` is not supported (None when it is)."""
        return "the profile lists it in [adapter] unsupported" if action in self.unsupported else None

    def perform(self, action: str, **params: Any) -> None:
        if action in self.unsupported:
            raise ActionNotSupported(action, "the profile lists it in [adapter] unsupported")
        what = action.replace("_", " ") + (" " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else "")
        try:
            fd = os.open(self.tty, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            raise Inconclusive(f"manual step '{what}' needs an operator, but there is no terminal") from None
        with os.fdopen(fd, "r+b", buffering=0) as tty:
            tty.write(f"\n[vgitest] OPERATOR: {what} — press Enter when done "
                      f"(timeout {self.timeout:g} s): ".encode())
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                ready, _, _ = select.select([tty], [], [], min(1.0, deadline - time.monotonic()))
                if ready:
                    tty.readline()
                    return
            raise Inconclusive(f"operator did not confirm '{what}' within {self.timeout:g} s")


def command_environment(action: str, params: dict[str, Any], context: dict[str, str]) -> dict[str, str]:
    """The ``VGI_*`` variables a command runs with: ``VGI_ACTION``, one per parameter (``VGI_CONNECTOR``...) and
    the run's context (``VGI_IDENTITY``, and ``VGI_CSMS_URL``/``VGI_VTN_URL``/``VGI_DCAP_URL`` for the protocol)."""
    env = {f"VGI_{k.upper()}": str(v) for k, v in context.items() if v not in (None, "")}
    env.update({f"VGI_{k.upper()}": str(v) for k, v in params.items()})
    env["VGI_ACTION"] = action
    return env


class CommandAdapter:
    """Runs the profile's shell command for each action. Parameters fill `{name}` placeholders (shell-quoted) and
    are exported as ``VGI_<NAME>`` environment variables (see :func:`command_environment`).

    Exit 0: done. Exit 77 (:data:`EXIT_NOT_SUPPORTED`): the device cannot do this; ActionNotSupported, and
    ``supports`` is False from then on. Any other exit status, or no end within the timeout: a harness error
    (the lab's set-up is broken; never blamed on the device)."""

    kind = "command"

    def __init__(self, commands: dict[str, str], timeout: float = 60.0, env: dict[str, str] | None = None,
                 unsupported: Any = ()) -> None:
        unknown = [a for a in commands if a not in ACTIONS]
        if unknown:
            raise HarnessError(f"adapter commands for unknown actions {unknown}; known actions: {', '.join(ACTIONS)}")
        bad = [a for a, c in commands.items() if not isinstance(c, str) or not c.strip()]
        if bad:
            raise HarnessError(f"[adapter.commands] {', '.join(bad)}: a command must be a non-empty string (to say a "
                               "device lacks an action, leave the command out or list it in [adapter] unsupported)")
        self.unsupported = _unsupported(unsupported)
        clash = sorted(self.unsupported & set(commands))
        if clash:
            raise HarnessError(f"[adapter] unsupported lists {clash}, which [adapter.commands] maps to a command")
        self.commands = commands
        self.timeout = timeout
        self.env = env or {}
        self.refused: dict[str, str] = {}  # actions whose command answered "not supported", with its reason
        self.log: list[tuple[str, str, int]] = []

    def supports(self, action: str) -> bool:
        return action in self.commands and action not in self.refused

    def why_not(self, action: str) -> str | None:
        """Why `action` is not supported (None when it is, as far as the adapter knows)."""
        if action in self.unsupported:
            return "the profile lists it in [adapter] unsupported"
        if action not in self.commands:
            return f"the profile maps no command to it ([adapter.commands].{action})"
        return self.refused.get(action)

    def command_for(self, action: str, **params: Any) -> str:
        """The shell command `perform` would run (placeholders filled and quoted)."""
        if action not in self.commands:
            raise ActionNotSupported(action, str(self.why_not(action)))
        values = {k: shlex.quote(str(v)) for k, v in {**self.env, **params}.items()}
        try:
            return self.commands[action].format(**values)
        except KeyError as exc:
            raise HarnessError(f"adapter command for '{action}' uses {{{exc.args[0]}}}, which this action does "
                               f"not provide (has: {', '.join(values) or 'nothing'})") from None

    def perform(self, action: str, **params: Any) -> None:
        cmd = self.command_for(action, **params)
        if action in self.refused:  # it said so once; asking again would only repeat the answer
            raise ActionNotSupported(action, self.refused[action])
        try:
            proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=self.timeout,
                                  env={**os.environ, **command_environment(action, params, self.env)})
        except subprocess.TimeoutExpired:
            raise HarnessError(f"adapter command for '{action}' did not finish within {self.timeout:g} s: {cmd}")
        self.log.append((action, cmd, proc.returncode))
        if proc.returncode == EXIT_NOT_SUPPORTED:
            said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            why = f"its command exited {EXIT_NOT_SUPPORTED}" + (f": {said[-1][:200]}" if said else "")
            self.refused[action] = why
            raise ActionNotSupported(action, why)
        if proc.returncode != 0:
            raise HarnessError(f"adapter command for '{action}' failed with exit code {proc.returncode}: {cmd}\n"
                               f"{proc.stderr.strip()[-2000:]}")


def from_profile(kind: str, profile_adapter: dict[str, Any], *, simulator: Any = None,
                 env: dict[str, str] | None = None) -> DutAdapter:
    unsupported = profile_adapter.get("unsupported", ())
    if kind == "simulated":
        if simulator is None:
            raise HarnessError("the simulated adapter needs a reference simulator")
        return SimulatedAdapter(simulator, unsupported)
    if kind == "manual":
        return ManualAdapter(float(profile_adapter.get("timeout", 120)), unsupported=unsupported)
    if kind == "command":
        return CommandAdapter(dict(profile_adapter.get("commands", {})), float(profile_adapter.get("timeout", 60)),
                              env, unsupported)
    raise HarnessError(f"unknown DUT adapter {kind!r} (simulated, manual, command)")

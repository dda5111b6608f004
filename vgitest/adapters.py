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

import os
import select
import shlex
import subprocess
import time
from typing import Any, Protocol

from .actions import registry
from .verdict import HarnessError, Inconclusive, NotApplicable

# A command that exits with 77 says "this device cannot do that" (the automake convention for a skipped test).
EXIT_NOT_SUPPORTED = 77


REGISTRY = registry()
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

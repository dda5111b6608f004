"""Validate a DUT profile before a run: every section, key, PICS feature, protocol, adapter kind and value type.

A typo in a profile used to be silent (`RemoteTriger = true`: two cases NOT_APPLICABLE, exit 0; `protocol = "ocp"`:
every case NOT_APPLICABLE) or loud in the wrong way (a traceback per test, a pytest INTERNALERROR). Each problem is
one line, `file:line: [section] key: what is wrong (did you mean ...?)`, and the run does not start.

The known names come from the registries the code and the docs are built from: PIXIT keys and their types from
:mod:`vgitest.pixit` (a misspelt PIXIT key is refused there, other unknown keys are warnings), PICS features from
:data:`vgitest.picsdocs.MEANINGS` (what docs/pics.md lists), adapter actions from :mod:`vgitest.adapters`, budget
names from schemas/budgets/.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import socket
from pathlib import Path
from typing import Any

from . import peer
from . import pixit as pixit_keys

SECTIONS = ("dut", "pics", "pixit", "adapter", "budgets", "validation")
ROLES = ("ev", "evse")
# [dut]: what the harness reads (name, protocol, version, identity, password, role) and what the reports show
DUT_KEYS = ("name", "protocol", "version", "identity", "password", "role", "vendor", "model")
ADAPTER_KINDS = ("simulated", "manual", "command")
ADAPTER_KEYS = ("kind", "timeout", "commands", "unsupported", "simulator")
VALIDATION_KEYS = ("allow",)


def _hint(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _line(text: str, section: str, key: str | None) -> int:
    """The line of `key` in table `section` (of the table's header when key is None; 1 when not found)."""
    current = ""
    for n, line in enumerate(text.splitlines(), 1):
        head = re.match(r"\s*\[+\s*([^\]]+?)\s*\]+", line)
        if head:
            current = head.group(1).replace('"', "").replace(" ", "")
            if key is None and current == section:
                return n
        elif key is not None and current == section and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return n
    return 1


def known_pics(protocol: str) -> set[str]:
    """The PICS features of a protocol that docs/pics.md lists (the suites' markers and `supports(...)` calls)."""
    from .picsdocs import MEANINGS
    return {feature for proto, feature in MEANINGS if proto == protocol}


def _pixit_type(key: str, value: Any) -> str | None:
    """What is wrong with a PIXIT value's type (None: fine), judged from the registry's default."""
    entry = pixit_keys.BY_NAME.get(pixit_keys.canonical(key))
    if entry is None or entry.default is None or entry.default is pixit_keys.REQUIRED \
            or isinstance(entry.default, pixit_keys.Text):
        return None
    default = entry.default
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if _is_number(default):
        if not _is_number(value):
            return f"must be a number{f' ({entry.unit})' if entry.unit else ''}"
        if value < 0:
            return "must not be negative"
        return None
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be a string"
    return None


def problems(doc: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """What is wrong with a parsed profile: (section, key or None, text), in the profile's order."""
    out: list[tuple[str, str | None, str]] = []
    for section, value in doc.items():
        if section not in SECTIONS:
            out.append((section, None, f"unknown section [{section}]{_hint(section, SECTIONS)} (known: "
                                       f"{', '.join(SECTIONS)})"))
        elif not isinstance(value, dict):
            out.append((section, None, f"'{section}' must be a table ([{section}])"))
    dut = _table(doc, "dut")
    out += _unknown_keys("dut", dut, DUT_KEYS)
    protocol = dut.get("protocol", "ocpp")
    versions = peer.versions()  # protocol -> the versions its suites are written for (each package's protocol.py)
    if protocol not in versions:
        out.append(("dut", "protocol", f"unknown protocol {protocol!r}{_hint(str(protocol), versions)} (known: "
                                       f"{', '.join(versions)})"))
        protocol = None
    elif "version" in dut and str(dut["version"]) not in versions[protocol]:
        out.append(("dut", "version", f"version {dut['version']!r} of {protocol} has no suite"
                                      f"{_hint(str(dut['version']), versions[protocol])} (known: "
                                      f"{', '.join(versions[protocol])})"))
    if "role" in dut and dut["role"] not in ROLES:
        out.append(("dut", "role", f"role {dut['role']!r} must be one of {', '.join(ROLES)}"))
    for key in ("name", "identity", "password"):
        if key in dut and not isinstance(dut[key], str):
            out.append(("dut", key, "must be a string"))
    pics = _table(doc, "pics")
    known = known_pics(protocol) if protocol else set()
    for key, value in pics.items():
        if not isinstance(value, bool):
            out.append(("pics", key, f"PICS values must be true/false, not {value!r}"))
        if protocol and key not in known:
            out.append(("pics", key, f"unknown PICS feature '{key}' for {protocol}{_hint(key, known)} (docs/pics.md "
                                     "lists them)"))
    pixit = _table(doc, "pixit")
    for key, value in pixit.items():
        wrong = _pixit_type(key, value)
        if wrong:
            out.append(("pixit", key, f"{value!r} {wrong} (docs/pixit.md)"))
    out += _adapter(_table(doc, "adapter"))
    out += _budgets(_table(doc, "budgets"))
    out += _unknown_keys("validation", _table(doc, "validation"), VALIDATION_KEYS)
    return out


def _table(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """Table `name` of the profile ({} when absent or not a table: that is reported once, as a section problem)."""
    value = doc.get(name, {})
    return value if isinstance(value, dict) else {}


def _unknown_keys(section: str, table: dict[str, Any], known: tuple[str, ...]) -> list[tuple[str, str | None, str]]:
    return [(section, key, f"unknown key '{key}'{_hint(key, known)}") for key in table if key not in known]


def _adapter(adapter: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    from .adapters import ACTIONS
    out = _unknown_keys("adapter", adapter, ADAPTER_KEYS)
    kind = adapter.get("kind", "simulated")
    if kind not in ADAPTER_KINDS:
        out.append(("adapter", "kind", f"unknown adapter kind {kind!r}{_hint(str(kind), ADAPTER_KINDS)} (known: "
                                       f"{', '.join(ADAPTER_KINDS)})"))
    if "timeout" in adapter and (not _is_number(adapter["timeout"]) or adapter["timeout"] <= 0):
        out.append(("adapter", "timeout", f"{adapter['timeout']!r} must be a positive number of seconds"))
    commands = adapter.get("commands", {})
    if not isinstance(commands, dict):
        out.append(("adapter", "commands", "must be a table ([adapter.commands])"))
        commands = {}
    for action, command in commands.items():
        if action not in ACTIONS:
            out.append(("adapter.commands", action, f"unknown action '{action}'{_hint(action, ACTIONS)} "
                                                    "(docs/adapters.md lists them)"))
        elif not isinstance(command, str):
            out.append(("adapter.commands", action, "must be a command line (a string)"))
    unsupported = adapter.get("unsupported", [])
    for action in unsupported if isinstance(unsupported, list) else [unsupported]:
        if action not in ACTIONS:
            out.append(("adapter", "unsupported", f"unknown action {action!r}{_hint(str(action), ACTIONS)}"))
    return out


def _budgets(budgets: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    from .budgets import Budgets
    loaded = Budgets.load()
    raw = loaded._raw  # noqa: SLF001 - the timing names per protocol
    out: list[tuple[str, str | None, str]] = []
    for proto, values in budgets.items():
        if proto not in raw or not isinstance(values, dict):
            out.append((f"budgets.{proto}", None, f"unknown budget protocol [budgets.{proto}]"
                                                  f"{_hint(proto, raw)} (known: {', '.join(sorted(raw))})"))
            continue
        names = set(raw[proto]["timing"])
        for name, value in values.items():
            if name not in names:
                out.append((f"budgets.{proto}", name, f"unknown timing budget '{name}'{_hint(name, names)} "
                                                      f"(schemas/budgets/{proto}.toml)"))
            elif not _is_number(value) or value < 0:
                out.append((f"budgets.{proto}", name, f"{value!r} must be a number of seconds"))
    return out


def validate(doc: dict[str, Any], path: Path, text: str) -> list[str]:
    """One line per problem: `path:line: [section] key: text`."""
    lines = []
    for section, key, what in problems(doc):
        where = f"[{section}] {key}: " if key is not None else ""
        lines.append(f"{path}:{_line(text, section, key)}: {where}{what}")
    return lines


def reports_problem(folder: Path) -> str | None:
    """Why the run could not write its reports under `folder` (None: it can), found before the first test rather
    than as a traceback at the end of the run. Nothing is created."""
    probe = folder.absolute()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        why = f"{probe} is not a folder"
    elif not os.access(probe, os.W_OK | os.X_OK):
        why = f"{probe} is not writable"
    else:
        return None
    return f"reports folder {folder} cannot be written ({why}): pass --vgi-reports with a folder you can write"


def port_problem(host: str, port: int) -> str | None:
    """Why the fake peer could not listen on host:port (None: it can), found before the first test rather than
    as one ERROR per test. Bound the way the servers bind (SO_REUSEADDR), then released."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                          flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (f"{host}:{port} is already in use: stop what listens there, or pass another --vgi-port (0: any "
                    "free port)")
        return f"the fake peer cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None

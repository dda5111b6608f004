"""Every PIXIT key vgitest reads, gathered from the protocol packages (vgitest/<protocol>/pixit_keys.py): what it
means, its unit and default, and which suites read it.

One name for one meaning across protocol versions. A key that was renamed keeps working under its old name
(an alias) with a deprecation warning; a key nobody reads is a warning too, so that a typo in a profile never
silently leaves a case on its default. `docs/pixit.md` is generated from this registry (`python -m vgitest.docs`).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from typing import Any

from . import peer
from .pixitkey import REQUIRED, Key, Text, merged

__all__ = ["REQUIRED", "Key", "Text", "REGISTRY", "BY_NAME", "ALIASES", "check", "canonical", "missing_required",
           "markdown", "prefixed_fields"]


def _package(protocol: str) -> Any:
    """The protocol package's pixit_keys module (None when it has none)."""
    if importlib.util.find_spec(f"vgitest.{protocol}.pixit_keys") is None:
        return None
    return importlib.import_module(f"vgitest.{protocol}.pixit_keys")


_MODULES = {k.protocol: m for k in peer.kinds() if (m := _package(k.protocol)) is not None}
SUITE_PROTOCOL = peer.suite_protocols()
SUITE_TITLE = {suite: f"{title} (`suites/{suite}`)" for k in peer.kinds() for suite, title in k.suites.items()}
REGISTRY: tuple[Key, ...] = tuple(k for m in _MODULES.values() for k in m.KEYS)
_BY_NAME: dict[str, list[Key]] = {}
for _key in REGISTRY:
    _BY_NAME.setdefault(_key.name, []).append(_key)
BY_NAME = {name: merged(keys) for name, keys in _BY_NAME.items()}
ALIASES = {a: k.name for k in REGISTRY for a in k.aliases}


def prefixed_fields(protocol: str | None = None) -> dict[str, tuple[str, Any]]:
    """Keys a package reads by prefix (ISO 15118: `ev_<field>`, `evse_<field>`): {key: (what it sets, default)},
    of `protocol`'s package, or of every package."""
    out: dict[str, tuple[str, Any]] = {}
    for p, m in _MODULES.items():
        if protocol in (None, p) and hasattr(m, "prefixed"):
            out.update(m.prefixed())
    return out


@dataclasses.dataclass(frozen=True)
class Problem:
    key: str
    text: str
    fatal: bool = False  # a misspelling of a known key: the profile is refused (the rest are warnings)


def check(pixit: dict[str, Any], protocol: str | None) -> tuple[dict[str, Any], list[Problem]]:
    """The PIXIT with old names replaced by their current ones, and what is wrong with it: a deprecated name, a
    key nobody reads (fatal when it is close to a known name: a misspelling), a key of another protocol."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    prefixed = prefixed_fields(protocol)
    known = set(BY_NAME) | set(prefixed)
    for key, value in pixit.items():
        if key in ALIASES:
            new = ALIASES[key]
            if new in pixit:
                problems.append(Problem(key, f"PIXIT key '{key}' is the old name of '{new}', which the profile also "
                                             f"sets; '{key}' is ignored"))
                continue
            problems.append(Problem(key, f"PIXIT key '{key}' is deprecated: rename it to '{new}' (read as '{new}' "
                                         "for now)"))
            out[new] = value
            continue
        out[key] = value
        entry = BY_NAME.get(key)
        if entry is None and key not in known:
            close = difflib.get_close_matches(key, sorted(known | set(ALIASES)), n=1, cutoff=0.75)
            if close:  # a misspelling would silently leave the cases on the key's default: refused
                problems.append(Problem(key, f"unknown PIXIT key '{key}' (did you mean '{close[0]}'?): no suite "
                                             "reads it (docs/pixit.md lists every key)", fatal=True))
            else:  # far from every known key: a vendor's own key, read by its own tests
                problems.append(Problem(key, f"unknown PIXIT key '{key}': no suite reads it, so it has no effect "
                                             "(docs/pixit.md lists every key)"))
        elif entry is not None and protocol and protocol not in entry.protocols:
            problems.append(Problem(key, f"PIXIT key '{key}' is not read for protocol {protocol} (only "
                                         f"{', '.join(sorted(entry.protocols))}): it has no effect"))
    return out, problems


def canonical(key: str) -> str:
    """The current name of a PIXIT key (itself, or what an old name was renamed to)."""
    return ALIASES.get(key, key)




def missing_required(pixit: dict[str, Any], protocol: str, version: str | None = None) -> list[Key]:
    """Keys the cases of this protocol (and version, where each version has its own suite) need and the profile
    does not set."""
    module = _MODULES.get(protocol)
    suite = getattr(module, "SUITE_OF_VERSION", {}).get(str(version))  # where each version has its own suite
    return [k for k in REGISTRY if k.required and k.name not in pixit
            and (suite in k.suites if suite else protocol in k.protocols)]


def _value(v: Any) -> str:
    if v is None:
        return "(unset)"
    if v is REQUIRED:
        return "**required**"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Text):
        return str(v)
    if isinstance(v, str):
        return f'`"{v}"`'
    if isinstance(v, bytes):
        return f"`{v.hex()}`" if len(v) <= 8 else f"{len(v)} bytes"
    return f"`{v}`"


def _default(k: Key, suite: str | None = None) -> str:
    text = _value(dict(k.by_suite).get(suite, k.default) if suite else k.default)
    also = [f"{_value(v)} in {where}" for suites, where, v in k.also if suite is None or suite in suites]
    return text + (f" ({'; '.join(also)})" if also else "")


def markdown() -> str:
    """docs/pixit.md."""
    lines = ["# PIXIT keys", "",
             "The `[pixit]` table of a profile gives the parameters of the device under test and of the run. This",
             "page lists every key vgitest reads, per suite: what it means, its unit and its default when the",
             "profile leaves it out. It is generated from the protocol packages' `pixit_keys.py` (`python -m vgitest.docs`).", "",
             "A key no suite reads that is close to one a suite reads is a misspelling, and the profile is refused",
             "(`dut.toml:7: [pixit] mesage_wait: unknown PIXIT key 'mesage_wait' (did you mean 'message_wait'?)`),",
             "so that a typo never silently leaves a case on its default. Any other unknown key is a warning with",
             "the line of the profile (a vendor's own tests may read their own keys); `vgitest profile check",
             "PROFILE` prints both. A renamed key still works under its old name, with a deprecation warning (see",
             "the last table). **required** keys have no default: the cases that read them need them.", "",
             "## Profile validation", "",
             "Before a run the whole profile is validated (`vgitest/profilevalidate.py`); each problem is one line,",
             "`file:line: [section] key: what is wrong`, with the closest known name for a typo, and the run does not",
             "start (pytest: a usage error, exit 4; `vgitest run` and `vgitest profile check`: exit 2):", "",
             "- a section other than `[dut]`, `[pics]`, `[pixit]`, `[adapter]` (`[adapter.commands]`),",
             "  `[budgets.<protocol>]` and `[validation]`; an unknown key in `[dut]`, `[adapter]`, `[validation]`,",
             "  or in `[adapter.commands]` (the actions of docs/adapters.md);",
             f"- a `[dut] protocol` other than {', '.join(k.protocol for k in peer.kinds())}; a `version` no suite is written",
             "  for; a `role` other than ev, evse; an adapter `kind` other than simulated, manual, command;",
             "- a `[pics]` feature docs/pics.md does not list for the protocol (`RemoteTriger`: did you mean",
             "  'RemoteTrigger'?), or a value that is not true/false;",
             "- a PIXIT key close to a known one (a misspelling: `conect_timeout`, did you mean 'connect_timeout'?);",
             "- a PIXIT value of the wrong type for the key's default (`heartbeat_interval = \"fast\"`: must be a",
             "  number), a negative number; a budget of `[budgets.<protocol>]` that schemas/budgets/ does not define,",
             "  or that is not a number of seconds.", "",
             "When the profile is valid, a fixed `--vgi-port` that is already in use is one line naming host:port, and",
             "a `--vgi-reports` folder that cannot be written one line naming the folder, both before the first test.",
             "An unknown PIXIT key far from every known one stays a warning, since a vendor's own tests may read",
             "their own keys.", ""]
    for suite, title in SUITE_TITLE.items():
        keys = [k for k in REGISTRY if suite in k.suites and not k.reference]
        lines += [f"## {title}", "", "| key | meaning | unit | default |", "|---|---|---|---|"]
        lines += [f"| `{k.name}` | {k.meaning} | {k.unit} | {_default(k, suite)} |" for k in keys]
        if prefixed_fields(SUITE_PROTOCOL[suite]):
            lines.append("| `ev_*`, `evse_*` | the fake (or reference) EV's and EVSE's parameters: see below | | |")
        lines.append("")
    lines += ["## The fake EV and EVSE (`ev_*`, `evse_*`)", "",
              "For an EVSE under test `ev_*` keys set the fake EV, for an EV under test `evse_*` keys set the fake",
              "EVSE (the reference devices read the other prefix for themselves). Each sets one field of",
              "`vgitest/iso15118/params.py` (`ev_max_a` sets `EvParams.max_a`).", "",
              "| key | default |", "|---|---|"]
    lines += [f"| `{name}` | {_value(default)} |" for name, (_, default) in sorted(prefixed_fields().items())]
    lines += ["", "## Keys only the reference simulators read", "",
              "vgitest's own devices (the `simulated` adapter, `vgitest station`, `vgitest ven`) read these; a",
              "vendor's profile leaves them out.", "",
              "| key | protocol | meaning | unit | default |", "|---|---|---|---|---|"]
    lines += [f"| `{k.name}` | {', '.join(sorted(k.protocols))} | {k.meaning} | {k.unit} | {_default(k)} |"
              for k in REGISTRY if k.reference]
    lines += ["", "## Renamed keys", "",
              "One name for one meaning in every protocol version. The old names are read as the new ones, with a",
              "deprecation warning.", "", "| old name | new name |", "|---|---|"]
    lines += [f"| `{old}` | `{new}` |" for old, new in sorted(ALIASES.items())]
    return "\n".join(lines) + "\n"

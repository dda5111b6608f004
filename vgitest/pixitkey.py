"""One PIXIT key as a protocol package declares it (vgitest/<protocol>/pixit_keys.py), and the merge of the
declarations of one name by several packages (each suite has its own meaning and default)."""

from __future__ import annotations

import dataclasses
from typing import Any

REQUIRED = object()  # no default: the cases that read the key need it


class Text(str):
    """A default that is a rule, not a value (Text("1 with a [dut] password, else 0"))."""


@dataclasses.dataclass(frozen=True)
class Key:
    """One PIXIT key. `by_suite` gives a suite's own default; `also` other defaults some readers use, as
    (suites, where, value); `reference` marks a key only vgitest's reference simulators read (a vendor's profile
    leaves it out)."""

    name: str
    meaning: str
    suites: tuple[str, ...]
    default: Any = None  # None: unset means "not used" (e.g. optional file paths); REQUIRED: the cases need it
    unit: str = ""
    also: tuple[tuple[tuple[str, ...], str, Any], ...] = ()
    by_suite: tuple[tuple[str, Any], ...] = ()
    aliases: tuple[str, ...] = ()
    reference: bool = False

    @property
    def protocols(self) -> frozenset[str]:
        from .peer import suite_protocols
        of = suite_protocols()
        return frozenset(of[s] for s in self.suites)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def key(name: str, meaning: str, suites: tuple[str, ...], default: Any = None, unit: str = "", **kw: Any) -> Key:
    return Key(name, meaning, suites, default, unit, **kw)


def merged(keys: list[Key]) -> Key:
    """One key for a name several packages declare: every suite, default and alias of each; the first package's
    meaning and default; reference-only when every declaration is."""
    first = keys[0]
    if len(keys) == 1:
        return first
    return dataclasses.replace(
        first, suites=tuple(s for k in keys for s in k.suites),
        also=tuple(a for k in keys for a in k.also) + tuple((k.suites, "its suites", k.default) for k in keys[1:]
                                                             if k.default != first.default),
        by_suite=tuple(b for k in keys for b in k.by_suite),
        aliases=tuple(dict.fromkeys(a for k in keys for a in k.aliases)), reference=all(k.reference for k in keys))

"""Our own reading of a CACTUS client procedure (YAML data in the pinned ``cactus-test-definitions`` wheel).

The package is never imported (it needs Python 3.12 and more libraries); its YAML files are parsed here into
plain dataclasses. A procedure is a set of named steps: each waits for one event (a request of the client at an
endpoint, a wait, an operator's go-ahead), may be guarded by checks, and runs actions when it fires; at the start
only the first step listens. Preconditions hold the actions run before the client is let in (``init_actions``),
the checks that gate the start, and the actions run at the start; ``Criteria`` holds the checks judged at the end.
Texts of the procedures (descriptions, instructions) are read at run time only, never copied into the repository.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from ... import upstream


class ProcedureError(ValueError):
    """A procedure file that is not laid out as the loader expects."""


@dataclasses.dataclass(frozen=True)
class Action:
    type: str
    parameters: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Check:
    type: str
    parameters: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Event:
    type: str  # GET-/POST-/PUT-/DELETE-request-received, wait, proceed
    parameters: dict[str, Any]
    checks: tuple[Check, ...] = ()  # the event fires only while all of these hold


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    event: Event
    actions: tuple[Action, ...]
    instructions: tuple[str, ...] = ()  # what the operator is asked to do or observe (shown at run time only)


@dataclasses.dataclass(frozen=True)
class Preconditions:
    init_actions: tuple[Action, ...] = ()
    actions: tuple[Action, ...] = ()
    checks: tuple[Check, ...] = ()
    immediate_start: bool = False


@dataclasses.dataclass(frozen=True)
class Procedure:
    id: str  # the file's name, e.g. "ALL-01"
    description: str  # shown at run time only
    category: str
    classes: tuple[str, ...]
    target_versions: tuple[str, ...]
    preconditions: Preconditions
    criteria: tuple[Check, ...]
    steps: tuple[Step, ...]

    def step(self, name: str) -> Step:
        found = next((s for s in self.steps if s.name == name), None)
        if found is None:
            raise ProcedureError(f"{self.id}: no step {name!r}")
        return found

    def actions(self) -> list[Action]:
        """Every action of the procedure, wherever it is."""
        pre = self.preconditions
        return [*pre.init_actions, *pre.actions, *(a for s in self.steps for a in s.actions)]

    def checks(self) -> list[Check]:
        """Every check of the procedure: preconditions, event guards and criteria."""
        return [*self.preconditions.checks, *(c for s in self.steps for c in s.event.checks), *self.criteria]

    def endpoints(self) -> list[str]:
        return [str(s.event.parameters["endpoint"]) for s in self.steps if "endpoint" in s.event.parameters]


def _params(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProcedureError(f"{where}: parameters must be a mapping, got {type(raw).__name__}")
    return dict(raw)


def _actions(raw: Any, where: str) -> tuple[Action, ...]:
    return tuple(Action(str(a["type"]), _params(a.get("parameters"), f"{where} {a['type']}")) for a in raw or ())


def _checks(raw: Any, where: str) -> tuple[Check, ...]:
    return tuple(Check(str(c["type"]), _params(c.get("parameters"), f"{where} {c['type']}")) for c in raw or ())


def parse(pid: str, doc: Any) -> Procedure:
    """A procedure from its decoded YAML document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Steps"), dict) or not doc["Steps"]:
        raise ProcedureError(f"{pid}: no Steps mapping")
    pre = doc.get("Preconditions") or {}
    steps = []
    for name, body in doc["Steps"].items():
        event = (body or {}).get("event")
        if not isinstance(event, dict) or "type" not in event:
            raise ProcedureError(f"{pid}.{name}: no event")
        steps.append(Step(str(name), Event(str(event["type"]), _params(event.get("parameters"), f"{pid}.{name}"),
                                           _checks(event.get("checks"), f"{pid}.{name}")),
                          _actions(body.get("actions"), f"{pid}.{name}"),
                          tuple(str(i) for i in body.get("instructions") or ())))
    return Procedure(
        id=pid, description=str(doc.get("Description", "")), category=str(doc.get("Category", "")),
        classes=tuple(str(c) for c in doc.get("Classes") or ()),
        target_versions=tuple(str(v) for v in doc.get("TargetVersions") or ()),
        preconditions=Preconditions(_actions(pre.get("init_actions"), f"{pid} init"),
                                    _actions(pre.get("actions"), f"{pid} preconditions"),
                                    _checks(pre.get("checks"), f"{pid} preconditions"),
                                    bool(pre.get("immediate_start", False))),
        criteria=_checks((doc.get("Criteria") or {}).get("checks"), f"{pid} criteria"),
        steps=tuple(steps))


def folder(path: str | os.PathLike[str] | None = None) -> Path:
    """The installed procedures: ``path``, $VGITEST_CACTUS_DEFINITIONS, or the pinned wheel's (downloaded once).
    A user folder may be laid out like the wheel's ``client/`` folder or be the ``procedures`` folder itself."""
    root = upstream.schema_dir("cactus", path)
    return root / "procedures" if (root / "procedures").is_dir() else root


def load_all(path: str | os.PathLike[str] | None = None) -> dict[str, Procedure]:
    """Every client procedure, by id, in id order."""
    import yaml  # pyyaml: the procedures are YAML

    out: dict[str, Procedure] = {}
    for file in sorted(folder(path).glob("*.yaml")):
        with file.open(encoding="utf-8") as fh:
            out[file.stem] = parse(file.stem, yaml.safe_load(fh))
    return out

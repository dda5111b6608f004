"""Timing and size budgets, loaded from data files in `schemas/budgets/` (one TOML file per protocol or
source table). Checks read them; a test or a profile may tighten them with :meth:`Budgets.override`."""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from .findings import Severity
from .resources import data_dir


@dataclasses.dataclass(frozen=True)
class TimingBudget:
    protocol: str
    name: str
    title: str
    value_s: float | None
    severity: Severity
    ref: str
    extra: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class SizeBudget:
    protocol: str
    message: str  # glob pattern; "*" is the protocol's default
    max_bytes: int
    severity: Severity
    ref: str
    direction: str | None = None
    note: str = ""

    def matches(self, message: str | None) -> bool:
        return message is not None and fnmatch.fnmatchcase(message, self.message)


class Budgets:
    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self._raw = raw  # protocol -> merged TOML content

    @classmethod
    def load(cls, directory: Path | None = None) -> "Budgets":
        directory = directory or data_dir("schemas") / "budgets"
        raw: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.toml")):
            with path.open("rb") as fh:
                doc = tomllib.load(fh)
            proto = doc.get("protocol")
            if not proto:
                raise ValueError(f"{path}: budget file has no 'protocol'")
            merged = raw.setdefault(proto, {"timing": {}, "size": [], "application": {}})
            merged["timing"].update(doc.get("timing", {}))
            merged["size"].extend(doc.get("size", []))
            merged["application"].update(doc.get("application", {}))
            merged.setdefault("chart", {}).update(doc.get("chart", {}))
            if "protocols" in doc:
                merged["protocols"] = doc["protocols"]
            merged.setdefault("sources", []).append(path.name)
        return cls(raw)

    def protocols(self) -> list[str]:
        return sorted(self._raw)

    def timing(self, protocol: str, name: str) -> TimingBudget:
        try:
            t = self._raw[protocol]["timing"][name]
        except KeyError:
            raise KeyError(f"no timing budget {protocol}.{name}") from None
        known = {"title", "value_s", "severity", "ref"}
        return TimingBudget(protocol, name, t.get("title", name), t.get("value_s"),
                            Severity(t.get("severity", "fail")), t.get("ref", ""),
                            {k: v for k, v in t.items() if k not in known})

    def sizes(self, protocol: str) -> list[SizeBudget]:
        out = []
        for s in self._raw.get(protocol, {}).get("size", []):
            out.append(SizeBudget(protocol, s["message"], int(s["max_bytes"]), Severity(s.get("severity", "warn")),
                                  s.get("ref", ""), s.get("direction"), s.get("note", s.get("attributes", ""))))
        return out

    def size_for(self, protocol: str, message: str | None, direction: str | None = None) -> SizeBudget | None:
        """The most specific size budget for a message: an exact name beats a pattern beats the default."""
        best: SizeBudget | None = None
        for b in self.sizes(protocol):
            if not b.matches(message) or (b.direction and direction and b.direction != direction):
                continue
            if best is None or _specificity(b) > _specificity(best):
                best = b
        return best

    def answer_budgets(self, protocol: str) -> tuple[float | None, float | None]:
        """The budgets a test's latency chart draws (seconds; None where the protocol names none): the one a device's
        answer time is judged by and the harness's own, named by the protocol file's ``[chart]`` table."""
        chart = self._raw.get(protocol, {}).get("chart", {})
        out: list[float | None] = []
        for key in ("device_answer", "harness_answer"):
            t = self._raw.get(protocol, {}).get("timing", {}).get(chart.get(key, ""), {})
            out.append(float(t["value_s"]) if t.get("value_s") is not None else None)
        return out[0], out[1]

    def application(self, name: str) -> dict[str, Any]:
        return self._raw["application"]["application"][name]

    def application_for(self, protocol: str) -> tuple[str, dict[str, Any]] | None:
        app = self._raw.get("application", {})
        name = app.get("protocols", {}).get(protocol)
        return (name, app["application"][name]) if name else None

    def override(self, protocol: str, name: str, **fields: Any) -> "Budgets":
        """A copy with one timing budget changed (e.g. a PIXIT that tightens the response timeout)."""
        raw = copy.deepcopy(self._raw)
        raw.setdefault(protocol, {"timing": {}, "size": [], "application": {}})["timing"].setdefault(name, {}).update(
            fields)
        return Budgets(raw)

    def add_size(self, protocol: str, message: str, max_bytes: int, severity: str = "fail", ref: str = "",
                 note: str = "") -> None:
        """Add a size budget at run time (e.g. the DUT's own BytesPerMessage from its device model)."""
        self._raw.setdefault(protocol, {"timing": {}, "size": [], "application": {}})["size"].append(
            {"message": message, "max_bytes": max_bytes, "severity": severity, "ref": ref, "note": note})


def _specificity(b: SizeBudget) -> int:
    if b.message == "*":
        return 0
    return 1 if any(c in b.message for c in "*?[") else 2

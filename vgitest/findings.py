"""Findings: what a check saw that breaks a rule, with a stable rule id and a vendor-readable text.

Rules are registered once (per protocol package) in :data:`RULES` so that every id is documented,
has a severity, and can be listed by ``vgitest rules``.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from .verdict import Verdict


ANY_VERSION = ("*",)  # a rule that judges every version of every protocol (e.g. the size budgets)


class Severity(enum.Enum):
    """How a broken rule weighs: fail = MUST, warn = SHOULD (non-strict), info = unspecified behaviour."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"

    def verdict(self, strict: bool = False) -> Verdict:
        if self is Severity.FAIL or (strict and self is Severity.WARN):
            return Verdict.FAIL
        return Verdict.NON_STRICT if self is Severity.WARN else Verdict.INFORMATIONAL


@dataclasses.dataclass(frozen=True)
class Rule:
    """A documented check. ``ref`` names requirement or section ids only, never copied spec text."""

    id: str
    severity: Severity
    title: str
    ref: str = ""
    protocol: str = ""
    versions: tuple[str, ...] = ()  # the protocol versions the rule judges (e.g. ("2.0.1", "2.1")); ANY_VERSION

    def applies_to(self, version: str | None) -> bool:
        """Whether this rule may judge a frame of `version` (a frame without a version, or an undeclared rule:
        yes; tests/test_rules_versions.py keeps every rule declared)."""
        return not self.versions or not version or version in self.versions or ANY_VERSION[0] in self.versions


class RuleRegistry:
    """All known rules by id; registering an id twice with different content is a programming error."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, id: str, severity: Severity | str, title: str, ref: str = "", protocol: str = "",
            versions: tuple[str, ...] | list[str] = ()) -> Rule:
        rule = Rule(id, Severity(severity), title, ref, protocol, tuple(versions))
        old = self._rules.get(id)
        if old is not None and old != rule:
            raise ValueError(f"rule {id} registered twice with different content")
        self._rules[id] = rule
        return rule

    def __getitem__(self, id: str) -> Rule:
        return self._rules[id]

    def __contains__(self, id: object) -> bool:
        return id in self._rules

    def for_protocol(self, protocol: str) -> list[Rule]:
        return sorted((r for r in self._rules.values() if r.protocol == protocol), key=lambda r: r.id)

    def all(self) -> list[Rule]:
        return sorted(self._rules.values(), key=lambda r: r.id)


RULES = RuleRegistry()
RULE_MODULES = ("vgitest.ocpp.rules", "vgitest.iso15118.rules", "vgitest.iso15118.rules_live", "vgitest.openadr.rules",
                "vgitest.openadr3.rules",
                "vgitest.sep2.rules", "vgitest.slac.rules", "vgitest.iec61850.rules",
                "vgitest.iec61850.mms_rules", "vgitest.iec61850.flow_rules")


def register_all() -> RuleRegistry:
    """Import every protocol's rule module, so that RULES lists them all (for docs and `vgitest rules`)."""
    import importlib
    for module in RULE_MODULES:
        importlib.import_module(module)
    return RULES


@dataclasses.dataclass
class Finding:
    """One broken rule, pointing at the frame (by trace index) that shows it."""

    rule_id: str
    message: str
    severity: Severity
    frame_index: int | None = None
    ref: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    at: int | None = dataclasses.field(default=None, compare=False)  # trace length when a frameless finding was made

    @classmethod
    def of(cls, rule_id: str, message: str, frame_index: int | None = None, *,
           severity: Severity | None = None, **details: Any) -> "Finding":
        """Build a finding for a registered rule (its severity and reference come from the registry)."""
        rule = RULES[rule_id]
        return cls(rule_id, message, severity or rule.severity, frame_index, rule.ref, details)

    def verdict(self, strict: bool = False) -> Verdict:
        return self.severity.verdict(strict)

    def to_dict(self) -> dict[str, Any]:
        d = {"rule": self.rule_id, "severity": self.severity.value, "message": self.message}
        if self.frame_index is not None:
            d["frame"] = self.frame_index
        if self.ref:
            d["ref"] = self.ref
        if self.details:
            d["details"] = self.details
        return d

    def __str__(self) -> str:
        at = f" (frame #{self.frame_index})" if self.frame_index is not None else ""
        return f"[{self.rule_id}] {self.message}{at}"

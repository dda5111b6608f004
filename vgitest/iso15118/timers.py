"""The ISO 15118 / DIN 70121 timers a live role judges and waits with, from schemas/budgets/iso15118.toml.

``value(kind, message)`` looks up e.g. ``secc_msg_performance`` for ``CurrentDemand`` in the family's table
(``iso2_secc_msg_performance``, per-message entry first). A profile may override a timer for its device with
``[pixit.timers]``: ``secc_sequence_timeout = 3`` replaces the default value, ``"evcc_msg_timeout.CableCheck" = 1``
one message's. The reference devices' profiles shorten the long timers (60 s sequence timeout, 40 s cable
check) so that the suites stay fast; a vendor's profile normally overrides nothing, and its device is held to
the standard's values.

Every watch that judges a device against a timer allows :meth:`Timers.tolerance` beyond it (``tolerance_s`` /
``tolerance_rel`` beside the value in the budget file): a device exactly at a limit is not late. A profile may
override one with ``"<kind>.tolerance" = seconds`` in ``[pixit.timers]``.
"""

from __future__ import annotations

from typing import Any

from ..budgets import Budgets
from ..findings import Severity

PREFIX = {"iso-2": "iso2", "din": "din", "iso-20": "iso20"}
# Timers a table may not define for a family: the value that applies instead (kind -> family -> seconds)
# DIN SPEC 70121 tables the notes do not give (SECC performance, EVCC sequence performance): ISO 15118-2's apply
BORROW = {"din": "iso-2"}
FALLBACK: dict[str, dict[str, float]] = {
    "ongoing_timeout": {"din": 60.0, "iso-2": 60.0, "iso-20": 60.0},  # V2G_EVCC_Ongoing_Timeout
    "communication_setup": {"din": 20.0, "iso-2": 20.0, "iso-20": 20.0},
    "secc_sequence_timeout": {"iso-2": 60.0},
    "termination": {"din": 5.0, "iso-2": 5.0, "iso-20": 5.0},  # test system: TCP termination watch
}
DEFAULT_TOLERANCE = (0.002, 0.02)  # (seconds, fraction of the limit) where a budget names none


class Timers:
    def __init__(self, budgets: Budgets | None = None, overrides: dict[str, Any] | None = None,
                 profile: str = "strict") -> None:
        self.budgets = budgets or Budgets.load()
        self.overrides = {str(k): float(v) for k, v in (overrides or {}).items()}
        self.profile = profile

    def value(self, family: str, kind: str, message: str | None = None) -> float:
        """Seconds; ``message`` is a base name (``CurrentDemand``), per-message values win."""
        if message and f"{kind}.{message}" in self.overrides:
            return self.overrides[f"{kind}.{message}"]
        per: dict[str, Any] = {}
        default: float | None = None
        for fam in (family, BORROW.get(family)):
            if fam is None:
                continue
            try:
                b = self.budgets.timing("iso15118", f"{PREFIX.get(fam, fam)}_{kind}")
            except KeyError:
                continue
            per = b.extra.get("per_message", {})
            default = b.value_s if b.value_s is not None else b.extra.get("evcc_timeout_s")
            break
        if message and message in per:
            return float(per[message])
        if kind in self.overrides:
            return self.overrides[kind]
        if default is None:
            default = FALLBACK.get(kind, {}).get(family)
        if default is None:
            raise KeyError(f"no timer {kind} for {family}")
        return float(default)

    def tolerance(self, family: str, kind: str, message: str | None = None, *, limit: float | None = None,
                  watch: str = "") -> float:
        """Seconds a watch on timer ``kind`` allows beyond its limit: max(tolerance_s, tolerance_rel * limit) from
        the budget file (``watch="close"`` reads ``close_tolerance_*``); ``limit`` defaults to :meth:`value`."""
        key = f"{kind}.{watch + '_' if watch else ''}tolerance"
        if key in self.overrides:
            return self.overrides[key]
        extra: dict[str, Any] = {}
        for fam in (family, BORROW.get(family)):
            if fam is None:
                continue
            try:
                extra = self.budgets.timing("iso15118", f"{PREFIX.get(fam, fam)}_{kind}").extra
            except KeyError:
                continue
            break
        pre = f"{watch}_" if watch else ""
        abs_s = float(extra.get(f"{pre}tolerance_s", DEFAULT_TOLERANCE[0]))
        rel = float(extra.get(f"{pre}tolerance_rel", DEFAULT_TOLERANCE[1]))
        if limit is None:
            limit = self.value(family, kind, message)
        return max(abs_s, rel * limit)

    def with_tolerance(self, family: str, kind: str, message: str | None = None) -> float:
        """The limit a watch on timer ``kind`` applies: its value plus its tolerance."""
        v = self.value(family, kind, message)
        return v + self.tolerance(family, kind, message, limit=v)

    def phase(self, family: str, phase: str, side: str = "evcc") -> float:
        """Whole-phase budgets: ``cablecheck_loop`` / ``precharge_loop``; side evcc = the EV's timeout, secc =
        the SECC's performance time."""
        key = f"{phase}.{side}"
        if key in self.overrides:
            return self.overrides[key]
        b = self.budgets.timing("iso15118", f"{PREFIX.get(family, family)}_{phase}")
        v = b.extra.get("evcc_timeout_s") if side == "evcc" else b.value_s
        if v is None:
            v = b.value_s if side == "evcc" else b.extra.get("evcc_timeout_s")
        return float(v)

    def ref(self, family: str, kind: str) -> str:
        try:
            return self.budgets.timing("iso15118", f"{PREFIX.get(family, family)}_{kind}").ref
        except KeyError:
            return ""

    def severity(self, rule_severity: Severity, own_target: bool) -> Severity | None:
        """In the field profile a side's own performance targets are informational (what real stacks need)."""
        if self.profile == "field" and own_target:
            return Severity.INFO
        return None

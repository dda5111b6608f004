"""OCPP 1.6 Smart Charging profile of the reference station: the charging-profile store, the composite-schedule
arithmetic, and the SetChargingProfile / ClearChargingProfile / GetCompositeSchedule handlers.

The arithmetic is kept free of I/O (ProfileStore, Profile) so that it can be tested on its own. The rules it
implements (OCPP 1.6 §3.13, §5.5, §5.7, §5.11, §5.16):

- a profile replaces an installed one with the same id, or with the same purpose and stack level on the same
  connector; otherwise it is added;
- per purpose, the valid profile with the highest stack level prevails at any moment;
- a TxProfile overrides the TxDefaultProfile of its connector, and the ChargePointMaxProfile caps the result (the
  composite is the minimum of the two);
- a TxProfile exists only for a running transaction (and, when it names one, for that transaction); it goes away
  when the transaction ends;
- a RemoteStartTransaction may carry a profile, which must be a TxProfile.

Each behaviour fault (catalog_v16_smart.py) is one `self.has(...)` branch next to the correct behaviour it breaks.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time
from typing import Any, Callable, Iterable

from ..timestamps import strict_epoch

from . import catalog_v16_smart  # noqa: F401  (registers the smart-charging faults)
from .base import Reply
from .config_v16 import Key

PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")
VOLTAGE = 230.0
DEFAULT_PHASES = 3  # OCPP 1.6 §7.13: a period without numberPhases means three phases
CYCLE = {"Daily": 86400, "Weekly": 7 * 86400}
LOCAL_MAX = {"A": 32.0, "W": 32.0 * VOLTAGE * DEFAULT_PHASES}  # the station's own hardware limit
MAX_BREAKS = 2000  # a composite schedule has at most this many periods (a generated request may ask for years)


def parse_time(text: str) -> int:
    """An OCPP dateTime as whole UTC epoch seconds (a time without offset is taken as UTC)."""
    return int(strict_epoch(text) // 1)


def format_time(epoch: int) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def convert(limit: float, unit: str, phases: int | None, wanted: str) -> float:
    """A limit in `unit` expressed in `wanted` (A per phase <-> W over `phases` phases at 230 V)."""
    if unit == wanted:
        return limit
    n = phases or DEFAULT_PHASES
    return limit * VOLTAGE * n if wanted == "W" else limit / (VOLTAGE * n)


@dataclasses.dataclass(frozen=True)
class Period:
    start: int
    limit: float
    phases: int | None = None


@dataclasses.dataclass
class Profile:
    """One installed charging profile (OCPP 1.6 §7.7), with its times as epoch seconds."""

    id: int
    connector: int
    purpose: str
    stack: int
    kind: str
    unit: str
    periods: tuple[Period, ...]
    duration: int | None = None
    start_schedule: int | None = None
    recurrency: str | None = None
    valid_from: int | None = None
    valid_to: int | None = None
    transaction: int | None = None
    received: int = 0  # when it was installed: the origin of an Absolute schedule without startSchedule
    not_for: frozenset[int] = frozenset()  # fault sc_tx_default_not_for_running_tx: transactions it skips

    @classmethod
    def from_message(cls, connector: int, body: dict, now: int) -> "Profile":
        """Build a profile from a csChargingProfiles / chargingProfile object; ValueError if it cannot be used."""
        sched = body["chargingSchedule"]
        periods = tuple(Period(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
                        for p in sched["chargingSchedulePeriod"])
        if not periods or any(b.start <= a.start for a, b in zip(periods, periods[1:])) or periods[0].start < 0:
            raise ValueError("periods must start at 0 or later and increase")
        if any(p.limit < 0 for p in periods):
            raise ValueError("a negative limit")
        kind = body["chargingProfileKind"]
        start = parse_time(sched["startSchedule"]) if "startSchedule" in sched else None
        if kind == "Recurring" and (start is None or body.get("recurrencyKind") not in CYCLE):
            raise ValueError("a recurring profile needs startSchedule and recurrencyKind")
        duration = sched.get("duration")
        if duration is not None and duration <= 0:
            raise ValueError("duration must be positive")
        return cls(id=int(body["chargingProfileId"]), connector=connector, purpose=body["chargingProfilePurpose"],
                   stack=int(body["stackLevel"]), kind=kind, unit=sched["chargingRateUnit"], periods=periods,
                   duration=duration, start_schedule=start, recurrency=body.get("recurrencyKind"),
                   valid_from=parse_time(body["validFrom"]) if "validFrom" in body else None,
                   valid_to=parse_time(body["validTo"]) if "validTo" in body else None,
                   transaction=body.get("transactionId"), received=now)

    def origin(self, t: int, charging_start: int | None) -> int | None:
        """Where the schedule cycle that holds `t` starts, or None when the schedule has not begun."""
        if self.kind == "Recurring":
            assert self.start_schedule is not None and self.recurrency is not None
            if t < self.start_schedule:
                return None
            cycle = CYCLE[self.recurrency]
            return self.start_schedule + (t - self.start_schedule) // cycle * cycle
        if self.kind == "Absolute" and self.start_schedule is not None:
            return self.start_schedule
        # Relative, or Absolute without startSchedule: from the start of charging (OCPP 1.6 §7.12 startSchedule)
        return charging_start if charging_start is not None else self.received

    def period_at(self, t: int, charging_start: int | None) -> Period | None:
        """The period in force at `t`, or None when the profile does not apply then (validity, duration)."""
        if (self.valid_from is not None and t < self.valid_from) or (self.valid_to is not None and t >= self.valid_to):
            return None
        origin = self.origin(t, charging_start)
        if origin is None or t < origin:
            return None
        offset = t - origin
        if self.duration is not None and offset >= self.duration:
            return None
        current = None
        for p in self.periods:
            if p.start > offset:
                break
            current = p
        return current

    def breaks(self, lo: int, hi: int, charging_start: int | None) -> Iterable[int]:
        """Times in [lo, hi) where this profile may change its limit."""
        edges = [x for x in (self.valid_from, self.valid_to) if x is not None]
        if self.kind == "Recurring":
            assert self.start_schedule is not None and self.recurrency is not None
            cycle = CYCLE[self.recurrency]
            first = max(0, (lo - self.start_schedule) // cycle)
            origins = [self.start_schedule + k * cycle for k in range(first, first + 400)
                       if self.start_schedule + k * cycle < hi]
        else:
            origins = [x for x in [self.origin(lo, charging_start)] if x is not None]
        for o in origins:
            edges += [o + p.start for p in self.periods]
            if self.duration is not None:
                edges.append(o + self.duration)
        return (x for x in edges if lo <= x < hi)


class ProfileStore:
    """The charging profiles a station holds, and what they allow at a connector at a given time."""

    def __init__(self, min_of_purposes: bool = False, lowest_stack_wins: bool = False,
                 ignore_max_profile: bool = False) -> None:
        self.profiles: list[Profile] = []
        # fault switches, set by the station from its fault list (the store itself is correct by default)
        self.min_of_purposes = min_of_purposes
        self.lowest_stack_wins = lowest_stack_wins
        self.ignore_max_profile = ignore_max_profile

    def install(self, profile: Profile) -> None:
        """Replace a profile with the same id, or the same purpose and stack level on the same connector."""
        self.profiles = [p for p in self.profiles if p.id != profile.id and not (
            p.connector == profile.connector and p.purpose == profile.purpose and p.stack == profile.stack)]
        self.profiles.append(profile)

    def clear(self, id: int | None = None, connector: int | None = None, purpose: str | None = None,
              stack: int | None = None) -> int:
        """Remove the profiles that meet every criterion given; returns how many went."""
        def hit(p: Profile) -> bool:
            return ((id is None or p.id == id) and (connector is None or p.connector == connector)
                    and (purpose is None or p.purpose == purpose) and (stack is None or p.stack == stack))
        before = len(self.profiles)
        self.profiles = [p for p in self.profiles if not hit(p)]
        return before - len(self.profiles)

    def drop_transaction(self, connector: int) -> None:
        """A transaction ended: its TxProfiles go with it (OCPP 1.6 §3.13.1)."""
        self.profiles = [p for p in self.profiles if not (p.purpose == "TxProfile" and p.connector == connector)]

    def _prevailing(self, candidates: list[Profile], t: int, charging_start: int | None
                    ) -> tuple[Profile, Period] | None:
        """The profile with the highest stack level that applies at `t` (a connector's own before connector 0's
        on equal stack level), with its period in force."""
        live = [(p, per) for p in candidates if (per := p.period_at(t, charging_start)) is not None]
        if not live:
            return None
        if self.lowest_stack_wins:
            return min(live, key=lambda x: (x[0].stack, x[0].connector == 0))
        return max(live, key=lambda x: (x[0].stack, x[0].connector != 0))

    def limits(self, connector: int, t: int, transaction: int | None, charging_start: int | None
               ) -> list[tuple[float, str, int | None]]:
        """The limits that bind `connector` at `t`: (limit, unit, phases) of the transaction's profile (TxProfile
        over TxDefaultProfile) and of the ChargePointMaxProfile; the effective limit is their minimum."""
        out = []
        if connector != 0:
            tx = None
            if transaction is not None:
                tx = self._prevailing([p for p in self.profiles if p.purpose == "TxProfile" and p.connector == connector
                                       and p.transaction in (None, transaction)], t, charging_start)
            default = self._prevailing([p for p in self.profiles if p.purpose == "TxDefaultProfile"
                                        and p.connector in (0, connector) and transaction not in p.not_for],
                                       t, charging_start)
            chosen = [x for x in (tx, default) if x is not None] if self.min_of_purposes else \
                [x for x in [tx or default] if x is not None]
            out += [(per.limit, p.unit, per.phases) for p, per in chosen]
        if not self.ignore_max_profile:
            cap = self._prevailing([p for p in self.profiles if p.purpose == "ChargePointMaxProfile"], t,
                                   charging_start)
            if cap is not None:
                out.append((cap[1].limit, cap[0].unit, cap[1].phases))
        return out

    def limit(self, connector: int, t: int, unit: str, transaction: int | None, charging_start: int | None) -> float:
        """The composite limit at `t` in `unit`, the station's own maximum included."""
        values = [convert(v, u, ph, unit) for v, u, ph in self.limits(connector, t, transaction, charging_start)]
        return min([LOCAL_MAX[unit], *values])

    def composite(self, connector: int, now: int, duration: int, unit: str, transaction: int | None,
                  charging_start: int | None) -> list[dict]:
        """The composite schedule over [now, now + duration): chargingSchedulePeriod entries relative to `now`,
        one per change of the limit."""
        hi = now + max(duration, 1)
        breaks = {now}
        for p in self.profiles:
            breaks.update(p.breaks(now, hi, charging_start))
        periods: list[dict] = []
        for t in sorted(breaks)[:MAX_BREAKS]:
            value = round(self.limit(connector, t, unit, transaction, charging_start), 1)
            if not periods or periods[-1]["limit"] != value:
                periods.append({"startPeriod": t - now, "limit": value})
        return periods


class SmartCharging16:
    """Mixin of the 1.6 reference station (Station16): the Smart Charging feature profile.

    It relies on the station's `config`, `connectors`, `has()` and transaction records (`id`, `connector`,
    `id_tag`, `started_at`)."""

    config: Any
    connectors: dict[int, Any]
    has: Callable[[str], bool]  # ReferenceStation.has

    def smart_init(self, supported: bool) -> None:
        """Set up the profile store; without the feature profile (PIXIT feature_profiles) the Smart Charging
        requests are answered NotSupported and a remote start's profile is ignored."""
        self.smart_supported = supported
        self.store = ProfileStore(min_of_purposes=self.has("sc_tx_profile_min_with_default"),
                                  lowest_stack_wins=self.has("sc_lowest_stack_wins"),
                                  ignore_max_profile=self.has("sc_composite_ignores_max_profile"))
        self.remote_profiles: dict[int, tuple[str, dict]] = {}  # connector -> (idTag, TxProfile) of a remote start
        if not supported:
            return
        keys = self.config.keys
        keys["ChargeProfileMaxStackLevel"] = Key("8", True)
        keys["ChargingScheduleAllowedChargingRateUnit"] = Key("Current,Power", True)
        keys["ChargingScheduleMaxPeriods"] = Key("24", True)
        keys["MaxChargingProfilesInstalled"] = Key("16", True)

    def smart_register(self, handlers: dict) -> None:
        handlers["SetChargingProfile"] = self._set_charging_profile
        handlers["ClearChargingProfile"] = self._clear_charging_profile
        handlers["GetCompositeSchedule"] = self._get_composite_schedule

    # --- what the rest of the station asks --------------------------------------------------------------------
    def _running(self, cid: int) -> Any:
        conn = self.connectors.get(cid)
        return None if conn is None else conn.transaction

    def _charging_start(self, tx: Any) -> int | None:
        return None if tx is None else int(tx.started_at)

    def ev_power_w(self, cid: int, ev_max_w: float) -> float:
        """What the (single-phase) EV on `cid` draws now: its own maximum, held below the limit in force."""
        tx = self._running(cid)
        if tx is None:
            return 0.0
        if self.has("sc_limit_not_applied"):
            return ev_max_w
        now = int(time.time())
        watts = [v if u == "W" else v * VOLTAGE for v, u, _ in
                 self.store.limits(cid, now, tx.id, self._charging_start(tx))]
        return max(0.0, min([ev_max_w, *watts]))

    def remote_start_profile(self, p: dict, cid: int) -> bool:
        """A RemoteStartTransaction's chargingProfile: False when it must be refused (it is not a TxProfile, or
        not usable); a usable one is kept for the transaction the remote start begins."""
        prof = p.get("chargingProfile")
        if prof is None or not self.smart_supported:
            return True
        if prof.get("chargingProfilePurpose") != "TxProfile" and not self.has("sc_remote_start_any_purpose"):
            return False
        if self._profile_problem(cid, prof, remote=True) is not None:
            return False
        self.remote_profiles.pop(cid, None)
        if not self.has("sc_remote_start_profile_ignored"):
            self.remote_profiles[cid] = (str(p["idTag"]), prof)
        return True

    def smart_tx_started(self, tx: Any) -> None:
        """A transaction started: the profile of the remote start that asked for it becomes its TxProfile."""
        pending = self.remote_profiles.pop(tx.connector, None)
        if pending is not None and pending[0] == tx.id_tag:
            body = dict(pending[1], chargingProfilePurpose="TxProfile", transactionId=tx.id)
            self.store.install(Profile.from_message(tx.connector, body, int(time.time())))

    def smart_tx_ended(self, tx: Any) -> None:
        self.store.drop_transaction(tx.connector)

    # --- CSMS requests ----------------------------------------------------------------------------------------
    def _profile_problem(self, cid: int, prof: dict, remote: bool = False) -> str | None:
        """Why a profile cannot be installed on `cid`, or None."""
        purpose = prof.get("chargingProfilePurpose")
        sched = prof.get("chargingSchedule", {})
        if cid != 0 and cid not in self.connectors:
            return "unknown connector"
        if int(prof.get("stackLevel", 0)) < 0 or int(prof.get("stackLevel", 0)) > self.config.number(
                "ChargeProfileMaxStackLevel"):
            return "stack level out of range"
        if len(sched.get("chargingSchedulePeriod", [])) > self.config.number("ChargingScheduleMaxPeriods"):
            return "too many periods"
        allowed = {"Current": "A", "Power": "W"}
        units = {allowed[u.strip()] for u in self.config.get("ChargingScheduleAllowedChargingRateUnit").split(",")
                 if u.strip() in allowed}
        if sched.get("chargingRateUnit") not in units:
            return "charging rate unit not supported"
        if purpose == "ChargePointMaxProfile" and cid != 0:
            return "a ChargePointMaxProfile is for connector 0"
        if purpose == "TxProfile" and not remote:
            if cid == 0:
                return "a TxProfile is for a connector"
            tx = self._running(cid)
            if tx is None and not self.has("sc_tx_profile_without_tx_accepted"):
                return "no transaction on the connector"
            wanted = prof.get("transactionId")
            if tx is not None and wanted is not None and wanted != tx.id \
                    and not self.has("sc_tx_profile_wrong_tx_accepted"):
                return "another transaction"
        try:
            Profile.from_message(cid, prof, 0)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            return f"unusable profile: {exc}"
        return None

    def _require_smart(self) -> None:
        if not self.smart_supported:
            raise Reply("NotSupported", "the SmartCharging feature profile is not supported by this station")

    async def _set_charging_profile(self, p: dict) -> dict:
        self._require_smart()
        cid, prof = int(p["connectorId"]), p["csChargingProfiles"]
        problem = self._profile_problem(cid, prof)
        purpose = prof.get("chargingProfilePurpose")
        if self.has("sc_tx_default_rejected") and purpose == "TxDefaultProfile":
            problem = "fault"
        if self.has("sc_tx_profile_rejected") and purpose == "TxProfile":
            problem = "fault"
        if problem is not None:
            return {"status": "Rejected"}
        if sum(1 for x in self.store.profiles if x.id != prof["chargingProfileId"]) >= self.config.number(
                "MaxChargingProfilesInstalled"):
            return {"status": "Rejected"}
        profile = Profile.from_message(cid, prof, int(time.time()))
        tx = self._running(cid)
        if purpose == "TxProfile" and profile.transaction is None and tx is not None:
            profile.transaction = tx.id
        if purpose == "TxDefaultProfile" and self.has("sc_tx_default_not_for_running_tx"):
            profile.not_for = frozenset(c.transaction.id for c in self.connectors.values() if c.transaction)
        self.store.install(profile)
        return {"status": "Accepted"}

    async def _clear_charging_profile(self, p: dict) -> dict:
        self._require_smart()
        if self.has("sc_clear_ignored"):
            return {"status": "Accepted"}
        n = self.store.clear(p.get("id"), p.get("connectorId"), p.get("chargingProfilePurpose"), p.get("stackLevel"))
        return {"status": "Accepted" if n else "Unknown"}

    async def _get_composite_schedule(self, p: dict) -> dict:
        self._require_smart()
        cid, duration = int(p["connectorId"]), int(p["duration"])
        unit = p.get("chargingRateUnit", "A")
        if (cid != 0 and cid not in self.connectors) or duration < 0:
            return {"status": "Rejected"}
        now = int(time.time())
        tx = self._running(cid) if cid else None
        periods = self.store.composite(cid, now, duration, unit, None if tx is None else tx.id,
                                       self._charging_start(tx))
        return {"status": "Accepted", "connectorId": cid, "scheduleStart": format_time(now),
                "chargingSchedule": {"duration": duration, "chargingRateUnit": unit,
                                     "chargingSchedulePeriod": periods}}

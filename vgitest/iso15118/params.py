"""What a simulated EV and a simulated EVSE are: battery, limits, identities, and how fast a session runs.

Shared by the message logic of every protocol family (DIN, ISO-2, ISO-20) and by all four roles (fake SECC,
fake EVCC, reference EV, reference EVSE). A vendor sets them from the PIXIT (`ev_*` / `evse_*` keys), so the
harness can play the EV or EVSE their device expects.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def placeholder_der(label: str) -> bytes:
    """Stand-in for a certificate: a short DER SEQUENCE holding one UTF8String (schema-valid, not X.509)."""
    text = label.encode()[:100]
    inner = b"\x0c" + bytes([len(text)]) + text
    return b"\x30" + bytes([len(inner)]) + inner


@dataclasses.dataclass
class EvParams:
    evcc_id: bytes = bytes.fromhex("02005e000001")  # the EV's MAC address (DIN/ISO-2 EVCCID)
    vehicle_id: str = "WVGIZZZ0TEST00001"  # ISO-20 EVCCID (a string)
    capacity_wh: float = 60000.0
    soc: float = 30.0  # % at plug-in
    target_soc: float = 80.0  # % at which the EV ends charging
    battery_v: float = 380.0  # the battery's voltage (pre-charge target)
    max_v: float = 450.0
    min_v: float = 200.0  # ISO-20 DC: the lowest voltage the EV accepts
    max_a: float = 250.0
    max_w: float = 100000.0
    min_a: float = 0.0
    ac_max_a: float = 32.0  # AC: per phase
    ac_min_a: float = 6.0
    ac_v: float = 230.0
    ac_phases: int = 3
    departure_s: int = 7200
    bpt: bool = False  # bidirectional power transfer (ISO-20 BPT)
    max_discharge_w: float = 11000.0
    payment: str = "ExternalPayment"  # "ExternalPayment" (EIM) or "Contract" (Plug & Charge)
    loop_interval_s: float = 0.05  # pause between charge-loop requests (real EVs use ~50-250 ms)
    soc_per_s: float = 25.0  # how fast the simulated battery fills (% per second) so a session ends in seconds
    precharge_tolerance_v: float = 20.0  # the EV ends pre-charge when the EVSE's voltage is this close
    welding_rounds: int = 1
    max_processing_rounds: int = 200  # how many "Ongoing" answers the EV accepts before it gives up (bounded)
    # ISO-2 Plug & Charge: the contract the EV presents in PaymentDetailsReq (empty sub-CA = left out)
    emaid: str = "DEVGIC000000001"  # eMAIDType: 14-15 characters
    contract_cert: bytes = placeholder_der("vgitest contract certificate")
    contract_sub_ca2_cert: bytes = placeholder_der("vgitest MO Sub-CA 2")
    contract_sub_ca1_cert: bytes = placeholder_der("vgitest MO Sub-CA 1")
    # ISO 15118-2 PowerDeliveryReq(Start): send the optional ChargingProfile (the EV's power per time)
    iso2_charging_profile: bool = True
    # ISO 15118-20 PowerDeliveryReq(Start): the optional EVPowerProfile: "scheduled" (in the Scheduled control mode,
    # naming the chosen schedule), "always" (also Dynamic_EVPPTControlMode in the Dynamic mode), "never"
    iso20_power_profile: str = "scheduled"
    # ISO 15118-20 Scheduled: PowerToleranceAcceptance in the EVPowerProfile ("" = left out,
    # "PowerToleranceConfirmed", "PowerToleranceNotConfirmed")
    iso20_power_tolerance_acceptance: str = ""

    def __post_init__(self) -> None:
        _one_of("ev_iso20_power_profile", self.iso20_power_profile, ("scheduled", "always", "never"))
        _one_of("ev_iso20_power_tolerance_acceptance", self.iso20_power_tolerance_acceptance,
                ("", "PowerToleranceConfirmed", "PowerToleranceNotConfirmed"))

    @classmethod
    def from_pixit(cls, pixit: dict[str, Any]) -> "EvParams":
        return _from_pixit(cls, pixit, "ev_")


NORMAL_ONGOING_ROUNDS = 5  # this many "Ongoing" answers end well before any Ongoing timeout: a normal flow


@dataclasses.dataclass
class EvseParams:
    evse_id: str = "DE*VGI*E1234567"
    max_v: float = 500.0
    min_v: float = 150.0
    max_a: float = 200.0
    min_a: float = 0.0
    max_w: float = 90000.0
    ac_max_a: float = 32.0
    ac_v: float = 230.0
    ac_phases: int = 3
    max_discharge_w: float = 11000.0
    auth_rounds: int = 0  # how often Authorization answers "Ongoing" before "Finished"
    cpd_rounds: int = 0  # ChargeParameterDiscovery "Ongoing" answers
    cable_check_rounds: int = 2  # CableCheck "Ongoing" answers before "Finished"
    precharge_step_v: float = 150.0  # how far the output voltage moves toward the target per PreChargeReq
    receipt_required: bool = False  # ISO-2 Plug & Charge: ask for MeteringReceipt
    payment_options: tuple[str, ...] = ("ExternalPayment",)
    iso20_services: tuple[int, ...] = (1, 2, 5, 6)  # ISO-20 energy services offered: 1 AC, 2 DC, 5 AC_BPT, 6 DC_BPT
    iso20_control_modes: tuple[str, ...] = ("Scheduled", "Dynamic")  # one ServiceDetail parameter set each
    tls: bool = False
    # ISO 15118-20 ScheduleExchangeRes (Scheduled): a price schedule beside each power schedule: "" (none),
    # "absolute" (AbsolutePriceSchedule: one energy fee in `iso20_currency` per kWh) or "levels" (PriceLevelSchedule)
    iso20_price_schedule: str = ""
    iso20_energy_fee: float = 0.35
    iso20_currency: str = "EUR"

    def __post_init__(self) -> None:
        _one_of("evse_iso20_price_schedule", self.iso20_price_schedule, ("", "absolute", "levels"))
        if not 1 <= len(self.iso20_currency) <= 3:
            raise ValueError(f"evse_iso20_currency {self.iso20_currency!r}: 1 to 3 characters (e.g. EUR)")

    @classmethod
    def from_pixit(cls, pixit: dict[str, Any]) -> "EvseParams":
        return _from_pixit(cls, pixit, "evse_")

    def excuses_an_early_stop(self, baseline: "EvseParams") -> bool:
        """Whether this EVSE differs from `baseline` in a way an EV may answer by ending the session (limits it
        cannot charge with, a payment option or service it lacks, a pre-charge that never reaches its voltage).
        A few "Ongoing" answers (at most NORMAL_ONGOING_ROUNDS), a slower pre-charge and the price schedule are
        normal flows every EV must go through: changing them excuses nothing."""
        normal = ["iso20_price_schedule", "iso20_energy_fee", "iso20_currency"]
        normal += [k for k in ("auth_rounds", "cpd_rounds", "cable_check_rounds")
                   if getattr(self, k) <= NORMAL_ONGOING_ROUNDS]
        if self.precharge_step_v > 0:
            normal.append("precharge_step_v")
        return dataclasses.replace(self, **{k: getattr(baseline, k) for k in normal}) != baseline


def _one_of(key: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{key} {value!r}: one of {', '.join(repr(a) for a in allowed)}")


def _from_pixit(cls: Any, pixit: dict[str, Any], prefix: str) -> Any:
    kw: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k, v in pixit.items():
        if not k.startswith(prefix) or k[len(prefix):] not in fields:
            continue
        name = k[len(prefix):]
        default = getattr(cls(), name)
        if isinstance(default, bytes):
            v = bytes.fromhex(str(v))
        elif isinstance(default, tuple):
            v = tuple(v)
        elif isinstance(default, bool):
            v = bool(v)
        elif isinstance(default, float):
            v = float(v)
        elif isinstance(default, int):
            v = int(v)
        kw[name] = v
    return cls(**kw)


def physical(value: float, unit: str, *, lo: int = -32768, hi: int = 32767) -> dict[str, Any]:
    """A DIN/ISO-2 PhysicalValue: the finest multiplier (-3..3) whose scaled value fits a 16-bit Value."""
    for m in range(-3, 4):
        v = round(value / 10 ** m)
        if lo <= v <= hi:
            return {"Multiplier": m, "Unit": unit, "Value": v}
    raise ValueError(f"{value} {unit} does not fit a PhysicalValue")


def from_physical(pv: dict[str, Any] | None) -> float | None:
    if not isinstance(pv, dict) or "Value" not in pv:
        return None
    return float(pv["Value"]) * 10 ** int(pv.get("Multiplier", 0))


def rational(value: float) -> dict[str, int]:
    """An ISO-20 RationalNumber (Exponent, 16-bit Value)."""
    for e in range(-3, 4):
        v = round(value / 10 ** e)
        if -32768 <= v <= 32767:
            return {"Exponent": e, "Value": v}
    raise ValueError(f"{value} does not fit a RationalNumber")


def from_rational(rn: dict[str, Any] | None) -> float | None:
    if not isinstance(rn, dict) or "Value" not in rn:
        return None
    return float(rn["Value"]) * 10 ** int(rn.get("Exponent", 0))

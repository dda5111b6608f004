"""The OCPP 1.6 Smart Charging entries of the fault catalog (behaviour in v16_smart.py): which suite test of
suites/ocpp16/test_smart_charging.py catches each fault, and with which rule."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule)


_f("sc_tx_default_rejected", "SetChargingProfile with a TxDefaultProfile is answered Rejected", "TC_056_CS",
   r.STATION_RESPONSE)
_f("sc_limit_not_applied", "charging profiles are stored and reported, but the EV keeps drawing its full power",
   ("TC_056_CS", "TC_057_CS", "TC_059_CS", "TC_082_CS"), r.SC_LIMIT)
_f("sc_tx_profile_rejected", "SetChargingProfile with a TxProfile for the running transaction is answered Rejected",
   "TC_057_CS", r.STATION_RESPONSE)
_f("sc_tx_profile_without_tx_accepted", "a TxProfile is accepted on a connector without a transaction",
   "TC_058_1_CS", r.STATION_RESPONSE)
_f("sc_tx_profile_wrong_tx_accepted", "a TxProfile naming another transaction than the running one is accepted",
   "TC_058_2_CS", r.STATION_RESPONSE)
_f("sc_remote_start_profile_ignored", "the TxProfile of a RemoteStartTransaction is accepted but not used for the "
   "transaction", "TC_059_CS", r.STATION_RESPONSE)
_f("sc_remote_start_any_purpose", "a RemoteStartTransaction whose chargingProfile is not a TxProfile is accepted",
   "TC_060_CS", r.STATION_RESPONSE)
_f("sc_composite_ignores_max_profile", "the ChargePointMaxProfile does not cap the composite schedule",
   "TC_066_CS", r.STATION_RESPONSE)
_f("sc_tx_profile_min_with_default", "a TxProfile is combined with the TxDefaultProfile by taking the lower limit "
   "instead of overriding it", "TC_066_CS", r.STATION_RESPONSE)
_f("sc_clear_ignored", "ClearChargingProfile answers Accepted but removes nothing", "TC_067_CS", r.STATION_RESPONSE)
_f("sc_lowest_stack_wins", "among profiles of one purpose the lowest stack level prevails instead of the highest",
   "TC_072_CS", r.STATION_RESPONSE)
_f("sc_tx_default_not_for_running_tx", "a TxDefaultProfile set during a transaction applies only to transactions "
   "that start later", "TC_082_CS", r.STATION_RESPONSE)

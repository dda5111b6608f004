"""OCPP 2.1 faults of block Q (bidirectional power transfer; behaviour in v2x_v21.py): which case of
suites/ocpp21/test_Q_bidirectional.py catches each, and with which rule."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.1"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule)


_f("v2x_export_not_metered", "the export power and energy of a V2X transaction are not reported although "
   "TxUpdatedMeasurands names them", "TC_Q_100_CS", r.EXPECTED_MESSAGE)
_f("v2x_needs_without_v2x_parameters", "a bidirectional EV's NotifyEVChargingNeeds carries no v2xChargingParameters",
   "TC_Q_101_CS", r.EXPECTED_MESSAGE)
_f("v2x_operation_mode_not_reported", "the operation mode a charging profile puts in force is neither announced "
   "(OperationModeChanged) nor carried in the transaction's events", "TC_Q_101_CS", r.EXPECTED_MESSAGE)
_f("v2x_setpoint_ignored", "a CentralSetpoint or CentralFrequency profile is accepted, but the EV keeps charging at "
   "full power", ("TC_Q_109_CS", "TC_Q_110_CS", "TC_Q_117_CS"), r.V2X_POWER)
_f("v2x_profile_unvalidated", "a V2X charging profile is accepted without checking the fields its operation mode "
   "needs or forbids (a LocalFrequency period without its curve, an Idle period with a setpoint)",
   ("TC_Q_119_CS", "TC_Q_127_CS"), r.STATION_RESPONSE)
_f("v2x_unsupported_mode_accepted", "a profile with an operation mode the station does not support "
   "(LocalLoadBalancing) is accepted", "TC_Q_123_CS", r.STATION_RESPONSE)
_f("v2x_modes_rejected", "every charging profile period with an operation mode other than ChargingOnly is "
   "rejected (the station refuses V2X control)", ("TC_Q_101_CS", "TC_Q_109_CS", "TC_Q_110_CS", "TC_Q_117_CS",
                                                   "TC_Q_118_CS", "TC_Q_119_CS", "TC_Q_120_CS", "TC_Q_127_CS"),
   r.STATION_RESPONSE)
_f("v2x_evse_sleep_accepted", "an Idle period asking for evseSleep is accepted by a station that cannot sleep",
   "TC_Q_126_CS", r.STATION_RESPONSE)
_f("v2x_needs_rejection_ignored", "the CSMS rejects a bidirectional EV's needs, and the transaction goes on as if "
   "they had been accepted", "TC_Q_103_CS", r.EXPECTED_MESSAGE)
_f("v2x_needs_rejection_wrong_reason", "after rejected needs the transaction ends with stoppedReason Other instead "
   "of ReqEnergyTransferRejected", "TC_Q_103_CS", r.EXPECTED_MESSAGE)
_f("v2x_expiry_not_reported", "when a V2X profile's schedule runs out, the station does not report the operation "
   "mode it falls back to", "TC_Q_118_CS", r.EXPECTED_MESSAGE)
_f("v2x_profile_never_expires", "a V2X profile keeps its setpoint after its schedule's duration has run out",
   "TC_Q_118_CS", r.V2X_POWER)
_f("v2x_afrr_ignored", "an aFRR signal is accepted, but the power does not follow the profile's signal-power curve",
   "TC_Q_120_CS", r.V2X_POWER)
_f("v2x_dynamic_update_ignored", "UpdateDynamicSchedule is answered Accepted, but the pushed setpoint is not applied",
   "TC_Q_109_CS", r.V2X_POWER)
_f("v2x_no_pull", "a dynamic profile with dynUpdateInterval never makes the station ask for its update",
   "TC_Q_110_CS", r.EXPECTED_MESSAGE)
_f("v2x_pull_update_ignored", "the update the station pulled (PullDynamicScheduleUpdate) is not applied",
   "TC_Q_110_CS", r.V2X_POWER)

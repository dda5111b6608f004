"""OCPP 2.0.1 faults of the Core mandatory cases added for issue 17 (blocks B, F, G, J and P): availability at
every level and across reboots, clock-aligned meter values, the connection timeout of a remote start and
customData. Each fault names the suite test(s) that must catch it and the rule id; imported by `catalog_v201`.
"""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# --- B: device model --------------------------------------------------------------------------------------------
_f("full_report_missing_mandatory", "The FullInventory report leaves out a mandatory Core variable "
   "(OCPPCommCtrlr.OfflineThreshold) that GetVariables still serves", "TC_B_53_CS", r.STATION_RESPONSE)

_f("network_profile_any_slot_accepted", "SetNetworkProfile for a configuration slot the station does not have is "
   "Accepted", "TC_B_43_CS", r.STATION_RESPONSE)

# --- G: ChangeAvailability -------------------------------------------------------------------------------------
_f("availability_same_state_rejected", "ChangeAvailability to the state its target already has (Operative to "
   "Operative, Inoperative to Inoperative) is Rejected instead of Accepted",
   ("TC_G_10_CS", "TC_G_12_CS", "TC_G_13_CS", "TC_G_15_CS", "TC_G_16_CS"), r.STATION_RESPONSE)
_f("connector_inoperative_ignored", "ChangeAvailability(Inoperative) of one connector is Accepted but the "
   "connector stays Available", "TC_G_07_CS", r.STATUS_TRANSITION)
_f("connector_operative_ignored", "ChangeAvailability(Operative) of one connector is Accepted but the connector "
   "stays Unavailable", "TC_G_08_CS", r.STATUS_TRANSITION)
_f("scheduled_inoperative_forgotten", "An Inoperative change scheduled during a transaction is dropped when the "
   "transaction ends: the connector becomes Available instead of Unavailable", ("TC_G_14_CS", "TC_G_17_CS"),
   r.STATUS_TRANSITION)
_f("availability_not_persistent", "Availability set by the CSMS is forgotten over a restart (reset or power "
   "cycle): every connector comes back Available", ("TC_B_23_CS", "TC_G_18_CS", "TC_G_19_CS", "TC_G_21_CS"),
   r.STATUS_TRANSITION)
_f("no_startup_security_event", "After a (re)start the station sends no SecurityEventNotification "
   "(StartupOfTheDevice / ResetOrReboot)", ("TC_G_19_CS", "TC_G_21_CS"), r.EXPECTED_MESSAGE)

# --- F: remote start without an EV ---------------------------------------------------------------------------
_f("remote_start_timeout_ignored", "A remote-started transaction whose EV never plugs in is not ended after "
   "EVConnectionTimeOut (a locally authorized one is)", "TC_F_04_CS", r.EXPECTED_MESSAGE)

# --- J: clock-aligned meter values -----------------------------------------------------------------------------
_f("aligned_values_periodic_context", "Clock-aligned meter values carry context Sample.Periodic instead of "
   "Sample.Clock", "TC_J_01_CS", r.EXPECTED_MESSAGE)
_f("aligned_tx_wrong_trigger", "A TransactionEvent with clock-aligned meter values says triggerReason "
   "MeterValuePeriodic instead of MeterValueClock", "TC_J_02_CS", r.EXPECTED_MESSAGE)
_f("aligned_interval_doubled", "Clock-aligned meter values come every second aligned interval only",
   "TC_J_01_CS", r.EXPECTED_MESSAGE)
_f("aligned_tx_ended_missing", "The Ended TransactionEvent leaves out the clock-aligned readings of "
   "AlignedDataCtrlr.TxEndedInterval", "TC_J_03_CS", r.EXPECTED_MESSAGE)

# --- P: customData ---------------------------------------------------------------------------------------------
_f("custom_data_rejected", "Get/SetVariables items that carry a customData element are Rejected instead of "
   "served (customData must be tolerated)", "TC_P_03_CS", r.STATION_RESPONSE)

"""OCPP 2.0.1 faults of the Core conditional cases added for issue 17 outside blocks C, L, M, N and the offline
cases: when transactions start and stop (TxStartPoint / TxStopPoint), deauthorization by the CSMS, remote start and
stop reasons, triggered messages for every EVSE and of the log and firmware state, clock-aligned values only while
idle, a reset of one EVSE on a station without it, and a remote start's charging profile on a station without smart
charging. Each fault names the suite test(s) that must catch it and the rule id; imported by `catalog_v201`.
"""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# --- E: start and stop points, deauthorization ------------------------------------------------------------------
_f("tx_start_point_ignored", "TxStartPoint PowerPathClosed, EnergyTransfer or DataSigned is accepted, but the station still "
   "starts a transaction as soon as the EV is plugged in", ("TC_E_01_CS", "TC_E_02_CS", "TC_E_11_CS"),
   r.FORBIDDEN_MESSAGE)
_f("tx_stop_point_ignored", "TxStopPoint PowerPathClosed or EnergyTransfer is accepted, but only EVConnected and "
   "Authorized ever end a transaction: stopping the authorization or unplugging leaves it open",
   ("TC_E_07_CS", "TC_E_08_CS", "TC_E_37_CS"), r.EXPECTED_MESSAGE)
_f("remote_start_trigger_authorized", "The Started event of a remote start says triggerReason Authorized instead "
   "of RemoteStart", "TC_E_13_CS", r.EXPECTED_MESSAGE)
_f("remote_stop_reason_wrong", "A transaction ended by RequestStopTransaction says stoppedReason Local instead of "
   "Remote", ("TC_E_21_CS", "TC_E_35_CS"), r.EXPECTED_MESSAGE)
_f("unplug_stopped_reason_wrong", "A transaction ended by unplugging the cable says stoppedReason Local instead of "
   "EVDisconnected", ("TC_E_14_CS", "TC_E_37_CS"), r.EXPECTED_MESSAGE)
_f("invalid_token_answer_ignored", "The station keeps the transaction going when the CSMS answers its "
   "TransactionEvent with a non-Accepted idTokenInfo", "TC_E_16_CS", r.EXPECTED_MESSAGE)
_f("connect_timeout_reason_wrong", "A transaction ended because the EV did not come within EVConnectionTimeOut "
   "says stoppedReason Local instead of Timeout", "TC_E_39_CS", r.EXPECTED_MESSAGE)

# --- F: TriggerMessage --------------------------------------------------------------------------------------------
_f("trigger_all_evse_ignored", "A MeterValues or TransactionEvent trigger without an EVSE is Accepted but nothing "
   "is sent (only a trigger naming an EVSE works)", ("TC_F_12_CS", "TC_F_14_CS"), r.EXPECTED_MESSAGE)
_f("trigger_log_status_wrong", "A triggered LogStatusNotification says Uploading although no upload runs",
   "TC_F_15_CS", r.EXPECTED_MESSAGE)
_f("trigger_firmware_evse_rejected", "A FirmwareStatusNotification trigger that names an EVSE is Rejected instead of "
   "the EVSE being ignored", "TC_F_17_CS", r.STATION_RESPONSE)
_f("trigger_firmware_status_wrong", "A triggered FirmwareStatusNotification says Downloaded although no firmware "
   "update runs", "TC_F_18_CS", r.EXPECTED_MESSAGE)

# --- J: clock-aligned values only while idle ------------------------------------------------------------------------
_f("aligned_send_during_idle_ignored", "AlignedDataCtrlr.SendDuringIdle = true is accepted, but clock-aligned values "
   "still come during a transaction", "TC_J_06_CS", r.FORBIDDEN_MESSAGE)

# --- B: reset of one EVSE on a station without it ------------------------------------------------------------------
_f("evse_reset_busy_scheduled", "A station that cannot reset a single EVSE answers Scheduled to a reset of the EVSE "
   "with a transaction, as if it could", "TC_B_29_CS", r.STATION_RESPONSE)

# --- K: a remote start's charging profile on a station without smart charging ------------------------------------
_f("remote_start_profile_rejected", "A station without smart charging rejects a RequestStartTransaction because it "
   "carries a chargingProfile, instead of ignoring the profile", "TC_K_38_CS", r.STATION_RESPONSE)

# --- E: the triggerReason of a start -------------------------------------------------------------------------------
_f("plugin_start_trigger_wrong", "The Started event of a transaction that starts at plug-in says triggerReason "
   "Authorized instead of CablePluggedIn", "TC_E_09_CS", r.EXPECTED_MESSAGE)
_f("local_start_trigger_wrong", "The Started event of a transaction that starts at a local authorization says "
   "triggerReason CablePluggedIn instead of Authorized", "TC_E_10_CS", r.EXPECTED_MESSAGE)

# --- J: signed meter values ------------------------------------------------------------------------------------------
_f("signed_readings_missing", "SampledDataCtrlr.SignReadings and AlignedDataCtrlr.SignReadings are accepted as true, "
   "but the readings carry no signedMeterValue", ("TC_J_04_CS", "TC_J_11_CS", "TC_E_11_CS"), r.EXPECTED_MESSAGE)

# --- E: local stop, EV-side disconnect ------------------------------------------------------------------------------
_f("local_stop_trigger_wrong", "The event of a driver's local stop (the same idToken presented again) says "
   "triggerReason Authorized instead of StopAuthorized", "TC_E_06_CS", r.EXPECTED_MESSAGE)
_f("ev_side_disconnect_kept", "With TxStopPoint Authorized and StopTxOnEVSideDisconnect true, the station keeps the "
   "transaction when the cable is pulled out instead of deauthorizing and ending it", "TC_E_17_CS",
   r.EXPECTED_MESSAGE)

# --- F: remote unlock without a cable -------------------------------------------------------------------------------
_f("unlock_no_cable_failed", "UnlockConnector of a connector with no cable in it answers UnlockFailed instead of "
   "Unlocked (there is nothing to hold, the connector is unlocked)", "TC_F_07_CS", r.STATION_RESPONSE)

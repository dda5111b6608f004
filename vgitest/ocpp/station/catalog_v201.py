"""The OCPP 2.0.1 fault catalog of the reference station: each fault, the suite test that must catch it and
the rule id that test must report. Message-level faults live in `base.py`; the others in `v201.py`.

`tests/test_fault_matrix.py` runs every entry; a fault that no test catches is a defect of the suite.
"""

from __future__ import annotations

from .. import rules as r
from . import robustness
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str, strict: bool = False) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule, strict=strict)


# --- message level (implemented by the base station) -------------------------------------------------------
_f("duplicate_message_id", "Every CALL reuses the same message id", "TC_VGI_RPC_04_CS", r.MSGID_REUSED)
_f("long_message_id", "CALL message ids are longer than 36 characters", "TC_VGI_RPC_04_CS", r.MSGID_LENGTH)
_f("empty_message_id", "CALL message ids are empty strings", "TC_VGI_RPC_04_CS", r.MSGID_EMPTY)
_f("binary_frames", "Frames are sent as binary WebSocket frames instead of text", "TC_B_01_CS", r.FRAME_BINARY)
_f("invalid_json", "Heartbeat frames lose their closing bracket (invalid JSON)", "TC_F_20_CS", r.FRAME_JSON)
_f("wrong_action_case", "Heartbeat is sent as 'heartbeat' (actions are case-sensitive)", "TC_F_20_CS",
   r.ACTION_CASE)
_f("callerror_on_callresult", "The station answers the CSMS's Heartbeat CALLRESULT with a CALLERROR",
   "TC_F_20_CS", r.CALLERROR_NOT_FOR_CALL)
_f("concurrent_call", "The station sends a CALL while its previous CALL is still unanswered",
   "TC_VGI_RPC_05_CS", r.CALL_CONCURRENT)
_f("late_response", "Answers to CSMS CALLs arrive after the response timeout", "TC_VGI_RPC_07_CS",
   r.RESPONSE_TIMEOUT)
_f("wrong_message_id", "Answers to CSMS CALLs carry a message id that matches no CALL", "TC_VGI_RPC_07_CS",
   r.RESULT_ORPHAN)
_f("wrong_error_code_spelling", "CALLERROR codes use the OCPP 1.6 spellings (OccurenceConstraintViolation...)",
   "TC_VGI_RPC_02_CS", r.ERROR_CODE_SPELLING)
_f("error_details_not_object", "CALLERROR errorDetails is a string instead of an object", "TC_VGI_RPC_03_CS",
   r.ERROR_DETAILS)
_f("no_status_after_boot", "No connector state report after boot Accepted", "TC_B_01_CS", r.STATUS_AFTER_BOOT)
_f("traffic_before_boot", "StatusNotification is sent before the BootNotification after a (re)start",
   "TC_B_01_CS", r.BOOT_BEFORE_ACCEPT)
_f("boot_retry_too_early", "BootNotification is repeated long before the Pending/Rejected interval elapsed",
   "TC_B_03_CS", r.BOOT_RETRY_EARLY)
_f("heartbeat_drift", "Heartbeats come 60 % later than the interval", "TC_VGI_HB_01_CS", r.HEARTBEAT_GAP)
_f("heartbeat_too_often", "Heartbeats come six times as often as the interval (a SHOULD)", "TC_VGI_HB_01_CS",
   r.HEARTBEAT_EARLY, strict=True)

# --- OCPP 2.0.1 behaviour (implemented by Station201) -------------------------------------------------------
_f("unknown_type_ignored", "A frame with an unknown message type id is silently ignored", "TC_VGI_RPC_06_CS",
   r.EXPECTED_MESSAGE)
_f("unknown_action_wrong_code", "An unknown action is answered NotSupported instead of NotImplemented",
   "TC_VGI_RPC_01_CS", r.STATION_RESPONSE)
_f("rejected_answers_requests", "While boot is Rejected, CSMS requests are served instead of SecurityError",
   "TC_B_30_CS", r.STATION_RESPONSE)
_f("pending_accepts_remote_start", "While boot is Pending, RequestStartTransaction is Accepted", "TC_B_02_CS",
   r.STATION_RESPONSE)
_f("ignore_reset", "Reset is Accepted but the station never restarts", "TC_B_20_CS", r.RESET_IGNORED)
_f("no_boot_after_reboot", "After a Reset the station reconnects without sending BootNotification", "TC_B_20_CS",
   r.BOOT_MISSING)
_f("wrong_boot_reason", "After a Reset the BootNotification reason is PowerUp instead of RemoteReset",
   "TC_B_20_CS", r.EXPECTED_MESSAGE)
_f("reset_keeps_transaction", "An Immediate reset reboots without ending the ongoing transaction first",
   "TC_B_22_CS", r.TX_EVENT_ORDER)
_f("evse_reset_accepted", "A Reset of one EVSE is Accepted, and the whole station restarts", "TC_B_28_CS",
   r.STATION_RESPONSE)
_f("reset_onidle_immediate", "An OnIdle reset during a transaction is Accepted (and executed) at once",
   "TC_B_21_CS", r.STATION_RESPONSE)
_f("config_not_applied", "SetVariables answers Accepted but keeps the old value", "TC_B_09_CS",
   r.CONFIG_NOT_APPLIED)
_f("readonly_writable", "SetVariables accepts a write to a ReadOnly variable", "TC_B_39_CS", r.STATION_RESPONSE)
_f("unknown_variable_accepted", "GetVariables answers Accepted (with a value) for an unknown variable",
   "TC_B_33_CS", r.STATION_RESPONSE)
_f("invalid_value_accepted", "SetVariables accepts values of the wrong data type", "TC_B_11_CS",
   r.STATION_RESPONSE)
_f("boot_interval_not_stored", "The heartbeat interval of the boot answer is used but HeartbeatInterval still "
   "reads the built-in default", "TC_B_06_CS", r.CONFIG_NOT_APPLIED)
_f("get_variables_reversed", "GetVariables returns its results in reverse request order", "TC_B_07_CS",
   r.STATION_RESPONSE)
_f("set_variables_first_only", "SetVariables stores only the first item of a request but answers Accepted for all",
   "TC_B_10_CS", r.CONFIG_NOT_APPLIED)
_f("unknown_component_as_variable", "Get/SetVariables answer UnknownVariable where the component is unknown",
   ("TC_B_32_CS", "TC_B_35_CS"), r.STATION_RESPONSE)
_f("attribute_type_ignored", "Get/SetVariables ignore attributeType and serve the Actual value for any type",
   ("TC_B_34_CS", "TC_B_37_CS"), r.STATION_RESPONSE)
_f("set_unknown_variable_accepted", "SetVariables of an unknown variable answers Accepted and drops the value",
   "TC_B_36_CS", r.STATION_RESPONSE)
_f("report_seqno_broken", "NotifyReport parts skip a seqNo and the last part still says tbc", "TC_B_13_CS",
   r.STATION_RESPONSE)
_f("config_report_has_readonly", "A ConfigurationInventory report also lists the ReadOnly variables", "TC_B_12_CS",
   r.STATION_RESPONSE)
_f("summary_report_accepted", "GetBaseReport SummaryInventory is Accepted (and reported) although not supported",
   "TC_B_15_CS", r.STATION_RESPONSE)
_f("wrong_transaction_id", "TransactionEvent Ended carries another transactionId than Started", "TC_E_03_CS",
   r.TX_ID)
_f("seqno_gap", "TransactionEvent seqNo jumps by two", "TC_E_03_CS", r.TX_SEQNO)
_f("first_event_not_started", "The first TransactionEvent of a transaction says Updated instead of Started",
   "TC_E_03_CS", r.TX_EVENT_ORDER)
_f("no_evse_in_first_event", "The TransactionEvent after plug-in lacks evse.id/connectorId", "TC_E_03_CS",
   r.EXPECTED_MESSAGE)
_f("null_optional_field", "TransactionEvent carries an optional field as null", "TC_E_03_CS", r.OPTIONAL_EMPTY)
_f("no_idtoken_after_authorize", "The TransactionEvent after authorization lacks the idToken", "TC_E_04_CS",
   r.EXPECTED_MESSAGE)
_f("skip_authorize", "A presented idToken starts charging without asking the CSMS (no Authorize)", "TC_E_04_CS",
   r.EXPECTED_MESSAGE)
_f("start_tx_when_invalid", "An idToken the CSMS reports Invalid/Blocked/Expired still starts a transaction",
   ("TC_C_02_CS", "TC_C_06_CS", "TC_C_07_CS"), r.FORBIDDEN_MESSAGE)
_f("tx_status_wrong", "GetTransactionStatus says a running transaction is not ongoing", "TC_E_30_CS",
   r.STATION_RESPONSE)
_f("tx_status_indicator_missing", "GetTransactionStatus leaves out ongoingIndicator for a transaction that is not "
   "running (unknown or ended) instead of saying false", ("TC_E_28_CS", "TC_E_32_CS"), r.STATION_RESPONSE)
_f("tx_status_claims_queued", "GetTransactionStatus says messages are queued although none are",
   "TC_E_34_CS", r.STATION_RESPONSE)
_f("ev_connect_timeout_ignored", "An authorized transaction whose EV never plugs in is not ended after "
   "EVConnectionTimeOut", "TC_E_05_CS", r.EXPECTED_MESSAGE)
_f("local_stop_ignored", "Presenting the transaction's own idToken again does not stop it (it is only authorized)",
   "TC_E_15_CS", r.EXPECTED_MESSAGE)
_f("meter_values_out_of_order", "Periodic meter values go back in time and the energy register decreases",
   "TC_J_09_CS", r.METER_ORDER)
_f("no_meter_values", "No periodic meter values during charging", "TC_J_09_CS", r.EXPECTED_MESSAGE)
_f("no_begin_meter_value", "The Started TransactionEvent carries no meter value (no Transaction.Begin reading)",
   "TC_J_07_CS", r.EXPECTED_MESSAGE)
_f("end_meter_value_wrong_context", "The meter value of the Ended TransactionEvent has context Sample.Periodic "
   "instead of Transaction.End", "TC_J_10_CS", r.EXPECTED_MESSAGE)
_f("schema_violation", "Sampled values are sent as strings instead of numbers (the CSMS refuses such a "
   "TransactionEvent, so the station repeats it as E13 says: the case that sees the first one, the Started event, "
   "catches it)", "TC_J_07_CS", r.SCHEMA)
_f("authorize_remote_start_ignored", "A remote start is not authorized with the CSMS although "
   "AuthorizeRemoteStart is true", "TC_F_02_CS", r.EXPECTED_MESSAGE)
_f("remote_start_ignored", "RequestStartTransaction is Accepted but no transaction is started", "TC_F_03_CS",
   r.EXPECTED_MESSAGE)
_f("remote_start_no_remote_start_id", "Remote-started transactions do not echo remoteStartId", "TC_F_01_CS",
   r.EXPECTED_MESSAGE)
_f("remote_stop_rejected", "RequestStopTransaction of the running transaction is Rejected", "TC_F_08_CS",
   r.STATION_RESPONSE)
_f("remote_stop_accepts_unknown", "RequestStopTransaction of an unknown transaction is Accepted", "TC_F_09_CS",
   r.STATION_RESPONSE)
_f("unlock_fails", "UnlockConnector always answers UnlockFailed", "TC_F_06_CS", r.STATION_RESPONSE)
_f("unlock_unknown_connector", "UnlockConnector of an EVSE the station does not have answers Unlocked",
   "TC_F_10_CS", r.STATION_RESPONSE)
_f("unlock_during_tx", "UnlockConnector unlocks although an authorized transaction is ongoing", "TC_F_05_CS",
   r.STATION_RESPONSE)
_f("trigger_ignored", "TriggerMessage is Accepted but the requested message is never sent", "TC_F_20_CS",
   r.EXPECTED_MESSAGE)
_f("trigger_meter_values_main_meter", "A triggered MeterValues for one EVSE is sent for evseId 0 (the main "
   "meter) instead", "TC_F_11_CS", r.EXPECTED_MESSAGE)
_f("trigger_tx_event_wrong_reason", "A triggered TransactionEvent says triggerReason MeterValuePeriodic instead of "
   "Trigger", "TC_F_13_CS", r.EXPECTED_MESSAGE)
_f("trigger_status_only_on_change", "A triggered StatusNotification is only sent when the connector state changed "
   "since the last report (so in effect never)", ("TC_F_23_CS", "TC_F_24_CS"), r.EXPECTED_MESSAGE)
_f("trigger_unsupported_rejected", "TriggerMessage for a message the station does not implement answers Rejected "
   "instead of NotImplemented", "TC_F_27_CS", r.STATION_RESPONSE)
_f("trigger_boot_when_accepted", "TriggerMessage(BootNotification) is Accepted although boot is already Accepted",
   "TC_F_26_CS", r.STATION_RESPONSE)
_f("clear_cache_rejected", "ClearCache is Rejected although the authorization cache is enabled", "TC_C_37_CS",
   r.STATION_RESPONSE)
_f("clear_cache_when_disabled", "ClearCache is Accepted although the authorization cache is disabled",
   "TC_C_38_CS", r.STATION_RESPONSE)
_f("data_transfer_accepted", "DataTransfer for an unknown vendorId is Accepted", "TC_P_01_CS", r.STATION_RESPONSE)
_f("availability_ignored", "ChangeAvailability is Accepted but no Unavailable state is reported", "TC_G_03_CS",
   r.STATUS_TRANSITION)
_f("availability_during_tx_accepted", "ChangeAvailability(Inoperative) during a transaction answers Accepted "
   "instead of Scheduled", "TC_G_11_CS", r.STATION_RESPONSE)
_f("evse_operative_ignored", "ChangeAvailability(Operative) of one EVSE is Accepted but the EVSE stays "
   "Unavailable", "TC_G_04_CS", r.STATUS_TRANSITION)
_f("station_inoperative_ignored", "ChangeAvailability(Inoperative) of the whole station is Accepted but the "
   "connectors stay Available", "TC_G_05_CS", r.STATUS_TRANSITION)
_f("station_operative_ignored", "ChangeAvailability(Operative) of the whole station is Accepted but the connectors "
   "stay Unavailable", "TC_G_06_CS", r.STATUS_TRANSITION)
_f("availability_always_reported", "Every ChangeAvailability is followed by StatusNotifications, even when no "
   "state changed", "TC_G_09_CS", r.FORBIDDEN_MESSAGE)
_f("no_available_after_unplug", "Unplugging the EV is not reported: the CSMS still sees the connector Occupied",
   "TC_G_02_CS", r.STATUS_TRANSITION)
_f("no_occupied_status", "Plugging in an EV is not reported as Occupied", "TC_G_01_CS", r.STATUS_TRANSITION)
_f("missing_mandatory_field", "StatusNotification lacks its required timestamp", "TC_G_01_CS", r.SCHEMA)

# --- robustness: only generated or malformed input reveals these (station/robustness.py; the fuzz suites) ------
for _name, (_test, _rule) in robustness.CAUGHT_BY.items():
    _f(_name, robustness.FAULTS[_name], _test, _rule, strict=_name in robustness.STRICT)

# --- life cycle: only a sequence of transactions reveals these (v201.py; the model case TC_VGI_FUZZ_06_CS) -------
_f("tx_id_reused_after_remote_stop", "the transaction after one a remote stop ended gets that transaction's id again",
   "TC_VGI_FUZZ_06_CS", r.TX_ID)
_f("meter_restarts_after_unplug", "the energy register starts again from zero once the EV is unplugged",
   "TC_VGI_FUZZ_06_CS", r.METER_ORDER)

# --- the Core mandatory cases added for issue 17 (their own module, so that parallel work does not collide) -------
from . import catalog_v201_core  # noqa: E402,F401
from . import catalog_v201_logs  # noqa: E402,F401
from . import catalog_v201_certs  # noqa: E402,F401
from . import catalog_v201_auth  # noqa: E402,F401
from . import catalog_v201_firmware  # noqa: E402,F401
from . import catalog_v201_offline  # noqa: E402,F401
from . import catalog_v201_cond  # noqa: E402,F401  (the Core conditional cases: TxStart/StopPoint, triggers ...)

"""The OCPP 1.6J entries of the fault catalog: which suite test catches each fault, and with which rule.

The message-level faults are implemented by the station base; the behaviour faults by `v16.Station16`.
Test names refer to `suites/ocpp16/`; every entry is proven by running that test with the fault injected.
"""

from __future__ import annotations

from .. import rules as r
from . import robustness
from .faults import fault

V = "1.6"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str, strict: bool = False) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule, strict=strict)


# --- message level (implemented in station/base.py) --------------------------------------------------------
_f("duplicate_message_id", "every CALL uses the same message id", ("TC_001_CS", "TC_VGI_RPC_04_CS"), r.MSGID_REUSED)
_f("long_message_id", "CALL message ids are 40 characters long (max 36)", "TC_001_CS", r.MSGID_LENGTH)
_f("empty_message_id", "CALL message ids are empty strings", "TC_001_CS", r.MSGID_EMPTY)
_f("binary_frames", "frames are sent as binary WebSocket frames", "TC_001_CS", r.FRAME_BINARY)
_f("invalid_json", "Heartbeat frames are truncated, invalid JSON", "TC_VGI_HB_01_CS", r.FRAME_JSON)
_f("wrong_action_case", "Heartbeat is sent as 'heartbeat'", "TC_VGI_HB_01_CS", r.ACTION_CASE)
_f("callerror_on_callresult", "the station answers the CSMS's Heartbeat CALLRESULT with a CALLERROR",
   "TC_VGI_HB_01_CS", r.CALLERROR_NOT_FOR_CALL)
_f("heartbeat_drift", "heartbeats come 1.6 times the interval apart", "TC_VGI_HB_01_CS", r.HEARTBEAT_GAP)
_f("heartbeat_too_often", "heartbeats come six times as often as the interval asks (a SHOULD)",
   "TC_VGI_HB_01_CS", r.HEARTBEAT_EARLY, strict=True)
_f("concurrent_call", "the station sends a CALL while its previous CALL is unanswered (SHOULD NOT in 1.6)",
   "TC_VGI_RPC_05_CS", r.CALL_CONCURRENT, strict=True)
_f("late_response", "answers to CSMS requests come after the response timeout", "TC_019_CS",
   r.RESPONSE_TIMEOUT)  # TC_042_1_CS, under the profile without a local list: catalog_v16_reservation.py
_f("wrong_message_id", "CALLRESULTs carry a message id that matches no CSMS CALL", "TC_019_CS", r.RESULT_ORPHAN)
_f("wrong_error_code_spelling", "CALLERRORs use the 2.0.1 spelling of 1.6 error codes",
   ("TC_VGI_RPC_02_CS", "TC_VGI_RPC_03_CS"),
   r.ERROR_CODE_SPELLING)
_f("error_details_not_object", "CALLERROR errorDetails is a string instead of an object", "TC_VGI_RPC_01_CS",
   r.ERROR_DETAILS)
_f("no_status_after_boot", "no StatusNotification after the boot is accepted", "TC_001_CS", r.STATUS_AFTER_BOOT)
_f("traffic_before_boot", "StatusNotifications are sent before the BootNotification", "TC_001_CS",
   r.BOOT_BEFORE_ACCEPT)
_f("boot_retry_too_early", "after Pending/Rejected the BootNotification is repeated at once", "TC_002_CS",
   r.BOOT_RETRY_EARLY)
_f("wrong_basic_auth", "the station sends a wrong HTTP Basic password", "TC_085_CS", r.BASIC_AUTH)
_f("no_subprotocol", "the station offers no OCPP subprotocol in the handshake", "TC_VGI_CONN_02_CS",
   r.SUBPROTOCOL)
_f("reboot_on_reconnect", "a BootNotification is sent after every reconnection, not only after a restart "
   "(a SHOULD NOT)", "TC_VGI_CONN_01_CS", r.FORBIDDEN_MESSAGE, strict=True)

# --- boot, reset, availability ------------------------------------------------------------------------------
_f("rejected_boot_traffic", "while registration is Rejected the station reports connector states",
   "TC_VGI_BOOT_01_CS", r.BOOT_BEFORE_ACCEPT)
_f("pending_hides_configuration", "while registration is Pending, GetConfiguration reports no keys",
   "TC_002_CS", r.STATION_RESPONSE)
_f("missing_mandatory_field", "StatusNotification lacks the required errorCode", "TC_001_CS", r.SCHEMA)
_f("ignore_reset", "Reset is accepted but the station never restarts", "TC_013_CS", r.RESET_IGNORED)
_f("no_boot_after_reboot", "after a Reset the station reconnects without a BootNotification", "TC_014_CS",
   r.BOOT_MISSING)
_f("reset_without_stop", "a Reset ends a running transaction without StopTransaction",
   ("TC_016_CS", "TC_015_CS"),
   r.EXPECTED_MESSAGE)
_f("availability_ignored", "ChangeAvailability is accepted but the connector state does not change",
   "TC_VGI_AVAIL_01_CS", r.STATUS_TRANSITION)
_f("availability_not_persistent", "an Inoperative connector comes back Available after a power cycle",
   "TC_034_CS", r.STATUS_TRANSITION)

# --- authorization and local start/stop ---------------------------------------------------------------------
_f("null_optional_field", "StartTransaction carries reservationId: null instead of omitting it (1.6: null is not an "
   "integer, a schema violation)", ("TC_003_CS", "TC_004_1_CS", "TC_010_CS"),
   r.SCHEMA)
_f("connection_timeout_ignored", "an authorization without a cable never times out (ConnectionTimeOut)",
   ("TC_004_2_CS", "TC_011_2_CS"), r.STATUS_TRANSITION)
_f("start_tx_when_invalid", "a transaction starts although the idTag was not accepted", "TC_023_4_CS",
   r.FORBIDDEN_MESSAGE)
_f("no_stop_on_ev_disconnect", "unplugging the EV does not stop the transaction although "
   "StopTransactionOnEVSideDisconnect is true", "TC_005_1_CS", r.EXPECTED_MESSAGE)
_f("stop_on_ev_disconnect_always", "unplugging the EV stops the transaction although "
   "StopTransactionOnEVSideDisconnect is false", "TC_005_3_CS", r.FORBIDDEN_MESSAGE)
_f("stop_by_any_token", "any accepted idTag stops a running transaction, not only the one that started it",
   "TC_068_CS", r.FORBIDDEN_MESSAGE)
_f("cache_ignored", "a cached idTag is authorized online although LocalPreAuthorize is true",
   ("TC_007_1_CS", "TC_007_2_CS"), r.FORBIDDEN_MESSAGE)
_f("clear_cache_rejected", "ClearCache is answered Rejected", "TC_061_1_CS", r.STATION_RESPONSE)
_f("clear_cache_ignored", "ClearCache is accepted but cached idTags are still used", ("TC_061_1_CS", "TC_061_2_CS"),
   r.EXPECTED_MESSAGE)

# --- remote control -----------------------------------------------------------------------------------------
_f("remote_start_ignored", "RemoteStartTransaction is accepted but no transaction starts", "TC_011_1_CS",
   r.EXPECTED_MESSAGE)
_f("remote_start_skips_authorize", "a remote start is not authorized although AuthorizeRemoteTxRequests is true",
   "TC_023_5_CS", r.EXPECTED_MESSAGE)
_f("remote_start_when_busy", "RemoteStartTransaction is accepted on a connector with a transaction", "TC_026_CS",
   r.STATION_RESPONSE)
_f("remote_start_on_connector_zero", "RemoteStartTransaction for connector 0 is accepted", "TC_027_CS",
   r.STATION_RESPONSE)
_f("remote_stop_rejected", "RemoteStopTransaction of the running transaction is rejected", "TC_012_CS",
   r.STATION_RESPONSE)
_f("remote_stop_unknown_accepted", "RemoteStopTransaction of an unknown transaction id is accepted", "TC_028_CS",
   r.STATION_RESPONSE)
_f("unlock_fails", "UnlockConnector always answers UnlockFailed", "TC_017_1_CS", r.STATION_RESPONSE)
_f("unlock_keeps_transaction", "UnlockConnector during a transaction unlocks without stopping it",
   "TC_018_1_CS", r.EXPECTED_MESSAGE)
_f("unlock_unknown_connector", "UnlockConnector for a connector that does not exist answers Unlocked",
   "TC_031_CS", r.STATION_RESPONSE)
_f("trigger_ignored", "TriggerMessage is accepted but the message is never sent", "TC_054_CS",
   r.EXPECTED_MESSAGE)
_f("trigger_unknown_connector_accepted", "TriggerMessage for a connector that does not exist is accepted",
   "TC_055_CS", r.STATION_RESPONSE)
_f("data_transfer_unknown_vendor_accepted", "DataTransfer for an unknown vendorId is accepted", "TC_062_CS",
   r.STATION_RESPONSE)

# --- transactions and meter values --------------------------------------------------------------------------
_f("wrong_transaction_id", "MeterValues carry a transaction id other than the running one", "TC_070_CS", r.TX_ID)
_f("meter_values_out_of_order", "the energy register goes backwards between MeterValues", "TC_070_CS",
   r.METER_ORDER)
_f("no_sampled_meter_values", "no periodic MeterValues during a transaction", "TC_070_CS", r.EXPECTED_MESSAGE)
_f("schema_violation", "MeterValues sampledValue.value is a number instead of a string", "TC_070_CS", r.SCHEMA)
_f("clock_aligned_ignored", "ClockAlignedDataInterval is accepted but no clock-aligned MeterValues follow",
   "TC_071_CS", r.EXPECTED_MESSAGE)

# --- configuration ------------------------------------------------------------------------------------------
_f("config_not_applied", "ChangeConfiguration is accepted but the value is not stored", "TC_021_CS",
   r.CONFIG_NOT_APPLIED)
_f("config_key_missing", "GetConfiguration without keys leaves out HeartbeatInterval", "TC_019_CS",
   r.STATION_RESPONSE)
_f("unknown_config_key_accepted", "ChangeConfiguration of an unknown key is accepted", "TC_040_1_CS",
   r.STATION_RESPONSE)
_f("invalid_config_value_accepted", "ChangeConfiguration with a malformed value is accepted", "TC_040_2_CS",
   r.STATION_RESPONSE)

# --- RPC framework ------------------------------------------------------------------------------------------
_f("unknown_action_generic_error", "an unknown action is answered GenericError instead of NotImplemented",
   "TC_VGI_RPC_01_CS", r.STATION_RESPONSE)
_f("invalid_payload_accepted", "a request that violates its schema is answered with a CALLRESULT",
   "TC_VGI_RPC_02_CS", r.STATION_RESPONSE)
_f("answers_unknown_message_type", "a frame of unknown message type is answered with a CALLERROR "
   "(1.6 ignores it)", "TC_VGI_RPC_06_CS", r.ERROR_CODE)

# --- robustness: only generated or malformed input reveals these (station/robustness.py; the fuzz suites) ------
for _name, (_test, _rule) in robustness.CAUGHT_BY.items():
    _f(_name, robustness.FAULTS[_name], _test, _rule, strict=_name in robustness.STRICT)

# --- life cycle: only a sequence of transactions reveals these (v16.py; the model case TC_VGI_FUZZ_06_CS) --------
_f("meter_id_of_previous_tx", "from the second transaction of a power cycle on, MeterValues carry the previous "
   "transaction's id", "TC_VGI_FUZZ_06_CS", r.TX_ID)
_f("remote_start_stale_after_unplug", "after a transaction the EV ended by unplugging, RemoteStartTransaction is "
   "accepted but starts nothing (a flag never cleared)", "TC_VGI_FUZZ_06_CS", r.EXPECTED_MESSAGE)

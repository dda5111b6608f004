"""OCPP 2.1 faults of the reference station: the 2.0.1 faults whose cases hold unchanged in 2.1 (the 2.1 run
executes those 2.0.1 cases, vgi_protocol("ocpp", "2.0.1", "2.1")), each shown again against the 2.1 station, and
the faults of what 2.1 adds. Imported by `v21` and `catalog`."""

from __future__ import annotations

from . import catalog_security, catalog_v201  # noqa: F401  (the 2.0.1 faults this module carries over)
from .faults import CATALOG, fault

V = "2.1"

# 2.0.1 faults whose behaviour and detection are the same in 2.1: one per carried case at least (the fault
# matrix runs each against the 2.1 station); the 2.0.1 detection's tests that also run in 2.1 and its rule are kept
CARRIED: tuple[str, ...] = (
    "accepts_bad_password", "aligned_tx_ended_missing", "aligned_tx_wrong_trigger", "aligned_values_periodic_context",
    "attribute_type_ignored", "authorize_remote_start_ignored", "boot_interval_not_stored", "clear_cache_rejected",
    "clear_cache_when_disabled", "concurrent_call", "config_not_applied", "config_report_has_readonly",
    "custom_data_rejected", "data_transfer_accepted", "delete_certificate_ignored", "delete_unknown_accepted",
    "end_meter_value_wrong_context", "error_details_not_object", "ev_connect_timeout_ignored",
    "full_report_missing_mandatory", "get_variables_reversed", "heartbeat_too_often", "install_certificate_not_stored",
    "invalid_value_accepted", "local_stop_ignored", "long_message_id", "meter_values_out_of_order", "new_password_ignored",
    "no_begin_meter_value",
    "readonly_writable", "remote_start_ignored", "remote_start_no_remote_start_id", "remote_start_timeout_ignored",
    "remote_stop_accepts_unknown", "remote_stop_rejected", "report_seqno_broken", "schema_violation",
    "set_unknown_variable_accepted", "set_variables_first_only", "short_basic_password", "skip_authorize",
    "start_tx_when_invalid", "summary_report_accepted", "tx_status_claims_queued", "tx_status_indicator_missing",
    "tx_status_wrong", "unknown_action_wrong_code", "unknown_component_as_variable", "unknown_variable_accepted",
    "unlock_during_tx", "unlock_fails", "unlock_unknown_connector", "wrong_error_code_spelling", "wrong_message_id",
    "wrong_transaction_id",
    # the cases of G, B01-B03/B11-B12 and F06 that also run in 2.1 (connector states read in either 2.1 form)
    "availability_always_reported", "availability_during_tx_accepted", "availability_ignored",
    "availability_not_persistent", "availability_same_state_rejected", "boot_retry_too_early",
    "callerror_on_callresult", "connector_inoperative_ignored", "connector_operative_ignored",
    "evse_operative_ignored", "evse_reset_accepted", "ignore_reset", "invalid_json", "missing_mandatory_field",
    "no_available_after_unplug", "no_boot_after_reboot", "no_occupied_status", "no_startup_security_event",
    "no_status_after_boot", "pending_accepts_remote_start", "rejected_answers_requests", "reset_onidle_immediate",
    "scheduled_inoperative_forgotten", "station_inoperative_ignored", "station_operative_ignored",
    "traffic_before_boot", "trigger_boot_when_accepted", "trigger_ignored", "trigger_meter_values_main_meter",
    "trigger_tx_event_wrong_reason", "trigger_unsupported_rejected", "wrong_action_case", "wrong_boot_reason",
    "binary_frames")


def _carry(name: str) -> None:
    f = CATALOG[name]
    tests, rule, strict = None, None, False
    for version, d in f.detections:
        if version == "2.0.1" and d.profile is None:
            tests, rule, strict = d.tests, d.rule, d.strict
            break
    if tests is None:
        raise ValueError(f"fault {name} has no 2.0.1 detection to carry into 2.1")
    fault(name, f.describe("2.0.1"), version=V, tests=tests, rule=rule, strict=strict)


for _name in CARRIED:
    _carry(_name)

from . import catalog_v21_der, catalog_v21_v2x  # noqa: E402,F401  (the faults of blocks Q and R)
from . import catalog_v21_rpc  # noqa: E402,F401  (the faults of the 2.1 RPC framework)
from . import catalog_v21_status  # noqa: E402,F401  (connector-state faults again, states by NotifyEvent)

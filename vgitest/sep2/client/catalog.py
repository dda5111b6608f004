"""The fault catalog of the reference DER client: each fault, the CSIP suite test that must catch it and the
rule id that test must report. `tests/test_fault_matrix.py` runs every entry; a fault no test catches is a
suite defect. (Faults of `faults.FAULTS` not listed here are injectable but not yet shown to be caught.)"""

from __future__ import annotations

from ...faults import FaultCatalog
from ...findings import RULES, Severity
from .. import rules as r
from .faults import FAULTS

VERSION = "2018"
SEP2_FAULTS = FaultCatalog("IEEE 2030.5")


def _f(name: str, test: str | tuple[str, ...], rule: str, profile: str | None = None) -> None:
    tests = (test,) if isinstance(test, str) else test
    strict = RULES[rule].severity is Severity.WARN  # a SHOULD: the matrix shows the FAIL under --vgi-strict
    SEP2_FAULTS.fault(name, FAULTS[name], version=VERSION, tests=tuple(f"test_{t}" for t in tests), rule=rule,
                      strict=strict, profile=profile)


SUB = "reference-der-client-csip-sub"  # subscription mode: the faults below only act there


# communication and security
_f("guesses_paths", "COMM_002", r.EXPECTED_REQUEST)
_f("offers_only_other_suite", "COMM_003", r.TLS_HANDSHAKE)
_f("requires_mica", "COMM_004A", r.TLS_HANDSHAKE)
_f("refuses_deep_chains", ("COMM_004B", "COMM_004C"), r.TLS_HANDSHAKE)
_f("accepts_bad_chain", ("COMM_004D", "COMM_004E", "COMM_004F"), r.TLS_BAD_CHAIN)
_f("accepts_any_server", "COMM_004G", r.TLS_BAD_CHAIN)
# polling, time, discovery
_f("poll_too_fast", "CORE_003", r.POLL_TOO_OFTEN)
_f("poll_too_slow", "CORE_003", r.POLL_MISSED)
_f("skip_time_sync", "CORE_005", r.TIME_SYNC)
_f("registers_in_band_always", "CORE_009", r.FORBIDDEN_REQUEST)
_f("wrong_lfdi_in_end_device", "CORE_009", r.LFDI)
_f("wrong_sfdi_check_digit", "CORE_009", r.LFDI)
_f("first_program_only", "CORE_012", r.EXPECTED_REQUEST)
_f("stops_during_outage", "ERR_001", r.EXPECTED_REQUEST)
# events and responses
_f("ignores_cancellation", "CORE_013", r.EXPECTED_REQUEST)
_f("no_cancelled_response", "CORE_013", r.EXPECTED_REQUEST)
_f("randomizes_beyond_bound", "CORE_021", r.RANDOMIZATION)
_f("no_received_response", "CORE_022", r.EXPECTED_REQUEST)
_f("no_started_response", "CORE_022", r.EXPECTED_REQUEST)
_f("no_completed_response", "CORE_022", r.EXPECTED_REQUEST)
_f("late_started_response", "CORE_022", r.EXPECTED_REQUEST)
_f("wrong_response_status_order", "CORE_022", r.RESPONSE_ORDER)
_f("response_wrong_lfdi", "CORE_022", r.LFDI)
_f("response_wrong_subject", "CORE_022", r.RESPONSE_SUBJECT)
_f("applies_superseded", "CORE_023", r.EXPECTED_REQUEST)
_f("no_superseded_response", "CORE_023", r.EXPECTED_REQUEST)
# the DER it describes and what it reports
_f("no_der_settings", "CORE_014", r.EXPECTED_REQUEST)
_f("der_capability_schema_violation", "CORE_014", r.SCHEMA)
_f("wrong_content_type", "CORE_014", r.CONTENT_TYPE)
_f("no_der_status", "BASIC_028", r.EXPECTED_REQUEST)
_f("no_log_events", "BASIC_027", r.EXPECTED_REQUEST)
_f("wrong_reading_type", "BASIC_029", r.READING_TYPE)
_f("readings_without_reading_type", "BASIC_029", r.READING_TYPE)
# identification and control modes
_f("skip_registration_check", "BASIC_001", r.REGISTRATION_PIN)
_f("stays_disconnected", "BASIC_009", r.CONTROL_NOT_FOLLOWED)
_f("ignores_connect", "BASIC_009", r.CONTROL_NOT_FOLLOWED)
_f("ignores_energize", "BASIC_009", r.CONTROL_NOT_FOLLOWED)
_f("ignores_max_limit", ("BASIC_010", "BASIC_017"), r.CONTROL_NOT_FOLLOWED)
_f("ignores_fixed_w", "BASIC_013", r.CONTROL_NOT_FOLLOWED)
_f("ignores_voltage_trip", "BASIC_004", r.CONTROL_NOT_FOLLOWED)
_f("ignores_frequency_trip", "BASIC_005", r.CONTROL_NOT_FOLLOWED)
_f("ignores_volt_var", "BASIC_006", r.CONTROL_NOT_FOLLOWED)
_f("ignores_ramp_rate", "BASIC_007", r.CONTROL_NOT_FOLLOWED)
_f("ignores_fixed_pf", "BASIC_008", r.CONTROL_NOT_FOLLOWED)
_f("ignores_volt_watt", "BASIC_011", r.CONTROL_NOT_FOLLOWED)
_f("ignores_freq_watt", "BASIC_012", r.CONTROL_NOT_FOLLOWED)
_f("ignores_target_w", "BASIC_014", r.CONTROL_NOT_FOLLOWED)
_f("ignores_watt_pf", "BASIC_015", r.CONTROL_NOT_FOLLOWED)
_f("ignores_fixed_var", "VGI_SEP2_FIXEDVAR", r.CONTROL_NOT_FOLLOWED)
_f("ignores_watt_var", "VGI_SEP2_WATTVAR", r.CONTROL_NOT_FOLLOWED)
# groups and event precedence
_f("reads_first_fsa_only", ("CORE_010", "BASIC_002"), r.EXPECTED_REQUEST)
_f("keeps_removed_fsa", ("CORE_011", "BASIC_003"), r.CONTROL_NOT_FOLLOWED)
_f("ignores_primacy", ("BASIC_016", "BASIC_020", "BASIC_021", "BASIC_022"), r.CONTROL_NOT_FOLLOWED)
_f("ignores_default_control", "BASIC_018", r.CONTROL_NOT_FOLLOWED)
_f("default_over_event", "BASIC_018", r.CONTROL_NOT_FOLLOWED)
_f("keeps_only_next_event", "BASIC_019", r.EXPECTED_REQUEST)
_f("resumes_superseded", "BASIC_023", r.CONTROL_NOT_FOLLOWED)
_f("supersedes_independent", ("BASIC_024", "BASIC_025", "BASIC_026"), r.RESPONSE_STATUS)
# subscriptions and notifications
_f("no_subscription", "CORE_018", r.SUBSCRIPTION, SUB)
_f("subscribes_to_wrong_resource", "CORE_018", r.SUBSCRIPTION, SUB)
_f("notification_wrong_status", "CORE_018", r.NOTIFICATION_ANSWER, SUB)
_f("ignores_notifications", "CORE_018", r.NOTIFICATION_IGNORED, SUB)
_f("trusts_partial_notification", "CORE_019", r.NOTIFICATION_IGNORED, SUB)
_f("rejects_cancel_notification", "CORE_019", r.NOTIFICATION_ANSWER, SUB)
_f("accepts_malformed_notification", "ERR_002", r.NOTIFICATION_ANSWER, SUB)
_f("listener_dies_on_bad_notification", "ERR_002", r.NOTIFICATION_URI, SUB)
# robustness and life cycle: found by the fuzz suite (suites/csip_fuzz) from generated input alone, with its timers
FUZZ = "reference-der-client-csip-fuzz"
_f("crash_on_long_string", "VGI_SEP2_FUZZ_01", r.FUZZ_ALIVE, FUZZ)
_f("accepts_schema_invalid", "VGI_SEP2_FUZZ_01", r.FUZZ_INVALID_RESOURCE, FUZZ)  # a SHOULD: FAIL under --vgi-strict
_f("accepts_out_of_range", "VGI_SEP2_FUZZ_01", r.FUZZ_INVALID_RESOURCE, FUZZ)
_f("treats_malformed_as_valid", "VGI_SEP2_FUZZ_01", r.FUZZ_MALFORMED_RESOURCE, FUZZ)
_f("hangs_on_unknown_status", "VGI_SEP2_FUZZ_02", r.FUZZ_ALIVE, FUZZ)
_f("crash_on_non_ascii", "VGI_SEP2_FUZZ_03", r.FUZZ_ALIVE, FUZZ)
_f("crash_on_cut_body", "VGI_SEP2_FUZZ_04", r.FUZZ_ALIVE, FUZZ)
_f("keeps_cancelled_limit", "VGI_SEP2_FUZZ_05", r.CONTROL_NOT_FOLLOWED, FUZZ)
_f("primacy_read_once", "VGI_SEP2_FUZZ_05", r.CONTROL_NOT_FOLLOWED, FUZZ)
# CSIP-AUS: the CACTUS client procedures (suites/csip_aus), each failed by one row (vgitest/sep2/cactus; the
# procedures the reference run leaves out, vgitest/sep2/cactus/gaps.py, are not rows)
AUS = "reference-der-client-csip-aus"
_f("skip_time_sync", ("ALL_01", "ALL_02", "ALL_05"), r.CACTUS_STEPS, AUS)
_f("never_reads_registration", ("ALL_03_REJ", "ALL_04"), r.CACTUS_STEPS, AUS)
_f("no_der_settings", ("ALL_09", "ALL_13", "ALL_17", "MUL_03"), r.CACTUS_STEPS, AUS)
_f("no_der_status", ("ALL_11", "ALL_15", "ALL_16"), r.CACTUS_STEPS, AUS)
_f("der_capability_schema_violation", "DRA_01", r.CACTUS_CHECK, AUS)
_f("no_connection_point", "ALL_03", r.CACTUS_STEPS, AUS)
_f("notification_wrong_status", ("GEN_05", "GEN_06", "GEN_07", "GEN_08", "LOA_05", "LOA_06", "LOA_07", "LOA_08"),
   r.NOTIFICATION_ANSWER, AUS)
_f("poll_too_fast", ("GEN_02", "LOA_02", "ALL_24", "P_05"), r.CACTUS_CHECK, AUS)
# (three rows of two: with the fault each procedure waits out its idle limit, six in one row took 470 s)
_f("no_list_polling", ("ALL_19", "ALL_20"), r.CACTUS_STEPS, AUS)
_f("no_list_polling", ("ALL_25", "GEN_09"), r.CACTUS_STEPS, AUS)
_f("no_list_polling", ("LOA_09", "P_04"), r.CACTUS_STEPS, AUS)
_f("no_control_list_polling", ("GEN_03", "GEN_04", "LOA_03", "LOA_04"), r.CACTUS_STEPS, AUS)
_f("no_received_response", ("GEN_11", "GEN_12", "LOA_11", "LOA_12", "ALL_21"), r.CACTUS_CHECK, AUS)
_f("no_started_response", ("ALL_18", "P_02", "ALL_28"), r.CACTUS_STEPS, AUS)
_f("no_vpp_modes", ("STO_02", "STO_05"), r.CACTUS_CHECK, AUS)
_f("vpp_modes_disabled", "STO_05", r.CACTUS_CHECK, AUS)
# pricing and service discovery (vgitest/sep2/cactus/pricing.py)
_f("ignores_pricing", ("PRC_01", "PRC_02"), r.CACTUS_STEPS, AUS)
# (pricing_at_dcap_rate is not a row: PRC-01's bound of 3 RateComponentList reads in its scaled 6 s sits on the
# edge of what a 2 s pollRate gives; tests/sep2/test_reference_pricing.py shows it)
_f("no_cancelled_price_response", "PRC_04", r.CACTUS_CHECK, AUS)
_f("ignores_wellknown", "SDVN_01", r.CACTUS_STEPS, AUS)
# the operator's steps (vgitest/sep2/cactus/operator.py): what is done to the DER on site must show in its DERStatus
_f("status_ignores_site", ("ALL_07", "ALL_08", "MUL_01"), r.CACTUS_STEPS, AUS)
_f("ignores_energize", "ALL_26", r.CACTUS_STEPS, AUS)
_f("ignores_connect", ("ALL_27", "ALL_12"), r.CACTUS_STEPS, AUS)
_f("no_cancelled_response", "P_03", r.CACTUS_STEPS, AUS)
# the reference client's CSIP-AUS behaviour: superseded events, demand-response modes, outages
_f("no_superseded_response", "GEN_10", r.CACTUS_STEPS, AUS)
_f("supersedes_independent", "LOA_10", r.CACTUS_STEPS, AUS)
_f("no_drm_status", ("DRA_02", "DRD_01", "DRG_01", "DRL_01"), r.CACTUS_STEPS, AUS)
_f("stops_during_outage", "ALL_23", r.CACTUS_STEPS, AUS)
# readings (vgitest/sep2/cactus/readings.py): the site mirror missing, the battery's stored energy missing, a limit
# met by reversing the flow (the site and DER readings leave the levels GEN-01 and LOA-01 allow), readings too slow
_f("no_site_readings", ("ALL_06", "ALL_10", "ALL_29", "ALT_ALL_29", "MUL_02"), r.CACTUS_CHECK, AUS)
_f("no_stored_energy_readings", ("STO_01", "STO_04"), r.CACTUS_CHECK, AUS)
_f("limit_reverses_flow", ("GEN_01", "LOA_01"), r.CACTUS_CHECK, AUS)
_f("slow_readings", ("ALL_10", "STO_04"), r.CACTUS_CHECK, AUS)

"""The fault catalog of the reference VEN: each fault, the suite test that must catch it and the rule id that
test must report. `tests/test_fault_matrix.py` runs every entry; a fault no test catches is a suite defect.
"""

from __future__ import annotations

from ...faults import FaultCatalog
from .. import rules as r
from . import lifecycle, robustness

VERSION = "2.0b"
OADR_FAULTS = FaultCatalog("OpenADR")


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str, strict: bool = False,
       profile: str | None = None) -> None:
    tests = (test,) if isinstance(test, str) else test
    OADR_FAULTS.fault(name, description, version=VERSION, tests=tuple(f"test_{t}" for t in tests), rule=rule,
                      strict=strict, profile=profile)


TLS = "reference-ven-20b-tls"


# registration
_f("skip_query_registration", "Registers without first querying its registration", "N1_0010_TH_VTN_1",
   r.REG_QUERY_FIRST)
_f("registration_schema_violation", "oadrCreatePartyRegistration lacks the required oadrReportOnly",
   "N1_0020_TH_VTN_1", r.SCHEMA)
_f("poll_too_fast", "Polls at 0.4 times the interval the VTN asked for", "N1_0030_TH_VTN_1", r.POLL_TOO_OFTEN)
_f("wrong_registration_id", "Re-registers with a registrationID the VTN never assigned", "N1_0040_TH_VTN_1",
   r.REGISTRATION_ID)
_f("ignore_reregistration", "Acknowledges oadrRequestReregistration but never re-registers", "N1_0040_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("ignore_cancel_registration", "Never answers the VTN's oadrCancelPartyRegistration", "N1_0050_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("poll_after_cancel", "Keeps polling after its registration was cancelled", "N1_0050_TH_VTN_1", r.NOT_REGISTERED)
_f("wrong_ven_id", "Sends a venID other than the one the VTN assigned", "N1_0070_TH_VTN_1", r.VEN_ID)
_f("cancel_wrong_registration_id", "Cancels its registration with a registrationID it was never given",
   "N1_0060_TH_VTN_1", r.REGISTRATION_ID)
_f("no_query_after_restart", "After a restart, polls straight away without querying its registration",
   "N1_0080_TH_VTN_1", r.EXPECTED_MESSAGE)
# events
_f("no_created_event", "Never answers events that require a response", "E1_1010_TH_VTN_1", r.CREATED_EVENT_MISSING)
_f("late_created_event", "Answers an event only after its next poll", "E1_1010_TH_VTN_1", r.CREATED_EVENT_MISSING)
_f("wrong_event_id", "oadrCreatedEvent names an eventID the VTN did not send", "E1_1010_TH_VTN_1",
   r.CREATED_EVENT_ID)
_f("wrong_created_event_request_id", "eventResponse carries another requestID than the distribute's",
   "E1_1010_TH_VTN_1", r.CREATED_EVENT_REQUEST_ID)
_f("wrong_service_endpoint", "Posts oadrCreatedEvent to the EiReport endpoint", "E1_1010_TH_VTN_1", r.WRONG_SERVICE)
_f("malformed_xml", "oadrCreatedEvent bodies are cut short (not well-formed XML)", "E1_1010_TH_VTN_1",
   r.XML_MALFORMED)
_f("ignore_response_required_never", "Answers events although oadrResponseRequired is never", "E1_1020_TH_VTN_1",
   r.CREATED_EVENT_NEVER)
_f("wrong_modification_number", "Answers a modified event with the wrong modificationNumber",
   ("E1_1030_TH_VTN_1", "TC_VGI_EVR_02"), r.CREATED_EVENT_ID)
_f("ignore_cancelled_events", "Does not answer events whose status is cancelled", ("E1_1040_TH_VTN_1", "TC_VGI_DR_02"),
   r.CREATED_EVENT_MISSING)
_f("answer_first_event_only", "Answers only the first event of an oadrDistributeEvent", "E1_1050_TH_VTN_1",
   r.CREATED_EVENT_MISSING)
_f("ignore_test_events", "Does not answer test events", "E1_1060_TH_VTN_1", r.CREATED_EVENT_MISSING)
_f("ignore_requested_events", "Ignores the events it asked for with oadrRequestEvent", "E1_1070_TH_VTN_1",
   r.CREATED_EVENT_MISSING)
_f("always_opt_in", "Answers every event optIn, whatever it decided", "E1_1080_TH_VTN_1", r.EXPECTED_MESSAGE)
_f("answer_per_signal", "Answers an event once per signal in the same oadrCreatedEvent", "E1_1090_TH_VTN_1",
   r.CREATED_EVENT_ID)
_f("ignore_active_events", "Does not answer events that are already active", "E1_1100_TH_VTN_1",
   r.CREATED_EVENT_MISSING)
_f("opt_out_of_price_events", "Opts out of every event carrying a price signal", "TC_VGI_EVR_01",
   r.EXPECTED_MESSAGE)
# opt
_f("opt_unknown_event", "oadrCreateOpt refers to an event the VTN never sent", "P1_2010_TH_VTN_1", r.OPT_EVENT_ID)
_f("opt_schedule_wrong_duration", "Opt schedules are sent with half the window asked for", "P1_2020_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("cancel_opt_wrong_id", "Cancels an opt under an optID it never created", "P1_2030_TH_VTN_1", r.EXPECTED_MESSAGE)
_f("opt_in_sent_as_opt_out", "An opt-in is sent as optOut", "P1_2040_TH_VTN_1", r.EXPECTED_MESSAGE)
# reports
_f("report_request_id_nonzero", "Registers its reports with reportRequestID 1 instead of 0", "R1_3010_TH_VTN_1",
   r.REPORT_REGISTER_REQUEST_ID)
_f("no_register_report", "Never registers its reports", "R1_3010_TH_VTN_1", r.EXPECTED_MESSAGE)
_f("update_report_wrong_rid", "Report data carries rIDs the request did not ask for", "R1_3010_TH_VTN_1",
   r.REPORT_RID)
_f("update_report_wrong_request_id", "oadrUpdateReport names a reportRequestID the VTN never sent",
   "R1_3010_TH_VTN_1", r.REPORT_REQUEST_ID)
_f("report_schema_violation", "oadrUpdateReport reports lack the required createdDateTime", "R1_3010_TH_VTN_1",
   r.SCHEMA)
_f("no_created_report", "Ignores oadrCreateReport (no oadrCreatedReport)", ("R1_3020_TH_VTN_1", "TC_VGI_DR_01"),
   r.EXPECTED_MESSAGE)
_f("single_report_update", "Sends one oadrUpdateReport per request, then stops", "R1_3030_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("ignore_vtn_register_report", "Does not answer the VTN's oadrRegisterReport", "R1_3050_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("ignore_report_interval_requests", "Ignores report requests that carry a report interval", "R1_3060_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("no_status_report", "Never reports its TELEMETRY_STATUS report, even when requested", "R1_3070_TH_VTN_1",
   r.EXPECTED_MESSAGE)
_f("cancel_stops_all_reports", "Cancelling one report stops all of them", "R1_3080_TH_VTN_1", r.EXPECTED_MESSAGE)
_f("ignore_cancel_report", "Acknowledges oadrCancelReport but keeps reporting", "R1_3040_TH_VTN_1",
   r.REPORT_AFTER_CANCEL)
_f("no_canceled_report", "Never answers oadrCancelReport", "R1_3040_TH_VTN_1", r.EXPECTED_MESSAGE)
# general
_f("wrong_content_type", "Declares its XML bodies as text/plain", "G1_4010_TH_VTN_1", r.CONTENT_TYPE)
_f("local_time_stamps", "createdDateTime values carry a +01:00 offset instead of UTC", "G1_4015_TH_VTN_1", r.UTC)
# security (run with the TLS profile)
_f("tls_no_client_cert", "Connects without a client certificate", "TC_VGI_SEC_01", r.TLS_HANDSHAKE, profile=TLS)
_f("tls_wrong_suite", "Offers only ECDHE-RSA-AES256-GCM-SHA384, not an OpenADR suite", "TC_VGI_SEC_01",
   r.TLS_HANDSHAKE, profile=TLS)
_f("tls_other_ven_cert", "Presents another VEN's (valid) certificate", "TC_VGI_SEC_02", r.TLS_FINGERPRINT,
   profile=TLS)
_f("tls_trusts_any_vtn", "Does not verify the VTN's certificate", ("TC_VGI_SEC_03", "TC_VGI_SEC_04"),
   r.TLS_UNTRUSTED_VTN, profile=TLS)
# XML signatures (run with the TLS profile, which signs every payload)
_f("signature_tampered", "Changes a payload (its first requestID or venID) after signing it", "G1_4011_TH_VTN_1",
   r.SIGNATURE, profile=TLS)
_f("signature_other_cert", "Signs with another VEN's (valid) certificate and key", "G1_4011_TH_VTN_1", r.SIGNATURE,
   profile=TLS)
_f("signature_stale", "Signs with a ReplayProtect timestamp five minutes old", "G1_4011_TH_VTN_1",
   r.SIGNATURE_REPLAY, profile=TLS)
_f("signature_nonce_reused", "Uses one ReplayProtect nonce for every payload", "G1_4011_TH_VTN_1",
   r.SIGNATURE_REPLAY, profile=TLS)
_f("signature_missing", "Registers with oadrXmlSignature=true, then sends its payloads unsigned", "G1_4011_TH_VTN_1",
   r.SIGNATURE_MISSING, profile=TLS)

# robustness: only generated or broken input reveals these (ven/robustness.py; suites/openadr20b_fuzz)
_f("accept_invalid_payload", robustness.FAULTS["accept_invalid_payload"], "TC_VGI_OADR_FUZZ_01", r.FUZZ_INVALID_DATA)
_f("hang_on_bad_value", robustness.FAULTS["hang_on_bad_value"], "TC_VGI_OADR_FUZZ_01", r.FUZZ_ALIVE)
_f("recover_malformed_xml", robustness.FAULTS["recover_malformed_xml"], "TC_VGI_OADR_FUZZ_02", r.FUZZ_MALFORMED)
_f("crash_on_long_string", robustness.FAULTS["crash_on_long_string"], "TC_VGI_OADR_FUZZ_03", r.FUZZ_ALIVE)
_f("error_on_non_ascii", robustness.FAULTS["error_on_non_ascii"], "TC_VGI_OADR_FUZZ_04", r.FUZZ_ACCEPT)
_f("reuse_cached_event_response", robustness.FAULTS["reuse_cached_event_response"], "TC_VGI_OADR_FUZZ_05",
   r.CREATED_EVENT_REQUEST_ID)
# life cycle: only a sequence of distributes reveals these (ven/lifecycle.py; the model of TC_VGI_OADR_FUZZ_05)
_f("modification_ignored_when_active", lifecycle.FAULTS["modification_ignored_when_active"], "TC_VGI_OADR_FUZZ_05",
   r.EVENT_STALE)
_f("cancelled_event_kept", lifecycle.FAULTS["cancelled_event_kept"], "TC_VGI_OADR_FUZZ_05", r.EVENT_CANCELLED_KEPT)
_f("opt_first_modification", lifecycle.FAULTS["opt_first_modification"], "TC_VGI_OADR_FUZZ_05", r.EVENT_STALE)

# push exchange model (run with the push profile): the push twins of pull cases, and push-only faults
PUSH = "reference-ven-20b-push"


def _push(name: str, test: str | tuple[str, ...], rule: str, description: str | None = None) -> None:
    """Catch `name` (already described above, or new with `description`) with the push profile as well."""
    known = OADR_FAULTS.faults.get(name)
    _f(name, description or (known.description if known else name), test, rule, profile=PUSH)


_push("push_registers_as_pull", ("N0_5010_TH_VTN_1", "N0_5020_TH_VTN_1"), r.PUSH_ADDRESS,
      "Configured for push, it registers with oadrHttpPullModel true and no address")
_push("push_no_answer", ("E0_6010_TH_VTN_1", "R0_8020_TH_VTN_1"), r.PUSH_RESPONSE,
      "Its push endpoint answers every POST with HTTP 500")
_push("push_created_event_in_response", "E0_6010_TH_VTN_1", r.PUSH_RESPONSE,
      "Puts oadrCreatedEvent in the HTTP answer to a pushed event instead of sending it as its own request")
_push("skip_query_registration", "N0_5010_TH_VTN_1", r.REG_QUERY_FIRST)
_push("registration_schema_violation", "N0_5020_TH_VTN_1", r.SCHEMA)
_push("wrong_registration_id", "N0_5040_TH_VTN_1", r.REGISTRATION_ID)
_push("ignore_reregistration", "N0_5040_TH_VTN_1", r.EXPECTED_MESSAGE)
_push("ignore_cancel_registration", "N0_5050_TH_VTN_1", r.PUSH_RESPONSE)
_push("cancel_wrong_registration_id", "N0_5060_TH_VTN_1", r.REGISTRATION_ID)
_push("wrong_ven_id", "N0_5070_TH_VTN_1", r.VEN_ID)
_push("no_created_event", "E0_6010_TH_VTN_1", r.CREATED_EVENT_MISSING)
_push("wrong_event_id", "E0_6010_TH_VTN_1", r.CREATED_EVENT_ID)
_push("wrong_created_event_request_id", "E0_6010_TH_VTN_1", r.CREATED_EVENT_REQUEST_ID)
_push("ignore_response_required_never", "E0_6020_TH_VTN_1", r.CREATED_EVENT_NEVER)
_push("wrong_modification_number", "E0_6030_TH_VTN_1", r.CREATED_EVENT_ID)
_push("ignore_cancelled_events", "E0_6040_TH_VTN_1", r.CREATED_EVENT_MISSING)
_push("answer_first_event_only", "E0_6050_TH_VTN_1", r.CREATED_EVENT_MISSING)
_push("ignore_test_events", "E0_6060_TH_VTN_1", r.CREATED_EVENT_MISSING)
_push("report_request_id_nonzero", "R0_8010_TH_VTN_1", r.REPORT_REGISTER_REQUEST_ID)
_push("no_created_report", "R0_8020_TH_VTN_1", r.PUSH_RESPONSE)
_push("update_report_wrong_request_id", "R0_8020_TH_VTN_1", r.REPORT_REQUEST_ID)
_push("no_canceled_report", "R0_8040_TH_VTN_1", r.PUSH_RESPONSE)
_push("ignore_cancel_report", "R0_8040_TH_VTN_1", r.REPORT_AFTER_CANCEL)
_push("ignore_vtn_register_report", "R0_8050_TH_VTN_1", r.PUSH_RESPONSE)
_push("opt_unknown_event", "P0_7010_TH_VTN_1", r.OPT_EVENT_ID)
_push("modification_ignored_when_active", "TC_VGI_OADR_FUZZ_05", r.EVENT_STALE)  # the life-cycle model on push
_f("push_tls_accepts_any_vtn", "Its https push endpoint takes any client, whatever its certificate",
   "G0_9010_TH_VTN_1", r.TLS_UNTRUSTED_VTN, profile="reference-ven-20b-push-tls")

"""The fault catalog of the OpenADR 3 reference VEN: each fault, the suite case that must catch it and the rule id
that case must report. `tests/test_fault_matrix.py` runs every entry; a fault no case catches is a suite defect.
"""

from __future__ import annotations

from ...faults import FaultCatalog
from .. import rules as r

VERSION = "3.0.1"
OA3_FAULTS = FaultCatalog("OpenADR 3")


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    OA3_FAULTS.fault(name, description, version=VERSION, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# authorization
_f("no_token", "Never asks for a token: sends its requests without a bearer token", "TC_VGI_OA3_01", r.AUTH_MISSING)
_f("wrong_client_secret", "Asks for its token with a client secret it was not given", "TC_VGI_OA3_01",
   r.AUTH_CLIENT)
_f("token_as_json", "Sends its token request as a JSON body instead of a form", "TC_VGI_OA3_01", r.CONTENT_TYPE)
_f("no_token_refresh", "After a 401 keeps sending the token the VTN refused", "TC_VGI_OA3_02", r.AUTH_MISSING)
# registration
_f("ven_missing_name", "Creates its VEN object without a venName", "TC_VGI_OA3_03", r.SCHEMA)
_f("body_as_text", "Declares its JSON bodies as text/plain", "TC_VGI_OA3_03", r.CONTENT_TYPE)
_f("duplicate_ven", "After a restart creates another VEN object under its name instead of finding its own",
   "TC_VGI_OA3_04", r.VEN_DUPLICATE)
_f("resource_wrong_ven", "Creates its resource under a VEN id the VTN never gave", "TC_VGI_OA3_13", r.NOT_FOUND)
_f("resource_missing_name", "Creates its resource without a resourceName", "TC_VGI_OA3_13", r.SCHEMA)
# events
_f("no_event_poll", "Never reads the events", "TC_VGI_OA3_05", r.EXPECTED_REQUEST)
_f("limit_too_large", "Asks for pages of 100 events (more than the API allows)", "TC_VGI_OA3_05", r.QUERY)
_f("ignore_paging", "Reads only the first page of events", "TC_VGI_OA3_06", r.EXPECTED_REQUEST)
# subscriptions and notifications
_f("no_subscription", "Never subscribes to event notifications", "TC_VGI_OA3_07", r.EXPECTED_REQUEST)
_f("callback_without_scheme", "Subscribes with a callback URL that has no scheme", "TC_VGI_OA3_07", r.SCHEMA)
_f("subscribe_programs_only", "Subscribes to notifications of programs only, not of events", "TC_VGI_OA3_07",
   r.EXPECTED_REQUEST)
_f("subscription_other_client_name", "Subscribes under a client name other than its VEN name", "TC_VGI_OA3_07",
   r.EXPECTED_REQUEST)
_f("callback_unreachable", "Subscribes with a callback URL where nothing listens", "TC_VGI_OA3_08", r.NOTIFY_ANSWER)
_f("webhook_error_status", "Answers every notification with HTTP 500", "TC_VGI_OA3_08", r.NOTIFY_ANSWER)
_f("ignore_notifications", "Accepts notifications but does not act on the events they carry", "TC_VGI_OA3_08",
   r.EXPECTED_REQUEST)
_f("unsubscribe_wrong_id", "Deletes its subscription under an id the VTN never gave", "TC_VGI_OA3_10", r.NOT_FOUND)
_f("ignore_unsubscribe", "Does not delete its subscription when asked to", "TC_VGI_OA3_10", r.EXPECTED_REQUEST)
# reports
_f("report_wrong_event", "Reports under an eventID the VTN never sent", "TC_VGI_OA3_09", r.REPORT_REFERENCE)
_f("report_without_resources", "Sends reports without their resources", "TC_VGI_OA3_09", r.SCHEMA)
_f("report_wrong_client_name", "Reports under a client name other than its VEN name", "TC_VGI_OA3_09",
   r.REPORT_REFERENCE)
_f("report_wrong_payload_type", "Reports a payload type other than the one the event asked for", "TC_VGI_OA3_09",
   r.REPORT_CONTENT)
# error answers
_f("stop_on_server_error", "Stops reading events after one answer of HTTP 500", "TC_VGI_OA3_11", r.EXPECTED_REQUEST)
_f("writes_events", "Posts an event of its own (only the business logic writes events)", "TC_VGI_OA3_12",
   r.FORBIDDEN_WRITE)

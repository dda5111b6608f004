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
_f("token_renew_late", "Ignores expires_in: renews its token only after a request was refused", "TC_VGI_OA3_14",
   r.AUTH_EXPIRED)
_f("token_retry_storm", "Asks again at once (20 times, 50 ms apart) when its token request is refused",
   "TC_VGI_OA3_15", r.RETRY)
# registration
_f("ven_missing_name", "Creates its VEN object without a venName", "TC_VGI_OA3_03", r.SCHEMA)
_f("body_as_text", "Declares its JSON bodies as text/plain", "TC_VGI_OA3_03", r.CONTENT_TYPE)
_f("duplicate_ven", "After a restart creates another VEN object under its name instead of finding its own",
   "TC_VGI_OA3_04", r.VEN_DUPLICATE)
_f("resource_wrong_ven", "Creates its resource under a VEN id the VTN never gave", "TC_VGI_OA3_13", r.NOT_FOUND)
_f("resource_missing_name", "Creates its resource without a resourceName", "TC_VGI_OA3_13", r.SCHEMA)
_f("duplicate_resource", "After a restart creates its resource again instead of finding it", "TC_VGI_OA3_28",
   r.RESOURCE_DUPLICATE)
# events
_f("no_event_poll", "Never reads the events", "TC_VGI_OA3_05", r.EXPECTED_REQUEST)
_f("limit_too_large", "Asks for pages of 100 events (more than the API allows)", "TC_VGI_OA3_05", r.QUERY)
_f("ignore_paging", "Reads only the first page of events", "TC_VGI_OA3_06", r.EXPECTED_REQUEST)
_f("paging_two_pages_only", "Reads at most two pages of events a round", "TC_VGI_OA3_25", r.EXPECTED_REQUEST)
_f("poll_too_often", "Reads the events ten times as often as the interval it declares", "TC_VGI_OA3_24",
   r.POLL_RATE)
_f("ignore_targets", "Reports on events targeted at other VENs too", "TC_VGI_OA3_20", r.TARGETS)
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
_f("subscribe_new_only", "Subscribes to new events only, so changed events are not notified", "TC_VGI_OA3_21",
   r.EXPECTED_REQUEST)
_f("webhook_slow", "Does its work before answering a notification (2 s)", "TC_VGI_OA3_22", r.NOTIFY_TIMELY)
_f("webhook_accepts_garbage", "Answers 200 to any body posted to its callback", "TC_VGI_OA3_23",
   r.NOTIFY_BAD_BODY)
_f("webhook_no_auth", "Does not check the bearer token of the notifications it receives", "TC_VGI_OA3_30",
   r.NOTIFY_AUTH)
_f("stale_subscription", "After a restart keeps its subscription with the callback URL it had before",
   "TC_VGI_OA3_31", r.NOTIFY_ANSWER)
_f("duplicate_subscription", "After a restart creates another subscription instead of updating its own",
   "TC_VGI_OA3_31", r.SUBSCRIPTION_DUPLICATE)
# reports
_f("report_wrong_event", "Reports under an eventID the VTN never sent", "TC_VGI_OA3_09", r.REPORT_REFERENCE)
_f("report_without_resources", "Sends reports without their resources", "TC_VGI_OA3_09", r.SCHEMA)
_f("report_wrong_client_name", "Reports under a client name other than its VEN name", "TC_VGI_OA3_09",
   r.REPORT_REFERENCE)
_f("report_wrong_payload_type", "Reports a payload type other than the one the event asked for", "TC_VGI_OA3_09",
   r.REPORT_CONTENT)
_f("report_unknown_resource", "Reports under a resource name it never registered", "TC_VGI_OA3_16",
   r.REPORT_CONTENT)
_f("report_first_descriptor_only", "Reports only the first payload type an event asks for", "TC_VGI_OA3_17",
   r.REPORT_CONTENT)
_f("report_update_as_new", "When an event changes, creates another report instead of updating its own",
   "TC_VGI_OA3_18", r.REPORT_DUPLICATE)
_f("report_put_after_404", "Keeps updating a report the VTN answered 404 for instead of creating it anew",
   "TC_VGI_OA3_19", r.EXPECTED_REQUEST)
_f("period_offset_dropped", "Reads an event's start without its UTC offset (as if it were UTC)", "TC_VGI_OA3_29",
   r.REPORT_CONTENT)
_f("report_dropped_on_503", "Drops a report the VTN answered 503 instead of sending it again", "TC_VGI_OA3_27",
   r.EXPECTED_REQUEST)
# error answers
_f("stop_on_server_error", "Stops reading events after one answer of HTTP 500", "TC_VGI_OA3_11", r.EXPECTED_REQUEST)
_f("writes_events", "Posts an event of its own (only the business logic writes events)", "TC_VGI_OA3_12",
   r.FORBIDDEN_WRITE)
_f("ignore_retry_after", "Ignores Retry-After: reads the events again at its next poll after a 429", "TC_VGI_OA3_26",
   r.RETRY)

"""OCPP 2.0.1 faults of block N (log upload N01, customer information N09/N10) of the reference station
(station/logs_v201.py, station/customer_v201.py): which suite test catches each and with which rule. Every entry is
proven by the fault matrix (tests/test_fault_matrix.py)."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# --- N01: GetLog ------------------------------------------------------------------------------------------------
_f("log_upload_skipped", "The station reports Uploading and Uploaded for a GetLog without uploading anything",
   ("TC_N_25_CS", "TC_N_35_CS"), r.FILE_TRANSFER)
_f("log_failure_reported_uploaded", "When every upload attempt of a log fails the station still reports Uploaded",
   "TC_N_26_CS", r.LOG_STATUS)
_f("log_request_id_missing", "LogStatusNotification leaves out the requestId of the GetLog it reports on",
   ("TC_N_25_CS", "TC_N_35_CS"), r.LOG_STATUS)
_f("security_log_rejected", "GetLog for the SecurityLog is Rejected although the station keeps one",
   "TC_N_35_CS", r.STATION_RESPONSE)
_f("log_filename_missing", "GetLog is Accepted without the filename the station then uploads", "TC_N_25_CS",
   r.STATION_RESPONSE)
_f("log_second_request_rejected", "A GetLog while an upload runs is Rejected instead of cancelling that upload "
   "(AcceptedCanceled)", "TC_N_36_CS", r.STATION_RESPONSE)

# --- N09 / N10: customer information ------------------------------------------------------------------------------
_f("customer_report_missing", "CustomerInformation with report=true is Accepted but no NotifyCustomerInformation "
   "follows", ("TC_N_27_CS", "TC_N_28_CS", "TC_N_30_CS", "TC_N_31_CS", "TC_N_62_CS"), r.EXPECTED_MESSAGE)
_f("customer_report_empty", "The customer report says nothing (empty data) about an idToken the station holds "
   "data of", ("TC_N_27_CS", "TC_N_30_CS"), r.EXPECTED_MESSAGE)
_f("customer_report_left_open", "The last NotifyCustomerInformation of a report says tbc=true, so the report never "
   "ends", ("TC_N_28_CS", "TC_N_31_CS"), r.EXPECTED_MESSAGE)
_f("customer_report_seqno_from_one", "NotifyCustomerInformation numbers the parts of a report from 1 instead of 0",
   "TC_N_28_CS", r.EXPECTED_MESSAGE)
_f("customer_report_unasked", "CustomerInformation with report=false is still answered with a "
   "NotifyCustomerInformation report", "TC_N_32_CS", r.FORBIDDEN_MESSAGE)
_f("customer_identifier_rejected", "CustomerInformation naming the customer by customerIdentifier is Rejected",
   "TC_N_62_CS", r.STATION_RESPONSE)

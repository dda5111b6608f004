"""OCPP 2.0.1 faults of the offline and retry behaviour of the reference station (station/offline_v201.py): the
offline queue of TransactionEvents, their retries, GetTransactionStatus over the queue, the reconnection back-off
and the connector states reported after an offline period. Each fault names the suite test(s) that must catch it
and the rule id; imported by `catalog_v201`."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# --- E11/E12: the offline queue ----------------------------------------------------------------------------------
_f("offline_tx_events_dropped", "TransactionEvents generated while the CSMS cannot be reached are lost, not queued",
   ("TC_E_40_CS", "TC_E_44_CS"), r.TX_OFFLINE_QUEUE)
_f("offline_flag_missing", "TransactionEvents queued while offline are delivered without offline=true",
   ("TC_E_40_CS", "TC_E_43_CS", "TC_E_44_CS"), r.TX_OFFLINE_FLAG)

_f("offline_auth_refused", "Offline, a token the authorization cache holds as Accepted is refused although "
   "LocalAuthorizeOffline is true: no transaction starts", "TC_E_43_CS", r.EXPECTED_MESSAGE)

# --- E13: retries of a TransactionEvent the CSMS does not take ----------------------------------------------------
_f("tx_retry_none", "A TransactionEvent the CSMS leaves unanswered or answers with a CALLERROR is never sent again",
   ("TC_E_41_CS", "TC_E_42_CS", "TC_E_50_CS", "TC_E_51_CS"), r.TX_RETRY)
_f("tx_retry_unbounded", "A TransactionEvent the CSMS does not take is sent again and again, beyond MessageAttempts",
   ("TC_E_41_CS", "TC_E_50_CS"), r.TX_RETRY)
_f("tx_retry_callerror_ignored", "A TransactionEvent answered with a CALLERROR is given up at once (only a missing "
   "answer is retried)", ("TC_E_50_CS", "TC_E_51_CS"), r.TX_RETRY)
_f("tx_retry_interval_flat", "Retries wait MessageAttemptInterval each time instead of that interval times the "
   "number of transmissions so far", "TC_E_50_CS", r.TX_RETRY)

# --- E14: GetTransactionStatus over the queue -------------------------------------------------------------------
_f("tx_status_queue_ignored", "GetTransactionStatus says messagesInQueue=false although TransactionEvents still wait "
   "for the CSMS", ("TC_E_29_CS", "TC_E_31_CS", "TC_E_33_CS"), r.STATION_RESPONSE)
_f("tx_status_queued_end_ongoing", "A transaction whose Ended event still waits in the queue is reported ongoing",
   "TC_E_31_CS", r.STATION_RESPONSE)

# --- Part 4 §5.3: reconnection back-off -------------------------------------------------------------------------
_f("backoff_minimum_ignored", "After a lost connection the station tries again at once, without waiting "
   "RetryBackOffWaitMinimum", "TC_B_57_CS", r.RECONNECT_BACKOFF)
_f("backoff_not_doubled", "The wait between refused connection attempts stays RetryBackOffWaitMinimum instead of "
   "doubling", "TC_B_57_CS", r.RECONNECT_BACKOFF)

# --- B04: connector states after an offline period ---------------------------------------------------------------
_f("offline_status_change_lost", "A connector state that changed while the station was offline is not reported "
   "once it is connected again", ("TC_B_51_CS", "TC_B_52_CS"), r.STATUS_AFTER_OFFLINE)
_f("short_outage_status_lost", "After an offline period shorter than OfflineThreshold the connectors that changed "
   "meanwhile are not reported (only a long period makes the station report)", "TC_B_52_CS",
   r.STATUS_AFTER_OFFLINE)

# --- B10: migrating to another network connection profile -------------------------------------------------------
_f("network_priority_ignored", "After a reset the station connects with the URL it was started with, whatever "
   "NetworkConfigurationPriority puts first", "TC_B_45_CS", r.NETWORK_PROFILE)
_f("network_fallback_missing", "The station keeps trying the first profile of NetworkConfigurationPriority when it "
   "cannot be reached, never falling back to the next one", "TC_B_46_CS", r.NETWORK_PROFILE)

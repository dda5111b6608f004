"""The OCPP 1.6 power-failure and offline faults of the reference station (v16.py, station/v16_offline.py): which
suite test catches each and with which rule. Every entry is proven by the fault matrix (tests/test_fault_matrix.py)."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str, strict: bool = False) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule, strict=strict)


fault("power_loss_stop_after_boot", "a station configured to end its transactions before a power cut ends them only "
      "after the power returned", version=V, tests=("test_TC_032_1_CS",), rule=r.EXPECTED_MESSAGE,
      profile="reference-station-16-ups")
_f("power_loss_tx_forgotten", "a transaction a power failure cut is forgotten: no StopTransaction after the station is "
   "back", "TC_032_2_CS", r.EXPECTED_MESSAGE)

# --- offline (module 15; the branches are in v16_offline.py and v16.py _late_start) ------------------------------
_f("offline_tx_messages_dropped", "transaction messages the station would have sent while offline are lost, not "
   "queued", ("TC_036_CS", "TC_038_CS"), r.OFFLINE_QUEUE)
_f("offline_queue_newest_first", "the offline queue is delivered newest first (a SHOULD: chronological order)",
   "TC_036_CS", r.OFFLINE_ORDER, strict=True)
_f("offline_ids_not_mapped", "messages queued for a transaction started offline keep its provisional id instead of "
   "the one the CSMS granted", "TC_039_CS", r.TX_ID)
_f("offline_auth_ignores_cache", "offline, a cached valid token is refused although LocalAuthorizeOffline is true",
   "TC_037_1_CS", r.EXPECTED_MESSAGE)
_f("offline_invalid_stopped_anyway", "an offline transaction whose token the CSMS later answers Invalid is ended "
   "although StopTransactionOnInvalidId is false", "TC_037_2_CS", r.FORBIDDEN_MESSAGE)
_f("offline_invalid_not_stopped", "an offline transaction whose token the CSMS later answers Invalid goes on although "
   "StopTransactionOnInvalidId is true", "TC_037_3_CS", r.EXPECTED_MESSAGE)

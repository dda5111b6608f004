"""The OCPP 1.6J faults of reservations and the local authorization list: which suite test catches each, with
which rule. The behaviour they break is in v16_reservation.py and v16_local_list.py.

Cases for a station WITHOUT a feature (its profile leaves Reservation or LocalAuthListManagement out) are proven
under the built-in profile reference-station-16-core, where the reference station implements neither.
"""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"
CORE = "reference-station-16-core"  # the reference station without Reservation and LocalAuthListManagement


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str, profile: str | None = None) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule, profile=profile)


# --- reservation (OCPP 1.6 §5.13 ReserveNow, §5.1 CancelReservation) ----------------------------------------------
_f("reservation_no_reserved_status", "a reserved connector keeps reporting Available instead of Reserved",
   ("TC_046_1_CS", "TC_046_2_CS"), r.STATUS_TRANSITION)
_f("start_tx_without_reservation_id", "a transaction that uses a reservation starts without its reservationId",
   ("TC_046_1_CS", "TC_046_2_CS", "TC_049_CS", "TC_053_1_CS", "TC_053_2_CS"), r.EXPECTED_MESSAGE)
_f("reservation_any_tag", "any accepted idTag starts a transaction on a connector reserved for another idTag",
   "TC_046_1_CS", r.FORBIDDEN_MESSAGE)
_f("reservation_never_expires", "a reservation outlives its expiryDate: the connector stays Reserved",
   "TC_047_CS", r.STATUS_TRANSITION)
_f("reserve_ignores_faulted", "ReserveNow for a faulted connector is accepted instead of answered Faulted",
   ("TC_048_1_CS", "TC_050_1_CS"), r.STATION_RESPONSE)
_f("reserve_ignores_occupied", "ReserveNow for a connector in use is accepted instead of answered Occupied",
   ("TC_048_2_CS", "TC_050_2_CS"), r.STATION_RESPONSE)
_f("reserve_ignores_unavailable", "ReserveNow for an inoperative connector is accepted instead of answered "
   "Unavailable", ("TC_048_3_CS", "TC_050_3_CS"), r.STATION_RESPONSE)
_f("reservation_accepted_unsupported", "a station that does not take reservations answers ReserveNow Accepted",
   ("TC_048_4_CS", "TC_050_4_CS"), r.STATION_RESPONSE, CORE)
_f("reserve_connector_zero_rejected", "ReserveNow for connector 0 is rejected although ReserveConnectorZeroSupported "
   "is true", "TC_049_CS", r.STATION_RESPONSE)
_f("zero_reservation_not_held", "while a reservation of connector 0 is live, another idTag may take the last free "
   "connector", "TC_049_CS", r.FORBIDDEN_MESSAGE)
_f("cancel_reservation_ignored", "CancelReservation is accepted but the connector stays Reserved", "TC_051_CS",
   r.STATUS_TRANSITION)
_f("cancel_unknown_accepted", "CancelReservation of a reservation id the station does not have is accepted",
   "TC_052_CS", r.STATION_RESPONSE)
_f("reservation_parent_ignored", "an idTag that shares the reservation's parentIdTag may not use the reserved "
   "connector", ("TC_053_1_CS", "TC_053_2_CS"), r.EXPECTED_MESSAGE)

# --- local authorization list (OCPP 1.6 §5.10 GetLocalListVersion, §5.15 SendLocalList) ------------------------
_f("local_list_ignored", "an idTag the local list holds as Accepted is still authorized with the CSMS although "
   "LocalPreAuthorize is true", ("TC_008_1_CS", "TC_008_2_CS"), r.FORBIDDEN_MESSAGE)
_f("local_list_version_not_updated", "SendLocalList is applied but GetLocalListVersion keeps reporting the old "
   "version", "TC_043_CS", r.STATION_RESPONSE)
_f("empty_list_version_minus_one", "with an empty local list GetLocalListVersion answers -1, the value for a station "
   "without local list support", "TC_042_2_CS", r.STATION_RESPONSE)
_f("differential_version_unchecked", "a differential SendLocalList that does not raise the version is accepted "
   "instead of answered VersionMismatch", "TC_043_2_CS", r.STATION_RESPONSE)
_f("local_list_overflow_accepted", "a SendLocalList that would exceed LocalAuthListMaxLength is accepted instead "
   "of answered Failed", "TC_043_3_CS", r.STATION_RESPONSE)
_f("local_list_accepted_unsupported", "a station without a local list answers SendLocalList Accepted",
   "TC_043_1_CS", r.STATION_RESPONSE, CORE)
# the Core catalog's late_response, for the case only a station without a local list runs
fault("late_response", "answers to CSMS requests come after the response timeout", version=V,
      tests=("test_TC_042_1_CS",), rule=r.RESPONSE_TIMEOUT, profile=CORE)

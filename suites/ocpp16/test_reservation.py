"""OCPP 1.6 reservations (Reservation feature profile): reserving a connector or the whole station, using,
expiring and cancelling a reservation, and the statuses ReserveNow refuses with.

What the cases hold a station to (OCPP 1.6 §5.1 CancelReservation, §5.13 ReserveNow, the
Reservations section of chapter 3 and StartTransaction.req's reservationId): an accepted reservation makes
the connector report Reserved; only the reserved idTag, or one sharing the reservation's parentIdTag, may start a
transaction there, and its StartTransaction carries the reservationId; at expiryDate the connector is Available
again; CancelReservation of a live reservation is Accepted and frees the connector, of an unknown id Rejected;
ReserveNow answers Faulted, Occupied or Unavailable when the connector (for connector 0: every connector) is in
that state, and Rejected when the station does not take the reservation.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import time
from typing import Any, Iterator

import pytest

from helpers16 import (config, connector, expect_none_since, get_config, stop_and_unplug, tolerance,
                       transaction_id, wait_s)
from vgitest.ocpp import rules as r
from vgitest.verdict import Inconclusive, NotApplicable

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

PARENT = "VGI-PARENT-01"  # the parentIdTag the fake CSMS gives both test tokens in the parentIdTag cases


def _expiry(seconds: float) -> str:
    when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reserve(station: Any, c: int, token: str, rid: int, *, expected: str = "Accepted", parent: str | None = None,
             seconds: float = 300) -> None:
    payload: dict[str, Any] = {"connectorId": c, "expiryDate": _expiry(seconds), "idTag": token,
                               "reservationId": rid}
    if parent is not None:
        payload["parentIdTag"] = parent
    res = station.call("ReserveNow", payload)
    station.check(res.get("status") == expected, r.STATION_RESPONSE,
                  f"ReserveNow(connector {c}) answered {res.get('status')}, expected {expected}")


@contextlib.contextmanager
def _held(station: Any, rid: int) -> Iterator[None]:
    """The case's reservation is cancelled afterwards (whatever the case left), so the next case finds the
    connector idle; a reservation already used or cancelled is answered Rejected, which is fine here."""
    try:
        yield
    finally:
        if station.connected:
            try:
                station.call("CancelReservation", {"reservationId": rid})
            except AssertionError:
                pass


def _expect_reserved(station: Any, profile: Any, c: int, since: int) -> None:
    try:
        station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Reserved"},
                       since=since)
    except AssertionError:
        station.fail(r.STATUS_TRANSITION, f"connector {c} did not report Reserved after an accepted ReserveNow")


def _tokens(station: Any, profile: Any) -> tuple[str, str]:
    token, other = str(profile.param("valid_id_token")), str(profile.param("other_id_token"))
    station.tokens[token] = station.tokens[other] = "Accepted"
    return token, other


def _expect_reserved_start(station: Any, profile: Any, c: int, tag: str, rid: int, since: int) -> int:
    """The transaction that uses reservation `rid` starts, carrying the reservationId; returns its id."""
    start = station.expect("StartTransaction", wait_s(profile), match={"connectorId": c, "idTag": tag}, since=since)
    station.check(start.body.get("reservationId") == rid, r.EXPECTED_MESSAGE,
                  f"the transaction on the reserved connector started with reservationId "
                  f"{start.body.get('reservationId')}, expected {rid} (OCPP 1.6 StartTransaction.req)", start)
    return transaction_id(station, start)


def _zero_supported(station: Any) -> bool:
    return (get_config(station, "ReserveConnectorZeroSupported") or "").lower() == "true"


def _needs_zero(station: Any) -> None:
    if not _zero_supported(station):
        raise NotApplicable("the station does not take reservations of connector 0 (ReserveConnectorZeroSupported "
                            "is not true); TC_050_4_CS covers its refusal")


def _refused(station: Any, c: int, token: str, rid: int) -> None:
    """A station that does not take the reservation refuses it: ReserveNow answered Rejected (OCPP 1.6
    ReservationStatus), or the action refused as recognised but unsupported (CALLERROR NotSupported, OCPP-J 1.6
    Table 7)."""
    frame = station.call_frame("ReserveNow", {"connectorId": c, "expiryDate": _expiry(300), "idTag": token,
                                              "reservationId": rid})
    body = frame.body or {}
    if frame.kind == "CALLERROR":
        station.check(body.get("errorCode") == "NotSupported", r.STATION_RESPONSE,
                      f"ReserveNow(connector {c}) answered CALLERROR {body.get('errorCode')}; a station that does "
                      "not take reservations answers Rejected (or CALLERROR NotSupported: the action is known)", frame)
        return
    station.check(body.get("status") == "Rejected", r.STATION_RESPONSE,
                  f"ReserveNow(connector {c}) answered {body.get('status')}, expected Rejected: the station does not "
                  "take this reservation", frame)
    if body.get("status") == "Accepted":
        station.call("CancelReservation", {"reservationId": rid})


@pytest.mark.vgi_case("TC_046_1_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_046_1_CS(booted_station, dut, vgi_profile):
    """A reserved connector reports Reserved; another accepted idTag cannot start a transaction on it; the
    reserved idTag then starts one locally, and its StartTransaction names the reservation."""
    station, c, rid = booted_station, connector(vgi_profile), 4601
    token, other = _tokens(station, vgi_profile)
    mark = len(station.csms.trace)
    with _held(station, rid):
        _reserve(station, c, token, rid)
        _expect_reserved(station, vgi_profile, c, mark)
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"},
                       since=mark)
        tried = len(station.csms.trace)
        dut.perform("present_token", id_token=other, connector=c)
        expect_none_since(station, "StartTransaction", tried, float(vgi_profile.param("quiet_wait", 2)))
        used = len(station.csms.trace)
        dut.perform("present_token", id_token=token, connector=c)
        tx = _expect_reserved_start(station, vgi_profile, c, token, rid, used)
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_046_2_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_046_2_CS(booted_station, dut, vgi_profile):
    """A reserved connector reports Reserved; a remote start for the reserved idTag on it is accepted, and the
    transaction that follows the plug-in names the reservation."""
    station, c, rid = booted_station, connector(vgi_profile), 4602
    token, _ = _tokens(station, vgi_profile)
    mark = len(station.csms.trace)
    with _held(station, rid):
        _reserve(station, c, token, rid)
        _expect_reserved(station, vgi_profile, c, mark)
        used = len(station.csms.trace)
        res = station.call("RemoteStartTransaction", {"connectorId": c, "idTag": token})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"RemoteStartTransaction for the reserved idTag answered {res.get('status')}, expected Accepted")
        dut.perform("plug_in", connector=c)
        tx = _expect_reserved_start(station, vgi_profile, c, token, rid, used)
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_047_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_047_CS(booted_station, dut, vgi_profile, vgi_budgets):
    """A reservation nobody uses ends at its expiryDate: the connector goes from Reserved back to Available then,
    not much earlier and not much later."""
    station, c, rid = booted_station, connector(vgi_profile), 4700
    token, _ = _tokens(station, vgi_profile)
    seconds, tol = 3.0, tolerance(vgi_budgets)
    mark = len(station.csms.trace)
    with _held(station, rid):
        sent = time.monotonic()
        _reserve(station, c, token, rid, seconds=seconds)
        _expect_reserved(station, vgi_profile, c, mark)
        try:
            free = station.expect("StatusNotification", seconds + tol + wait_s(vgi_profile),
                                  match={"connectorId": c, "status": "Available"})
        except AssertionError:
            late = seconds + tol + wait_s(vgi_profile)
            station.fail(r.STATUS_TRANSITION, f"connector {c} was still Reserved {late:g} s after a reservation "
                         f"that expired after {seconds:g} s")
        early = sent + seconds - tol - free.t_ns / 1e9
        station.check(early <= 0, r.STATUS_TRANSITION,
                      f"connector {c} became Available {early:.1f} s before the reservation's expiryDate", free)


@pytest.mark.vgi_case("TC_048_1_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_048_1_CS(booted_station, dut, vgi_profile):
    """A faulted connector cannot be reserved: ReserveNow is answered Faulted."""
    station, c, rid = booted_station, connector(vgi_profile), 4801
    token, _ = _tokens(station, vgi_profile)
    dut.perform("fault_connector", connector=c)
    try:
        try:
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Faulted"})
        except AssertionError:
            raise Inconclusive(f"connector {c} did not report Faulted after the fault_connector action") from None
        with _held(station, rid):
            _reserve(station, c, token, rid, expected="Faulted")
    finally:
        dut.perform("clear_fault", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_048_2_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_048_2_CS(running_transaction, dut, vgi_profile, station):
    """A connector with a transaction cannot be reserved: ReserveNow is answered Occupied."""
    c, tx = running_transaction["connector"], running_transaction["transaction_id"]
    with _held(station, 4802):
        _reserve(station, c, running_transaction["token"], 4802, expected="Occupied")
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_048_3_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_048_3_CS(booted_station, dut, vgi_profile):
    """An inoperative connector cannot be reserved: ReserveNow is answered Unavailable."""
    station, c, rid = booted_station, connector(vgi_profile), 4803
    token, _ = _tokens(station, vgi_profile)
    res = station.call("ChangeAvailability", {"connectorId": c, "type": "Inoperative"})
    try:
        if res.get("status") != "Accepted":
            raise Inconclusive(f"ChangeAvailability(connector {c}, Inoperative) answered {res.get('status')}")
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Unavailable"})
        with _held(station, rid):
            _reserve(station, c, token, rid, expected="Unavailable")
    finally:
        station.call("ChangeAvailability", {"connectorId": c, "type": "Operative"})
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_048_4_CS", feature="Reservation", requires=("Core", "!Reservation"))
def test_TC_048_4_CS(booted_station, vgi_profile):
    """A station that does not take reservations refuses to reserve a connector (Rejected)."""
    station = booted_station
    token, _ = _tokens(station, vgi_profile)
    _refused(station, connector(vgi_profile), token, 4804)


@pytest.mark.vgi_case("TC_049_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_049_CS(booted_station, dut, vgi_profile):
    """A reservation of the whole station (connector 0) is accepted when the station supports it; on a station
    with one connector, that connector then stays free for the reserved idTag (another accepted idTag cannot start
    a transaction); the reserved idTag's transaction names the reservation."""
    station, c, rid = booted_station, connector(vgi_profile), 4900
    token, other = _tokens(station, vgi_profile)
    _needs_zero(station)
    with _held(station, rid):
        _reserve(station, 0, token, rid)
        used = len(station.csms.trace)
        dut.perform("plug_in", connector=c)
        if _connectors(vgi_profile) == [c]:  # the one connector is the one the reservation must keep
            dut.perform("present_token", id_token=other, connector=c)
            expect_none_since(station, "StartTransaction", used, float(vgi_profile.param("quiet_wait", 2)))
        dut.perform("present_token", id_token=token, connector=c)
        tx = _expect_reserved_start(station, vgi_profile, c, token, rid, used)
    stop_and_unplug(station, dut, vgi_profile, tx)


def _connectors(profile: Any) -> list[int]:
    return list(range(1, int(profile.param("connectors", 1)) + 1))


@pytest.mark.vgi_case("TC_050_1_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_050_1_CS(booted_station, dut, vgi_profile):
    """With every connector faulted, a reservation of the whole station (connector 0) is answered Faulted."""
    station = booted_station
    token, _ = _tokens(station, vgi_profile)
    _needs_zero(station)
    every = _connectors(vgi_profile)
    try:
        for c in every:
            dut.perform("fault_connector", connector=c)
            try:
                station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Faulted"})
            except AssertionError:
                raise Inconclusive(f"connector {c} did not report Faulted after the fault_connector action") from None
        with _held(station, 5001):
            _reserve(station, 0, token, 5001, expected="Faulted")
    finally:
        for c in every:
            dut.perform("clear_fault", connector=c)
        for c in every:
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_050_2_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_050_2_CS(running_transaction, dut, vgi_profile, station):
    """With every connector in use (a transaction on the suite's connector, an EV plugged in at the others), a
    reservation of the whole station (connector 0) is answered Occupied."""
    c, tx = running_transaction["connector"], running_transaction["transaction_id"]
    _needs_zero(station)
    others = [x for x in _connectors(vgi_profile) if x != c]
    try:
        for x in others:
            dut.perform("plug_in", connector=x)
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": x, "status": "Preparing"})
        with _held(station, 5002):
            _reserve(station, 0, running_transaction["token"], 5002, expected="Occupied")
    finally:
        for x in others:
            dut.perform("unplug", connector=x)
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_050_3_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_050_3_CS(booted_station, dut, vgi_profile):
    """With the whole station inoperative, a reservation of the whole station (connector 0) is answered
    Unavailable."""
    station = booted_station
    token, _ = _tokens(station, vgi_profile)
    _needs_zero(station)
    every = _connectors(vgi_profile)
    res = station.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    try:
        if res.get("status") != "Accepted":
            raise Inconclusive(f"ChangeAvailability(connector 0, Inoperative) answered {res.get('status')}")
        for c in every:
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Unavailable"})
        with _held(station, 5003):
            _reserve(station, 0, token, 5003, expected="Unavailable")
    finally:
        station.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
        for c in every:
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_050_4_CS", feature="Reservation", requires=("Core",))
def test_TC_050_4_CS(booted_station, vgi_profile):
    """A station that does not take reservations of connector 0 (no Reservation profile, or
    ReserveConnectorZeroSupported not true) refuses a reservation of the whole station (Rejected)."""
    station = booted_station
    token, _ = _tokens(station, vgi_profile)
    if vgi_profile.pics.get("Reservation") and _zero_supported(station):
        raise NotApplicable("the station takes reservations of connector 0 (ReserveConnectorZeroSupported is true); "
                            "TC_049_CS covers them")
    _refused(station, 0, token, 5004)


@pytest.mark.vgi_case("TC_051_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_051_CS(booted_station, dut, vgi_profile):
    """CancelReservation of a live reservation is accepted and the connector goes from Reserved back to
    Available."""
    station, c, rid = booted_station, connector(vgi_profile), 5100
    token, _ = _tokens(station, vgi_profile)
    mark = len(station.csms.trace)
    with _held(station, rid):
        _reserve(station, c, token, rid)
        _expect_reserved(station, vgi_profile, c, mark)
        res = station.call("CancelReservation", {"reservationId": rid})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"CancelReservation of the live reservation answered {res.get('status')}, expected Accepted")
        try:
            station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})
        except AssertionError:
            station.fail(r.STATUS_TRANSITION, f"connector {c} stayed Reserved after the reservation was cancelled")


@pytest.mark.vgi_case("TC_052_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_052_CS(booted_station, dut, vgi_profile):
    """CancelReservation of a reservation id the station does not have is rejected (and the live reservation
    stays)."""
    station, c, rid = booted_station, connector(vgi_profile), 5200
    token, _ = _tokens(station, vgi_profile)
    mark = len(station.csms.trace)
    with _held(station, rid):
        _reserve(station, c, token, rid)
        _expect_reserved(station, vgi_profile, c, mark)
        res = station.call("CancelReservation", {"reservationId": rid + 1})
        station.check(res.get("status") == "Rejected", r.STATION_RESPONSE,
                      f"CancelReservation of unknown reservation {rid + 1} answered {res.get('status')}, "
                      "expected Rejected")


def _parent_answers(station: Any) -> None:
    """The fake CSMS gives every idTag the parentIdTag PARENT (the reserved one and the other token alike); the
    station's cache must not answer for it instead."""
    station.override("Authorize", lambda p: {"idTagInfo": {"status": "Accepted", "parentIdTag": PARENT}})
    station.call("ClearCache", {})


@pytest.mark.vgi_case("TC_053_1_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_053_1_CS(booted_station, dut, vgi_profile):
    """A connector reserved for an idTag with a parentIdTag may be used locally by another idTag of the same
    parent: its transaction starts and names the reservation."""
    station, c, rid = booted_station, connector(vgi_profile), 5301
    token, other = _tokens(station, vgi_profile)
    _parent_answers(station)
    mark = len(station.csms.trace)
    with _held(station, rid):
        _reserve(station, c, token, rid, parent=PARENT)
        _expect_reserved(station, vgi_profile, c, mark)
        used = len(station.csms.trace)
        dut.perform("plug_in", connector=c)
        dut.perform("present_token", id_token=other, connector=c)
        tx = _expect_reserved_start(station, vgi_profile, c, other, rid, used)
    stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_053_2_CS", feature="Reservation", requires=("Core", "Reservation"))
def test_TC_053_2_CS(booted_station, dut, vgi_profile):
    """A connector reserved for an idTag with a parentIdTag may be started remotely for another idTag of the same
    parent (the station authorizes it, AuthorizeRemoteTxRequests): the transaction names the reservation."""
    station, c, rid = booted_station, connector(vgi_profile), 5302
    token, other = _tokens(station, vgi_profile)
    _parent_answers(station)
    mark = len(station.csms.trace)
    with _held(station, rid), config(station, "AuthorizeRemoteTxRequests", "true"):
        _reserve(station, c, token, rid, parent=PARENT)
        _expect_reserved(station, vgi_profile, c, mark)
        used = len(station.csms.trace)
        res = station.call("RemoteStartTransaction", {"connectorId": c, "idTag": other})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"RemoteStartTransaction for an idTag of the reservation's parent answered {res.get('status')}")
        dut.perform("plug_in", connector=c)
        tx = _expect_reserved_start(station, vgi_profile, c, other, rid, used)
    stop_and_unplug(station, dut, vgi_profile, tx)

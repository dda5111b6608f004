"""Reservations and the local authorization list of the OCPP 1.6 reference station, against the fake CSMS: the
behaviour the suite cases rely on, each shown next to the fault that breaks it."""

from __future__ import annotations

import datetime as _dt
from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.ocpp.station.v16 import Station16

PARAMS = {"heartbeat_interval": 2, "meter_sample_interval": 1, "connection_timeout": 3, "call_timeout": 3}


@pytest.fixture(scope="module")
def csms() -> Iterator[FakeCsms]:
    with FakeCsms(port=0, heartbeat_interval=2, versions=("1.6",)) as server:
        yield server


def _start(csms: FakeCsms, identity: str, faults: tuple[str, ...] = (), connectors: int = 1,
           **params: object) -> tuple[Station16, StationSession]:
    st = Station16(csms.url, identity, connectors=connectors, faults=faults, params={**PARAMS, **params}).start()
    s = csms.wait_for_station(identity, 10)
    s.expect("BootNotification", 5)
    for c in range(1, connectors + 1):
        s.expect("StatusNotification", 5, match={"connectorId": c, "status": "Available"})
    return st, s


def _expiry(seconds: float) -> str:
    return (_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _reserve(s: StationSession, c: int, rid: int, tag: str = "TAG1", seconds: float = 60, **extra: str) -> str:
    return s.call("ReserveNow", {"connectorId": c, "expiryDate": _expiry(seconds), "idTag": tag,
                                 "reservationId": rid, **extra})["status"]


def test_reserve_now_statuses_follow_the_connector(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-STATUS", connectors=2)
    try:
        st.perform("fault_connector", connector=1)
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Faulted"})
        assert _reserve(s, 1, 1) == "Faulted"
        assert s.call("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"})["status"] == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Unavailable"})
        assert _reserve(s, 2, 2) == "Unavailable"
        assert _reserve(s, 0, 3) == "Faulted"  # no connector can be held: the first telling state
        st.perform("clear_fault", connector=1)
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Available"})
        st.perform("plug_in", connector=1)
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Preparing"})
        assert _reserve(s, 1, 4) == "Occupied"
        assert _reserve(s, 9, 5) == "Rejected"  # no such connector
        assert _reserve(s, 1, 6, seconds=-5) == "Rejected"  # already expired
    finally:
        st.stop()
    st, s = _start(csms, "UT16R-STATUS-F", faults=("reserve_ignores_faulted",))
    try:
        st.perform("fault_connector", connector=1)
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Faulted"})
        assert _reserve(s, 1, 1) == "Accepted"
    finally:
        st.stop()


def test_reservation_holds_the_connector_for_its_idtag_and_parent(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-USE")
    try:
        s.override("Authorize", lambda p: {"idTagInfo": {"status": "Accepted", "parentIdTag": "P1"}
                                           if p["idTag"] == "KID" else {"status": "Accepted"}})
        assert _reserve(s, 1, 7, tag="OWNER", parentIdTag="P1") == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Reserved"})
        assert _reserve(s, 1, 8) == "Occupied"  # held by reservation 7
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="STRANGER", connector=1)
        s.expect("Authorize", 3, match={"idTag": "STRANGER"})
        s.expect_none("StartTransaction", 1.0)
        st.perform("present_token", id_token="KID", connector=1)  # same parent as the reservation
        start = s.expect("StartTransaction", 3, match={"idTag": "KID"})
        assert start.body["reservationId"] == 7
        assert s.call("CancelReservation", {"reservationId": 7})["status"] == "Rejected"  # used up
    finally:
        st.stop()
    st, s = _start(csms, "UT16R-USE-F", faults=("reservation_parent_ignored",))
    try:
        s.override("Authorize", lambda p: {"idTagInfo": {"status": "Accepted", "parentIdTag": "P1"}})
        assert _reserve(s, 1, 7, tag="OWNER", parentIdTag="P1") == "Accepted"
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="KID", connector=1)
        s.expect("Authorize", 3, match={"idTag": "KID"})
        s.expect_none("StartTransaction", 1.0)
    finally:
        st.stop()


def test_connector_zero_holds_the_last_free_connector(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-ZERO", connectors=2)
    try:
        mark = len(s.csms.trace)
        assert _reserve(s, 0, 9, tag="OWNER") == "Accepted"
        s.expect_none("StatusNotification", 0.5, match={"status": "Reserved"})  # two free connectors: none held
        st.perform("plug_in", connector=1)
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Preparing"})
        s.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Reserved"}, since=mark)
        assert _reserve(s, 0, 10) == "Occupied"  # the one free connector is held already
        st.perform("present_token", id_token="OTHER", connector=2)  # would take the last free connector: no
        s.expect("Authorize", 3, match={"idTag": "OTHER"})
        s.expect_none("StatusNotification", 1.0, match={"connectorId": 2, "status": "Preparing"})
        st.perform("present_token", id_token="OWNER", connector=1)
        assert s.expect("StartTransaction", 3, match={"idTag": "OWNER"}).body["reservationId"] == 9
        s.expect("StatusNotification", 3, match={"connectorId": 2, "status": "Available"})  # no longer held
    finally:
        st.stop()


def test_reservation_expires_and_cancels(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-EXP")
    try:
        assert _reserve(s, 1, 11, seconds=1) == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Reserved"})
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Available"})
        assert _reserve(s, 1, 12) == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Reserved"})
        assert s.call("CancelReservation", {"reservationId": 99})["status"] == "Rejected"
        assert s.call("CancelReservation", {"reservationId": 12})["status"] == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Available"})
    finally:
        st.stop()
    st, s = _start(csms, "UT16R-EXP-F", faults=("reservation_never_expires",))
    try:
        assert _reserve(s, 1, 11, seconds=1) == "Accepted"
        s.expect("StatusNotification", 3, match={"connectorId": 1, "status": "Reserved"})
        s.expect_none("StatusNotification", 2.0, match={"connectorId": 1, "status": "Available"})
    finally:
        st.stop()


def test_without_the_profiles_the_station_refuses(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-CORE", feature_profiles="Core,RemoteTrigger")
    try:
        assert _reserve(s, 1, 1) == "Rejected"
        assert s.call("GetLocalListVersion", {})["listVersion"] == -1
        assert s.call("SendLocalList", {"listVersion": 1, "updateType": "Full"})["status"] == "NotSupported"
        keys = s.call("GetConfiguration", {"key": ["SupportedFeatureProfiles", "LocalAuthListEnabled"]})
        assert keys["configurationKey"][0]["value"] == "Core,RemoteTrigger"
        assert keys["unknownKey"] == ["LocalAuthListEnabled"]
    finally:
        st.stop()


def test_local_list_versions_updates_and_refusals(csms: FakeCsms) -> None:
    st, s = _start(csms, "UT16R-LIST")

    def send(version: int, update: str, *entries: dict) -> str:
        payload: dict = {"listVersion": version, "updateType": update}
        if entries:
            payload["localAuthorizationList"] = list(entries)
        return s.call("SendLocalList", payload)["status"]
    ok = {"status": "Accepted"}
    try:
        assert s.call("GetLocalListVersion", {})["listVersion"] == 0
        assert send(3, "Full", {"idTag": "A", "idTagInfo": ok}) == "Accepted"
        assert send(3, "Differential", {"idTag": "B", "idTagInfo": ok}) == "VersionMismatch"
        assert send(4, "Differential", {"idTag": "B", "idTagInfo": ok}, {"idTag": "A"}) == "Accepted"
        assert st.local_list == {"B": ok}
        tags = [{"idTag": f"T{i}", "idTagInfo": ok} for i in range(21)]
        assert send(5, "Full", *tags[:20]) == "Accepted"
        assert send(6, "Differential", tags[20]) == "Failed"  # 21 > LocalAuthListMaxLength
        assert s.call("GetLocalListVersion", {})["listVersion"] == 5
        assert s.call("ChangeConfiguration", {"key": "LocalPreAuthorize", "value": "true"})["status"] == "Accepted"
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="T3", connector=1)
        s.expect("StartTransaction", 3, match={"idTag": "T3"})
        assert not [f for f in s.frames(0) if f.kind == "CALL" and f.name == "Authorize"]
    finally:
        st.stop()
    st, s = _start(csms, "UT16R-LIST-F", faults=("differential_version_unchecked", "local_list_ignored"))
    try:
        assert send(3, "Full", {"idTag": "A", "idTagInfo": ok}) == "Accepted"
        assert send(2, "Differential", {"idTag": "B", "idTagInfo": ok}) == "Accepted"
        assert s.call("ChangeConfiguration", {"key": "LocalPreAuthorize", "value": "true"})["status"] == "Accepted"
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="A", connector=1)
        s.expect("Authorize", 3, match={"idTag": "A"})
    finally:
        st.stop()

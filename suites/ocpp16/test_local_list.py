"""OCPP 1.6 Local Authorization List (LocalAuthListManagement feature profile): list versions, full and
differential updates, the refusals VersionMismatch / Failed / NotSupported, and starting a transaction from the
list without asking the CSMS. (TC_042_1_CS, the version of a station without a list, is in test_data_transfer.py.)

What the cases hold a station to (OCPP 1.6 §5.10 GetLocalListVersion, §5.15 SendLocalList, UpdateStatus, §9.2
keys, and the Local Authorization List section of chapter 3): GetLocalListVersion
reports the version the last update set (0 stands for an empty list, -1 for no list support); a Full update
replaces the list, a Differential one adds, changes and (an entry without idTagInfo) removes entries and must raise
the version, else VersionMismatch; an update the station cannot store is answered Failed; with LocalPreAuthorize an
idTag the list holds as Accepted starts a transaction at once, without Authorize.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import pytest

from helpers16 import config, connector, get_config, stop_and_unplug, transaction_id, wait_s
from vgitest.ocpp import rules as r
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

REQUIRES = ("Core", "LocalAuthListManagement")
MAX_MESSAGES = 60  # TC_043_3_CS fills the list to its maximum: at most this many SendLocalList requests


def _version(station: Any) -> int:
    res = station.call("GetLocalListVersion", {})
    return int(res.get("listVersion", -1))


def _entry(tag: str, status: str | None = "Accepted") -> dict:
    return {"idTag": tag} if status is None else {"idTag": tag, "idTagInfo": {"status": status}}


def _send(station: Any, version: int, update: str, entries: list[dict], expected: str | None = "Accepted") -> str:
    payload: dict[str, Any] = {"listVersion": version, "updateType": update}
    if entries:
        payload["localAuthorizationList"] = entries
    status = str(station.call("SendLocalList", payload).get("status"))
    if expected is not None:
        station.check(status == expected, r.STATION_RESPONSE,
                      f"SendLocalList({update}, version {version}, {len(entries)} entries) answered {status}, "
                      f"expected {expected}")
    return status


def _check_version(station: Any, expected: int, why: str) -> None:
    got = _version(station)
    station.check(got == expected, r.STATION_RESPONSE,
                  f"GetLocalListVersion answered {got} {why}, expected {expected}")


@contextlib.contextmanager
def _emptied(station: Any) -> Iterator[int]:
    """With the list enabled (LocalAuthListEnabled, a required key of the profile), yields the list version before
    the case; afterwards the list is emptied (a Full update without entries at a higher version), so no entry of
    this case authorizes anything in a later one."""
    with config(station, "LocalAuthListEnabled", "true"):
        start = _version(station)
        station.check(start >= 0, r.STATION_RESPONSE, f"GetLocalListVersion answered {start} with the local list "
                      "enabled; -1 stands for no local list support, which the profile declares")
        try:
            yield start
        finally:
            if station.connected:
                try:
                    _send(station, max(start, _version(station)) + 100, "Full", [], expected=None)
                except AssertionError:
                    pass


@pytest.mark.vgi_case("TC_042_2_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_042_2_CS(booted_station, vgi_profile):
    """After a Full update that empties the list, GetLocalListVersion reports an empty list: 0 (the number the
    protocol reserves for an empty list) or the version of that update; not -1 and not an older version."""
    station = booted_station
    token = str(vgi_profile.param("valid_id_token"))
    with _emptied(station) as v:
        _send(station, v + 1, "Full", [_entry(token)])
        _send(station, v + 2, "Full", [])
        got = _version(station)
        station.check(got in (0, v + 2), r.STATION_RESPONSE,
                      f"GetLocalListVersion answered {got} for the emptied list, expected 0 (empty) or {v + 2} (the "
                      "version of the emptying update)")


@pytest.mark.vgi_case("TC_043_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_043_CS(booted_station, vgi_profile):
    """Full and differential updates (add an entry, then remove it) are accepted, and after each the station
    reports the version that update carried."""
    station = booted_station
    token, other = str(vgi_profile.param("valid_id_token")), str(vgi_profile.param("other_id_token"))
    with _emptied(station) as v:
        _send(station, v + 1, "Full", [_entry(token)])
        _check_version(station, v + 1, "after a Full update")
        _send(station, v + 2, "Differential", [_entry(other)])
        _check_version(station, v + 2, "after a Differential update that adds an entry")
        _send(station, v + 3, "Differential", [_entry(other, None)])
        _check_version(station, v + 3, "after a Differential update that removes an entry")


@pytest.mark.vgi_case("TC_043_1_CS", feature="Local Authorization List",
                      requires=("Core", "!LocalAuthListManagement"))
def test_TC_043_1_CS(booted_station, vgi_profile):
    """A station without a local list refuses SendLocalList: NotSupported (or CALLERROR NotSupported, the action
    being known but not supported)."""
    station = booted_station
    token = str(vgi_profile.param("valid_id_token"))
    frame = station.call_frame("SendLocalList", {"listVersion": 1, "updateType": "Full",
                                                 "localAuthorizationList": [_entry(token)]})
    body = frame.body or {}
    if frame.kind == "CALLERROR":
        station.check(body.get("errorCode") == "NotSupported", r.STATION_RESPONSE,
                      f"SendLocalList answered CALLERROR {body.get('errorCode')}; a station without a local list "
                      "answers NotSupported (or CALLERROR NotSupported: SendLocalList is a known 1.6 action)", frame)
        return
    station.check(body.get("status") == "NotSupported", r.STATION_RESPONSE,
                  f"SendLocalList answered {body.get('status')}, expected NotSupported (no local list)", frame)


@pytest.mark.vgi_case("TC_043_2_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_043_2_CS(booted_station, vgi_profile):
    """A differential update whose version is not above the list's (lower, or equal) is answered VersionMismatch
    and leaves the version as it was."""
    station = booted_station
    token, other = str(vgi_profile.param("valid_id_token")), str(vgi_profile.param("other_id_token"))
    with _emptied(station) as v:
        _send(station, v + 1, "Full", [_entry(token)])
        _send(station, v + 4, "Differential", [_entry(other)])
        _send(station, v + 3, "Differential", [_entry(other, "Blocked")], expected="VersionMismatch")
        _send(station, v + 4, "Differential", [_entry(other, "Blocked")], expected="VersionMismatch")
        _check_version(station, v + 4, "after two refused differential updates")


def _max_length(station: Any, key: str) -> int:
    value = get_config(station, key)
    try:
        return int(value or "")
    except ValueError:
        raise Inconclusive(f"the station reports no usable {key} ({value!r}); the profile's configuration keys "
                           "(OCPP 1.6 §9.2) are needed to fill the list") from None


@pytest.mark.vgi_case("TC_043_3_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_043_3_CS(booted_station, vgi_profile):
    """An update that would take the list beyond LocalAuthListMaxLength cannot be stored: it is answered Failed,
    and the list keeps its version."""
    station = booted_station
    size, per_message = _max_length(station, "LocalAuthListMaxLength"), _max_length(station, "SendLocalListMaxLength")
    if size < 1 or per_message < 1 or math.ceil(size / per_message) + 1 > MAX_MESSAGES:
        raise Inconclusive(f"filling a list of {size} entries {per_message} at a time takes more than "
                           f"{MAX_MESSAGES} requests")
    tags = [f"VGI-LL-{i:05d}" for i in range(size + 1)]
    with _emptied(station) as v:
        version = v + 1
        _send(station, version, "Full", [_entry(t) for t in tags[:min(size, per_message)]])
        for at in range(min(size, per_message), size, per_message):
            version += 1
            _send(station, version, "Differential", [_entry(t) for t in tags[at:min(size, at + per_message)]])
        _send(station, version + 1, "Differential", [_entry(tags[size])], expected="Failed")
        _check_version(station, version, "after the update that was answered Failed")


@pytest.mark.vgi_case("TC_008_1_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_008_1_CS(booted_station, dut, vgi_profile):
    """With LocalPreAuthorize, an idTag the local list holds as Accepted starts a local transaction at once: no
    Authorize goes to the CSMS (the cache was cleared first, so only the list can have authorized it)."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    with _emptied(station) as v, config(station, "LocalPreAuthorize", "true"):
        _send(station, v + 1, "Full", [_entry(token)])
        if station.call("ClearCache", {}).get("status") != "Accepted":
            raise Inconclusive("ClearCache was not accepted: the cache, not the list, might authorize the idTag")
        mark = len(station.csms.trace)
        dut.perform("plug_in", connector=c)
        dut.perform("present_token", id_token=token, connector=c)
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
        asked = [f for f in station.frames(mark) if f.kind == "CALL" and f.name == "Authorize"]
        station.check(not asked, r.FORBIDDEN_MESSAGE, "the station asked the CSMS to authorize an idTag its local "
                      "list holds as Accepted although LocalPreAuthorize is true", asked[0] if asked else start)
    stop_and_unplug(station, dut, vgi_profile, transaction_id(station, start))


@pytest.mark.vgi_case("TC_008_2_CS", feature="Local Authorization List", requires=REQUIRES)
def test_TC_008_2_CS(booted_station, dut, vgi_profile):
    """With LocalPreAuthorize and AuthorizeRemoteTxRequests, a remote start for an idTag the local list holds as
    Accepted is handled like a local one: the transaction starts without an Authorize to the CSMS."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    with _emptied(station) as v, config(station, "LocalPreAuthorize", "true"), \
            config(station, "AuthorizeRemoteTxRequests", "true"):
        _send(station, v + 1, "Full", [_entry(token)])
        if station.call("ClearCache", {}).get("status") != "Accepted":
            raise Inconclusive("ClearCache was not accepted: the cache, not the list, might authorize the idTag")
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        mark = len(station.csms.trace)
        res = station.call("RemoteStartTransaction", {"connectorId": c, "idTag": token})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"RemoteStartTransaction answered {res.get('status')}, expected Accepted")
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
        asked = [f for f in station.frames(mark) if f.kind == "CALL" and f.name == "Authorize"]
        station.check(not asked, r.FORBIDDEN_MESSAGE, "the station asked the CSMS to authorize a remote start for an "
                      "idTag its local list holds as Accepted although LocalPreAuthorize is true",
                      asked[0] if asked else start)
    stop_and_unplug(station, dut, vgi_profile, transaction_id(station, start))

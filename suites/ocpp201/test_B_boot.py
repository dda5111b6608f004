"""B: Provisioning — cold boot with Accepted, Pending and Rejected registration (B01-B03)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.trace import Direction
from vgitest.verdict import HarnessError

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")  # B01-B03 unchanged in 2.1 (connector states: see G)


def _status_reports(station, dut, profile, after: int, t) -> None:
    """Every connector's state must follow an accepted boot."""
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        s.require_status(station, after, t.wait, r.STATUS_AFTER_BOOT,
                         f"connector {c} of EVSE {c} was not reported after boot Accepted",
                         {"evseId": c, "connectorId": 1})


def _settled(station, profile) -> None:
    """A station still in its first boot exchange finishes it before the test changes the boot answer and
    power-cycles it; otherwise that older boot would pass for the boot of this test's power cycle."""
    station.settle_first_contact(float(profile.param("message_wait", 5)))


def _boot_answered(station, boot, t):
    answer = s.answer_to(station, boot, t.wait)
    if answer is None:
        raise HarnessError("the fake CSMS did not answer the BootNotification")
    return answer


@pytest.mark.vgi_case("TC_B_01_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_01_CS(station, dut, vgi_profile, t) -> None:
    """After a power cycle the station's first OCPP message is BootNotification; once the CSMS accepts it, the
    station reports the state of every connector."""
    _settled(station, vgi_profile)
    start = s.mark(station)
    dut.perform("reboot")
    boot = s.require(station, "BootNotification", start, t.wait, r.BOOT_MISSING, "no BootNotification after power-up")
    # only the connection of this power cycle: a message the old connection delivered late is not "early"
    early = [f for f in station.csms.trace.since(start)[: boot.index - start]
             if f.direction is Direction.IN and f.kind == "CALL" and f.meta.get("identity") == station.identity
             and f.connection == boot.connection]
    if early:
        station.fail(r.BOOT_BEFORE_ACCEPT, f"{early[0].name} was sent before the BootNotification", early[0])
    _boot_answered(station, boot, t)
    _status_reports(station, dut, vgi_profile, boot.index, t)


@pytest.mark.vgi_case("TC_B_02_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_02_CS(station, dut, vgi_profile, t) -> None:
    """While its registration is Pending the station serves configuration requests, refuses to start a remote
    transaction, and boots again at once when the CSMS triggers a BootNotification."""
    _settled(station, vgi_profile)
    old = station.boot_retry_interval
    station.boot_status, station.boot_retry_interval = "Pending", 60  # no retry may come by itself in this test
    try:
        start = s.mark(station)
        dut.perform("reboot")
        boot = s.require(station, "BootNotification", start, t.wait, r.BOOT_MISSING, "no BootNotification")
        _boot_answered(station, boot, t)
        res = station.call("GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
        station.check(res["getVariableResult"][0]["attributeStatus"] == "Accepted", r.STATION_RESPONSE,
                      f"GetVariables while Pending: {res['getVariableResult'][0]['attributeStatus']}")
        res = station.call("RequestStartTransaction", {"idToken": s.id_token(vgi_profile), "remoteStartId": 201},
                           negative="TC_B_02_CS: a station whose registration is Pending must refuse to start a "
                                    "transaction for the CSMS")
        station.check(res["status"] == "Rejected", r.STATION_RESPONSE,
                      f"RequestStartTransaction while Pending must be Rejected, got {res['status']}")
        station.boot_status = "Accepted"
        mark = s.mark(station)
        res = station.call("TriggerMessage", {"requestedMessage": "BootNotification"})
        station.check(res["status"] == "Accepted", r.STATION_RESPONSE,
                      f"TriggerMessage(BootNotification) while Pending: {res['status']}")
        again = s.require(station, "BootNotification", mark, t.wait, r.EXPECTED_MESSAGE,
                          "the triggered BootNotification did not come")
        _boot_answered(station, again, t)
        _status_reports(station, dut, vgi_profile, again.index, t)
    finally:
        station.boot_retry_interval = old


@pytest.mark.vgi_case("TC_B_03_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_03_CS(station, dut, vgi_profile, t) -> None:
    """After a Rejected registration the station stays silent and repeats its BootNotification only once the
    interval given by the CSMS has elapsed; after acceptance it reports its connectors."""
    _settled(station, vgi_profile)
    old = station.boot_retry_interval
    interval = float(vgi_profile.param("boot_retry_interval", 2))
    station.boot_status, station.boot_retry_interval = "Rejected", int(interval)
    try:
        start = s.mark(station)
        dut.perform("reboot")
        first = s.require(station, "BootNotification", start, t.wait, r.BOOT_MISSING, "no BootNotification")
        answer = _boot_answered(station, first, t)
        station.boot_status = "Accepted"
        second = s.require(station, "BootNotification", first.index + 1, interval + t.wait, r.EXPECTED_MESSAGE,
                           "no new BootNotification after the retry interval")
        waited = (second.t_ns - answer.t_ns) / 1e9
        station.check(waited >= interval - t.tolerance, r.BOOT_RETRY_EARLY,
                      f"BootNotification repeated after {waited:.2f} s; the Rejected answer asked for {interval:g} s",
                      second)
        _boot_answered(station, second, t)
        _status_reports(station, dut, vgi_profile, second.index, t)
    finally:
        station.boot_retry_interval = old


@pytest.mark.vgi_case("TC_B_30_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_30_CS(station, dut, vgi_profile, t) -> None:
    """While its registration is Rejected the station does not serve CSMS requests: it answers them with the
    RPC error SecurityError."""
    _settled(station, vgi_profile)
    old = station.boot_retry_interval
    station.boot_status, station.boot_retry_interval = "Rejected", 30
    try:
        start = s.mark(station)
        dut.perform("reboot")
        boot = s.require(station, "BootNotification", start, t.wait, r.BOOT_MISSING, "no BootNotification")
        _boot_answered(station, boot, t)
        frame = station.call_frame("GetBaseReport", {"requestId": 3001, "reportBase": "FullInventory"},
                                   negative="TC_B_30_CS: a station whose registration is Rejected answers CSMS "
                                            "requests with SecurityError")
        code = (frame.body or {}).get("errorCode") if frame.kind == "CALLERROR" else None
        station.check(code == "SecurityError", r.STATION_RESPONSE,
                      f"GetBaseReport while Rejected was answered {frame.kind} {code or frame.body}; expected "
                      "CALLERROR SecurityError", frame)
    finally:
        station.boot_retry_interval = old
        station.boot_status = "Accepted"


@pytest.mark.vgi_protocol("ocpp", "2.0.1")  # 2.1 changes SetNetworkProfile (B09: basic-auth data and identity)
@pytest.mark.vgi_case("TC_B_43_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_43_CS(booted_station, vgi_profile) -> None:
    """A new connection profile for a configuration slot the station does not have (999) is Rejected, even when
    its connection data are those the station uses now (URL, security profile, its MessageTimeout)."""
    st = booted_station
    timeout = st.call("GetVariables", {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {
        "name": "MessageTimeout", "instance": "Default"}}]})["getVariableResult"][0].get("attributeValue", "")
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": st.csms.url,
            "messageTimeout": int(timeout) if timeout.isdigit() else 30,  # the station's own, where it says it
            "securityProfile": int(st.csms.security_profile),
            "ocppInterface": str(vgi_profile.param("ocpp_interface", "Wired0"))}
    answer = st.call_frame("SetNetworkProfile", {"configurationSlot": 999, "connectionData": data})
    if answer.kind == "CALLERROR":  # SetNetworkProfile is a Core request (B09): it must be served, here refused
        st.fail(r.STATION_RESPONSE, f"SetNetworkProfile for slot 999 answered CALLERROR {answer.body.get('errorCode')}"
                "; expected a SetNetworkProfileResponse with status Rejected", answer)
    st.check(answer.body["status"] == "Rejected", r.STATION_RESPONSE,
             f"SetNetworkProfile for slot 999: {answer.body['status']}", answer)

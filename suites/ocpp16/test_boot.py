"""OCPP 1.6 cold boot (accepted, pending, rejected), heartbeat cadence and the connection itself."""

from __future__ import annotations

import time

import pytest

from helpers16 import answer_to, config, frames_named, tolerance, wait_s
from vgitest.findings import Finding, Severity
from vgitest.ocpp import rules as r
from vgitest.ocpp.checks import heartbeat_tolerance
from vgitest.verdict import HarnessError

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _connectors(profile) -> range:
    return range(1, int(profile.param("connectors", 1)) + 1)


def _expect_states(station, profile) -> None:
    for c in _connectors(profile):
        try:
            station.expect("StatusNotification", wait_s(profile), match={"connectorId": c})
        except AssertionError:
            station.fail(r.STATUS_AFTER_BOOT, f"no StatusNotification for connector {c} after the boot was accepted")


@pytest.mark.vgi_case("TC_001_CS", feature="Cold Boot", requires=("Core",))
def test_TC_001_CS(station, dut, vgi_profile):
    """After a power cycle the station registers with BootNotification first, and once accepted reports the
    state of every connector; nothing else may precede the accepted boot."""
    station.settle_first_contact(wait_s(vgi_profile, "boot_timeout", 8))
    mark = len(station.csms.trace)
    dut.perform("reboot")
    station.wait_connected(wait_s(vgi_profile, "connect_timeout", 10))
    station.cursor = max(station.cursor, mark)
    boot = station.expect("BootNotification", wait_s(vgi_profile, "boot_timeout", 8))
    # only the connection of this power cycle: a message the old connection delivered late is not "early"
    early = [f for f in frames_named(station, mark, "CALL") if f.index < boot.index and f.connection == boot.connection]
    if early:
        station.fail(r.BOOT_BEFORE_ACCEPT, f"{early[0].name} was sent before the BootNotification after the power "
                     "cycle", early[0])
    _expect_states(station, vgi_profile)


@pytest.mark.vgi_case("TC_002_CS", feature="Cold Boot", requires=("Core",))
def test_TC_002_CS(station, dut, vgi_profile, vgi_budgets):
    """While its registration is Pending the station stays quiet (nothing but BootNotification), still answers
    configuration requests, and repeats BootNotification only after the interval it was given. (The CSMS must not
    send RemoteStart/RemoteStopTransaction while Pending, OCPP 1.6 §4.2, so the case does not ask for them.)"""
    station.settle_first_contact(wait_s(vgi_profile, "boot_timeout", 8))
    interval = int(vgi_profile.param("boot_retry_interval", 2))
    station.boot_status, station.boot_retry_interval = "Pending", interval
    dut.perform("reboot")
    station.wait_connected(wait_s(vgi_profile, "connect_timeout", 10))
    first = station.expect("BootNotification", wait_s(vgi_profile, "boot_timeout", 8))
    answer = answer_to(station, first)
    res = station.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
    station.check([k.get("key") for k in res.get("configurationKey", [])] == ["HeartbeatInterval"],
                  r.STATION_RESPONSE, f"GetConfiguration(HeartbeatInterval) while Pending returned "
                  f"{res.get('configurationKey')}")
    station.boot_status = "Accepted"
    second = station.expect("BootNotification", interval + wait_s(vgi_profile, "boot_timeout", 8))
    if answer is None:  # the fake CSMS's own answer: a harness fault, never the station's
        raise HarnessError("the fake CSMS did not answer the BootNotification")
    waited = (second.t_ns - answer.t_ns) / 1e9
    station.check(waited >= interval - tolerance(vgi_budgets), r.BOOT_RETRY_EARLY,
                  f"BootNotification repeated {waited:.2f} s after a Pending answer with interval {interval} s",
                  second)
    _expect_states(station, vgi_profile)


@pytest.mark.vgi_case("TC_VGI_BOOT_01_CS", feature="Cold Boot", requires=("Core",))
def test_TC_VGI_BOOT_01_CS(station, dut, vgi_profile, vgi_budgets):
    """vgitest's own case (OCTT has no 1.6 id for it): a Rejected registration silences the station until the
    interval elapses; then it boots again and, once accepted, reports its connectors."""
    station.settle_first_contact(wait_s(vgi_profile, "boot_timeout", 8))
    interval = int(vgi_profile.param("boot_retry_interval", 2))
    station.boot_status, station.boot_retry_interval = "Rejected", interval
    dut.perform("reboot")
    station.wait_connected(wait_s(vgi_profile, "connect_timeout", 10))
    first = station.expect("BootNotification", wait_s(vgi_profile, "boot_timeout", 8))
    time.sleep(max(0.0, interval - tolerance(vgi_budgets) - 0.2))
    others = [f for f in frames_named(station, first.index + 1, "CALL") if f.name != "BootNotification"]
    if others:
        station.fail(r.BOOT_BEFORE_ACCEPT, f"{others[0].name} sent while the registration was Rejected", others[0])
    station.boot_status = "Accepted"
    second = station.expect("BootNotification", interval + wait_s(vgi_profile, "boot_timeout", 8))
    answer = answer_to(station, first)
    if answer is None:  # the fake CSMS's own answer: a harness fault, never the station's
        raise HarnessError("the fake CSMS did not answer the BootNotification")
    waited = (second.t_ns - answer.t_ns) / 1e9
    station.check(waited >= interval - tolerance(vgi_budgets), r.BOOT_RETRY_EARLY,
                  f"BootNotification repeated {waited:.2f} s after a Rejected answer with interval {interval} s",
                  second)
    _expect_states(station, vgi_profile)


@pytest.mark.vgi_case("TC_VGI_HB_01_CS", feature="Heartbeat", requires=("Core",))
def test_TC_VGI_HB_01_CS(booted_station, vgi_profile, vgi_budgets):
    """vgitest's own case: after the CSMS sets a short HeartbeatInterval (ChangeConfiguration, Accepted), an idle
    station keeps the link alive with Heartbeats spaced by that interval: never a longer silence than the interval
    plus a tolerance that scales with it (a MUST), and not much more often (a SHOULD)."""
    station = booted_station
    interval = int(vgi_profile.param("heartbeat_test_interval", 3))
    tol = heartbeat_tolerance(vgi_budgets, interval)
    with config(station, "HeartbeatInterval", str(interval)):
        start = station.cursor = len(station.csms.trace)
        beats = []
        for _ in range(2):
            try:
                beats.append(station.expect("Heartbeat", interval + tol + 1))
            except AssertionError:
                station.fail(r.HEARTBEAT_GAP, f"no Heartbeat within {interval + tol + 1:g} s of an idle link after "
                             f"HeartbeatInterval was set to {interval} s")
        for beat in beats:
            before = [f for f in station.frames(start) if f.index < beat.index
                      and f.kind in ("CALL", "CALLRESULT", "CALLERROR") and f.correlation != beat.correlation]
            if not before:
                continue
            gap = (beat.t_ns - before[-1].t_ns) / 1e9
            station.check(gap <= interval + tol, r.HEARTBEAT_GAP,
                          f"{gap:.2f} s of silence before a Heartbeat; HeartbeatInterval {interval} s + tolerance "
                          f"{tol:g} s", beat)
        spacing = (beats[1].t_ns - beats[0].t_ns) / 1e9
        if spacing < interval / 2:
            station.record(r.HEARTBEAT_EARLY, f"Heartbeats {spacing:.2f} s apart; the interval is {interval} s",
                           beats[1])


@pytest.mark.vgi_case("TC_VGI_CONN_01_CS", feature="Connection", requires=("Core",))
def test_TC_VGI_CONN_01_CS(booted_station, vgi_profile):
    """vgitest's own case: when only the WebSocket drops, the station reconnects and carries on without a new
    BootNotification (it did not restart)."""
    station = booted_station
    before = station.connections
    mark = len(station.csms.trace)
    station.disconnect()
    deadline = time.monotonic() + wait_s(vgi_profile, "connect_timeout", 10)
    while (station.connections == before or not station.connected) and time.monotonic() < deadline:
        time.sleep(0.05)
    station.check(station.connected and station.connections > before, r.EXPECTED_MESSAGE,
                  "the station did not reconnect after the CSMS closed the connection")
    station.expect_none("BootNotification", within=1.5)
    boots = [f for f in station.frames(mark) if f.kind == "CALL" and f.name == "BootNotification"]
    if boots:  # OCPP-J 1.6 §5.4: a SHOULD NOT, so NON_STRICT (FAIL with --vgi-strict)
        station.record(r.FORBIDDEN_MESSAGE, "BootNotification sent after a mere reconnection (no restart)",
                       boots[0], severity=Severity.WARN)


def _wait_open(csms, identity: str, since: int, timeout: float):
    def pred(f):
        return f.meta.get("identity") == identity and f.kind in ("OPEN", "REJECT")
    return csms.trace.wait_for(pred, since, timeout)


@pytest.mark.vgi_case("TC_VGI_CONN_02_CS", feature="Connection", requires=("Core",))
def test_TC_VGI_CONN_02_CS(csms, dut, vgi_profile):
    """vgitest's own case: on (re)connection the station asks for the ocpp1.6 WebSocket subprotocol, so the
    CSMS can agree on the version."""
    identity = str(vgi_profile.dut["identity"])
    session = csms.session(identity)
    mark = len(csms.trace)
    dut.perform("reboot")
    frame = _wait_open(csms, identity, mark, wait_s(vgi_profile, "connect_timeout", 10))
    if frame is None:
        session.fail(r.EXPECTED_MESSAGE, "the station did not open a WebSocket after a restart")
    if frame.meta.get("negotiated") != "ocpp1.6":
        session.fail(r.SUBPROTOCOL, f"the station offered {frame.meta.get('offered')!r}; ocpp1.6 expected", frame)
    session.cursor = mark
    session.expect("BootNotification", wait_s(vgi_profile, "boot_timeout", 8))


@pytest.mark.vgi_case("TC_085_CS", feature="Security", requires=("Core", "SecurityProfile1"))
def test_TC_085_CS(csms, dut, vgi_profile):
    """With HTTP Basic authentication the station presents its identity and the configured password when it
    opens the WebSocket, and the CSMS lets it in."""
    identity = str(vgi_profile.dut["identity"])
    session = csms.session(identity)
    mark = len(csms.trace)
    dut.perform("reboot")
    frame = _wait_open(csms, identity, mark, wait_s(vgi_profile, "connect_timeout", 10))
    if frame is None:
        session.fail(r.EXPECTED_MESSAGE, "the station did not open a WebSocket after a restart")
    if frame.kind == "REJECT":
        reason = "; ".join(f.message for f in frame.findings) or "rejected"
        session.fail(r.BASIC_AUTH, f"the CSMS refused the station's credentials: {reason}", frame)
    session.cursor = mark
    session.expect("BootNotification", wait_s(vgi_profile, "boot_timeout", 8))

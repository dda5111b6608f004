"""B: the station after losing its connection: connector states reported after an offline period (B04,
OfflineThreshold) and the back-off of its reconnection attempts (Part 4 §5.3, RetryBackOff*).

The fake CSMS closes the connection and refuses reconnections (HTTP 503) for the outage; each case sets the
OCPPCommCtrlr variables it depends on small (and restores them); timing is judged with the tolerance of
offline201.py."""

from __future__ import annotations

import time

import pytest

import offline201 as o
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.trace import Direction, Frame

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

FEATURE = "Provisioning"
THRESHOLD = ("OCPPCommCtrlr", "OfflineThreshold", None)
WAIT_MIN = ("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None)
RANDOM = ("OCPPCommCtrlr", "RetryBackOffRandomRange", None)
REPEAT = ("OCPPCommCtrlr", "RetryBackOffRepeatTimes", None)


def _plug_in_offline(st, dut, vgi_profile, t, hold: float):
    """An outage of `hold` seconds during which the EV is plugged in at the tested connector."""
    with o.offline_period(st, vgi_profile) as out:
        dut.perform("plug_in", connector=t.connector)
        time.sleep(hold)
    return out


def _reported(st, start: int, evse: int, wait: float) -> Frame | None:
    return s.wait_call(st, "StatusNotification", start, wait, {"evseId": evse})


@pytest.mark.vgi_case("TC_B_51_CS", feature=FEATURE, requires=("Core",))
def test_TC_B_51_CS(booted_station, dut, vgi_profile, t) -> None:
    """Offline longer than OfflineThreshold (set to 1 s; the outage lasts 3 s), during which the EV is plugged in:
    once connected again the station reports the state of every connector (B04.FR.01), the tested one Occupied.
    Whether a transaction started offline meanwhile is not judged here (TC_E_40_CS judges the queue)."""
    st = booted_station
    try:
        with o.variables(st, {THRESHOLD: "1"}):
            out = _plug_in_offline(st, dut, vgi_profile, t, 3.0)
            for c in range(1, int(vgi_profile.param("connectors", 1)) + 1):
                frame = _reported(st, out.reopen, c, t.wait)
                st.check(frame is not None, r.STATUS_AFTER_OFFLINE,
                         f"EVSE {c} was not reported within {t.wait:g} s of the reconnection after an offline period "
                         f"longer than OfflineThreshold ({s.sent_instead(st, 'StatusNotification', out.reopen)})")
                if frame is not None and c == t.connector:
                    st.check(s.status_of(frame) == "Occupied", r.STATUS_AFTER_OFFLINE,
                             f"the connector the EV was plugged into offline is reported {s.status_of(frame)}", frame)
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_B_52_CS", feature=FEATURE, requires=("Core",))
def test_TC_B_52_CS(booted_station, dut, vgi_profile, t) -> None:
    """Offline shorter than OfflineThreshold (set to 300 s; the outage lasts 1.5 s), during which the EV is
    plugged in: once connected again the station reports the connector whose state changed, Occupied (B04.FR.02).
    Whether it also reports connectors that did not change is not judged (with one connector, as in the reference
    profile, there are none)."""
    st = booted_station
    try:
        with o.variables(st, {THRESHOLD: "300"}):
            out = _plug_in_offline(st, dut, vgi_profile, t, 1.5)
            frame = _reported(st, out.reopen, t.connector, t.wait)
            if frame is None:
                st.fail(r.STATUS_AFTER_OFFLINE, f"the connector the EV was plugged into offline was not reported within "
                        f"{t.wait:g} s of the reconnection ({s.sent_instead(st, 'StatusNotification', out.reopen)})")
            st.check(s.status_of(frame) == "Occupied", r.STATUS_AFTER_OFFLINE,
                     f"the connector the EV was plugged into offline is reported {s.status_of(frame)}", frame)
    finally:
        dut.perform("unplug", connector=t.connector)


def _connection_event(st, kind: str, start: int, timeout: float) -> Frame | None:
    """The station's next connection event of `kind` (CLOSE, REJECT: a refused attempt, OPEN) after `start`."""
    def pred(f: Frame) -> bool:
        return f.direction is Direction.IN and f.kind == kind and f.meta.get("identity") == st.identity

    return st.csms.trace.wait_for(pred, start, timeout)


@pytest.mark.vgi_case("TC_B_57_CS", feature=FEATURE, requires=("Core",))
def test_TC_B_57_CS(booted_station, t) -> None:
    """The CSMS closes the connection and refuses the first two reconnection attempts. With
    RetryBackOffWaitMinimum 1 s, RetryBackOffRandomRange 0 and RetryBackOffRepeatTimes 1 the station waits 1 s
    before its first attempt, doubles the wait to 2 s after the refused one, and keeps 2 s after the second
    refusal (one doubling only): each attempt is judged against that wait, neither earlier nor later than the
    tolerance allows."""
    st = booted_station
    wait_min, repeat = 1.0, 1
    expected = [wait_min * 2 ** min(k, repeat) for k in range(3)]  # before attempt 1, 2, 3
    with o.variables(st, {WAIT_MIN: str(int(wait_min)), RANDOM: "0", REPEAT: str(repeat)}):
        start = s.mark(st)
        attempts: list[Frame] = []
        with st.offline():
            closed = _connection_event(st, "CLOSE", start, t.wait)
            if closed is None:
                st.fail(r.EXPECTED_MESSAGE, f"the connection the CSMS closed was not closed within {t.wait:g} s")
            previous = closed
            for k in range(2):
                window = expected[k] + o.tolerance(t, expected[k])
                attempt = _connection_event(st, "REJECT", previous.index + 1, window)
                if attempt is None:
                    st.fail(r.RECONNECT_BACKOFF, f"no connection attempt {k + 1} within {window:g} s of "
                            f"{'the lost connection' if k == 0 else 'the refused attempt'}; the back-off asks for "
                            f"one after {expected[k]:g} s")
                attempts.append(attempt)
                previous = attempt
        window = expected[2] + o.tolerance(t, expected[2])
        back = _connection_event(st, "OPEN", previous.index + 1, window)
        if back is None:
            st.fail(r.RECONNECT_BACKOFF, f"no connection attempt 3 within {window:g} s of the second refused one; "
                    f"after RetryBackOffRepeatTimes {repeat} doubling(s) the wait stays {expected[2]:g} s")
        attempts.append(back)
        st.wait_connected(t.wait)
        moments = [closed] + attempts
        for k, (a, b) in enumerate(zip(moments, moments[1:])):
            gap = (b.t_ns - a.t_ns) / 1e9
            tol = o.tolerance(t, expected[k])
            st.check(gap >= expected[k] - tol, r.RECONNECT_BACKOFF,
                     f"connection attempt {k + 1} came {gap:.2f} s after "
                     f"{'the lost connection' if k == 0 else 'the refused attempt before it'}; the back-off asks for "
                     f"{expected[k]:g} s (tolerance {tol:g} s)", b)

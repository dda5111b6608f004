"""Helpers of the CSIP suite: what the client reported (watts, vars, volts, hertz), what it described, and
when a change can only reach the client by Notification."""

from __future__ import annotations

import time
from typing import Any

import pytest

from vgitest.sep2 import rules as r
from vgitest.sep2.server import path_matches
from vgitest.trace import Direction
from vgitest.verdict import Inconclusive

from vgitest.sep2.readings import HZ, REVERSE, VAR, VOLT, W, power_readings, readings  # noqa: F401  (the suite's API)


def wait_readings(state: Any, since: int, n: int, timeout: float) -> list[tuple[float, float]]:
    """Wait (bounded) for at least `n` power readings after `since`."""
    deadline = time.monotonic() + timeout
    while True:
        got = power_readings(state, since)
        if len(got) >= n or time.monotonic() >= deadline:
            return got
        time.sleep(0.1)


def rated_w(client: Any, t: Any) -> float:
    """The client's rated maximum power as it described it (DERCapability rtgMaxW), in watts; waits (bounded)
    for the description of a client that is still starting."""
    deadline = time.monotonic() + t.wait
    while True:
        dev = next(iter(client.state.devices.values()), None)
        cap = dev.der.get("dercap", {}) if dev is not None else {}
        rtg = cap.get("rtgMaxW") if isinstance(cap, dict) else None
        if isinstance(rtg, dict):
            return float(rtg.get("value", 0)) * 10 ** int(str(rtg.get("multiplier", "0")))
        if time.monotonic() >= deadline:
            raise Inconclusive("the client has not described its rated power (DERCapability rtgMaxW; CORE-014 "
                               "checks that it does)")
        time.sleep(0.1)


SLACK = 0.02  # of rated power: what a reading may be off the limit in force (metering and rounding)


def limit(pct: int) -> dict:
    """A DERControlBase limiting active power to `pct` % of rated (opModMaxLimW)."""
    return {"opModMaxLimW": str(pct * 100)}


PF_090 = {"opModFixedPFInjectW": {"displacement": "90", "excitation": "false", "multiplier": "-2"}}  # independent
# of the active-power limit: a reactive-power mode


class Run:
    """One precedence scenario: its programs, the client's rated power, and phase checks on the readings."""

    def __init__(self, csip: Any, dut: Any, t: Any) -> None:
        self.csip, self.t, self.client = csip, t, csip.client
        self.rated = rated_w(self.client, t)
        for prog in list(csip.state.programs):
            csip.hide(prog)
        dut.perform("set_power", w=self.rated)
        self.since_frame = len(self.client.server.trace)
        self.since_reading = len(csip.state.readings)
        self.start = csip.state.now()

    def at(self, offset: float) -> float:
        """Server time `offset` seconds after the PIXIT lead (when the first event starts)."""
        return self.start + self.t.lead + offset

    def sleep_until(self, when: float) -> None:
        while self.csip.state.now() < when:  # bounded: `when` is a few pollRates ahead
            time.sleep(0.1)

    def phase(self, start: float, end: float, below: int, above: int | None = None, what: str = "") -> None:
        """Readings that arrived between `start` (plus one post period for the change to show) and `end` must
        be at most `below` % of rated power and, when given, more than `above` %."""
        self.sleep_until(end + 0.5)
        got = [w for at, w in power_readings(self.csip.state, self.since_reading)
               if start + self.t.poll <= at <= end]
        if not got:
            pytest.skip(f"no power reading arrived during {what} (the client's post rate is too long for this "
                        "test's phases; lengthen event_lead_s or shorten the post rate)")
        hi = (below / 100 + SLACK) * self.rated
        lo = None if above is None else (above / 100 + SLACK) * self.rated
        bad = [w for w in got if abs(w) > hi or (lo is not None and abs(w) <= lo)]
        band = f"at most {below} %" + ("" if above is None else f" and above {above} %")
        self.client.check(not bad, r.CONTROL_NOT_FOLLOWED, f"during {what} the power must be {band} of rated "
                          f"{self.rated:g} W; the client reported {[round(w) for w in bad[:4]]} W")

    def answered(self, ctl: Any, status: int, timeout: float) -> Any:
        """The client's Response `status` for `ctl`, whenever since the test began (order is checked over the
        whole trace by SEP2-RESPONSE-ORDER)."""
        self.client.cursor = self.since_frame
        return self.client.expect_response(ctl.mrid, status, timeout)

    def never_said(self, ctl: Any, status: int, why: str) -> None:
        said = [f for f in self.client.requests(self.since_frame) if isinstance(f.body, dict)
                and f.body.get("subject") == ctl.mrid and f.body.get("status") == str(status)]
        if said:
            self.client.fail(r.RESPONSE_STATUS, f"the client reported status {status} for {ctl.mrid}: {why}", said[0])


def nearest(series: list[tuple[float, float]], at: float, within: float) -> float | None:
    """The value of `series` that arrived closest to `at`, if within `within` seconds of it."""
    best = min(series, key=lambda s: abs(s[0] - at), default=None)
    return best[1] if best is not None and abs(best[0] - at) <= within else None


def described(client: Any, t: Any, part: str, key: str) -> Any:
    """Element `key` of the DER description the client PUT (`part`: dercap, derg, ders, dera); waits (bounded)
    for a client that has not PUT that part yet; None when it never did, or without that element."""
    deadline = time.monotonic() + t.wait
    while True:
        dev = next(iter(client.state.devices.values()), None)
        body = dev.der.get(part) if dev is not None else None
        if isinstance(body, dict):
            return body.get(key)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def quantity(value: Any) -> float | None:
    """An ActivePower / ReactivePower / VoltageRMS ({multiplier, value}) in its unit."""
    if not isinstance(value, dict):
        return None
    try:
        return float(value["value"]) * 10 ** int(str(value.get("multiplier", "0")))
    except (KeyError, ValueError):
        return None


def set_max_w(client: Any, t: Any) -> float:
    """The reference of every % of setMaxW: the client's DERSettings setMaxW, else its DERCapability rtgMaxW."""
    w = quantity(described(client, t, "derg", "setMaxW")) or quantity(described(client, t, "dercap", "rtgMaxW"))
    if not w:
        raise Inconclusive("the client has described neither setMaxW (DERSettings) nor rtgMaxW (DERCapability); "
                           "CORE-014 checks that it does")
    return w


def set_max_var(client: Any, t: Any) -> float:
    """The reference of every % of setMaxVar: the client's DERSettings setMaxVar, else its DERCapability
    rtgMaxVar."""
    var = quantity(described(client, t, "derg", "setMaxVar")) or quantity(described(client, t, "dercap", "rtgMaxVar"))
    if not var:
        raise Inconclusive("the client has described neither setMaxVar (DERSettings) nor rtgMaxVar (DERCapability), "
                           "the reference of the var percentages this case sends")
    return var


def supports_modes(client: Any, t: Any, *bits: int) -> bool:
    """Whether the client's DERCapability modesSupported (DERControlType, hex) sets every bit in `bits`."""
    raw = described(client, t, "dercap", "modesSupported")
    try:
        modes = int(str(raw), 16)
    except ValueError:
        return False
    return all(modes >> b & 1 for b in bits)


def between_polls(client: Any, path: str, t: Any) -> None:
    """Return at a moment when the client is not due to poll `path` for the next `t.notify` seconds (plus the
    tolerance): whatever it then does about a change of `path` within `t.notify` came from the Notification,
    not from a poll. Its last GET of `path` tells when the next one is due; if that is too soon, wait for it
    (bounded: one pollRate and a half). A pollRate too short to leave such a window makes the test
    inconclusive (the profile gives a longer one for these tests)."""
    need = t.notify + 2 * t.tolerance + 0.5
    if t.poll < need + 1:
        raise Inconclusive(f"a pollRate of {t.poll:g} s cannot tell acting on a Notification (allowed "
                           f"{t.notify:g} s) from acting on a poll: give the server a longer pollRate")
    gets = [f for f in client.server.trace if f.direction is Direction.IN and f.kind == "REQUEST"
            and f.meta.get("method") == "GET" and path_matches(path, str(f.meta.get("path", "")))]
    if gets and gets[-1].t_ns / 1e9 + t.poll - time.monotonic_ns() / 1e9 >= need:
        return
    client.expect("GET", path, 1.5 * t.poll + t.tolerance, fresh=True)

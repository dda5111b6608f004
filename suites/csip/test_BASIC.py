"""BASIC: basic functions of a DER client: identification, one test per control mode the EVSE carries (the
power it then reports must follow the control), alarms, status and metering."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from helpers_csip import W, power_readings, rated_w, wait_readings
from vgitest.sep2 import rules as r
from vgitest.sep2.codec import as_list

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


def _follows(csip, dut, t, phases: list[tuple[dict, str]],  # noqa: ANN001
             expect_w: Callable[[float, float], bool], after: Callable[[float, float], bool] | None = None) -> None:
    """While the EV asks for full power, run one event per phase (`base`, what it is), back to back in one
    program; the readings taken while each is in force must satisfy `expect_w(watts, rated)`. A lone event
    lasts four pollRates and 4 s and the test ends after two readings; of several, each lasts two pollRates
    and 2 s so that the next follows soon. `after`, if given, judges the first reading once the last event is
    over."""
    client, state = csip.client, csip.state
    rated = rated_w(client, t)
    dut.perform("set_power", w=rated)
    span = int(4 * t.poll + 4 if len(phases) == 1 else 2 * t.poll + 2)
    prog = csip.program(1)
    first = csip.event(prog, phases[0][0], duration=span)
    ctls = [first, *(csip.event(prog, base, start_in=first.start + i * span - state.now(), duration=span)
                     for i, (base, _) in enumerate(phases[1:], 1))]
    since, bad, empty = len(state.readings), [], []
    for ctl, (_, what) in zip(ctls, phases):
        client.expect_response(ctl.mrid, 2, ctl.start - state.now() + t.wait)
        end = ctl.start + ctl.duration
        inside: list[tuple[float, float]] = []
        while len(inside) < 2 and state.now() <= end:  # bounded: the event ends `span` seconds after its start
            time.sleep(0.1)
            inside = [(at, w) for at, w in power_readings(state, since) if ctl.start + t.poll <= at <= end]
        bad += [f"{w:g} W with {what} in force" for _, w in inside if not expect_w(w, rated)]
        if not inside:
            empty.append(what)
    client.check(not bad, r.CONTROL_NOT_FOLLOWED, f"the client reported {'; '.join(bad[:3])} (rated {rated:g} W)")
    if after is not None:  # once the last event is over, the control no event sets any more applies again
        end = ctls[-1].start + ctls[-1].duration
        got = []
        while not got and state.now() <= end + 2 * t.poll + t.wait:  # bounded
            time.sleep(0.1)
            got = [w for at, w in power_readings(state, since) if at >= end + t.poll]
        if not got:
            empty.append("the time after the events")
        client.check(all(after(w, rated) for w in got), r.CONTROL_NOT_FOLLOWED,
                     f"after the events ended the client reported {got[:3]} W (rated {rated:g} W)")
    if empty:
        pytest.skip(f"no power reading arrived while {' and '.join(empty)} was in force (the client's postRate is "
                    "too long for this test's events; lengthen event_lead_s or shorten the postRate)")


@pytest.mark.vgi_case("BASIC-001", feature="Identification", requires=("DerClient",))
def test_BASIC_001(following_client, dut, t) -> None:
    """When the Registration's PIN is not the client's own, the client stops there: it does not go on to its
    function set assignments."""
    client = following_client
    dev = next(iter(client.state.devices.values()))
    good = dev.pin
    dev.pin = 999990  # a valid PIN (its check digit holds) that is not the client's
    try:
        client.cursor = len(client.server.trace)
        dut.perform("reregister")
        client.expect("GET", "/edev/*/rg", t.wait)
        frame = client.server.trace.wait_for(lambda f: f.meta.get("method") == "GET"
                                             and str(f.meta.get("path", "")).endswith("/fsa"), client.cursor, t.quiet)
        if frame is not None:
            client.fail(r.REGISTRATION_PIN, "the client read its function set assignments although the "
                        "Registration PIN is not its own", frame)
    finally:
        dev.pin = good
        dut.perform("reregister")


@pytest.mark.vgi_case("BASIC-009", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_009(csip, dut, t) -> None:
    """Disconnect, then cease to energize: while an event with opModConnect false is in force, and while the one
    with opModEnergize false that follows it is, the client reports no power; once both are over it enters
    service again (the EV asks for full power, so it draws at least half of rated)."""
    _follows(csip, dut, t, [({"opModConnect": "false"}, "a disconnect (opModConnect false)"),
                            ({"opModEnergize": "false"}, "a de-energize (opModEnergize false)")],
             lambda w, rated: abs(w) <= 0.01 * rated, after=lambda w, rated: abs(w) >= 0.5 * rated)


@pytest.mark.vgi_case("BASIC-010", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_010(csip, dut, t) -> None:
    """Maximum power limit (opModMaxLimW 30 % of rated): the reported power stays at or below the limit."""
    _follows(csip, dut, t, [({"opModMaxLimW": "3000"}, "a 30 % power limit")],
             lambda w, rated: abs(w) <= 0.30 * rated + 0.01 * rated)


@pytest.mark.vgi_case("BASIC-013", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_013(csip, dut, t) -> None:
    """Fixed active power (opModFixedW 50 % of rated): the reported power is that set point."""
    _follows(csip, dut, t, [({"opModFixedW": "5000"}, "a 50 % fixed output")],
             lambda w, rated: abs(abs(w) - 0.5 * rated) <= 0.02 * rated)


@pytest.mark.vgi_case("BASIC-027", feature="Alarms", requires=("DerClient", "Alarms"))
def test_BASIC_027(following_client, dut, t) -> None:
    """An alarm on the device is reported to the server as a LogEvent."""
    dut.perform("alarm")
    following_client.expect("POST", "/edev/*/lel", t.wait)


@pytest.mark.vgi_case("BASIC-028", feature="Status", requires=("DerClient", "DerSettings"))
def test_BASIC_028(following_client, dut, t) -> None:
    """The client keeps its DERStatus current: after a restart it PUTs its status again."""
    client = following_client
    client.cursor = len(client.server.trace)
    dut.perform("reregister")
    client.expect("PUT", "/edev/*/der/1/ders", t.wait)


@pytest.mark.vgi_case("BASIC-029", feature="Metering", requires=("DerClient", "Metering"))
def test_BASIC_029(following_client, t) -> None:
    """The client mirrors its power: a MirrorUsagePoint whose reading has a power ReadingType (W), and new
    readings at its post rate."""
    client = following_client
    state = client.state
    since = len(state.readings)
    got = wait_readings(state, since, 2, 3 * t.poll + t.wait)
    if len(got) < 2:
        typed = [rt for _, mmr, _ in state.readings[since:] for rt in [mmr.get("ReadingType")]]
        client.fail(r.READING_TYPE if state.readings[since:] else r.EXPECTED_REQUEST,
                    f"{len(state.readings) - since} reading(s) arrived, {len(got)} of them power in W; "
                    f"ReadingTypes seen: {typed[:2] or 'none'}")
    mups = [m for m in state.mirror_usage_points.values()
            if any(isinstance(x, dict) and isinstance(x.get("ReadingType"), dict) and str(x["ReadingType"].get("uom")) == W
                   for x in as_list(m.get("MirrorMeterReading")))]
    client.check(mups, r.READING_TYPE, "no MirrorUsagePoint declares a power reading (ReadingType uom 38)")

"""BASIC: basic functions of a DER client: identification, one test per control mode the EVSE carries (the
power it then reports must follow the control), alarms, status and metering."""

from __future__ import annotations

import pytest

from helpers_csip import W, rated_w, wait_readings
from vgitest.sep2 import rules as r
from vgitest.sep2.codec import as_list

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


def _follows(csip, dut, t, base: dict, expect_w, what: str) -> None:  # noqa: ANN001
    """Run an event with `base` while the EV asks for full power; the readings taken while it is in force must
    satisfy `expect_w(watts)`."""
    client = csip.client
    rated = rated_w(client, t)
    dut.perform("set_power", w=rated)
    ctl = csip.event(csip.program(1), base, duration=4 * t.poll + 4)
    client.expect_response(ctl.mrid, 2, t.lead + t.wait)
    since = len(csip.state.readings)
    got = wait_readings(csip.state, since, 2, 4 * t.poll + t.wait)
    inside = [(at, w) for at, w in got if ctl.start + t.poll <= at <= ctl.start + ctl.duration]
    if not inside:
        pytest.skip("no power reading arrived while the control was in force (the client's postRate is too long "
                    "for this test's event; lengthen event_lead_s or shorten the postRate)")
    bad = [w for _, w in inside if not expect_w(w, rated)]
    client.check(not bad, r.CONTROL_NOT_FOLLOWED, f"with {what} in force the client reported {bad[:3]} W "
                 f"(rated {rated:g} W)")


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
    """Disconnect (opModConnect false): while the control is in force the client reports no power."""
    _follows(csip, dut, t, {"opModConnect": "false"}, lambda w, rated: abs(w) <= 0.01 * rated, "a disconnect")


@pytest.mark.vgi_case("BASIC-010", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_010(csip, dut, t) -> None:
    """Maximum power limit (opModMaxLimW 30 % of rated): the reported power stays at or below the limit."""
    _follows(csip, dut, t, {"opModMaxLimW": "3000"}, lambda w, rated: abs(w) <= 0.30 * rated + 0.01 * rated,
             "a 30 % power limit")


@pytest.mark.vgi_case("BASIC-013", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_013(csip, dut, t) -> None:
    """Fixed active power (opModFixedW 50 % of rated): the reported power is that set point."""
    _follows(csip, dut, t, {"opModFixedW": "5000"}, lambda w, rated: abs(abs(w) - 0.5 * rated) <= 0.02 * rated,
             "a 50 % fixed output")


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

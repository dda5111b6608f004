"""CORE: the core function sets as a DER client uses them: the polling walk, time, its EndDevice, function
set assignments, programs and controls, its DER description, randomized events, responses and superseding."""

from __future__ import annotations

import time

import pytest

from helpers_csip import Run, between_polls, limit
from vgitest.case import preamble
from vgitest.sep2 import rules as r

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


@pytest.mark.vgi_case("CORE-003", feature="Polling", requires=("DerClient",))
def test_CORE_003(csip, dut, t) -> None:
    """The client walks DeviceCapability, its EndDevice, Registration, FunctionSetAssignments, the DERProgramList
    and each program's DefaultDERControl and DERControlList, and then keeps polling them at their pollRate
    (the cadence is checked over the whole test)."""
    prog = csip.program(1, default={"opModMaxLimW": "10000"})
    client = csip.client
    start = client.cursor = len(client.server.trace)
    dut.perform("reregister")
    for path in ("/dcap", "/edev", "/edev/*/rg", "/edev/*/fsa", "/edev/*/fsa/1/derp",
                 f"/derp/{prog.number}/dderc", f"/derp/{prog.number}/derc"):
        client.expect("GET", path, t.wait)
    watch = time.monotonic() + 3 * t.poll + 2 * t.tolerance  # then watch three pollRates of polling
    while time.monotonic() < watch:
        client.expect("GET", "/edev/*/fsa/1/derp", t.wait)
    rounds = [f for f in client.requests(start) if str(f.meta.get("path", "")).endswith("/fsa/1/derp")]
    client.check(len(rounds) >= 3, r.POLL_MISSED, f"the program list was read {len(rounds)} time(s) in about "
                 f"{3 * t.poll:g} s of a {t.poll:g} s pollRate")


@pytest.mark.vgi_case("CORE-005", feature="Time", requires=("DerClient",))
def test_CORE_005(csip, dut, t) -> None:
    """The client takes its time from the server: with the server's clock ten minutes ahead of the machine's,
    the Response it posts for an event carries a createdDateTime on the server's clock; and it reads Time."""
    client = csip.client
    csip.state.time_offset_s = 600
    try:
        start = client.cursor = len(client.server.trace)
        dut.perform("reregister")
        client.expect("GET", "/edev/*/fsa/1/derp", t.wait)
        ctl = csip.event(csip.program(1), {"opModMaxLimW": "8000"}, response_required="01")
        frame = client.expect_response(ctl.mrid, 1, t.wait)
        created = int(str(frame.body.get("createdDateTime", "0")))
        skew = created - csip.state.now()
        client.check(abs(skew) <= t.poll + t.tolerance + 2, r.TIME_SYNC,
                     f"the Response's createdDateTime is {skew:+d} s off the server's clock", frame)
        reads = [f for f in client.requests(start) if f.meta.get("path") == "/tm"]
        client.check(reads, r.EXPECTED_REQUEST, "the client never read the server's Time")
    finally:
        csip.state.time_offset_s = 0


@pytest.mark.vgi_case("CORE-009", feature="EndDevice", requires=("DerClient",))
def test_CORE_009(following_client, dut, t, vgi_profile) -> None:
    """The client finds its own EndDevice in the EndDeviceList (by its LFDI) and goes on below that one only;
    it may read the EndDevice again at its own URL or take it from the list (both are fine), but never another
    device's. A client that can register in band (PICS InBandRegistration) does so, with its own identity,
    when the server no longer lists it."""
    client = following_client
    start = client.cursor = len(client.server.trace)
    dut.perform("reregister")
    client.expect("GET", "/edev", t.wait)
    client.expect("GET", "/edev/*/fsa", t.wait)  # past the point where a registration would have come
    others = [f for f in client.requests(start) if str(f.meta.get("path", "")).startswith("/edev/")
              and (answer := client.answer_to(f)) is not None and answer.meta.get("status") in (403, 404)]
    client.check(not others, r.LFDI, f"the client read {others[0].meta['path'] if others else ''}, which is not "
                 "its EndDevice", others[0] if others else None)
    posted = [f for f in client.requests(start) if f.meta.get("method") == "POST" and f.meta.get("path") == "/edev"]
    client.check(not posted, r.FORBIDDEN_REQUEST, "the client registered (POST /edev) although the server already "
                 "lists its EndDevice", posted[0] if posted else None)
    if vgi_profile.supports("InBandRegistration"):
        _registers_in_band(client, dut, t)


def _registers_in_band(client, dut, t) -> None:  # noqa: ANN001
    """The server forgets the client's EndDevice: the client registers itself (POST /edev) with its own LFDI and
    SFDI (the certificate's; the server checks both on arrival), and carries on below the new EndDevice. The
    server's original record is put back afterwards."""
    state = client.state
    saved = dict(state.devices)
    state.devices.clear()
    try:
        start = client.cursor = len(client.server.trace)
        dut.perform("reregister")
        post = client.expect("POST", "/edev", t.wait)
        wrong = [f for f in post.findings if f.rule_id == r.LFDI]
        client.check(not wrong, r.LFDI, "; ".join(f.message for f in wrong), post)
        answer = client.answer_to(post)
        location = str(answer.meta.get("location", "")) if answer is not None else ""
        client.expect("GET", f"{location or '/edev/*'}/fsa", t.wait)
        posts = [f for f in client.requests(start) if f.meta.get("method") == "POST" and f.meta.get("path") == "/edev"]
        client.check(len(posts) == 1, r.FORBIDDEN_REQUEST, f"the client registered {len(posts)} times", posts[-1])
    finally:
        state.devices.clear()
        state.devices.update(saved)
        client.cursor = len(client.server.trace)
        dut.perform("reregister")
        client.expect("GET", "/edev/*/fsa/1/derp", t.wait)


@pytest.mark.vgi_case("CORE-012", feature="Programs", requires=("DerClient",))
def test_CORE_012(csip, t) -> None:
    """With two programs assigned, the client reads each program's DefaultDERControl and DERControlList."""
    a = csip.program(1, default={"opModMaxLimW": "9000"})
    b = csip.program(2, default={"opModMaxLimW": "7000"})
    for prog in (a, b):
        csip.client.expect("GET", f"/derp/{prog.number}/dderc", t.wait)
        csip.client.expect("GET", f"/derp/{prog.number}/derc", t.wait)


@pytest.mark.vgi_case("CORE-013", feature="Events", requires=("DerClient",))
def test_CORE_013(csip, t) -> None:
    """An event the server cancels while it runs (EventStatus cancelled) is answered cancelled (6), and the
    client's Responses for it end there."""
    ctl = csip.event(csip.program(1), {"opModMaxLimW": "4000"}, duration=10 * t.poll)
    csip.client.expect_response(ctl.mrid, 2, t.lead + t.wait)
    csip.state.cancel(ctl)
    csip.client.expect_response(ctl.mrid, 6, t.wait)


@pytest.mark.vgi_case("CORE-014", feature="DER", requires=("DerClient", "DerSettings"))
def test_CORE_014(following_client, dut, t) -> None:
    """After registering, the client describes its DER: it PUTs DERCapability, DERSettings, DERStatus and
    DERAvailability (each checked against the schema)."""
    client = following_client
    client.cursor = len(client.server.trace)
    dut.perform("reregister")
    for part in ("dercap", "derg", "ders", "dera"):
        client.expect("PUT", f"/edev/*/der/1/{part}", t.wait)


@pytest.mark.vgi_case("CORE-021", feature="Events", requires=("DerClient",))
def test_CORE_021(csip, t) -> None:
    """An event with randomizeStart starts within its window: the client reports started (2) no earlier than
    the scheduled start and no later than the start plus randomizeStart (plus one pollRate and tolerance)."""
    window = int(2 * t.poll)
    ctl = csip.event(csip.program(1), {"opModMaxLimW": "6000"}, randomize_start=window,
                     duration=window + 3 * t.poll + 2)
    started = csip.client.expect_response(ctl.mrid, 2, t.lead + window + t.wait)
    at = int(str(started.body.get("createdDateTime", "0")))
    early, late = ctl.start - at, at - (ctl.start + window)
    csip.client.check(early <= t.tolerance and late <= t.poll + t.tolerance, r.RANDOMIZATION,
                      f"started at {at - ctl.start:+d} s from the scheduled start; the window is [0, {window}] s",
                      started)


@pytest.mark.vgi_case("CORE-022", feature="Events", requires=("DerClient",))
def test_CORE_022(csip, t) -> None:
    """An event that asks for responses (responseRequired 03) is answered received (1), started (2) and
    completed (3), each as it happens (the order is checked over the trace)."""
    ctl = csip.event(csip.program(1), {"opModMaxLimW": "5000"})
    csip.client.expect_response(ctl.mrid, 1, t.wait)
    csip.client.expect_response(ctl.mrid, 2, t.lead + t.wait)
    csip.client.expect_response(ctl.mrid, 3, ctl.duration + t.wait)


@pytest.mark.vgi_case("CORE-023", feature="Events", requires=("DerClient",))
def test_CORE_023(csip, t) -> None:
    """Two overlapping events of one program: the newer one supersedes the older, which the client reports
    superseded (7); the newer one starts (2)."""
    prog = csip.program(1)
    older = csip.event(prog, {"opModMaxLimW": "7000"}, duration=6 * t.poll + 4)
    csip.client.expect_response(older.mrid, 1, t.wait)
    newer = csip.event(prog, {"opModMaxLimW": "4000"}, start_in=t.lead, duration=4 * t.poll + 2)
    csip.client.expect_response(older.mrid, 7, t.lead + t.wait)
    csip.client.expect_response(newer.mrid, 2, t.lead + t.wait)




@pytest.mark.vgi_case("CORE-010", feature="Groups", requires=("DerClient",))
def test_CORE_010(csip, t) -> None:
    """A second group (FunctionSetAssignments) appears in the client's list: the client reads the program list it
    links and that program's controls (and keeps polling them at the pollRate, which the trace check judges). The
    list entry carries the group whole, links included, so reading the FunctionSetAssignments resource itself is
    the client's choice (py20305 goes from the list to the program list at once)."""
    client = csip.client
    since = len(client.server.trace)
    group = csip.group("feeder 12")
    prog = csip.program(3, group=group, description="feeder 12 program")
    for path in (f"/edev/*/fsa/{group}/derp", f"/derp/{prog.number}/derc"):
        client.cursor = since
        client.expect("GET", path, t.wait)
    client.cursor = since
    client.expect("GET", f"/edev/*/fsa/{group}/derp", t.wait)
    client.expect("GET", f"/edev/*/fsa/{group}/derp", t.wait)  # polled again, not read once


@pytest.mark.vgi_case("CORE-011", feature="Groups", requires=("DerClient", "Metering"))
def test_CORE_011(csip, dut, t) -> None:
    """The server takes a group off the client's list: the programs only that group carried stop applying
    (its 20 % default held while it was listed; afterwards the EV gets more)."""
    run = Run(csip, dut, t)
    group = csip.group("transformer 7")
    prog = csip.program(1, group=group, default=limit(20))
    run.client.cursor = run.since_frame
    run.client.expect("GET", f"/derp/{prog.number}/dderc", t.wait)
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 20, what="the group's default control")
    csip.ungroup(group)
    run.client.expect("GET", "/edev/*/fsa", t.wait, fresh=True)  # the client sees the shorter list
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 100, 20, what="the time after the group was taken away")


PROGRAMS = "/edev/*/fsa/1/derp"


@pytest.mark.vgi_case("CORE-018", feature="Subscriptions", requires=("DerClient", "Subscriptions"))
def test_CORE_018(csip, t) -> None:
    """A subscribed client learns of changes from Notifications, not from its next poll. It holds a
    Subscription for its program list; a program added there is notified, and within the notification wait
    (at a moment its next poll is further off) the client answers 201, reads the new program's control list
    and subscribes to it; an event added to that program is notified too, and the client answers it received
    (1) within the notification wait. Every Notification must be answered 201."""
    client = csip.client
    client.expect_subscription(PROGRAMS, t.notify)  # made when it read the list, before the test began
    between_polls(client, PROGRAMS, t)
    mark = client.cursor = len(client.server.trace)
    prog = csip.program(1, description="notified program")
    client.expect_notification(PROGRAMS, t.notify, since=mark)
    client.expect("GET", f"/derp/{prog.number}/derc", t.notify, rule=r.NOTIFICATION_IGNORED)
    derc = f"/derp/{prog.number}/derc"
    client.expect_subscription(derc, t.notify)
    between_polls(client, derc, t)
    mark = client.cursor = len(client.server.trace)
    ctl = csip.event(prog, limit(50), start_in=t.lead + t.notify)
    client.expect_notification(derc, t.notify, since=mark)
    client.expect_response(ctl.mrid, 1, t.notify, rule=r.NOTIFICATION_IGNORED)


@pytest.mark.vgi_case("CORE-019", feature="Subscriptions", requires=("DerClient", "Subscriptions"))
def test_CORE_019(csip, t) -> None:
    """A Notification may hold fewer items of a list than the list has (a server sends fewer when it cannot
    send more), and a server may end a subscription. Two events are added at once to a subscribed control
    list whose Notification carries only the first: the client must see that the list holds more (all >
    results), read it, and answer both events received (1) within the notification wait; the same when both
    are cancelled (6). Then the server ends that subscription (Notification status 1, without a Resource):
    the client answers 201. The client's subscriptions are the preamble (CORE-018 judges them): without them
    the case is INCONCLUSIVE."""
    client = csip.client
    with preamble("the client subscribed to its program list, then to a new program's control list (what "
                  "CORE-018 judges)"):
        client.expect_subscription(PROGRAMS, t.wait)  # so that it hears of the program
        prog = csip.program(1, description="partly notified")
        derc = f"/derp/{prog.number}/derc"
        client.expect_subscription(derc, t.wait)
    between_polls(client, derc, t)
    client.limit_notification_items(1)
    client.cursor = len(client.server.trace)
    first = csip.event(prog, limit(60), start_in=t.lead + t.notify)
    second = csip.event(prog, limit(40), start_in=t.lead + t.notify + 2)
    for ctl in (first, second):
        client.expect_response(ctl.mrid, 1, t.notify, rule=r.NOTIFICATION_IGNORED)
    client.cursor = len(client.server.trace)
    for ctl in (first, second):
        csip.state.cancel(ctl)
    for ctl in (first, second):
        client.expect_response(ctl.mrid, 6, t.notify, rule=r.NOTIFICATION_IGNORED)
    client.cancel_subscription(derc)  # the client's answer is judged as it arrives (201)


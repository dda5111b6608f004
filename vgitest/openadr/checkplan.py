"""`vgitest profile check` for OpenADR devices: what a cheap first contact with the device checks (see
vgitest.profilecheck)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from ..profilecheck import FAILED, OK, Check, first_contact, off_and_on
from ..trace import Direction, Frame


def plan(c: Check) -> None:
    from . import messages as m
    vtn = c.run.peer
    ven = vtn.session
    register = c.wait("register_wait", 15) + 2 * float(c.profile.param("poll_freq_s", 10))
    wait = c.wait("message_wait", 10) + 2 * float(c.profile.param("poll_freq_s", 10))

    def request(start: int, names: tuple[str, ...] | None = None, timeout: float = wait) -> Frame | None:
        return vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind != "CLOSE"
                                  and (names is None or f.name in names), start, timeout)

    def sends(*names: str) -> Callable[[int, float], tuple[bool, str]]:
        def observe(start: int, _: float) -> tuple[bool, str]:
            f = request(start, names)
            return (True, f"{f.name} followed") if f else (False, f"no {' or '.join(names)} within {wait:g} s")
        return observe

    def reaches(start: int, after: str, names: tuple[str, ...] | None = None) -> tuple[bool, str]:
        first = request(start, names, timeout=register)
        if first is None:
            return False, f"no {' or '.join(names or ('request',))} to {vtn.url} within {register:g} s {after}"
        deadline = time.monotonic() + register
        while not ven.registered and time.monotonic() < deadline:
            time.sleep(0.05)
        if not ven.registered:
            return False, f"the VEN reached the fake VTN ({first.name}) but did not register within {register:g} s"
        return True, f"the VEN reached the fake VTN ({first.name}) and registered as {ven.ven_id} {after}"

    powered = first_contact(c, reaches, "the fake VTN")
    c.act("reregister", lambda s, _: reaches(s, "after reregister", ("oadrCreatePartyRegistration",)))
    c.act("reboot", lambda s, _: reaches(s, "after reboot"))
    if not ven.registered:
        for action in ("request_event", "set_event_opt", "opt_in", "opt_out", "opt_schedule", "cancel_opt",
                       "cancel_registration", "power_off"):
            c.skip(action, "the VEN is not registered")
        return
    c.act("request_event", sends("oadrRequestEvent"))
    c.act("set_event_opt", opt="optIn")
    if c.supported("opt_in") or c.supported("opt_out"):
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        sig = m.signal([m.interval(0, 600, 1)], current=0)
        event_id = "VGI-CHECK-EVENT"
        ev = m.event(event_id, start=start, signals=[sig], ven_ids=[ven.ven_id])
        ven.state.events[event_id] = (ev, "always")
        mark = len(vtn.trace)
        ven.queue("oadrDistributeEvent", m.distribute_event(ven.state.vtn_id, list(ven.state.events.values())))
        answered = vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrCreatedEvent"
                                      and event_id in str(f.body), mark, wait)
        if answered is None:
            c.add("event", FAILED, f"the fake VTN sent event {event_id}; no oadrCreatedEvent within {wait:g} s")
        else:
            c.add("event", OK, f"the VEN answered event {event_id} (oadrCreatedEvent)", required=False)
        c.act("opt_in", sends("oadrCreateOpt"), event_id=event_id)
        c.act("opt_out", sends("oadrCreateOpt"), event_id=event_id)
    when = m.timestamp(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    scheduled = c.act("opt_schedule", sends("oadrCreateOpt"), start=when, duration_s=3600, opt="optOut",
                      opt_id="VGI-CHECK-OPT")
    c.act("cancel_opt", sends("oadrCancelOpt") if scheduled else None, opt_id="VGI-CHECK-OPT")
    if c.supported("reregister"):
        c.act("cancel_registration", sends("oadrCancelPartyRegistration"))
        if "cancel_registration" in c.done and c.supported("cancel_registration"):
            c.act("reregister", lambda s, _: reaches(s, "after cancel_registration and reregister",
                                                     ("oadrCreatePartyRegistration",)))
    else:
        c.skip("cancel_registration", "it would leave the VEN unregistered: reregister is not supported")
    off_and_on(c, powered, lambda s, _: reaches(s, "after power_on"))

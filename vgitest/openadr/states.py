"""OpenADR 2.0b reusable states for suites: a registered, polling VEN with its reports registered.

They speak only OpenADR and the DUT adapter, so they work for any VEN, not only the reference one. When the
VEN cannot reach the state they raise NonConformance naming the missing payload; in a fixture the plugin
reports that as INCONCLUSIVE.
"""

from __future__ import annotations

import time
from typing import Any

from ..trace import Direction, Frame
from . import rules as r
from .vtn import VenSession


REGISTERING = ("oadrQueryRegistration", "oadrCreatePartyRegistration", "(aborted)")


def wait_s(profile: Any, key: str = "message_wait", default: float = 5.0) -> float:
    return float(profile.param(key, default))


def poll_freq(ven: VenSession) -> float:
    return float(ven.state.poll_freq_s)


def last_request(ven: VenSession) -> Frame | None:
    """The VEN's most recent request (any payload)."""
    for f in reversed(list(ven.vtn.trace)):
        if f.direction is Direction.IN:
            return f
    return None


def registered(ven: VenSession, dut: Any, profile: Any) -> None:
    """Registered with the fake VTN, reports registered (when the PICS declares reports), and polling (a pull
    VEN) or registered for push delivery (a push VEN: the PICS has HttpPush and not HttpPull).

    Fast when already there; otherwise the VEN is asked to register from scratch (adapter action
    `reregister`) and the state waits for the registration, the report registration and a poll."""
    if is_push(profile):
        return _registered_push(ven, dut, profile)
    start = len(ven.vtn.trace)
    wait = wait_s(profile, "register_wait", 15)
    if ven.registered and _polling_since(ven, start, 2 * poll_freq(ven) + wait_s(profile)):
        return
    last = last_request(ven)
    if not ven.registered and (last is None or last.name in REGISTERING):
        # a VEN that is starting (or registering) right now: let it finish by itself
        if _polling_since(ven, start, wait):
            return
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.cursor = start
    ven.expect("oadrCreatePartyRegistration", wait)
    if profile.supports("Reports"):
        ven.expect("oadrRegisterReport", wait)
    ven.expect("oadrPoll", wait)
    if not ven.registered:
        ven.fail(r.NOT_REGISTERED, "the VEN polled, but its registration did not succeed")


def is_push(profile: Any) -> bool:
    """The DUT is tested as a push VEN (a VEN that does both is run once per exchange model, one profile each)."""
    return profile.supports("HttpPush") and not profile.supports("HttpPull")


def _registered_push(ven: VenSession, dut: Any, profile: Any) -> None:
    wait = wait_s(profile, "register_wait", 15)

    def ready() -> bool:
        return ven.registered and ven.vtn.pushes and (not profile.supports("Reports") or _reports_settled(ven))

    if ready():
        return
    last = last_request(ven)
    if not ven.registered and (last is None or last.name in REGISTERING) and _until(ready, wait):
        return  # a VEN that is starting (or registering) right now: it finished by itself
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.cursor = start
    create = ven.expect("oadrCreatePartyRegistration", wait)
    ven.answer_to(create, wait)  # the VTN's state changes as it answers
    if profile.supports("Reports"):
        ven.expect("oadrRegisterReport", wait)
    if not ven.registered:
        ven.fail(r.NOT_REGISTERED, "the VEN's registration did not succeed")
    if not ven.vtn.pushes:
        ven.fail(r.PUSH_ADDRESS, "the VEN registered for pull delivery (oadrHttpPullModel true, or no "
                 "oadrTransportAddress) although the profile declares it a push VEN")
    _until(ready, wait)


def _reports_settled(ven: VenSession) -> bool:
    """Since its last registration the VEN registered its reports and, if the VTN's answer asked for some,
    confirmed them with oadrCreatedReport: the registration sequence is over, nothing of it is still coming."""
    frames = list(ven.vtn.trace)

    def last(direction: Direction, name: str, after: int = -1) -> int:
        return max((f.index for f in frames if f.direction is direction and f.name == name and f.index > after),
                   default=-1)

    reg = last(Direction.IN, "oadrCreatePartyRegistration")
    if last(Direction.IN, "oadrRegisterReport", reg) < 0:
        return False
    answer_at = last(Direction.OUT, "oadrRegisteredReport", reg)
    if answer_at < 0:
        return False
    asked = frames[answer_at].body.get("oadrReportRequest") if isinstance(frames[answer_at].body, dict) else None
    return not asked or last(Direction.IN, "oadrCreatedReport", answer_at) >= 0


def _until(cond: Any, within: float) -> bool:
    """Wait (bounded) until `cond()` holds; state that changes without a new frame is polled."""
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _polling_since(ven: VenSession, start: int, within: float) -> bool:
    frame = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrPoll", start, within)
    return frame is not None and ven.registered

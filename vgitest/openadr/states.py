"""OpenADR 2.0b reusable states for suites: a registered, polling VEN with its reports registered.

They speak only OpenADR and the DUT adapter, so they work for any VEN, not only the reference one. When a pull
VEN cannot reach the state they raise Inconclusive naming the missing payload, and record no finding: the
case that tests that step judges it.
"""

from __future__ import annotations

import time
from typing import Any

from ..trace import Direction, Frame
from ..verdict import Inconclusive
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
    at = _reached(ven, "oadrCreatePartyRegistration", start, wait)
    if profile.supports("Reports"):
        at = _reached(ven, "oadrRegisterReport", at, wait)
    _reached(ven, "oadrPoll", at, wait)
    if not ven.registered:
        raise Inconclusive("the VEN did not reach the state Registered: it polled, but its registration did not "
                           "succeed (N1_* judge the registration)")
    settle(ven, profile)


def _reached(ven: VenSession, payload: str, start: int, wait: float) -> int:
    """The index after the VEN's next `payload` from `start`. Not there in time: the state is not reached, which
    makes the test INCONCLUSIVE (no finding: the case that tests that step judges it)."""
    frame = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind in ("REQUEST", "RESPONSE")
                                   and f.name == payload, start, wait)
    if frame is None:
        seen = sorted({f.name or f.kind for f in ven.vtn.trace.since(start) if f.direction is Direction.IN})
        raise Inconclusive(f"the VEN did not reach the state Registered: no {payload} within {wait:g} s after it was "
                           f"asked to register (it sent {', '.join(seen) or 'nothing'})")
    ven.cursor = frame.index + 1
    return frame.index + 1


def settle(ven: VenSession, profile: Any) -> bool:
    """Wait (bounded by PIXIT register_wait; no finding either way) until the VEN's latest registration sequence
    is over, so that its last frames do not land in the next test: a pull VEN with reports has registered them and
    polled after the VTN answered (it handled the answer and is back in its polling cycle), one without has polled
    after registering; a push VEN has registered its reports and confirmed the requests the VTN made. True when
    settled or not registered at all; False when the wait ran out."""
    if not ven.registered:
        return True
    wait = wait_s(profile, "register_wait", 15)
    if is_push(profile):
        return not profile.supports("Reports") or _until(lambda: _reports_settled(ven), wait)
    return _until(lambda: not ven.registered or _polled_after_registration(ven, profile.supports("Reports")), wait)


def quiet(ven: VenSession, profile: Any) -> bool:
    """Wait (bounded; no finding either way) until a registered pull VEN is idle: any registration sequence is
    over (:func:`settle`) and the VEN has polled since now and got nothing queued. What the VEN still does in
    reaction to a test (answers, a poll right after a payload) then belongs to that test, whatever the timing;
    a push VEN or one without a registration is left as it is. True when idle."""
    if is_push(profile) or not ven.registered:
        return True
    settle(ven, profile)
    last = last_request(ven)
    if last is not None and last.name == "oadrPoll" and not ven.outbox:
        answer = ven.answer_to(last, 1.0)
        if answer is not None and answer.name == "oadrResponse":
            return True  # its last word was a poll that found nothing: idle already
    deadline = time.monotonic() + 2 * poll_freq(ven) + wait_s(profile)
    start = len(ven.vtn.trace)
    while time.monotonic() < deadline:
        poll = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrPoll", start,
                                      max(0.0, deadline - time.monotonic()))
        if poll is None:
            return False
        answer = ven.answer_to(poll, max(0.0, deadline - time.monotonic()))
        if answer is not None and answer.name == "oadrResponse":
            return True
        start = poll.index + 1
    return False


def started(ven: VenSession, profile: Any) -> bool:
    """After the VEN was switched on: wait (bounded by register_wait, no finding) until it registered by itself,
    then until it is idle (:func:`quiet`). A VEN that does not register is left to the tests that judge that."""
    return _until(lambda: ven.registered, wait_s(profile, "register_wait", 15)) and quiet(ven, profile)


def _polled_after_registration(ven: VenSession, reports: bool) -> bool:
    frames = list(ven.vtn.trace)
    reg = max((f.index for f in frames if f.direction is Direction.IN and f.name == "oadrCreatePartyRegistration"),
              default=-1)  # the VEN's request: its answer may not be in the trace yet
    after = reg
    if reports:
        after = max((f.index for f in frames if f.direction is Direction.OUT and f.name == "oadrRegisteredReport"
                     and f.index > reg), default=-1)
        if after < 0:
            return False
    return any(f.direction is Direction.IN and f.name == "oadrPoll" and f.index > after for f in frames)


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

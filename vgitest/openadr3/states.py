"""OpenADR 3 reusable states for suites: a VEN that holds a token, its VEN object and (with Webhooks) its
subscription, and reads the events.

They speak only OpenADR 3 and the DUT adapter, so they work for any VEN. When the VEN cannot reach the state they
raise Inconclusive naming what is missing, and record no finding: the case that tests that step judges it.
"""

from __future__ import annotations

from typing import Any

from ..trace import Direction, Frame
from ..verdict import Inconclusive
from .vtn import VenSession


def ven_name(profile: Any) -> str:
    """The venName the VEN registers under: the profile's [dut] identity."""
    return str(profile.dut.get("identity", "VGI-REF-001"))


def has_ven(ven: VenSession, profile: Any) -> bool:
    return bool(ven.store.find("vens", venName=ven_name(profile)))


def has_subscription(ven: VenSession, profile: Any) -> bool:
    return bool(ven.store.find("subscriptions", clientName=ven_name(profile)))


def read_events(ven: VenSession, start: int, wait: float) -> Frame | None:
    """The VEN's next read of the events that the VTN answered 200, from trace index `start`."""
    def ok(f: Frame) -> bool:
        if f.direction is not Direction.IN or f.kind != "REQUEST" or f.name != "GET /events":
            return False
        a = ven.answer_to(f, timeout=2.0)
        return a is not None and a.meta.get("status") == 200
    return ven.vtn.trace.wait_for(ok, start, wait)


def registered(ven: VenSession, dut: Any, profile: Any) -> None:
    """Registered and reading the events. Fast when already there; otherwise the VEN is asked to register again
    (adapter action `reregister`) and the state waits for its VEN object, its subscription (with Webhooks) and a
    read of the events."""
    start = len(ven.vtn.trace)
    poll = float(profile.param("poll_wait", 5))
    wait = float(profile.param("register_wait", 10))
    webhooks = profile.supports("Webhooks")
    if has_ven(ven, profile) and (has_subscription(ven, profile) or not webhooks) and read_events(ven, start, poll):
        ven.cursor = len(ven.vtn.trace)
        return
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    frame = read_events(ven, start, wait)
    missing = [what for what, ok in (("its VEN object", has_ven(ven, profile)),
                                     ("its subscription", has_subscription(ven, profile) or not webhooks),
                                     ("a read of the events", frame is not None)) if not ok]
    if missing:
        seen = sorted({f.name or f.kind for f in ven.vtn.trace.since(start) if f.direction is Direction.IN})
        raise Inconclusive(f"the VEN did not reach the state Registered within {wait:g} s: no "
                           f"{', '.join(missing)} (it sent {', '.join(seen) or 'nothing'})")
    ven.cursor = len(ven.vtn.trace)

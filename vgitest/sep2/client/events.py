"""The DERControls the reference DER client knows, tracked across polls by mRID (and across restarts, as a
device keeps them in flash): their randomized times, the server's status of each, and what it answered."""

from __future__ import annotations

import random
from typing import Any

from ..codec import find
from .core import Core, to_int
from .event import Event
from .responses import RECEIVED, Responses


class Events:
    """Every event seen, by mRID; a new one is answered Received (1) unless it is already over."""

    def __init__(self, core: Core, responses: Responses, rng: random.Random) -> None:
        self.core, self.responses, self.rng = core, responses, rng
        self.by_mrid: dict[str, Event] = {}
        self._seq = 0

    def draw(self, bound: int | None) -> float:
        """A randomization offset within [0, bound] (keeping the bound's sign), drawn once per event."""
        if not bound or self.core.has("ignores_randomization"):
            return 0.0
        if self.core.has("randomizes_beyond_bound"):
            return 2.0 * bound
        return self.rng.uniform(0, bound)

    def see(self, prog: str, primacy: int, ctl: dict) -> Event:
        """A DERControl of program `prog` (of that primacy) as read from the server."""
        mrid = str(ctl["mRID"])
        status = to_int(find(ctl, "EventStatus/currentStatus"))
        ev = self.by_mrid.get(mrid)
        if ev is not None:
            ev.server_status = status
            return ev
        rs = ctl.get("randomizeStart")
        rd = ctl.get("randomizeDuration")
        self._seq += 1
        ev = Event(mrid, prog, primacy, to_int(ctl.get("creationTime")),
                   to_int(find(ctl, "interval/start")), to_int(find(ctl, "interval/duration")),
                   dict(ctl.get("DERControlBase") or {}), ctl.get("@replyTo"),
                   _int_hex(ctl.get("@responseRequired", "00")), status,
                   self.draw(to_int(rs) if rs is not None else None), self.draw(to_int(rd) if rd is not None else None),
                   self._seq)
        self.by_mrid[mrid] = ev
        if ev.eff_end <= self.core.server_now():
            ev.state = "done"  # history: nothing to do, nothing to say
            return ev
        if self.core.has("keeps_only_next_event") and self._drop_all_but_next(ev):
            return ev
        self.core.log.append(f"event {mrid}: start {ev.start}+{ev.start_offset:.1f}, {ev.duration} s, {ev.base}")
        if self.core.has("wrong_response_status_order"):
            ev.held_received = True
        else:
            self.responses.respond(ev, RECEIVED)
        return ev

    def _drop_all_but_next(self, ev: Event) -> bool:
        """The fault keeps_only_next_event: one slot for the next event; a later-starting one is dropped
        unheard (True when `ev` itself was dropped)."""
        pending = [e for e in self.by_mrid.values() if e.state == "scheduled" and e is not ev]
        if any(e.eff_start <= ev.eff_start for e in pending):
            ev.state = "done"
            return True
        for e in pending:
            e.state = "done"
        return False

    def set_primacy(self, program: str, primacy: int) -> None:
        for ev in self.by_mrid.values():
            if ev.program == program:
                ev.primacy = primacy

    def program_gone(self, program: str) -> None:
        """Its program is no longer listed: none of its events applies."""
        for ev in self.by_mrid.values():
            if ev.program == program and ev.state != "done":
                ev.state = "done"
                self.core.log.append(f"event {ev.mrid}: its program {program} is gone")


def _int_hex(value: Any) -> int:
    try:
        return int(str(value), 16)
    except ValueError:
        return 0

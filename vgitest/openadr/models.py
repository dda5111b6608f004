"""A stateful model of the OpenADR 2.0b event life cycle, run against a VEN as generated programs.

A program is a plain list of choices (JSON, so the fuzz kit can send it again alone and write it into
counterexample.json for ``vgitest replay``). Each choice picks one step among those whose precondition holds in the
model then, as a state machine picks among its enabled rules:

* ``new``: distribute a new event (at most two live at once; the second overlaps the first in time);
* ``tick``: let time pass to the next start or end of a live event (into or out of its active period), then
  distribute again with the statuses the clock gives (an event about to end is dropped: completed);
* ``modify``: a new version of a live event (modificationNumber up, another signal level);
* ``cancel``: the event distributed once more, cancelled (modificationNumber up), then dropped from later ones;
* ``resend``: the same events again, unchanged, under a new requestID (none left: an empty distribute);
* ``opt_out`` / ``opt_in``: the VEN opts out of / into a live event (oadrCreateOpt; PICS EiOpt and the adapter's
  opt actions);
* ``set_opt``: the VEN's decision for the events it answers next flips (adapter action set_event_opt).

Choice ``k`` picks the k-th (modulo) of the enabled steps ordered least-used first, so the simplest program (all
zeros, the one hypothesis tries first) already walks the whole life cycle: new, tick into the active period,
modify it, opt, cancel, send again. Delivery goes through the fake VTN's queue, so the model runs on pull and push
VENs alike.

Invariants, from the VEN's frames only:

* every distribute is answered with oadrCreatedEvent (within the wait; a pull VEN before its next poll is judged
  by the after-test checks too) listing every event in it, each with its current modificationNumber, the
  distribute's requestID and response code 200; an event answered for the first time carries the VEN's current
  opt decision;
* no answer or opt ever names a version older than the latest the VTN delivered (a stale modificationNumber);
* no answer or opt names an event after it was cancelled and dropped from the distributes (the VEN keeps acting
  on a cancelled event).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import time
import uuid
from typing import Any

from hypothesis import strategies as st

from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from . import messages as m, rules as r
from .codec import as_list, find

__all__ = ["STEPS", "EventLifecycleModel", "programs"]

# Least-used first, ties in this order: the all-zeros program runs them in this order
STEPS = ("new", "tick", "modify", "opt_out", "cancel", "resend", "set_opt", "opt_in")
MAX_LIVE = 2
START_IN_S = 2.5  # a new event starts this long after it is built (a tick then takes it into its active period)
DURATION_S = 6.0  # how long an event's active period lasts
_serial = itertools.count(1)


def programs(min_steps: int = 6, max_steps: int = 8) -> st.SearchStrategy[list[int]]:
    """Programs as choices (see the module docstring)."""
    return st.lists(st.integers(0, len(STEPS) * MAX_LIVE - 1), min_size=min_steps, max_size=max_steps)


@dataclasses.dataclass
class Event:
    """One event as the model's VTN holds it."""

    event_id: str
    start: dt.datetime
    mod: int = 0
    level: int = 1
    cancelled: bool = False  # its cancellation was distributed
    gone: bool = False  # dropped from the distributes (cancelled and sent once, or completed)
    answered: bool = False  # the VEN has answered a version of it

    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=DURATION_S)


class EventLifecycleModel:
    """The model against one registered VEN (its fake VTN session ``ven``)."""

    def __init__(self, ven: Any, dut: Any, profile: Any, wait_s: float, poll_s: float) -> None:
        self.ven, self.dut, self.profile = ven, dut, profile
        self.wait, self.poll_s = wait_s, poll_s
        self.margin_s = poll_s + 1.0  # an event ending sooner than this is dropped: it may end before delivery
        self.can_opt = bool(profile.supports("EiOpt")) and all(dut.supports(a) for a in ("opt_in", "opt_out"))
        self.can_set_opt = dut.supports("set_event_opt")
        self.default_opt = str(profile.param("event_opt", "optIn"))

    # -- the program -----------------------------------------------------------------------------------------
    def run(self, program: list[int]) -> None:
        self.events: list[Event] = []
        self.steps: list[str] = []
        self.used: dict[str, int] = {s: 0 for s in STEPS}
        self.latest: dict[str, int] = {}  # eventID -> latest modificationNumber delivered
        self.start_index = len(self.ven.vtn.trace)
        self.prefix = f"LC-{next(_serial)}-{uuid.uuid4().hex[:6]}"
        if self.can_set_opt:
            self._set_opt(self.default_opt)
        for choice in program:
            self._expire()
            enabled = self._enabled()
            step, ev = enabled[int(choice) % len(enabled)]
            self.used[step] += 1
            self.steps.append(step + (f" {ev.event_id.rsplit('-', 1)[-1]}" if ev is not None else ""))
            getattr(self, "_" + step)(ev)
            self.invariants(step)

    def shown(self, program: list[int]) -> str:
        """The steps the last run of ``program`` took."""
        return " -> ".join(getattr(self, "steps", [])) or str(program)

    def _live(self) -> list[Event]:
        return [e for e in self.events if not e.gone]

    def _enabled(self) -> list[tuple[str, Event | None]]:
        live = self._live()
        active = [e for e in live if not e.cancelled]
        out: list[tuple[str, Event | None]] = []
        for step in STEPS:
            if step == "new" and len(live) < MAX_LIVE:
                out.append((step, None))
            elif step == "tick" and live:
                out.append((step, None))
            elif step == "resend" and self.events:  # with nothing live: an empty distribute (no event applies)
                out.append((step, None))
            elif step in ("modify", "cancel"):
                out += [(step, e) for e in active]
            elif step in ("opt_out", "opt_in") and self.can_opt:
                out += [(step, e) for e in active if e.answered]
            elif step == "set_opt" and self.can_set_opt:
                out.append((step, None))
        if not out:  # nothing live and no new event allowed cannot happen (MAX_LIVE > 0); keep the type honest
            out.append(("new", None))
        order = {s: i for i, s in enumerate(STEPS)}
        return sorted(out, key=lambda x: (self.used[x[0]], order[x[0]]))

    def _expire(self) -> None:
        """Events whose active period ends before a distribute could reach the VEN are completed: dropped."""
        soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=self.margin_s)
        for e in self.events:
            if not e.gone and e.end() <= soon:
                e.gone = True

    # -- steps -----------------------------------------------------------------------------------------------
    def _new(self, _: Event | None) -> None:
        live = self._live()
        now = dt.datetime.now(dt.timezone.utc)
        start = now + dt.timedelta(seconds=START_IN_S)
        if live:  # overlapping the event already there
            start = max(start, live[-1].start + dt.timedelta(seconds=1))
        self.events.append(Event(f"{self.prefix}-{len(self.events) + 1}", start))
        self._distribute("a new event")

    def _tick(self, _: Event | None) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        bounds = sorted(t for e in self._live() for t in (e.start, e.end() - dt.timedelta(seconds=self.margin_s))
                        if t > now)
        if bounds:
            time.sleep(min((bounds[0] - now).total_seconds() + 0.2, DURATION_S))
        self._expire()
        if self._live():
            self._distribute("time passed")

    def _modify(self, ev: Event | None) -> None:
        assert ev is not None
        ev.mod += 1
        ev.level = 1 + ev.level % 3
        self._distribute(f"a modification of {ev.event_id}")

    def _cancel(self, ev: Event | None) -> None:
        assert ev is not None
        ev.mod += 1
        ev.cancelled = True
        self._distribute(f"the cancellation of {ev.event_id}")

    def _resend(self, _: Event | None) -> None:
        self._distribute("the same events again")

    def _opt_out(self, ev: Event | None) -> None:
        self._opt(ev, "optOut")

    def _opt_in(self, ev: Event | None) -> None:
        self._opt(ev, "optIn")

    def _set_opt(self, _: Event | None | str = None) -> None:
        opt = _ if isinstance(_, str) else ("optOut" if self.default_opt == "optIn" else "optIn")
        self.dut.perform("set_event_opt", opt=opt)
        self.default_opt = opt

    # -- the VTN side ----------------------------------------------------------------------------------------
    def _body(self, e: Event, now: dt.datetime) -> dict:
        status = "cancelled" if e.cancelled else "active" if e.start <= now else "near"
        sig = m.signal([m.interval(0, DURATION_S, e.level)], signal_id="SIG-0")
        return m.event(e.event_id, start=e.start, signals=[sig], ven_ids=[self.ven.ven_id or ""], modification=e.mod,
                       status=status, created=now, duration_s=DURATION_S)

    def _distribute(self, why: str) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        sent = self._live()
        rid = f"{self.prefix}-R{len(self.steps)}"
        body = m.distribute_event(self.ven.state.vtn_id, [(self._body(e, now), "always") for e in sent],
                                  request_id=rid)
        start = len(self.ven.vtn.trace)
        self.ven.queue("oadrDistributeEvent", body)
        delivered = self.ven.wait_delivered(self.wait)
        for e in sent:
            self.latest[e.event_id] = e.mod
            if e.cancelled:
                e.gone = True  # distributed once as cancelled: dropped from the next distributes
        if delivered is None:
            self.ven.outbox.clear()
            raise Counterexample(r.EXPECTED_MESSAGE, f"{why}: the VEN did not take the oadrDistributeEvent within "
                                 f"{self.wait:g} s (no poll, or the push was not acknowledged)",
                                 next(iter(self.ven.vtn.trace.since(start)), None))
        if not sent:  # nothing to answer; what the VEN sends until its next poll (push: a poll interval) is
            # judged by the invariants
            if self.ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrPoll",
                                           delivered.index + 1, self.poll_s + 1.0) is None:
                time.sleep(0.2)
            return
        answer = self.ven.vtn.trace.wait_for(
            lambda f: _is_answer(f) and any(x.get("requestID") == rid for x in _responses(f)),
            delivered.index + 1, self.wait)
        if answer is None:
            raise Counterexample(r.CREATED_EVENT_MISSING, f"{why}: the oadrDistributeEvent {rid} was not answered "
                                 f"with oadrCreatedEvent within {self.wait:g} s", delivered)
        self._judge_answer(answer, sent, rid, why)

    def _judge_answer(self, frame: Frame, sent: list[Event], rid: str, why: str) -> None:
        code = find(frame.body, "eiCreatedEvent/eiResponse/responseCode")
        if str(code) != "200":
            raise Counterexample(r.CREATED_EVENT_MISSING, f"{why}: the oadrCreatedEvent answering {rid} carries "
                                 f"response code {code}", frame)
        got: dict[str, dict] = {}
        for x in _responses(frame):
            got.setdefault(str(find(x, "qualifiedEventID/eventID")), x)
        ids = {e.event_id for e in sent}
        mine = {e.event_id: e for e in self.events}  # events of earlier programs: judged by the after-test checks,
        for event_id, x in got.items():  # so that a counterexample is a program that fails from a fresh VEN too
            if event_id in ids or event_id not in mine or str(x.get("requestID", "")) != rid:
                continue
            if mine[event_id].cancelled:
                raise Counterexample(r.EVENT_CANCELLED_KEPT, f"{why}: the VEN answered {rid} for event {event_id}, "
                                     "which was cancelled and is no longer distributed", frame)
            raise Counterexample(r.CREATED_EVENT_ID, f"{why}: the VEN answered {rid} for event {event_id}, which that "
                                 "distribute did not carry (it had completed)", frame)
        for e in sent:
            x = got.get(e.event_id)
            if x is None:
                raise Counterexample(r.CREATED_EVENT_MISSING, f"{why}: the oadrCreatedEvent answering {rid} has no "
                                     f"eventResponse for event {e.event_id}", frame)
            mod = str(find(x, "qualifiedEventID/modificationNumber"))
            if mod != str(e.mod):
                rule = r.EVENT_STALE if mod.isdigit() and int(mod) < e.mod else r.CREATED_EVENT_ID
                raise Counterexample(rule, f"{why}: event {e.event_id} was answered for modification {mod}, the "
                                     f"distribute carried {e.mod}", frame)
            if str(x.get("requestID", "")) != rid:
                raise Counterexample(r.CREATED_EVENT_REQUEST_ID, f"{why}: the answer to event {e.event_id} carries "
                                     f"requestID {x.get('requestID')!r}, not the distribute's {rid!r}", frame)
            if str(x.get("responseCode")) != "200":
                raise Counterexample(r.CREATED_EVENT_MISSING, f"{why}: event {e.event_id} was answered with response "
                                     f"code {x.get('responseCode')}", frame)
            if not e.answered and self.can_set_opt and x.get("optType") != self.default_opt:
                raise Counterexample(r.EXPECTED_MESSAGE, f"{why}: event {e.event_id}, answered for the first time, "
                                     f"carries {x.get('optType')}; the VEN was set to {self.default_opt}", frame)
            e.answered = True

    def _opt(self, ev: Event | None, opt: str) -> None:
        assert ev is not None
        start = len(self.ven.vtn.trace)
        self.dut.perform(opt.replace("optOut", "opt_out").replace("optIn", "opt_in"), event_id=ev.event_id)
        frame = self.ven.vtn.trace.wait_for(
            lambda f: f.direction is Direction.IN and f.name == "oadrCreateOpt" and isinstance(f.body, dict)
            and find(f.body, "qualifiedEventID/eventID") == ev.event_id, start, self.wait)
        if frame is None:
            raise Counterexample(r.EXPECTED_MESSAGE, f"the VEN was told to {opt} event {ev.event_id} and sent no "
                                 f"oadrCreateOpt for it within {self.wait:g} s")
        if frame.body.get("optType") != opt:
            raise Counterexample(r.EXPECTED_MESSAGE, f"the VEN was told to {opt} event {ev.event_id}; its "
                                 f"oadrCreateOpt says {frame.body.get('optType')}", frame)

    # -- invariants over every frame of the program ------------------------------------------------------------
    def invariants(self, after: str) -> None:
        """No answer or opt names a stale version of an event, or an event cancelled and dropped."""
        delivered: dict[str, int] = {}
        dropped: set[str] = set()
        mine = {e.event_id: e for e in self.events}
        for f in self.ven.vtn.trace.since(self.start_index):
            if not isinstance(f.body, dict):
                continue
            if f.direction is Direction.OUT and f.name == "oadrDistributeEvent" and f.meta.get("status") == 200 \
                    and not f.meta.get("broken"):
                carried = set()
                for item in as_list(f.body.get("oadrEvent")):
                    ev = item.get("eiEvent", {}) if isinstance(item, dict) else {}
                    eid = str(find(ev, "eventDescriptor/eventID"))
                    carried.add(eid)
                    delivered[eid] = max(delivered.get(eid, -1), int(find(ev, "eventDescriptor/modificationNumber", 0)))
                dropped |= {eid for eid, e in mine.items() if e.cancelled and eid in delivered and eid not in carried}
                continue
            if f.direction is not Direction.IN:
                continue
            for eid, mod, what in _named_versions(f):
                if eid not in mine or not mod.isdigit():
                    continue
                if eid in dropped:
                    raise Counterexample(r.EVENT_CANCELLED_KEPT, f"after '{after}': {what} names event {eid}, which "
                                         "was cancelled and is no longer distributed", f)
                if int(mod) < delivered.get(eid, -1):
                    raise Counterexample(r.EVENT_STALE, f"after '{after}': {what} names modification {mod} of event "
                                         f"{eid}; the VTN had delivered modification {delivered[eid]}", f)


def _is_answer(f: Frame) -> bool:
    return f.direction is Direction.IN and f.name == "oadrCreatedEvent" and isinstance(f.body, dict)


def _responses(f: Frame) -> list[dict]:
    body = f.body if isinstance(f.body, dict) else {}
    return [x for x in as_list(find(body, "eiCreatedEvent/eventResponses/eventResponse")) if isinstance(x, dict)]


def _named_versions(f: Frame) -> list[tuple[str, str, str]]:
    """(eventID, modificationNumber, what) for each event version a VEN payload names."""
    if f.name == "oadrCreatedEvent":
        return [(str(find(x, "qualifiedEventID/eventID")), str(find(x, "qualifiedEventID/modificationNumber")),
                 "an eventResponse") for x in _responses(f)]
    if f.name == "oadrCreateOpt":
        eid = find(f.body, "qualifiedEventID/eventID")
        if isinstance(eid, str):
            return [(eid, str(find(f.body, "qualifiedEventID/modificationNumber")), "oadrCreateOpt")]
    return []

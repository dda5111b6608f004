"""The bodies of the OpenADR 2.0b fuzz cases (suites/openadr20b_fuzz): generated and broken payloads the fake VTN
hands a pull VEN on its polls, one example at a time, through :class:`vgitest.fuzzing.property.PropertyRunner`.

* negative data: a payload the VEN must answer (oadrDistributeEvent above all; oadrCreateReport, oadrCancelReport,
  oadrRegisterReport when the PICS declares reports) drawn from oadr_20b.xsd and broken in one place
  (:func:`vgitest.openadr.strategies.mutated_payload`); or a coherent oadrDistributeEvent cut short or garbled
  (:func:`malformed_examples`). It goes out as raw bytes in the
  answer to a poll, marked broken in the trace (so the after-test checks do not count it as a delivery). The
  VEN must not act on it (no answer with response code 200 to it), should tell the VTN (a payload with response
  code 454 before its next poll), and must go on polling.
* positive data: coherent oadrDistributeEvent payloads built with :mod:`vgitest.openadr.messages` (signals whose
  name, type, units and values belong together, intervals and durations that add up, a start that leaves the
  event not yet completed, the VEN among the targets) whose values are generated: interval counts, durations,
  values, priorities, modification numbers, start offsets, notification/ramp/recovery times, extra targets, and
  the text of ids and reasons, in printable ASCII or in any Unicode character XML carries. Each must be answered
  with a schema-valid oadrCreatedEvent that carries response code 200 for every event (or 460, signal not
  supported, for an event with a signal other than SIMPLE, the one signal every 2.0b VEN takes).
* the event life cycle: a stateful model (:mod:`vgitest.openadr.models`, :func:`lifecycle_case`) sends programs of
  new, modified, cancelled and re-sent events while time passes into and out of their active periods, and has the
  VEN opt; every distribute is answered for every event's current version, and no stale or cancelled event is
  acknowledged again.

Liveness: after a broken payload the VEN must poll again within two poll intervals plus PIXIT message_wait, and
must not start anew (query or create its registration unasked); after a valid event its answer is the probe. A
VEN that stopped is waited for (PIXIT register_wait plus the same wait) before the next example, so the next
example is not blamed for it; one that does not come back ends the exploration.

The negative and positive cases need a pull VEN: the broken payloads ride on poll answers (a push VEN would need raw
pushes; those cases declare HttpPull and are NOT_APPLICABLE otherwise). The life-cycle model delivers through the
fake VTN's queue and runs on push VENs too. No broken oadrCancelPartyRegistration or oadrRequestReregistration
is sent: acting on one by mistake takes the VEN out of the test (like Reset in the OCPP fuzz cases).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from ..findings import Severity
from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from ..verdict import HarnessError
from ..xmlhttp import mutations as mut
from ..xmlhttp.strategies import text_alphabet
from . import codec, messages as m, rules as r
from . import strategies as S
from .codec import as_list, find
from .validator import OadrValidator
from .vtn import Raw

__all__ = ["CASES", "NEGATIVE", "SIGNALS", "VenFuzz", "fuzz_case", "lifecycle_case", "malformed_examples",
           "negative_examples", "positive_examples", "show"]

# payload -> (weight in the draw, PICS feature it needs or None)
NEGATIVE: dict[str, tuple[int, str | None]] = {
    "oadrDistributeEvent": (4, None), "oadrCreateReport": (1, "Reports"), "oadrCancelReport": (1, "Reports"),
    "oadrRegisterReport": (1, "Reports")}
# What a VEN sends to answer each payload (an answer with 200 to a broken one: it acted on it)
ANSWERS = ("oadrCreatedEvent", "oadrCreatedReport", "oadrCanceledReport", "oadrRegisteredReport",
           "oadrCanceledPartyRegistration", "oadrResponse")
RESTART = ("oadrQueryRegistration", "oadrCreatePartyRegistration")
NOT_REACTIONS = ("oadrPoll", "oadrUpdateReport")  # what a VEN sends anyway, whatever it was handed
INVALID_DATA = "454"
SIGNAL_NOT_SUPPORTED = "460"  # 2.0b application-layer code: the VEN does not take this signal

# Coherent signals: (signalName, signalType, value range (min, max, decimals), the item that goes with it)
_PRICE_ITEM = {"currencyPerKWh": {"oadr:itemDescription": "currencyPerKWh", "oadr:itemUnits": "EUR",
                                  "siScaleCode": "none"}}
SIGNALS: tuple[tuple[str, str, tuple[float, float, int], dict | None], ...] = (
    ("SIMPLE", "level", (0, 3, 0), None),
    ("ELECTRICITY_PRICE", "price", (-10, 100, 3), _PRICE_ITEM),
    ("ELECTRICITY_PRICE", "priceRelative", (-10, 10, 3), _PRICE_ITEM),
    ("ELECTRICITY_PRICE", "priceMultiplier", (0, 10, 3), None),
    ("LOAD_DISPATCH", "setpoint", (0, 100000, 1), m.real_power()),
    ("LOAD_DISPATCH", "delta", (-100000, 100000, 1), m.real_power()),
)
MARKET = "http://vgitest.example/programs/"
_serial = itertools.count(1)


# --- examples (JSON-like, so that counterexample.json replays them) -----------------------------------------------
def negative_examples(names: list[str], kinds: tuple[mut.Kind, ...]) -> st.SearchStrategy[dict]:
    """A payload of `names` drawn from the schema and broken once with one of `kinds`: {payload, kind, path,
    description, document (the bytes as latin-1 text)}."""
    def one(name: str, ks: tuple[mut.Kind, ...]) -> st.SearchStrategy[dict]:
        return S.mutated_payload(name, kinds=ks).map(lambda x: {
            "payload": name, "kind": x.mutation.kind.value, "path": x.mutation.path,
            "description": x.mutation.description, "document": x.document.decode("latin-1")})
    parts = []
    if "oadrDistributeEvent" in names:  # the kind first: each gets its share (oadr_20b.xsd has maxLength only in
        # Green Button data, so an event cannot be oversized against the schema)
        dk = [k for k in kinds if k is not mut.Kind.OVERSIZE_STRING]
        parts += [st.sampled_from(dk).flatmap(lambda k: one("oadrDistributeEvent", (k,)))] * \
            NEGATIVE["oadrDistributeEvent"][0]
    others = [n for n in names if n != "oadrDistributeEvent"]
    if others:
        parts.append(st.sampled_from(others).flatmap(lambda n: one(n, kinds)))
    return st.one_of(parts)


_JUNK = ("<", "&", "</vgi>", "<<>>", "]]>", "&#0;", "<!--")


def malformed_examples(ven_id: str, vtn_id: str) -> st.SearchStrategy[dict]:
    """A coherent oadrDistributeEvent (as :func:`positive_examples`, ASCII) cut short or garbled, as a transfer cut in
    transit or a buffer overrun leaves it: the cut or the junk lands anywhere, or right after an element ends (the
    end of an event above all, where a parser in recovery mode keeps whole events). Same keys as
    :func:`negative_examples`."""
    def broken(x: dict) -> st.SearchStrategy[dict]:
        body, _, _ = _distribute_body(x, ven_id, vtn_id)
        doc = codec.encode("oadrDistributeEvent", body).decode("utf-8")
        ends = [i + 1 for i, c in enumerate(doc) if c == ">"]
        events = [doc.index("</oadrEvent>", 0) + len("</oadrEvent>")] if "</oadrEvent>" in doc else []
        first = doc.index("?>") + 2 if doc.startswith("<?xml") else 0
        where = st.one_of(st.integers(first + 1, len(doc) - 2), st.sampled_from(ends[1:-1]),
                          *([st.sampled_from(events)] if events else []))
        return st.tuples(st.sampled_from([mut.Kind.TRUNCATE, mut.Kind.GARBLE]), where, st.sampled_from(_JUNK)).map(
            lambda t: _cut(doc, *t)).filter(lambda e: not _well_formed(e["document"]))
    return positive_examples("ascii").flatmap(broken)


def _cut(doc: str, kind: mut.Kind, pos: int, junk: str) -> dict:
    if kind is mut.Kind.TRUNCATE:
        broken, how = doc[:pos], f"cut the document after {pos} of {len(doc)} characters"
    else:
        broken, how = doc[:pos] + junk + doc[pos:], f"inserted {junk!r} at character {pos}"
    return {"payload": "oadrDistributeEvent", "kind": kind.value, "path": "/", "description": how,
            "document": broken.encode("utf-8").decode("latin-1")}


def _well_formed(text: str) -> bool:
    from lxml import etree
    try:
        etree.fromstring(text.encode("latin-1"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    return True


def _text(profile: str, min_size: int, max_size: int, *, whitespace: bool = False) -> st.SearchStrategy[str]:
    return st.text(text_alphabet("unicode" if profile == "unicode" else "ascii", whitespace=whitespace),  # type: ignore[arg-type]
                   min_size=min_size, max_size=max_size)


def _long_text(profile: str, *, whitespace: bool = False) -> st.SearchStrategy[str]:
    """Text without a schema bound: short, or long enough for a fixed-size buffer (a few hundred characters)."""
    return st.one_of(_text(profile, 0, 24, whitespace=whitespace), _text(profile, 64, 300, whitespace=whitespace))


def _signal(profile: str, n: int) -> st.SearchStrategy[dict]:
    def values(i: int) -> st.SearchStrategy[list]:
        lo, hi, dec = SIGNALS[i][2]
        scale = 10 ** dec
        return st.lists(st.integers(int(lo * scale), int(hi * scale)).map(lambda v, s=scale: v / s if s > 1 else v),
                        min_size=n, max_size=n)
    return st.integers(0, len(SIGNALS) - 1).flatmap(lambda i: st.fixed_dictionaries({
        "kind": st.just(i), "id": _text(profile, 1, 40), "values": values(i)}))


def _event(profile: str) -> st.SearchStrategy[dict]:
    def with_intervals(n: int) -> st.SearchStrategy[dict]:
        return st.fixed_dictionaries({
            "id": _long_text(profile), "mod": st.one_of(st.integers(0, 3), st.integers(0, 2 ** 32 - 1)),
            "priority": st.one_of(st.none(), st.integers(0, 3), st.integers(0, 2 ** 32 - 1)),
            "test": st.sampled_from([None, "false", "true"]),
            "start_offset_s": st.integers(-3600, 30 * 86400),
            "durations": st.lists(st.integers(1, 86400), min_size=n, max_size=n),
            "signals": st.lists(_signal(profile, n), min_size=1, max_size=2),
            "notification_s": st.one_of(st.none(), st.integers(0, 86400)),
            "ramp_up_s": st.one_of(st.none(), st.integers(0, 3600)),
            "recovery_s": st.one_of(st.none(), st.integers(0, 3600)),
            "start_after_s": st.one_of(st.none(), st.integers(0, 600)),
            "reason": st.one_of(st.none(), _long_text(profile, whitespace=True)),
            "market": st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), max_size=40),
            "other_targets": st.lists(_text(profile, 1, 40), max_size=2)})
    return st.integers(1, 4).flatmap(with_intervals)


def positive_examples(profile: str = "ascii") -> st.SearchStrategy[dict]:
    """A coherent oadrDistributeEvent with generated values: {request_id, events: [...]} (see :func:`build`)."""
    return st.fixed_dictionaries({"request_id": _text(profile, 1, 60),
                                  "events": st.lists(_event(profile), min_size=1, max_size=3)})


# --- building the payloads ------------------------------------------------------------------------------------
def _status(offset_s: int, total_s: int) -> str:
    return "active" if offset_s <= 0 else ("near" if offset_s < 3600 else "far")


def build_event(e: dict, ven_id: str, suffix: str, now: dt.datetime | None = None) -> dict:
    """The eiEvent of example event `e`: ids made unique with `suffix` (the VEN keeps events across examples),
    a start that leaves it not completed, a status that matches its start."""
    now = now or dt.datetime.now(dt.timezone.utc)
    total = sum(e["durations"])
    offset = e["start_offset_s"]
    if offset < 0:
        offset = max(offset, -(total - 300)) if total > 300 else 60  # still running for at least 5 minutes
    offset = max(offset, 300 - total)  # a short event starting soon would be over before the VEN has it: a VEN
    # need not answer a completed event (openleadr does not), so every event ends at least 5 minutes from now
    signals = []
    for j, s in enumerate(e["signals"]):
        name, kind, _, item = SIGNALS[s["kind"]]
        intervals = [m.interval(i, d, v) for i, (d, v) in enumerate(zip(e["durations"], s["values"]))]
        signals.append(m.signal(intervals, name=name, kind=kind, signal_id=f"{s['id']}~{j}", item=item))
    ev = m.event(f"{e['id']}~{suffix}", start=now + dt.timedelta(seconds=offset), signals=signals,
                 ven_ids=[ven_id, *e["other_targets"]], modification=e["mod"], status=_status(offset, total),
                 market_context=MARKET + e["market"], created=now, priority=e["priority"], test_event=e["test"],
                 duration_s=total, notification_s=e["notification_s"], ramp_up_s=e["ramp_up_s"],
                 recovery_s=e["recovery_s"], start_after_s=e["start_after_s"],
                 modification_reason=e["reason"] if e["mod"] else None)
    return ev


def _distribute_body(example: dict, ven_id: str, vtn_id: str) -> tuple[dict, dict[str, str], str]:
    """The oadrDistributeEvent of a positive example (ids made unique), {eventID: modificationNumber}, requestID."""
    n = next(_serial)
    events = [build_event(e, ven_id, f"{n}.{i}") for i, e in enumerate(example["events"])]
    rid = f"{example['request_id']}~{n}"
    body = m.distribute_event(vtn_id, [(ev, "always") for ev in events], request_id=rid)
    return body, {str(find(ev, "eventDescriptor/eventID")): str(find(ev, "eventDescriptor/modificationNumber"))
                  for ev in events}, rid


# --- the cases ------------------------------------------------------------------------------------------------
class VenFuzz:
    """Hands examples to a registered pull VEN and judges what it does (one instance per fuzz case)."""

    def __init__(self, ven: Any, dut: Any, profile: Any) -> None:
        self.ven, self.dut, self.profile = ven, dut, profile
        poll = float(profile.param("poll_freq_s", 10))
        self.poll_s = poll
        self.wait = float(profile.param("message_wait", 10)) + 2 * poll  # as the 2.0b suite's Timers.wait
        self.recover_s = float(profile.param("register_wait", 15)) + self.wait
        self.validator = OadrValidator()
        self._noted: set[tuple] = set()

    @property
    def trace(self) -> Any:
        return self.ven.vtn.trace

    # -- the wire ------------------------------------------------------------------------------------------
    def deliver_raw(self, doc: bytes, broken: str) -> Frame | None:
        """Hand `doc` to the VEN as the answer to its next poll (marked broken); the frame that carried it."""
        start = len(self.trace)
        self.ven.override("oadrPoll", Raw(doc, broken=broken), once=True)
        frame = self.trace.wait_for(lambda f: f.direction is Direction.OUT and f.raw == doc, start, self.wait)
        if frame is None:
            self.ven.clear_override("oadrPoll")
        return frame

    def deliver(self, body: dict) -> Frame | None:
        self.ven.queue("oadrDistributeEvent", body)
        frame = self.ven.wait_delivered(self.wait)
        if frame is None:
            self.ven.outbox.clear()
        return frame

    def _next_poll(self, after: int, timeout: float) -> Frame | None:
        return self.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrPoll", after, timeout)

    def _reactions(self, after: int, until: int | None) -> list[Frame]:
        return [f for f in self.trace.since(after + 1) if f.direction is Direction.IN and f.kind == "REQUEST"
                and f.name not in NOT_REACTIONS and (until is None or f.index < until)]

    # -- liveness ------------------------------------------------------------------------------------------
    def alive(self, what: str, since: int) -> None:
        """Since trace index `since` the VEN did not start anew and it polls again (within the wait); else a
        counterexample, raised once the VEN is back (fatal when it does not come back in time)."""
        self.judge_alive(what, since, self._next_poll(since, self.wait))

    def judge_alive(self, what: str, since: int, poll: Frame | None) -> None:
        """:meth:`alive` with the VEN's next poll since `since` already waited for (None: none came in time)."""
        restarted = [f for f in self.trace.since(since) if f.direction is Direction.IN and f.name in RESTART]
        if poll is not None and not restarted and self.ven.registered:
            return
        how = f"started anew ({restarted[0].name} unasked)" if restarted else \
            f"did not poll again within {self.wait:g} s" if poll is None else "lost its registration"
        back = self._recover()
        raise Counterexample(r.FUZZ_ALIVE, f"after {what}, the VEN {how}"
                             + ("" if back else f"; it was not back within {self.recover_s:g} s"),
                             restarted[0] if restarted else None, fatal=not back)

    def _recover(self) -> bool:
        """Wait (bounded) until the VEN is registered and polls again; False if it does not come back."""
        deadline = time.monotonic() + self.recover_s
        while time.monotonic() < deadline:
            start = len(self.trace)
            poll = self._next_poll(start, max(0.1, min(self.wait, deadline - time.monotonic())))
            if poll is not None and self.ven.registered:
                time.sleep(min(1.0, self.poll_s))  # let a restart's remaining frames pass
                self.ven.cursor = len(self.trace)
                return True
        return False

    def note(self, key: tuple, rule: str, message: str, frame: Frame | None) -> None:
        """A broken SHOULD, recorded once per `key` (the exploration goes on)."""
        if key in self._noted:
            return
        self._noted.add(key)
        self.ven.record(rule, message, frame, severity=Severity.WARN)

    # -- negative data -------------------------------------------------------------------------------------
    def negative(self, example: dict) -> None:
        """A broken payload is not acted on (no answer with 200), is refused with 454 (warn if not), and the VEN
        goes on polling."""
        doc = example["document"].encode("latin-1")
        kind = mut.Kind(example["kind"])
        rule = S.MUTATION_RULES[kind]
        what = f"a {example['payload']} with {kind.value} at {example['path'] or '(document)'}"
        start = len(self.trace)
        delivered = self.deliver_raw(doc, kind.value)
        if delivered is None:
            self.alive(f"the example before {what}", start)
            return  # it polled, just later than the wait: nothing was delivered, nothing to judge
        poll = self._next_poll(delivered.index + 1, self.wait)
        reactions = self._reactions(delivered.index, poll.index if poll is not None else None)
        for f in reactions:
            codes = _codes(f)
            if f.name in ANSWERS and "200" in codes:
                raise Counterexample(rule, f"{what} ({example['description']}) was answered {f.name} with response "
                                     f"code 200: the VEN acted on it", f)
        self.judge_alive(what, delivered.index + 1, poll)
        answered = [f for f in reactions if f.name in ANSWERS]
        if not answered:
            self.note(("silent", kind.value), r.FUZZ_SILENT, f"{what} ({example['description']}) was refused "
                      "silently: no payload with an error response code before the next poll", delivered)
            return
        codes = sorted({c for f in answered for c in _codes(f)})
        if INVALID_DATA not in codes:
            self.note(("code", kind.value, tuple(codes)), r.FUZZ_ERROR_CODE, f"{what} was refused with response "
                      f"code(s) {', '.join(codes) or '(none)'}, not 454 (invalid data)", answered[0])

    # -- positive data -------------------------------------------------------------------------------------
    def _distribute(self, example: dict) -> tuple[dict, dict[str, str], str]:
        """The distribute body of a positive example, {eventID: modificationNumber}, its requestID."""
        body, expected, rid = _distribute_body(example, self.ven.ven_id or "", self.ven.state.vtn_id)
        parsed = codec.decode(codec.encode("oadrDistributeEvent", body, names=self.ven.vtn.names)).doc
        if parsed is None or not self.validator.is_valid(parsed):  # the harness's own defect, never the VEN's
            why = self.validator.validate(parsed)[:1] if parsed is not None else "not well-formed"
            raise HarnessError(f"the fuzz case built an invalid oadrDistributeEvent: {why}")
        return body, expected, rid

    def positive(self, example: dict) -> None:
        """A coherent event with generated values gets a schema-valid oadrCreatedEvent with 200 for each event."""
        body, expected, rid = self._distribute(example)
        self._judge_answer(body, expected, rid, "a valid oadrDistributeEvent")

    def _judge_answer(self, body: dict, expected: dict[str, str], rid: str, what: str) -> None:
        start = len(self.trace)
        delivered = self.deliver(body)
        if delivered is None:
            self.alive(f"the example before {what}", start)
            return
        ids = set(expected)

        def answers(f: Frame) -> bool:
            return f.direction is Direction.IN and f.name == "oadrCreatedEvent" and bool(
                ids & {str(find(x, "qualifiedEventID/eventID")) for x in _responses(f.body)})

        frame = self.trace.wait_for(answers, delivered.index + 1, self.wait)
        if frame is None:
            self.alive(what, delivered.index + 1)
            unreadable = next((f for f in self.trace.since(delivered.index + 1) if f.direction is Direction.IN
                               and f.name == "(malformed)"), None)
            if unreadable is not None:  # it answered, but not in XML the VTN can read
                raise Counterexample(r.XML_MALFORMED, f"{what} was answered with a payload that is not well-formed "
                                     "XML", unreadable)
            raise Counterexample(r.FUZZ_ACCEPT, f"{what} was not answered with oadrCreatedEvent within "
                                 f"{self.wait:g} s", delivered)
        bad = [f for f in frame.findings if f.rule_id == r.SCHEMA and f.severity is Severity.FAIL]
        if bad:
            raise Counterexample(r.SCHEMA, f"the oadrCreatedEvent answering {what} breaks the schema: "
                                 f"{bad[0].message}", frame)
        top = find(frame.body, "eiCreatedEvent/eiResponse/responseCode")
        if str(top) != "200":
            raise Counterexample(r.FUZZ_ACCEPT, f"{what} was answered with response code {top}", frame)
        got = {str(find(x, "qualifiedEventID/eventID")): x for x in _responses(frame.body)}
        for event_id, mod in expected.items():
            resp = got.get(event_id)
            if resp is None:
                raise Counterexample(r.FUZZ_ACCEPT, f"{what}: event {event_id!r} has no eventResponse", frame)
            code = str(resp.get("responseCode"))
            if code == SIGNAL_NOT_SUPPORTED and event_id in _optional_signals(body):
                continue  # a signal beyond SIMPLE the VEN does not take: refused with the code for that
            if code != "200":
                raise Counterexample(r.FUZZ_ACCEPT, f"{what}: event {event_id!r} was answered with response code "
                                     f"{code}", frame)
            if str(find(resp, "qualifiedEventID/modificationNumber")) != mod:
                raise Counterexample(r.CREATED_EVENT_ID, f"{what}: event {event_id!r} was answered for modification "
                                     f"{find(resp, 'qualifiedEventID/modificationNumber')}, not {mod}", frame)
            if str(resp.get("requestID", "")) != rid:
                raise Counterexample(r.CREATED_EVENT_REQUEST_ID, f"{what}: the answer to event {event_id!r} carries "
                                     f"requestID {resp.get('requestID')!r}, not the distribute's {rid!r}", frame)


def _optional_signals(body: dict) -> set[str]:
    """The events of a distribute with a signal other than SIMPLE (the one signal every 2.0b VEN takes)."""
    out = set()
    for item in as_list(body.get("oadrEvent")):
        ev = item.get("eiEvent", {})
        if any(x.get("signalName") != "SIMPLE" for x in as_list(find(ev, "eiEventSignals/eiEventSignal"))):
            out.add(str(find(ev, "eventDescriptor/eventID")))
    return out


def _responses(body: Any) -> list[dict]:
    return [x for x in as_list(find(body, "eiCreatedEvent/eventResponses/eventResponse")) if isinstance(x, dict)]


def _codes(f: Frame) -> list[str]:
    """Every response code a VEN payload carries (its eiResponse and, in oadrCreatedEvent, each event's)."""
    body = f.body if isinstance(f.body, dict) else {}
    out = [find(body, "eiResponse/responseCode"), find(body, "eiCreatedEvent/eiResponse/responseCode")]
    out += [x.get("responseCode") for x in _responses(body)]
    return [str(c) for c in out if isinstance(c, str)]


# case kind -> (examples for the profile, body name, weight: examples relative to the profile's count, share of the
# profile's time budget). Each example costs at least one poll interval (two for a broken one: delivery and the
# poll that shows the VEN alive), so the pr counts keep the suite near a minute against a VEN polling every second.
CASES: dict[str, tuple[Callable[[Any, "VenFuzz"], st.SearchStrategy], str, float, float]] = {
    "negative": (lambda p, f: negative_examples(_declared(p), mut.SCHEMA_KINDS), "negative", 0.32, 0.35),
    "malformed": (lambda p, f: malformed_examples(f.ven.ven_id or "", f.ven.state.vtn_id), "negative", 0.2, 0.35),
    "positive": (lambda p, f: positive_examples("ascii"), "positive", 0.32, 0.3),
    "positive-unicode": (lambda p, f: positive_examples("unicode"), "positive", 0.24, 0.3),
}


def _declared(profile: Any) -> list[str]:
    return [n for n, (_, feature) in NEGATIVE.items() if feature is None or profile.supports(feature)]


def fuzz_case(kind: str, ven: Any, dut: Any, profile: Any, runner: Any) -> None:
    """Run the fuzz case `kind` (a key of CASES) against the registered VEN through `runner` (vgi_fuzz)."""
    fuzz = VenFuzz(ven, dut, profile)
    examples, body, weight, share = CASES[kind]
    runner.run(examples(profile, fuzz), getattr(fuzz, body), ven, weight=weight, budget_share=share, show=show)


def lifecycle_case(ven: Any, dut: Any, profile: Any, runner: Any) -> None:
    """The event life-cycle model (vgitest.openadr.models) against the registered VEN (pull or push): generated
    programs of new, modified, cancelled and re-sent events, time passing and the VEN's opts, with the model's
    invariants after every step."""
    from .models import EventLifecycleModel, programs
    fuzz = VenFuzz(ven, dut, profile)
    model = EventLifecycleModel(ven, dut, profile, fuzz.wait, fuzz.poll_s)
    runner.run(programs(), model.run, ven, weight=0.08, budget_share=0.45, show=model.shown)


def show(example: dict) -> str:
    """An example in a few words, for the verdict message."""
    if "document" in example:
        doc = example["document"].encode("latin-1").decode("utf-8", "replace")
        doc = doc if len(doc) <= 160 else doc[:150] + f"... ({len(doc)} characters)"
        return f"{example['payload']} with {example['kind']} at {example['path'] or '(document)'} " \
               f"({example['description'][:120]}): {doc!r}"
    if "events" in example:
        ids = [e["id"] for e in example["events"]]
        longest = max((len(e["id"]) for e in example["events"]), default=0)
        return f"oadrDistributeEvent of {len(ids)} event(s), eventIDs {ids!r}"[:300] + \
            f" (longest id {longest} characters)"
    return repr(example)[:200]

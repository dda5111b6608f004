"""The bodies of the IEEE 2030.5 fuzz cases (suites/csip_fuzz): the fake server serves a DER client resources
broken in one place, random schema-valid ones and broken HTTP answers, and judges what the client does.

The DUT is a client: it has no error code to answer a GET's body with. What is judged:

* **acting** on a broken resource: a Response naming the broken event (any status), or a change of the power it
  reports while a broken DefaultDERControl was served (the valid default holds it at 50 % of its rating; the
  broken one says 10 %; judged only when its last reading before showed the 50 %, see ClientFuzz._holds_default):
  SEP2-FUZZ-INVALID-RESOURCE (schema kinds, a warning: see vgitest.sep2.rules) or
  SEP2-FUZZ-MALFORMED-RESOURCE (not well-formed XML, a FAIL);
* **liveness**: after every example the client must poll the same resource again within 3 pollRates + the timing
  tolerance of the broken (or generated) answer (SEP2-FUZZ-ALIVE). Three pollRates and not one: being late is
  SEP2-POLL-MISSED's (a SHOULD, judged on every test's frames anyway); this probe asks whether it still polls at
  all. A client that did not come back is waited for (its register_wait + 2 pollRates) before the next example,
  so that the next one is not blamed for it;
* the client's own requests meanwhile are checked as always (SEP2-SCHEMA on a Response or DERStatus it writes).

What is served, where: the case adds one program of its own (primacy 1, alone in the list, with a DefaultDERControl
limiting active power to 50 %); broken and generated resources replace that program's DERControlList,
DefaultDERControl or DERCurveList for one or two GETs (the server's own answer returns afterwards). Generated
documents keep a few values pinned for the harness's sake: every href points into that program on this server,
no Response is asked for (responseRequired 00) and events lie in the past, so a random document can neither
send the client elsewhere nor leave a control in force for the cases after it.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from ..findings import RULES, Severity
from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from ..verdict import Inconclusive
from ..xmlhttp import mutations as mut
from ..xmlhttp.strategies import Drawn, NodeInfo
from . import codec, handlers
from . import rules as r
from . import strategies as S
from .namespaces import MEDIA_TYPE, SEP
from .resources import Control, list_body
from .server import Raw, path_matches

__all__ = ["ClientFuzz", "NEGATIVE", "POSITIVE", "annotate", "fuzz_case", "negative_examples", "positive_examples",
           "robustness_examples", "show"]

# placeholders in the recorded documents, replaced when an example is sent (a replay gets fresh values too)
P, C = "987654", "987655"  # the program's and the event's numbers in hrefs
MRID = "F0E1D2C3B4A5968778695A4B3C2D1E0F"  # the broken event's mRID (a fresh one per sending)
DMRID = "D0E1D2C3B4A5968778695A4B3C2D1E0F"
START, CREATED = "1700000000", "1699999999"  # the event's start and creation: now - 1 s, now - 2 s
DEFAULT_PCT, FUZZ_PCT = 50, 10  # the valid default's limit, the broken resources' (percent of rated power)
SLACK_PCT = 5  # a reading within this many points of the valid default is the valid default
SUFFIX = {"DERControlList": "derc", "DefaultDERControl": "dderc", "DERCurveList": "dc"}
NEGATIVE = ("DERControlList", "DefaultDERControl")
POSITIVE = ("DERControlList", "DefaultDERControl", "DERCurveList")
BREAKAGES = ("cut-body", "wrong-content-type", "server-error", "unavailable", "huge-body", "empty-body")
HUGE = 3 << 20  # bytes of trailing whitespace: a well-formed body over any sane client's limit


def is_poll(f: Frame, path: str) -> bool:
    """A GET of `path` that starts a read of it (no ``s``, or ``s`` = 0; see vgitest.sep2.checks.list_reads)."""
    if not (f.direction is Direction.IN and f.kind == "REQUEST" and f.meta.get("method") == "GET"
            and path_matches(path, str(f.meta.get("path")))):
        return False
    try:
        return int(str((f.meta.get("query") or {}).get("s", "0"))) <= 0
    except ValueError:
        return True


# --- the documents --------------------------------------------------------------------------------------------
def _limit(pct: int) -> dict:
    return {"opModMaxLimW": str(pct * 100)}


def template(name: str) -> bytes:
    """The valid resource a negative example breaks, with placeholders."""
    if name == "DERControlList":
        ctl = Control(int(C), MRID, int(START), 300, _limit(FUZZ_PCT), int(CREATED), description="vgitest fuzz event")
        body = list_body(f"/derp/{P}/derc", "DERControl",
                         [ctl.body(f"/derp/{P}/derc/{C}", handlers.RESPONSES, int(START))], 1, subscribable="0")
        return codec.encode(name, body)
    if name == "DefaultDERControl":
        return codec.encode(name, {"@href": f"/derp/{P}/dderc", "@subscribable": "0", "mRID": DMRID,
                                   "description": "vgitest fuzz default", "DERControlBase": _limit(FUZZ_PCT)})
    raise KeyError(name)


def annotate(data: bytes) -> Drawn:
    """A document of the 2030.5 schema as a Drawn (each element with its declaration), so that the mutations
    can break a meaningful resource rather than a random one."""
    schema = S.builder()
    root = etree.fromstring(data)
    decls: dict[tuple[int, ...], NodeInfo] = {}

    def walk(el: Any, decl: Any, path: tuple[int, ...], min_occurs: int) -> None:
        decls[path] = NodeInfo(decl, decl.type, min_occurs)
        t = decl.type
        if not t.is_complex() or t.has_simple_content():
            return
        particles = {e.name: e for e in t.content.iter_elements()}
        for i, child in enumerate(el):
            if isinstance(child.tag, str):
                p = particles[child.tag]
                walk(child, p, path + (i,), p.min_occurs)

    walk(root, schema.global_element(root.tag), (), 1)
    return Drawn(root, decls)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def kinds_of(name: str) -> list[mut.Kind]:
    return mut.available_kinds(annotate(template(name)))


def negative_examples(kind: mut.Kind) -> st.SearchStrategy[dict]:
    """A meaningful resource (an event active now, a default control) broken in one place by `kind`."""
    from .validator import Sep2Validator
    names = [n for n in NEGATIVE if kind in kinds_of(n)]
    validator = Sep2Validator()

    def one(name: str) -> st.SearchStrategy[dict]:
        return mut.mutated(st.just(annotate(template(name))), validator.is_valid, kinds=[kind]).map(
            lambda m: {"resource": name, "kind": m.mutation.kind.value, "path": m.mutation.path,
                       "what": m.mutation.description, "document": _b64(m.document)})
    return st.sampled_from(names).flatmap(one)


def _pin(name: str, data: bytes) -> bytes:
    """A generated resource made safe to serve (see the module docstring)."""
    root = etree.fromstring(data)
    n = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if "href" in el.attrib:
            n += 1
            el.set("href", f"/derp/{P}/{SUFFIX[name]}" if el is root else f"/derp/{P}/{SUFFIX[name]}/9{n}")
        if "replyTo" in el.attrib:
            el.set("replyTo", handlers.RESPONSES)
        if "responseRequired" in el.attrib:
            el.set("responseRequired", "00")
        if etree.QName(el).localname == "interval" and etree.QName(el).namespace == SEP:
            for sub in el:
                if etree.QName(sub).localname == "start":
                    sub.text = "1000000000"
                elif etree.QName(sub).localname == "duration":
                    sub.text = "60"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def positive_examples(profile: str) -> st.SearchStrategy[dict]:
    """A random schema-valid DERControlList, DefaultDERControl or DERCurveList (pinned: see the docstring)."""
    def one(name: str) -> st.SearchStrategy[dict]:
        return S.resource_bytes(name, profile=profile).map(  # type: ignore[arg-type]
            lambda b: {"resource": name, "profile": profile, "document": _b64(_pin(name, b))})
    return st.sampled_from(POSITIVE).flatmap(one)


def robustness_examples() -> st.SearchStrategy[dict]:
    """One to three broken HTTP answers in a row to the polls of one resource."""
    return st.fixed_dictionaries({"resource": st.sampled_from(POSITIVE),
                                  "answers": st.lists(st.sampled_from(BREAKAGES), min_size=1, max_size=3),
                                  "cut": st.integers(1, 400)})


def show(example: dict) -> str:
    """An example in a few words, for the verdict message."""
    if "answers" in example:
        return f"{' then '.join(example['answers'])} to the GETs of the {example['resource']}"
    if "kind" in example:
        return f"{example['resource']} with {example['kind']}: {example['what'][:200]}"
    doc = base64.b64decode(example["document"])
    text = doc.decode("utf-8", "backslashreplace")
    return f"a valid {example['resource']} ({example['profile']}) " + (text if len(text) <= 300 else
                                                                     text[:280] + f"... ({len(doc)} bytes)")


# --- the case --------------------------------------------------------------------------------------------------
class ClientFuzz:
    """Serves examples to a DER client and judges what it does (one instance per fuzz case)."""

    def __init__(self, client: Any, dut: Any, profile: Any, budgets: Any) -> None:
        self.client, self.dut = client, dut
        self.state = client.state
        self.trace = client.server.trace
        self.poll = float(self.state.poll_rate_s)
        self.tol = float(budgets.timing("sep2", "tolerance").value_s or 0)
        self.alive_s = 3 * self.poll + self.tol
        self.recover_s = float(profile.param("register_wait", 15)) + 2 * self.poll
        self.wait = float(profile.param("message_wait", 10)) + 2 * self.poll
        self._hidden: list[Any] = []
        self.program: Any = None
        self.rated: float | None = None
        self._noted: set[tuple] = set()

    # -- the case's program ----------------------------------------------------------------------------------
    def setup(self) -> None:
        """The case's program alone in the list, with its default; the client has read both."""
        for prog in list(self.state.programs):
            self.state.programs.remove(prog)
            self._hidden.append(prog)
        mark = len(self.trace)
        self.program = self.state.add_program(1, default=_limit(DEFAULT_PCT), description="vgitest fuzz")
        for suffix in ("derc", "dderc"):
            self._get(self.path_of(suffix), mark, self.wait, "the case's program")
        self.rated = self._rated()
        if self.rated is not None and self.dut.supports("set_power"):
            self.dut.perform("set_power", w=self.rated)

    def cleanup(self) -> None:
        if self.program in self.state.programs:
            self.state.programs.remove(self.program)
        self.state.programs.extend(p for p in self._hidden if p not in self.state.programs)
        self.state.changed()

    def path_of(self, suffix: str) -> str:
        return f"/derp/{self.program.number}/{suffix}"

    def _rated(self) -> float | None:
        """The client's rated power as it described it (DERCapability rtgMaxW); waits (bounded) for a client that
        is still starting. None: it never did."""
        deadline = time.monotonic() + self.wait
        while True:
            dev = next(iter(self.state.devices.values()), None)
            cap = dev.der.get("dercap", {}) if dev is not None else {}
            rtg = cap.get("rtgMaxW") if isinstance(cap, dict) else None
            try:
                return float(rtg["value"]) * 10 ** int(str(rtg.get("multiplier", "0")))  # type: ignore[index]
            except (TypeError, KeyError, ValueError, AttributeError):
                if time.monotonic() >= deadline:
                    return None
            time.sleep(0.1)

    # -- the wire --------------------------------------------------------------------------------------------
    def _get(self, path: str, since: int, timeout: float, why: str) -> Frame:
        def polled(f: Frame) -> bool:
            return (f.direction is Direction.IN and f.kind == "REQUEST" and f.meta.get("method") == "GET"
                    and path_matches(path, str(f.meta.get("path"))))
        got = self.trace.wait_for(polled, since, timeout)
        if got is None:
            raise Inconclusive(f"the client did not GET {path} ({why}) within {timeout:g} s")
        return got

    def _next_get(self, path: str, since: int, timeout: float) -> Frame | None:
        """The client's next poll of `path`: a GET that starts a read of it. A later page of a list it is reading
        (``s`` > 0, asked for because the list it was just served holds more items than it carried) is the same
        read, not a sign that the client still polls."""
        return self.trace.wait_for(lambda f: is_poll(f, path), since, timeout)

    def substitute(self, data: bytes, mrid: str = "") -> bytes:
        """A recorded document with this run's program, a fresh mRID and times around now."""
        now = self.state.now()
        swaps = [(f"/derp/{P}/", f"/derp/{self.program.number}/"), (START, str(now - 1)), (CREATED, str(now - 2))]
        if mrid:
            swaps += [(MRID, mrid), (DMRID, mrid)]
        for old, new in swaps:
            data = data.replace(old.encode(), new.encode())
        return data

    def server_time(self, frame: Frame) -> float:
        """When a frame arrived, on the server's clock (the readings' clock)."""
        return time.time() + self.state.time_offset_s - (time.monotonic_ns() - frame.t_ns) / 1e9

    def serve(self, path: str, answers: list[Raw]) -> list[Frame]:
        """Answer the client's next GETs of `path` with `answers`, one each; the request frames they answered.
        Waits (bounded: a poll each, and the tolerance) for the client to have asked."""
        pending, served = list(answers), []
        lock = threading.Lock()
        key = ("GET", path)

        def answer(frame: Frame) -> Any:
            if not is_poll(frame, path):  # a later page of an earlier read: the server's own answer
                return handlers.answer(self.state, handlers.Request("GET", str(frame.meta.get("path")),
                                                                    dict(frame.meta.get("query") or {}), None, None,
                                                                    frame.meta.get("client_lfdi")))
            with lock:
                raw = pending.pop(0)
                served.append(frame)
                if not pending:
                    self.client.overrides.pop(key, None)
                return raw
        self.client.override("GET", path, answer)
        deadline = time.monotonic() + len(answers) * (1.5 * self.poll + self.tol) + 1.0
        while len(served) < len(answers) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.client.overrides.pop(key, None)
        return list(served)

    # -- liveness --------------------------------------------------------------------------------------------
    def alive(self, path: str, served: list[Frame], after: str) -> Frame:
        """The client polls `path` again within 3 pollRates + tolerance of the last answer it was served; else
        a counterexample, raised once it is back (fatal when it does not come back)."""
        if not served:
            back = self._recover(path)
            raise Counterexample(r.FUZZ_ALIVE, f"the client did not poll {path} within {1.5 * self.poll + self.tol:g}"
                                 f" s before {after} could be served" + ("" if back else "; it did not come back "
                                 f"within {self.recover_s:g} s"), fatal=not back)
        last = served[-1]
        nxt = self._next_get(path, last.index + 1, self.alive_s)
        if nxt is not None:
            return nxt
        back = self._recover(path)
        raise Counterexample(r.FUZZ_ALIVE, f"after {after}, the client did not poll {path} again within "
                             f"{self.alive_s:g} s (3 pollRates + tolerance)" + ("" if back else
                             f"; it was not back within {self.recover_s:g} s"), last, fatal=not back)

    def _recover(self, path: str) -> bool:
        return self._next_get(path, len(self.trace), self.recover_s) is not None

    # -- what the client did -----------------------------------------------------------------------------------
    def _responses(self, since: int, mrid: str) -> list[Frame]:
        return [f for f in self.trace.since(since) if f.direction is Direction.IN and f.kind == "REQUEST"
                and f.meta.get("method") == "POST" and isinstance(f.body, dict) and f.body.get("subject") == mrid]

    def _readings_pct(self, t0: float, t1: float) -> list[float]:
        """Power readings (percent of rated) that arrived between server times t0 and t1."""
        from .readings import power_readings
        if not self.rated:
            return []
        return [100.0 * abs(w) / self.rated for at, w in power_readings(self.state) if t0 <= at <= t1]

    def _holds_default(self, served: Frame) -> bool:
        """Whether the power the client last reported before `served` was the valid default's: only then does a
        reading off it say that the client acted on the broken default. A client that reports a power of its own
        (no adapter action set_power, a device that runs below any limit) or none gives no such measure; its
        broken defaults are judged by liveness alone."""
        before = self._readings_pct(float("-inf"), self.server_time(served))
        return bool(before) and abs(before[-1] - DEFAULT_PCT) <= SLACK_PCT

    def _schema_errors(self, since: int) -> None:
        for f in self.trace.since(since):
            if f.direction is Direction.IN:
                bad = [x for x in f.findings if x.rule_id == r.SCHEMA and x.severity is Severity.FAIL]
                if bad:
                    raise Counterexample(r.SCHEMA, f"meanwhile the client wrote a body that breaks the schema: "
                                         f"{bad[0].message}", f)

    # -- the case bodies -------------------------------------------------------------------------------------
    def negative(self, example: dict) -> None:
        """A resource broken in one place is not acted on, and the client goes on polling it."""
        name, kind = example["resource"], example["kind"]
        rule = S.MUTATION_RULES[mut.Kind(kind)]
        mrid = self.state.mrid(0xF2, self.state.next_number())
        data = self.substitute(base64.b64decode(example["document"]), mrid)
        path = self.path_of(SUFFIX[name])
        what = f"a {name} with {kind} ({example['path']})"
        mark = len(self.trace)
        times = 2 if name == "DefaultDERControl" else 1  # twice: a reading must fall while it is served
        served = self.serve(path, [Raw(200, data, {"Content-Type": MEDIA_TYPE}) for _ in range(times)])
        nxt = self.alive(path, served, what)  # a pollRate after it read it: its Responses to it have left
        said = self._responses(mark, mrid)
        if said:
            raise Counterexample(rule, f"the client acted on {what}: it answered the broken event with Response "
                                 f"status {said[0].body.get('status')}", said[0])
        if name == "DefaultDERControl" and self._holds_default(served[0]):  # readings from a moment after it
            # first read it to its next poll
            pct = self._readings_pct(self.server_time(served[0]) + 0.6, self.server_time(nxt) + 0.1)
            off = [p for p in pct if abs(p - DEFAULT_PCT) > SLACK_PCT]
            if off:
                raise Counterexample(rule, f"the client acted on {what}: while it was served, the client reported "
                                     f"{off[0]:.0f} % of its rated power (the valid default holds {DEFAULT_PCT} %)",
                                     nxt)
        self._schema_errors(mark)

    def positive(self, example: dict) -> None:
        """A random schema-valid resource is read without trouble: the client goes on polling it, and what it
        writes meanwhile stays valid."""
        name = example["resource"]
        data = self.substitute(base64.b64decode(example["document"]))
        path = self.path_of(SUFFIX[name])
        mark = len(self.trace)
        served = self.serve(path, [Raw(200, data, {"Content-Type": MEDIA_TYPE})])
        self.alive(path, served, f"a valid generated {name}")
        self._schema_errors(mark)

    def robustness(self, example: dict) -> None:
        """Broken HTTP answers in a row (a cut body, a wrong media type, 500, 503, a huge body, an empty body):
        the client survives them and polls the resource again."""
        name = example["resource"]
        path = self.path_of(SUFFIX[name])
        reply = handlers.answer(self.state, handlers.Request("GET", path, {"l": "255"}, None, None, None))
        valid = codec.encode(reply.name, reply.body) if reply.name else b""
        answers = [self._broken(kind, valid, int(example["cut"])) for kind in example["answers"]]
        served = self.serve(path, answers)
        self.alive(path, served, " then ".join(example["answers"][:len(served) or 1]))

    @staticmethod
    def _broken(kind: str, valid: bytes, cut: int) -> Raw:
        xml = {"Content-Type": MEDIA_TYPE}
        return {"cut-body": lambda: Raw(200, valid[:max(1, min(cut, len(valid) - 1))], xml, announce=len(valid)),
                "wrong-content-type": lambda: Raw(200, valid, {"Content-Type": "text/html"}),
                "server-error": lambda: Raw(500),
                "unavailable": lambda: Raw(503, b"", {"Retry-After": "1"}),
                "huge-body": lambda: Raw(200, valid + b" " * HUGE, xml),
                "empty-body": lambda: Raw(200, b"", xml)}[kind]()


class Judge:
    """What the runner fails the case through: a counterexample of a FAIL rule fails it; one of a warning rule
    (SEP2-FUZZ-INVALID-RESOURCE: a SHOULD, see vgitest.sep2.rules) is recorded as such (NON_STRICT, a FAIL under
    --vgi-strict) and the case goes on with its other parts."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def fail(self, rule_id: str, message: str, frame: Frame | None = None) -> None:
        if RULES[rule_id].severity is Severity.WARN:
            self.session.record(rule_id, message, frame)
            return
        self.session.fail(rule_id, message, frame)


def fuzz_case(kind: str, client: Any, dut: Any, profile: Any, budgets: Any, runner: Any) -> None:
    """Run the fuzz case `kind` (negative, positive, positive-unicode, robustness) through `runner` (vgi_fuzz)."""
    fuzz = ClientFuzz(client, dut, profile, budgets)
    fuzz.setup()
    try:
        if kind == "negative":  # every kind of breakage gets its share, whatever the profile's count
            kinds = sorted({k for n in NEGATIVE for k in kinds_of(n)}, key=list(mut.Kind).index)
            weights = {k: 0.12 if k in mut.SYNTAX_KINDS else 0.04 for k in kinds}  # the syntax kinds get three:
            # where a cut falls decides what is left to misread; each kind's share of the time budget as its weight
            for k in kinds:
                runner.run(negative_examples(k), fuzz.negative, Judge(client), weight=weights[k],
                           budget_share=weights[k] / sum(weights.values()), show=show, label=k.value)
        elif kind in ("positive", "positive-unicode"):
            # 20 documents in pr: about one in seven drawn documents has a non-ASCII text or an EventStatus past 4
            # (the rest is numbers, hex and enumerations), so 4 found a client that trips on them only by luck
            runner.run(positive_examples("ascii" if kind == "positive" else "unicode"), fuzz.positive, Judge(client),
                       weight=0.8, show=show)
        elif kind == "robustness":
            runner.run(robustness_examples(), fuzz.robustness, Judge(client), weight=0.16, show=show)
        else:
            raise ValueError(kind)
    finally:
        fuzz.cleanup()

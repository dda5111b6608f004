"""The bodies of the ISO 15118-2 fuzz cases (suites/iso15118_2_fuzz): generated and broken V2G messages.

EVSE under test (the fake EVCC sends, :mod:`.fuzzdrive`):

* negative data: a session runs in order up to a drawn step, whose request is then broken in one place
  (:mod:`.negative`: a value over its maxLength or out of its range, a cut EXI stream, a bad V2GTP header). The EVSE
  must not answer it OK (a FAILED code, closing the connection, or no answer are all refusals); a frame with a bad
  V2GTP header gets no answer at all. After every example a *liveness probe*, a new session (SDP,
  supportedAppProtocol, SessionSetup, SessionStop), must work: an EVSE that crashed or hangs fails V2G-FUZZ-ALIVE,
  and the case waits (bounded) for it to come back so that the next example is not blamed for it.
* positive data: a whole session in order whose requests carry generated schema-valid values the EVSE must take
  (any unicast MAC address as EVCCID, any ServiceScope text, any state of charge, departure time, a charging profile
  of 1 to 24 entries within the EVSE's own PMax): every answer OK and within its length facets.

EV under test (the fake SECC answers): one response of the session is replaced by a FAILED code, a response with a
value over its maxLength or out of range, a cut EXI stream or a response of another type. The EV must send nothing
more and close the connection; its next session after plug-in must run to SessionStop.

Which rule each failure carries: vgitest/iso15118/rules_live.py (V2G-FUZZ-*), and the existing rules where they fit
(V2G-HEADER-IGNORED, V2G-STOP-AFTER-FAILED, V2G-RESPONSE-CODE for a valid prefix refused).
"""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import strategies as st

from ..exi import encode
from ..exi import datatypes as dt
from ..fuzzing.property import Counterexample
from ..trace import Frame
from ..verdict import Inconclusive
from . import family as fam
from . import negative as neg
from .fuzzdrive import CLOSED, Conn, Driver
from .params import EvseParams, physical

__all__ = ["EV_KINDS", "EvFuzz", "EvseFuzz", "ev_case", "evse_case", "show"]

EV_KINDS = ("failed-code", "too-long", "out-of-range", "garbled", "wrong-response")
RECOVER_S = 20.0  # how long a case waits for a device that failed its liveness probe to come back
# per kind: the share of the negative examples (header kinds cost a full wait each: fewer of them)
EVSE_SHARE = {"too-long": 0.3, "out-of-range": 0.3, "garbled": 0.25, "header": 0.2}


def _stop(reason: str) -> None:
    raise Inconclusive(reason)


# --- EVSE under test -----------------------------------------------------------------------------------------------
class EvseFuzz:
    """Sends examples to an EVSE through the fake EVCC's raw sessions and judges its answers."""

    def __init__(self, evcc: Any, profile: Any) -> None:
        if evcc.client is None or evcc.loop is None:
            _stop("the fake EVCC is not running")
        self.evcc = evcc
        self.d = Driver(evcc, profile)
        labels = [label for label, _ in self.d.steps]
        self.broken_steps = self.d.steps[:labels.index("PowerDeliveryStart")]  # the requests before the energy flows

    # -- liveness ---------------------------------------------------------------------------------------------
    def alive(self, after: str) -> None:
        why = self.d.run(self.d.probe(), timeout=60)
        if not why:
            return
        back = self._recover()
        raise Counterexample("V2G-FUZZ-ALIVE", f"after {after}, a new V2G session failed ({why})"
                             + ("" if back else f"; the EVSE was not back within {RECOVER_S:g} s"), fatal=not back)

    def _recover(self) -> bool:
        deadline = time.monotonic() + RECOVER_S
        while time.monotonic() < deadline:
            if not self.d.run(self.d.probe(), timeout=60):
                return True
            time.sleep(0.5)
        return False

    def _open(self) -> Conn:
        conn = self.d.run(self.d.open(), timeout=60)
        if conn is None:
            back = self._recover()
            raise Counterexample("V2G-FUZZ-ALIVE", f"no V2G session could be opened ({self.d.why})", fatal=not back)
        return conn

    # -- negative data ------------------------------------------------------------------------------------------
    def negative(self, example: dict) -> None:
        label = self.broken_steps[example["step"] % len(self.broken_steps)][0]
        conn = self._open()
        try:
            ok, what = self.d.run(self.d.session_to(conn, [s for s, _ in self.d.steps].index(label)), timeout=120)
            if not ok:
                raise Counterexample("V2G-RESPONSE-CODE", f"a valid request in sequence was not answered OK: {what}")
            name, body = self.d.request(conn, label)
            broken = self._break(conn, name, body, example)
            header = example["kind"] == "header"
            wait = self.d.quiet_wait(name) if header else None
            res = self.d.run(self.d.send(conn, name, body, broken=broken, wait=wait), timeout=60)
            what = f"{name} with {broken.what}"
            if header and isinstance(res, Frame):
                raise Counterexample("V2G-HEADER-IGNORED", f"{what} was answered ({res.name or res.kind}); a frame "
                                     "with an invalid V2GTP header gets no answer", res)
            if not header and isinstance(res, Frame) and res.body is not None:
                rname, rbody, _ = self.d.answer_of(conn, res)
                code = str(rbody.get("ResponseCode", ""))
                if code.startswith("OK"):
                    raise Counterexample("V2G-FUZZ-REJECT", f"{what} was answered {rname} {code}; a broken request "
                                         "is refused (a FAILED code or the connection closed)", res)
        finally:
            self.d.run(self.d.close(conn), timeout=10)
        self.alive(what)

    def _break(self, conn: Conn, name: str, body: dict, example: dict) -> neg.Broken:
        msg = self.d.wrap(conn, name, body)
        schema = self.d.family.schema_of(name)  # ISO 15118-20: the message's own schema (common, DC, AC)
        kind, pick, extra = example["kind"], example["pick"], example["extra"]
        broken = None
        if kind == "too-long":
            broken = neg.too_long(msg, schema, pick, extra)
        elif kind == "out-of-range":
            broken = neg.out_of_range(msg, schema, pick, extra)
        elif kind == "header":
            broken = neg.header(encode(msg, schema), example["how"], extra)
        if broken is None:  # garbled, or nothing of this kind in this request
            broken = neg.garbled(encode(msg, schema), schema, extra)
        return broken

    # -- positive data ------------------------------------------------------------------------------------------
    def positive(self, example: dict) -> None:
        conn = self._open()
        last = "the session"
        try:
            for label, name in self._positive_steps(example):
                last = f"a valid {name} ({label})"
                res, code = self.d.run(self.d.exchange(conn, label, patch=self._patch(conn, label, example)),
                                       timeout=120)
                if not isinstance(res, Frame):
                    self.d.run(self.d.close(conn), timeout=10)
                    self.alive(last)
                    raise Counterexample("V2G-FUZZ-ACCEPT", f"{last} got {'no answer' if res is None else res}")
                if res.body is None:
                    raise Counterexample("V2G-FUZZ-ACCEPT", f"{last} was answered with a frame the fake EV cannot "
                                         f"decode: {res.meta.get('error') or res.meta.get('header_problems')}", res)
                if not code.startswith("OK"):
                    raise Counterexample("V2G-FUZZ-ACCEPT", f"{last} was answered {res.name} {code}", res)
                problems = neg.length_problems(res.body, self.d.family.schema_of(res.name or name))
                if problems:
                    raise Counterexample("V2G-FUZZ-ACCEPT", f"the answer to {last} breaks its schema: "
                                         f"{'; '.join(problems)}", res)
        finally:
            self.d.run(self.d.close(conn), timeout=10)
        self.alive("a valid session with generated values")

    def _positive_steps(self, example: dict) -> list[tuple[str, str]]:
        out = []
        for label, name in self.d.steps:
            if label in ("CurrentDemand", "ChargingStatus", "ChargeLoop"):
                out += [(label, name)] * example["loops"]
            else:
                out.append((label, name))
        return out

    def _patch(self, conn: Conn, label: str, ex: dict) -> Any:
        def soc(body: dict) -> dict:
            for key in ("DC_EVStatus",):
                if isinstance(body.get(key), dict):
                    body[key] = dict(body[key], EVRESSSOC=ex["soc"])
            param = body.get("DC_EVChargeParameter") or body.get("DC_EVPowerDeliveryParameter")
            if isinstance(param, dict) and isinstance(param.get("DC_EVStatus"), dict):
                param["DC_EVStatus"] = dict(param["DC_EVStatus"], EVRESSSOC=ex["soc"])
            return body

        if label == "SessionSetup":
            return lambda b: dict(b, EVCCID=bytes.fromhex(ex["evccid"]))
        if label == "ServiceDiscovery":
            return lambda b: {**b, "ServiceScope": ex["scope"]} if ex["scope"] is not None else {}
        if self.d.family.name == "din" and label in ("ChargeParameterDiscovery", "PowerDeliveryStart"):
            return soc  # DIN SPEC 70121 has no DepartureTime, and its PowerDeliveryReq no ChargingProfile is sent
        if label == "ChargeParameterDiscovery":
            def cpd(b: dict) -> dict:
                for key in ("DC_EVChargeParameter", "AC_EVChargeParameter"):
                    if isinstance(b.get(key), dict):
                        b[key] = dict(b[key], DepartureTime=ex["departure"])
                return soc(b)
            return cpd
        if label == "PowerDeliveryStart":
            def profile(b: dict) -> dict:
                limit = conn.logic._ev_max_w() if conn.logic.pmax_w is None else min(conn.logic._ev_max_w(),
                                                                                     conn.logic.pmax_w)
                start, entries = 0, []
                for gap, permille in ex["profile"]:
                    e: dict[str, Any] = {"ChargingProfileEntryStart": start,
                                         "ChargingProfileEntryMaxPower": physical(limit * permille / 1000, "W")}
                    if self.d.mode == "AC":
                        e["ChargingProfileEntryMaxNumberOfPhasesInUse"] = max(1, min(3, conn.logic.p.ac_phases))
                    entries.append(e)
                    start += gap
                return soc(dict(b, ChargingProfile={"ProfileEntry": entries}))
            return profile
        return soc


def evccids() -> st.SearchStrategy[bytes]:
    """EVCCIDs a conformant EV sends: its MAC address, so 6 bytes (the schema's evccIDType allows 0 to 6, but ISO
    15118-2's SessionSetupReq semantics, §8.4.3.2, make the EVCCID the EVCC's MAC address), and a unicast one (the
    lowest bit of the first byte clear), universally or locally administered."""
    return st.binary(min_size=6, max_size=6).map(lambda b: bytes([b[0] & 0xFE]) + b[1:])


def positive_examples(family: str = "iso-2") -> st.SearchStrategy[dict]:
    """Generated values a conformant EVSE must take, for one whole session of ``family`` (its own facets: a DIN
    ServiceScope has at most 32 characters, an ISO 15118-2 one 64)."""
    scope_codec = _codec("ServiceDiscoveryReq", "ServiceScope", family=family)
    from ..exi.strategies import value_strategy
    return st.fixed_dictionaries({
        "evccid": evccids().map(bytes.hex),
        "scope": st.none() | value_strategy(scope_codec, True),
        "soc": st.integers(0, 100),
        "departure": st.integers(0, 2 ** 32 - 1),
        # the length uniform over what the schema allows (1-24): hypothesis's own list sizes stay near six
        "profile": st.integers(1, 24).flatmap(lambda n: st.lists(st.tuples(st.integers(1, 3600), st.integers(0, 1000)),
                                                                 min_size=n, max_size=n)),
        "loops": st.integers(1, 3),
    })


def _codec(message: str, leaf: str, body: dict | None = None, family: str = "iso-2") -> dt.Codec:
    """The EXI datatype of ``leaf`` in ``message`` (read from the grammar, not written down here)."""
    f = fam.get(family)
    msg = f.wrap(message, body if body is not None else {leaf: b"\0" if leaf == "EVCCID" else "x"}, bytes(8))
    for container, key, codec in neg.leaves(msg, f.schema_of(message)):
        if key == leaf:
            return codec
    raise KeyError(leaf)


def negative_examples(kind: str, steps: int) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "step": st.integers(0, steps - 1), "kind": st.just(kind), "pick": st.integers(0, 40),
        "extra": st.integers(0, 300), "how": st.sampled_from(neg.HEADER_KINDS) if kind == "header" else st.just(""),
    })


def evse_case(kind: str, evcc: Any, profile: Any, runner: Any) -> None:
    """Run the EVSE fuzz case ``kind`` ("negative", "positive") through ``runner`` (vgi_fuzz)."""
    fuzz = EvseFuzz(evcc, profile)
    if kind == "negative":  # each kind of breakage gets its share of the examples
        if _replaying(runner):  # the recorded example names its kind: sent once, not once per kind
            runner.run(negative_examples("garbled", len(fuzz.broken_steps)), fuzz.negative, evcc, show=show)
            return
        for k, share in EVSE_SHARE.items():
            # a broken value is refused in a few milliseconds: those kinds get 30 examples in pr (a request and a
            # site in it are drawn for each, and enumerations are a few of the sites), framing kinds cost a session
            runner.run(negative_examples(k, len(fuzz.broken_steps)), fuzz.negative, evcc,
                       weight=share * (4.0 if k in ("too-long", "out-of-range") else 1.2), budget_share=share,
                       show=show, label=k)
        return
    runner.run(positive_examples(fuzz.d.family.name), fuzz.positive, evcc, weight=0.4, budget_share=0.5, show=show)


# --- EV under test ---------------------------------------------------------------------------------------------------
class EvFuzz:
    """Scripts one broken response of the fake SECC per example, lets the EV run a session and judges it."""

    def __init__(self, secc: Any, dut: Any, profile: Any) -> None:
        self.secc, self.dut, self.profile = secc, dut, profile
        from .fuzzdrive import family_of
        self.family = family_of(profile)
        from .suite import plug_mode
        self.mode = plug_mode(profile)
        from .fuzzdrive import steps_for
        self.requests = list(dict.fromkeys(n for _, n in steps_for(self.family.name, self.mode)
                                           if n != "SessionStopReq"))
        self.skeletons = self.family.evse(EvseParams())
        name, body = self.skeletons.skeleton("ServiceDiscoveryReq")
        codec = _codec(name, "ResponseCode", body, self.family.name)
        values = codec.values if isinstance(codec, dt.EnumCodec) else ()
        self.failed_codes = [c for c in values if c.startswith("FAILED")] or ["FAILED"]

    def _session(self) -> Any:
        from .suite import ev_session
        try:
            # ISO 15118-20: the control mode every case of suites/iso15118_20 plugs in with (an EV may not charge
            # in the one it picks itself, Josev's Scheduled sessions for one: josev-iso20-ev.toml)
            plug = {"control_mode": "Dynamic"} if self.family.name == "iso-20" else {}
            return ev_session(self.secc, self.dut, self.profile, **plug)
        except Inconclusive:
            return None

    def alive(self, after: str) -> None:
        why = self._live()
        if not why:
            return
        back = False
        deadline = time.monotonic() + RECOVER_S
        while time.monotonic() < deadline and not back:
            back = not self._live()
        raise Counterexample("V2G-FUZZ-ALIVE", f"after {after}, the EV's next session {why}"
                             + ("" if back else f"; it was not back within {RECOVER_S:g} s"), fatal=not back)

    def _live(self) -> str:
        self.secc.script.clear()
        s = self._session()
        if s is None:
            return "did not start after plug-in"
        if "SessionStopReq" not in s.names():
            return f"did not run to SessionStopReq (it ended: {s.end_reason}; requests {s.names()[-4:]})"
        return ""

    def eligible(self, kind: str) -> list[str]:
        """The requests whose response a mutation of ``kind`` can reach (all, for kinds that reach every one)."""
        if kind not in ("too-long", "out-of-range"):
            return self.requests
        out = []
        for r in self.requests:
            msg = self.family.wrap(*self.skeletons.skeleton(r), bytes(8))
            if neg.sites(msg, self.family.schema_of(r), kind, neg._header(msg)):
                out.append(r)
        return out or self.requests

    def negative(self, example: dict) -> None:
        choices = self.eligible(example["kind"])
        request = choices[example["at"] % len(choices)]
        self.secc.script.clear()  # occurrences are counted from here: nth=1 is this session's first
        what = self._script(request, example)
        action = self.secc.script.actions[-1]
        try:
            s = self._session()
        finally:
            self.secc.script.clear()
        if s is None:
            back = not self._live()
            raise Counterexample("V2G-FUZZ-ALIVE", "the EV started no session after plug-in", fatal=not back)
        names = s.names()
        if request not in names or not action.used:  # the EV stopped before the broken answer: nothing to judge
            self.alive(f"a session that ended before {request} ({s.end_reason})")
            return
        idx = names.index(request)
        later = s.requests[idx + 1:]
        failed = example["kind"] == "failed-code"
        rule = "V2G-STOP-AFTER-FAILED" if failed else "V2G-FUZZ-EV-INVALID"
        if later:
            raise Counterexample(rule, f"after {what}, the EV sent {later[0].name or 'a frame'}; it must stop and "
                                 "close the connection", later[0])
        if s.closed_by != "ev":
            raise Counterexample(rule, f"after {what}, the EV did not close the connection ({s.end_reason})")
        self.alive(what)

    def _script(self, request: str, ex: dict) -> str:
        kind, pick, extra = ex["kind"], ex["pick"], ex["extra"]
        res_name, skeleton = self.skeletons.skeleton(request)
        if kind == "failed-code":
            code = self.failed_codes[pick % len(self.failed_codes)]
            self.secc.answer(request, nth=1, code=code)
            return f"{res_name} {code} to its {request}"
        if kind in ("too-long", "out-of-range"):
            fn = neg.too_long if kind == "too-long" else neg.out_of_range
            schema = self.family.schema_of(res_name)
            probe = fn(self.family.wrap(res_name, skeleton, bytes(8)), schema, pick, extra, body_only=True)
            if probe is not None:
                def patch(body: dict) -> dict:
                    b = fn(self.family.wrap(res_name, body, bytes(8)), schema, pick, extra, body_only=True)
                    return self.family.unwrap(b.msg)[1] if b is not None else body
                self.secc.answer(request, nth=1, patch=patch)
                return f"{res_name} with {probe.what}"
        if kind == "wrong-response":
            others = [r for r in self.requests if r != request]
            other = others[pick % len(others)]
            other_name, other_body = self.skeletons.skeleton(other)
            self.secc.answer(request, nth=1, send_instead=(other_name, other_body))
            return f"{other_name} in answer to its {request}"
        schema = self.family.schema_of(res_name)
        payload = encode(self.family.wrap(res_name, skeleton, bytes(8)), schema)
        broken = neg.garbled(payload, schema, extra)
        self.secc.answer(request, nth=1, payload=broken.payload)
        return f"{res_name} as {broken.what}"


def ev_negative_examples(kind: str, n: int) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"at": st.integers(0, n - 1), "kind": st.just(kind), "pick": st.integers(0, 40),
                                  "extra": st.integers(0, 300)})


EV_SHARE = {"failed-code": 0.25, "too-long": 0.2, "out-of-range": 0.2, "garbled": 0.2, "wrong-response": 0.15}


def ev_case(secc: Any, dut: Any, profile: Any, runner: Any) -> None:
    """The EV fuzz case: one broken response per session, each kind its share of the examples."""
    if not dut.supports("plug_in"):
        _stop("the EV fuzz case needs the adapter action plug_in")
    fuzz = EvFuzz(secc, dut, profile)
    if _replaying(runner):  # the recorded example names its kind: sent once, not once per kind
        runner.run(ev_negative_examples("garbled", len(fuzz.eligible("garbled"))), fuzz.negative, secc, show=show)
        return
    for k, share in EV_SHARE.items():
        runner.run(ev_negative_examples(k, len(fuzz.eligible(k))), fuzz.negative, secc, weight=share,
                   budget_share=share, show=show, label=k)


def _replaying(runner: Any) -> bool:
    """Whether the runner sends a recorded counterexample (``vgitest replay``) instead of exploring: it replays it at
    every ``run`` call, so a case that explores in parts runs one part then."""
    return getattr(runner, "replay_file", None) is not None


def show(example: Any) -> str:
    """An example in a few words, for the verdict message."""
    return json.dumps(example, default=repr)[:200]


def model_case(evcc: Any, profile: Any, runner: Any) -> None:
    """The session state-machine model (vgitest.iso15118.models) against the EVSE: generated programs of new
    sessions, requests in order, repeated, skipped, going back, stop, pause and resume."""
    from .models import SessionModel, programs
    model = SessionModel(evcc, profile)
    # 50 programs in pr (a conforming EVSE answers them in about 20 s): with 15, whether a program went back at the
    # step a fault is sensitive to was a matter of the seed
    runner.run(programs(), model.run, evcc, weight=2.0, show=model.shown)

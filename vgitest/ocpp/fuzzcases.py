"""The bodies of the OCPP fuzz cases (suites/ocpp16_fuzz, suites/ocpp201_fuzz), shared by every version.

Each case sends generated CSMS requests to the station and judges the answers, one example at a time, through
:class:`vgitest.fuzzing.property.PropertyRunner`. Requests are sent as raw frames, not through the fake CSMS's
``call``: a negative case must be able to send what the CSMS never sends, and a request the station drops must
not be judged as a late answer (dropping is allowed for a request it cannot read, 2.0.1 Part 4 §4.2.3).

After every example a *probe* (a valid read-only request every station answers: GetConfiguration in 1.6,
GetVariables in 2.x) checks that the station is still there. A station that dropped the connection or stopped
answering is a counterexample (OCPP-FUZZ-ALIVE); before going on, the case waits for it to come back (reconnect
and boot, bounded by the PIXIT connect and boot timeouts) so that the next example is not blamed for the last
one. A station that does not come back ends the exploration.

Which actions are sent: only those of features the PICS declares, and only actions whose acceptance by
mistake cannot take the station out of the test (no Reset, no firmware or diagnostics upload to a generated
URL, no certificate deletion); the positive cases send only actions without lasting effect.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from ..findings import Severity
from ..fuzzing.jsonmutate import KINDS
from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from . import codec
from . import rules as r
from . import strategies as S

__all__ = ["CASES", "lifecycle_case", "NEGATIVE", "POSITIVE", "StationFuzz", "burst_examples", "frame_examples", "fuzz_case",
           "negative_examples", "positive_examples"]

# action -> the PICS feature that must be declared for it to be sent
NEGATIVE: dict[str, dict[str, str]] = {
    "1.6": {"ChangeAvailability": "Core", "ChangeConfiguration": "Core", "ClearCache": "Core", "DataTransfer": "Core",
            "GetConfiguration": "Core", "RemoteStartTransaction": "Core", "RemoteStopTransaction": "Core",
            "UnlockConnector": "Core", "TriggerMessage": "RemoteTrigger", "GetLocalListVersion":
            "LocalAuthListManagement", "SendLocalList": "LocalAuthListManagement", "ReserveNow": "Reservation",
            "CancelReservation": "Reservation", "SetChargingProfile": "SmartCharging", "ClearChargingProfile":
            "SmartCharging", "GetCompositeSchedule": "SmartCharging"},
    "2.0.1": {"ChangeAvailability": "Core", "GetVariables": "Core", "SetVariables": "Core", "GetTransactionStatus":
              "Core", "RequestStopTransaction": "Core", "RequestStartTransaction": "RemoteStart", "UnlockConnector":
              "UnlockConnector", "TriggerMessage": "TriggerMessage", "ClearCache": "AuthorizationCache",
              "DataTransfer": "DataTransfer", "GetLocalListVersion": "LocalAuthListManagement", "SendLocalList":
              "LocalAuthListManagement", "ReserveNow": "Reservation", "CancelReservation": "Reservation",
              "SetChargingProfile": "SmartCharging", "ClearChargingProfile": "SmartCharging",
              "GetCompositeSchedule": "SmartCharging", "GetChargingProfiles": "SmartCharging"},
}
POSITIVE: dict[str, dict[str, str]] = {
    "1.6": {"GetConfiguration": "Core", "DataTransfer": "Core", "RemoteStopTransaction": "Core",
            "GetLocalListVersion": "LocalAuthListManagement", "CancelReservation": "Reservation",
            "GetCompositeSchedule": "SmartCharging"},
    "2.0.1": {"GetVariables": "Core", "GetTransactionStatus": "Core", "RequestStopTransaction": "Core",
              "DataTransfer": "DataTransfer", "GetLocalListVersion": "LocalAuthListManagement",
              "CancelReservation": "Reservation", "GetCompositeSchedule": "SmartCharging"},
}
PROBE: dict[str, tuple[str, dict]] = {
    "1.6": ("GetConfiguration", {"key": ["HeartbeatInterval"]}),
    "2.0.1": ("GetVariables", {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                    "variable": {"name": "HeartbeatInterval"}}]}),
}
# The other version's spelling of a code (OCPPJ-ERROR-CODE-SPELLING judges that; this case judges the kind)
_SPELLINGS = {"FormationViolation": "FormatViolation", "OccurenceConstraintViolation": "OccurrenceConstraintViolation"}
# CALLERROR codes that say "your request is malformed" or "I broke": wrong answers to a valid request
_NOT_FOR_VALID = ("FormationViolation", "FormatViolation", "TypeConstraintViolation", "OccurenceConstraintViolation",
                  "OccurrenceConstraintViolation", "InternalError", "RpcFrameworkError", "ProtocolError")


def declared(table: dict[str, dict[str, str]], version: str, profile: Any) -> list[str]:
    """The actions of ``table`` whose feature the DUT's PICS declares."""
    return sorted(a for a, feature in table.get(version, {}).items() if not profile.missing((feature,)))


def negative_examples(version: str, actions: list[str], kind: str | None = None) -> st.SearchStrategy[dict]:
    """One CSMS request broken in one place (of ``kind`` where the request offers it): {action, payload,
    mutation}."""
    def one(action: str) -> st.SearchStrategy[dict]:
        return S.mutated_request(version, action, kind=kind).map(
            lambda pm: {"action": action, "payload": pm[0], "mutation": {
                "kind": pm[1].kind, "keyword": pm[1].keyword, "path": pm[1].path, "detail": pm[1].detail}})
    return st.sampled_from(actions).flatmap(one)


def positive_examples(version: str, actions: list[str], alphabet: S.Alphabet = "ascii") -> st.SearchStrategy[dict]:
    """One schema-valid CSMS request: {action, payload}."""
    return st.sampled_from(actions).flatmap(
        lambda a: S.request(version, a, alphabet).map(lambda p: {"action": a, "payload": p}))


_FRAME_ID = "fz-frame-id"  # replaced by a fresh message id when the frame is sent
FRAME_KINDS = ("truncated", "garbled", "msgid-not-string", "unknown-action", "unknown-type", "orphan-result",
               "not-an-array")


def frame_examples(version: str) -> st.SearchStrategy[dict]:
    """A frame no correct CSMS sends: cut, garbled, with a message id of the wrong type, an unknown action or
    message type, an answer to nothing, or no RPC array at all: {kind, text}."""
    action, payload = PROBE[version]
    valid = codec.encode_call(_FRAME_ID, action, payload)

    def build(kind: str, cut: int, noise: str, name: str) -> dict:
        text = {
            "truncated": valid[: max(1, min(cut, len(valid) - 1))],
            "garbled": valid[: cut % len(valid)] + noise + valid[cut % len(valid):],
            "msgid-not-string": f'[2,{cut},"{action}",{{}}]',
            "unknown-action": f'[2,"fz-act-{cut}","{name}",{{}}]',
            "unknown-type": f'[{7 + cut % 3},"fz-type-{cut}",{{}}]',
            "orphan-result": f'[3,"fz-orphan-{cut}",{{}}]',
            "not-an-array": '{"messageTypeId":2,"action":"' + action + '"}',
        }[kind]
        return {"kind": kind, "text": text}

    names = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), min_size=1,
                    max_size=24).filter(lambda n: n not in S.validator(version).actions)
    return st.builds(build, st.sampled_from(FRAME_KINDS), st.integers(1, 200),
                     st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=8), names)


def _readable_id(text: str) -> str | None:
    """The message id a station can read in ``text`` (a garbled frame may still be valid JSON), if any."""
    try:
        msg = json.loads(text)
    except ValueError:
        return None
    return msg[1] if isinstance(msg, list) and len(msg) > 1 and isinstance(msg[1], str) else None


class StationFuzz:
    """Sends examples to a station and judges its answers (one instance per fuzz case)."""

    def __init__(self, station: Any, profile: Any) -> None:
        self.station = station
        self.version = "1.6" if station.version == "1.6" else "2.0.1"
        self.profile = profile
        self.answer_s = float(station.dut_call_timeout_s + station.response_tolerance_s)
        self.recover_s = float(profile.param("connect_timeout", 30)) + float(
            profile.param("boot_timeout", 8 if self.version == "1.6" else 15))  # docs/pixit.md defaults
        self._noted: set[tuple] = set()

    # -- the wire ------------------------------------------------------------------------------------------
    def _mark(self) -> int:
        return len(self.station.csms.trace)

    def send(self, text: str, expect_id: str | None, timeout: float | None = None) -> tuple[Frame | None, int]:
        """Send a raw frame; the station's answer to it (by message id, or "-1" for a frame it could not read)
        and where in the trace the frame went. None: no answer in time, or not connected."""
        start = self._mark()
        if not self.station.connected:
            return None, start
        try:
            self.station.send_raw(text)
        except Exception:  # the connection went away under us: the probe will say so
            return None, start
        ids = {expect_id, "-1"} if expect_id is not None else {"-1"}
        ident = self.station.identity

        def answer(f: Frame) -> bool:
            return (f.direction is Direction.IN and f.meta.get("identity") == ident and f.kind in ("CALLRESULT",
                    "CALLERROR") and f.correlation in ids)
        return self.station.csms.trace.wait_for(answer, start, timeout or self.answer_s), start

    def call(self, action: str, payload: Any) -> tuple[str, Frame | None, int]:
        mid = f"fz-{uuid.uuid4().hex[:20]}"
        frame, start = self.send(codec.encode_call(mid, action, payload), mid)
        return mid, frame, start

    def _sent(self, start: int) -> Frame | None:
        for f in self.station.csms.trace.since(start):
            if f.direction is Direction.OUT:
                return f
        return None

    # -- liveness ------------------------------------------------------------------------------------------
    def _probe_ok(self, timeout: float) -> bool:
        action, payload = PROBE[self.version]
        _, frame, _ = self.call(action, payload)
        return frame is not None and frame.kind == "CALLRESULT"

    def _dropped(self, since: int) -> Frame | None:
        ident = self.station.identity
        for f in self.station.csms.trace.since(since):
            if f.kind == "CLOSE" and f.meta.get("identity", ident) == ident:
                return f
        return None

    def alive(self, after: str, since: int) -> None:
        """The station kept its connection since trace index ``since`` and still answers a valid request on it;
        else a counterexample, raised once the station is back (or, fatal, when it does not come back within the
        PIXIT's connect + boot timeouts). A crash is caught even when the station is back before the probe."""
        dropped = self._dropped(since)
        if dropped is None and self.station.connected and self._probe_ok(self.answer_s):
            return
        what = "keep the connection" if dropped is not None or not self.station.connected \
            else "answer a valid request"
        back = self._recover()
        raise Counterexample(r.FUZZ_ALIVE, f"after {after}, the station did not {what}"
                             + ("" if back else f"; it was not back within {self.recover_s:g} s"), fatal=not back)

    def _recover(self) -> bool:
        deadline = time.monotonic() + self.recover_s
        while time.monotonic() < deadline:
            st_ = self.station
            if st_.connected and st_.registration == "Accepted":
                if self._probe_ok(min(self.answer_s, max(0.1, deadline - time.monotonic()))):
                    return True
            else:
                time.sleep(0.1)
        return False

    # -- findings that do not stop the exploration -----------------------------------------------------------
    def note(self, key: tuple, rule: str, message: str, frame: Frame | None) -> None:
        """A broken SHOULD (or an answer the case accepts with a warning), recorded once per ``key``."""
        if key in self._noted:
            return
        self._noted.add(key)
        self.station.record(rule, message, frame, severity=Severity.WARN)

    # -- the case bodies -------------------------------------------------------------------------------------
    def negative(self, example: dict) -> None:
        """A request broken in one place must be refused with a CALLERROR (ideally naming the breakage), and the
        station must go on."""
        action, m = example["action"], example["mutation"]
        what = f"{action} with {m['kind']} at {m['path'] or '(payload)'}"
        _, frame, start = self.call(action, example["payload"])
        if frame is not None and frame.kind == "CALLRESULT":
            raise Counterexample(r.FUZZ_REJECT, f"{what} ({m['detail']}) was answered with a CALLRESULT", frame)
        if frame is None:
            self.alive(what, start)
            self.note(("silent", m["kind"]), r.FUZZ_SILENT, f"{what} was not answered within {self.answer_s:g} s",
                      self._sent(start))
            return
        code = (frame.body or {}).get("errorCode") if isinstance(frame.body, dict) else None
        wanted = S.error_codes_for(self.version, m["keyword"])
        if _SPELLINGS.get(code, code) not in {_SPELLINGS.get(w, w) for w in wanted}:  # a misspelt code is judged
            self.note(("code", m["kind"], code), r.FUZZ_ERROR_CODE, f"{what} was answered CALLERROR {code}; the "
                      f"breakage ({m['keyword']}) is a {' or '.join(wanted[:2])}", frame)
        self.alive(what, start)

    def positive(self, example: dict) -> None:
        """A schema-valid request of a declared action gets a schema-valid CALLRESULT."""
        action = example["action"]
        _, frame, start = self.call(action, example["payload"])
        if frame is None:
            self.alive(f"a valid {action}", start)
            raise Counterexample(r.FUZZ_ACCEPT, f"a valid {action} was not answered within {self.answer_s:g} s")
        if frame.kind == "CALLERROR":
            code = (frame.body or {}).get("errorCode") if isinstance(frame.body, dict) else None
            if code in _NOT_FOR_VALID:
                raise Counterexample(r.FUZZ_ACCEPT, f"a valid {action} was answered CALLERROR {code}", frame)
            self.note(("code", action, code), r.FUZZ_ACCEPT, f"a valid {action} was answered CALLERROR {code}, not "
                      "a CALLRESULT", frame)
        else:
            bad = [f for f in frame.findings if f.rule_id == r.SCHEMA and f.severity is Severity.FAIL]
            if bad:
                raise Counterexample(r.SCHEMA, f"the answer to a valid {action} breaks its schema: {bad[0].message}",
                                     frame)
        self.alive(f"a valid {action}", start)

    def frame(self, example: dict) -> None:
        """A frame no correct CSMS sends: the station answers what it can (an unknown action: NotImplemented), and
        goes on."""
        kind = example["kind"]
        mid = f"fz-{uuid.uuid4().hex[:12]}"  # a fresh id each time: a late answer must not match the next example
        text = example["text"].replace(_FRAME_ID, mid)
        expect = _readable_id(text) or mid
        answered = kind not in ("unknown-type", "orphan-result")  # 1.6 ignores both; 2.x's answer: suites' RPC cases
        answer, start = self.send(text, expect, timeout=self.answer_s if answered else 0.2)
        if answered and answer is None and self.station.connected:
            self.note(("silent", kind), r.FUZZ_SILENT, f"a {kind} frame was not answered within {self.answer_s:g} s",
                      self._sent(start))
        if kind == "unknown-action":
            if answer is not None and answer.kind == "CALLRESULT":
                raise Counterexample(r.FUZZ_REJECT, f"a CALL of the unknown action {text.split(chr(34))[3]!r} was "
                                     "answered with a CALLRESULT", answer)
            if answer is not None and (answer.body or {}).get("errorCode") != "NotImplemented":
                self.note(("code", kind), r.FUZZ_ERROR_CODE, "a CALL of an unknown action was answered CALLERROR "
                          f"{(answer.body or {}).get('errorCode')}, not NotImplemented", answer)
        self.alive(f"a {kind} frame", start)

    def burst(self, example: dict) -> None:
        """Several valid requests at once, mixed in a random order with answers to requests never sent (what a
        CSMS must not do, one outstanding request at a time: a negative case), and the station goes on."""
        action, payload = PROBE[self.version]
        base = f"fz-burst-{uuid.uuid4().hex[:12]}"
        frames = [codec.encode_call(f"{base}-{i}", action, payload) for i in range(example["n"])]
        for i in example["orphans"]:  # answers to nothing, slotted in between
            frames.insert(min(i, len(frames)), f'[3,"{base}-orphan-{i}",{{}}]')
        time.sleep(0.3)  # the burst starts on a quiet connection: the last probe is not part of it
        start = self._mark()
        for text in frames:
            try:
                self.station.send_raw(text)
            except Exception:
                break
        time.sleep(min(1.0, 0.05 * len(frames)))
        self.alive(f"a burst of {example['n']} requests and {len(example['orphans'])} answers to nothing", start)


def burst_examples() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"n": st.integers(2, 20), "orphans": st.lists(st.integers(0, 20), max_size=4)})


# case kind -> (examples for (version, profile), body name, weight: how many examples relative to the profile's)
CASES: dict[str, tuple[Callable[[str, Any], st.SearchStrategy], str, float]] = {
    "negative": (lambda v, p: negative_examples(v, declared(NEGATIVE, v, p)), "negative", 2.0),
    "positive": (lambda v, p: positive_examples(v, declared(POSITIVE, v, p)), "positive", 1.0),
    "positive-unicode": (lambda v, p: positive_examples(v, declared(POSITIVE, v, p), "unicode"), "positive", 1.0),
    "frame": (lambda v, p: frame_examples(v), "frame", 1.0),
    "burst": (lambda v, p: burst_examples(), "burst", 0.4),
}


def fuzz_case(kind: str, station: Any, profile: Any, runner: Any) -> None:
    """Run the fuzz case ``kind`` (a key of CASES) against the booted station through ``runner`` (vgi_fuzz)."""
    fuzz = StationFuzz(station, profile)
    if kind == "negative":  # every kind of breakage gets its share of the examples, whatever the profile's count
        actions = declared(NEGATIVE, fuzz.version, profile)
        share = CASES["negative"][2] / len(KINDS)  # twice the examples of another case, within the same budget
        for mutation in KINDS:
            runner.run(negative_examples(fuzz.version, actions, mutation), fuzz.negative, station,
                       weight=max(share, 0.12), budget_share=1 / len(KINDS), show=show, label=mutation)
        return
    examples, body, weight = CASES[kind]
    runner.run(examples(fuzz.version, profile), getattr(fuzz, body), station, weight=weight, show=show)


def lifecycle_case(station: Any, dut: Any, profile: Any, runner: Any) -> None:
    """The transaction life-cycle model (vgitest.ocpp.models) against the booted station: generated programs of
    plug, unplug, token, remote start and stop, each from idle, with the model's invariants after every step."""
    from ..verdict import Inconclusive
    from .models import model_for, programs
    try:
        model = model_for(station, dut, profile)
    except ValueError as exc:
        raise Inconclusive(str(exc)) from None
    if model.missing:
        raise Inconclusive(f"the life-cycle model needs the adapter actions {', '.join(model.missing)}")
    runner.run(programs(), model.run, station, weight=0.6, show=model.shown)


def show(example: dict) -> str:
    """An example in a few words, for the verdict message."""
    if "action" in example:
        text = json.dumps(example["payload"], ensure_ascii=True)
        text = text if len(text) <= 160 else text[:150] + f"... ({len(text)} characters)"
        m = example.get("mutation")
        return f"{example['action']} {text}" + (f" ({m['kind']} at {m['path'] or '(payload)'})" if m else "")
    if "text" in example:
        return f"{example['kind']} frame {example['text'][:120]!r}"
    return json.dumps(example)[:160]

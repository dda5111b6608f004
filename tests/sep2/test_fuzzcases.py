"""The liveness probe of the IEEE 2030.5 fuzz cases (vgitest.sep2.fuzzcases) on hand-made traces: what counts as
the client polling a resource again."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from vgitest.budgets import Budgets
from vgitest.fuzzing.property import Counterexample
from vgitest.sep2 import rules as r
from vgitest.sep2.fuzzcases import ClientFuzz
from vgitest.sep2.resources import Sep2State
from vgitest.trace import Direction, Frame, Trace

PATH = "/derp/2/derc"


def get(trace: Trace, query: dict[str, str] | None = None, path: str = PATH) -> Frame:
    f = Frame(time.monotonic_ns(), time.time(), Direction.IN, "sep2", "2030.5", "c", "REQUEST", f"GET {path}", "x",
              meta={"method": "GET", "path": path, "query": dict(query or {})})
    trace.append(f)
    return f


def fuzz(trace: Trace, state: Sep2State | None = None) -> ClientFuzz:
    if state is None:
        state = Sep2State()
        state.poll_rate_s = 0.2  # the probe waits 3 pollRates + the tolerance; recovery register_wait + 2 pollRates
    client = SimpleNamespace(state=state, server=SimpleNamespace(trace=trace))
    profile = SimpleNamespace(param=lambda key, default=None: {"register_wait": 0.2, "message_wait": 0.2}.get(key,
                                                                                                           default))
    return ClientFuzz(client, None, profile, Budgets.load())


def test_a_new_read_of_the_resource_is_a_poll() -> None:
    from vgitest.sep2.fuzzcases import is_poll
    trace = Trace()
    assert is_poll(get(trace), PATH) and is_poll(get(trace, {"s": "0", "l": "255"}), PATH)
    assert not is_poll(get(trace, {"s": "177", "l": "255"}), PATH)
    assert not is_poll(get(trace, path="/derp/2/dc"), PATH)


def test_the_next_page_of_a_served_list_is_no_sign_of_life() -> None:
    """A generated DERControlList says all="2124" but carries fewer items: a client asks for the next page at once
    (s > 0), then (a hang, a crash) polls nothing. That page is part of the read it was served, not a new poll:
    the probe must not take it for one (SEP2-FUZZ-ALIVE), and must accept the next real poll."""
    trace = Trace()
    served = get(trace, {"s": "0", "l": "255"})
    get(trace, {"s": "177", "l": "255"})
    fz = fuzz(trace)
    with pytest.raises(Counterexample) as got:
        fz.alive(PATH, [served], "a generated DERControlList")
    assert got.value.rule_id == r.FUZZ_ALIVE
    threading.Timer(0.2, lambda: get(trace, {"s": "0", "l": "255"})).start()
    assert fz.alive(PATH, [served], "a generated DERControlList").meta["query"]["s"] == "0"


class PollingClient:
    """A client as ClientFuzz sees it: it polls `paths` every pollRate (the overrides a case installs answer
    them) and reports a constant power (a device that follows no limit the harness can set)."""

    def __init__(self, trace: Trace, state: Sep2State, paths: tuple[str, ...], watts: float) -> None:
        self.state, self.server, self.paths, self.watts = state, SimpleNamespace(trace=trace), paths, watts
        self.overrides: dict = {}
        self._stop = threading.Event()
        state.mirror_usage_points[1] = {"MirrorMeterReading": [{"mRID": "A1", "ReadingType": {"uom": "38"}}]}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def override(self, method: str, path: str, answer: object) -> None:
        self.overrides[(method, path)] = answer

    def _run(self) -> None:
        while not self._stop.wait(self.state.poll_rate_s):
            for path in self.paths:
                frame = get(self.server.trace, path=path)
                answer = self.overrides.get(("GET", path))
                if callable(answer):
                    answer(frame)
            self.state.readings.append((1, {"mRID": "A1", "Reading": {"value": str(int(self.watts))}},
                                        time.time() + self.state.time_offset_s))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def test_a_client_that_reports_a_power_of_its_own_is_not_judged_by_it() -> None:
    """py20305's demo device reports 10 kW of its 15 kW rating whatever the limit, and cannot be asked for power
    (no set_power): that the power is not the valid default's 50 % while a broken DefaultDERControl is served says
    nothing about the broken one. The example is judged by liveness alone (the client polls it again: no
    counterexample); a reading at the 50 % before it, then off it, would be."""
    import base64

    from vgitest.sep2.fuzzcases import DEFAULT_PCT, template

    trace, state = Trace(), Sep2State()
    state.poll_rate_s = 0.5  # the readings judged start 0.6 s after the broken default was first read
    client = PollingClient(trace, state, ("/derp/2/dderc",), 10_000)
    try:
        fz = fuzz(trace, state)
        fz.client = client
        fz.program, fz.rated = SimpleNamespace(number=2), 15_000.0
        example = {"resource": "DefaultDERControl", "kind": "break-bound", "path": "/DefaultDERControl/x",
                   "what": "a value out of its bounds", "document": base64.b64encode(template("DefaultDERControl"))
                   .decode()}
        fz.negative(example)  # 67 % all along: not the default's 50 %, so no measure of acting on the broken one
        client.watts = 15_000 * DEFAULT_PCT / 100  # at the default's 50 % ...
        time.sleep(1.1)
        served = []
        original = fz.serve

        def serve_then_drop(path: str, answers: list) -> list:  # ... until it reads the broken default
            got = original(path, answers)
            served.extend(got)
            client.watts = 15_000 * 0.10
            return got
        fz.serve = serve_then_drop  # type: ignore[method-assign]
        with pytest.raises(Counterexample) as caught:
            fz.negative(example)
        assert caught.value.rule_id == r.FUZZ_INVALID_RESOURCE and served
    finally:
        client.stop()


def test_the_model_needs_set_power_and_says_so_as_not_applicable() -> None:
    """The control-precedence model judges the power the client reports while the EV asks for its rated power. A
    device the adapter cannot ask for power (py20305's demo device) lacks an action the case needs: NOT_APPLICABLE
    with the adapter's reason, as README and docs/verdicts.md say, not INCONCLUSIVE."""
    from vgitest.adapters import ActionNotSupported, SimulatedAdapter
    from vgitest.sep2.models import PrecedenceModel

    trace, state = Trace(), Sep2State()
    state.poll_rate_s = 0.1
    client = SimpleNamespace(state=state, server=SimpleNamespace(trace=trace))
    profile = SimpleNamespace(param=lambda key, default=None: 0.1 if key == "message_wait" else default)
    dut = SimulatedAdapter(SimpleNamespace(perform=lambda action, **kw: None, do_reregister=lambda: None))
    with pytest.raises(ActionNotSupported) as got:
        PrecedenceModel(client, dut, profile, Budgets.load()).setup()
    assert "set_power" in str(got.value) and "has no such action" in str(got.value)

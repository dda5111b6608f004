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


def fuzz(trace: Trace) -> ClientFuzz:
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

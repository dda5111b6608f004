"""What the 2.0.1 offline and retry cases share: device-model variables set small for a case and restored after
it, the outage of the CSMS (vgitest.ocpp.outage) with this suite's waits, and the timing tolerance.

Timing tolerance: an interval the case configured (a back-off, a retry interval) is judged with
min(timing.tolerance, max(0.5 s, a quarter of the interval)), the scaling the heartbeat watch uses
(schemas/budgets/ocpp.toml, timing.heartbeat_gap): the general 4 s tolerance would swallow the 1-4 s intervals
these cases configure to stay fast, and with them the faults they look for."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from vgitest.case import preamble
from vgitest.ocpp.outage import Outage, outage
from vgitest.trace import Frame
from vgitest.verdict import Inconclusive

Key = tuple[str, str, "str | None"]  # component, variable, instance


def tolerance(t: Any, interval: float) -> float:
    return min(t.tolerance, max(0.5, 0.25 * interval))


def _ref(key: Key) -> dict:
    component, name, instance = key
    variable: dict[str, Any] = {"name": name}
    if instance:
        variable["instance"] = instance
    return {"component": {"name": component}, "variable": variable}


def read(st: Any, key: Key) -> str | None:
    res = st.call("GetVariables", {"getVariableData": [_ref(key)]})["getVariableResult"][0]
    return res.get("attributeValue") if res.get("attributeStatus") == "Accepted" else None


def _write(st: Any, values: dict[Key, str]) -> list[str]:
    """SetVariables of every value; the ones the station did not take, as 'name: status'."""
    data = [{**_ref(k), "attributeValue": v} for k, v in values.items()]
    res = st.call("SetVariables", {"setVariableData": data})["setVariableResult"]
    return [f"{r['variable']['name']}: {r['attributeStatus']}" for r in res
            if r.get("attributeStatus") not in ("Accepted", "RebootRequired")]


@contextlib.contextmanager
def variables(st: Any, values: dict[Key, str]) -> Iterator[dict[Key, str]]:
    """The case's settings in force for the block and the old values back after it. A setting the station does not
    take leaves the case INCONCLUSIVE: the behaviour it judges depends on it. Yields the old values."""
    old: dict[Key, str] = {}
    with preamble("the settings of the case: " + ", ".join(f"{k[1]}={v}" for k, v in values.items())):
        for key in values:
            value = read(st, key)
            if value is None:
                raise Inconclusive(f"the station does not report {key[0]}.{key[1]}"
                                   f"{'[' + key[2] + ']' if key[2] else ''}, which the case sets")
            old[key] = value
        refused = _write(st, values)
        if refused:
            _write(st, old)
            raise Inconclusive(f"the station did not take the case's settings ({'; '.join(refused)})")
    try:
        yield old
    finally:
        if st.connected:
            _write(st, old)


@contextlib.contextmanager
def preferably(st: Any, key: Key, value: str) -> Iterator[str]:
    """A setting that only shortens the case: `value` in force for the block when the station takes it (restored
    after), else the station's own; yields the value in force. A station that does not report it leaves the case
    INCONCLUSIVE (the case's timing depends on it)."""
    with preamble(f"{key[1]}={value}, or the station's own value"):
        old = read(st, key)
        if old is None:
            raise Inconclusive(f"the station does not report {key[0]}.{key[1]}"
                               f"{'[' + key[2] + ']' if key[2] else ''}, which the case's timing depends on")
        taken = old == value or not _write(st, {key: value})
    try:
        yield value if taken else old
    finally:
        if taken and old != value and st.connected:
            _write(st, {key: old})


@contextlib.contextmanager
def own_timeout(st: Any, seconds: float) -> Iterator[None]:
    """While the CSMS leaves a station CALL unanswered on purpose, the station's next CALL after its own timeout
    (MessageTimeout, which the case configured) is not a second outstanding CALL: the harness's one-outstanding
    check uses that timeout for the block."""
    old = st.dut_call_timeout_s
    st.dut_call_timeout_s = seconds
    try:
        yield
    finally:
        st.dut_call_timeout_s = old


@contextlib.contextmanager
def offline_period(st: Any, profile: Any) -> Iterator[Outage]:
    """The CSMS out of reach inside the block; message_wait to notice, connect_timeout (default 30 s: a 2.0.1
    station waits its RetryBackOff before it tries again) to come back."""
    with outage(st, float(profile.param("message_wait", 5)), float(profile.param("connect_timeout", 30))) as out:
        yield out


def distinct(events: list[Frame]) -> list[Frame]:
    """The events with a retransmission of the same event (same seqNo and timestamp) left out."""
    seen: set[tuple] = set()
    out = []
    for e in events:
        key = (e.body.get("seqNo"), e.body.get("timestamp"))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out

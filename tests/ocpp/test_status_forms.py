"""Connector states in either 2.1 form: the status helpers of states_v201 read StatusNotification and, for a 2.1
station only, NotifyEvent on Connector.AvailabilityState (2.1 Part 0 §2, block G). A 2.0.1 station's NotifyEvent
is not read as a connector state (2.0.1 reports states by StatusNotification), and NotifyEvents about other
variables never are."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from vgitest.ocpp import states_v201 as s
from vgitest.trace import Direction, Frame, Trace
from vgitest.verdict import NonConformance


@dataclasses.dataclass
class _Csms:
    trace: Trace


@dataclasses.dataclass
class Session:
    """What the helpers read of a StationSession: its version, identity and the fake CSMS's trace; `fail` as the
    real session's (a NonConformance with the rule)."""
    version: str
    csms: _Csms
    identity: str = "CS1"

    def fail(self, rule: str, message: str, frame: Any = None) -> None:
        raise NonConformance(f"[{rule}] {message}")


def event(component: str, variable: str, value: str, evse: int = 1, connector: int | None = 1) -> dict:
    where = {"id": evse} | ({"connectorId": connector} if connector is not None else {})
    return {"eventId": 1, "timestamp": "2026-12-07T10:00:00Z", "trigger": "Delta", "actualValue": value,
            "eventNotificationType": "HardWiredNotification", "component": {"name": component, "evse": where},
            "variable": {"name": variable}}


def session(version: str, *bodies: tuple[str, dict]) -> Session:
    trace = Trace()
    for name, body in bodies:
        trace.append(Frame(0, 0.0, Direction.IN, "ocpp", version, "c1", "CALL", name, "1", body=body,
                           meta={"identity": "CS1"}))
    return Session(version, _Csms(trace))


SN = ("StatusNotification", {"timestamp": "2026-12-07T10:00:00Z", "connectorStatus": "Occupied", "evseId": 1,
                             "connectorId": 1})
NE = ("NotifyEvent", {"generatedAt": "2026-12-07T10:00:00Z", "seqNo": 0, "eventData": [
    event("EVSE", "AvailabilityState", "Faulted"),  # another component: not a connector state
    event("Connector", "Problem", "true"),  # another variable
    event("Connector", "AvailabilityState", "Unavailable", evse=2)]})


def test_a_2_1_station_s_notify_event_is_a_connector_state() -> None:
    st = session("2.1", SN, NE)
    assert s.last_statuses(st) == {(1, 1): "Occupied", (2, 1): "Unavailable"}
    frame = s.require_status(st, 0, 0.1, "R", "EVSE 2 was not reported",
                             {"evseId": 2, "connectorStatus": "Unavailable"})
    assert frame.name == "NotifyEvent" and s.status_of(frame, {"evseId": 2}) == "Unavailable"
    with pytest.raises(NonConformance, match="Occupied; EVSE 2 connector 1 Unavailable"):
        s.require_status(st, 0, 0.1, "R", "not reported", {"evseId": 2, "connectorStatus": "Faulted"})
    with pytest.raises(NonConformance, match="OCPP-FORBIDDEN-MESSAGE"):
        s.expect_no_status(st, 0, 0.1, "nothing changed", {"connectorStatus": "Unavailable"})


def test_a_2_0_1_station_s_notify_event_is_not_read_as_a_connector_state() -> None:
    st = session("2.0.1", SN, NE)
    assert s.last_statuses(st) == {(1, 1): "Occupied"}
    assert s.wait_status(st, 0, 0.1, {"evseId": 2}) is None
    s.expect_no_status(st, 0, 0.1, "nothing changed", {"connectorStatus": "Unavailable"})


def test_other_events_are_no_connector_states() -> None:
    only_other = ("NotifyEvent", {**NE[1], "eventData": NE[1]["eventData"][:2]})
    st = session("2.1", only_other)
    assert s.last_statuses(st) == {} and s.status_reports(st, 0) == []
    with pytest.raises(NonConformance, match="no connector state at all"):
        s.require_status(st, 0, 0.1, "R", "not reported")

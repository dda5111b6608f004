"""What the 1.6 offline cases share: keeping the fake CSMS unreachable for a while (StationSession.offline()), the
settings offline authorization needs, and reading the timestamps the station put on what it queued."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import time
from typing import Any, Iterator

from helpers16 import config, get_config, wait_s
from vgitest.ocpp.states_v16 import calls_wait
from vgitest.trace import Frame
from vgitest.verdict import Inconclusive, NonConformance


@dataclasses.dataclass
class Outage:
    """Where an outage sits in the trace (indexes) and on the harness's clock (wall seconds)."""

    start: int
    start_wall: float
    end_wall: float = 0.0
    reopen: int = 0  # trace index of the station's first connection after the outage


def offline_s(profile: Any) -> float:
    return float(profile.param("offline_duration", 10))


@contextlib.contextmanager
def outage(station: Any, profile: Any) -> Iterator[Outage]:
    """The CSMS is unreachable inside the block (connection closed, reconnections refused); afterwards the station
    must reconnect, which every judged step after the block needs (INCONCLUSIVE if it does not)."""
    out = Outage(len(station.csms.trace), time.time())
    with station.offline():
        deadline = time.monotonic() + wait_s(profile)
        while station.connected and time.monotonic() < deadline:  # the station saw its connection go
            time.sleep(0.05)
        yield out
        out.end_wall = time.time()
        back = len(station.csms.trace)
    try:
        station.wait_connected(wait_s(profile, "connect_timeout", 10))
    except NonConformance:
        raise Inconclusive("the station did not reconnect within connect_timeout once the CSMS was reachable "
                           "again; what it queued cannot be judged") from None
    opened = calls_open(station, back)
    out.reopen = opened.index if opened is not None else back


def calls_open(station: Any, since: int) -> Frame | None:
    return next((f for f in station.frames(since) if f.kind == "OPEN"), None)


def needs_cache(station: Any) -> None:
    """Offline authorization of a known token works from the authorization cache (an optional key in 1.6)."""
    if get_config(station, "AuthorizationCacheEnabled") is None:
        raise Inconclusive("the station reports no AuthorizationCacheEnabled key: the case authorizes a token "
                           "offline from the authorization cache")


@contextlib.contextmanager
def offline_authorization(station: Any) -> Iterator[None]:
    """A token the station accepted online may start a transaction offline: cache on, LocalAuthorizeOffline true."""
    needs_cache(station)
    with config(station, "AuthorizationCacheEnabled", "true"), config(station, "LocalAuthorizeOffline", "true"):
        yield


def stamp(text: Any) -> float | None:
    """A 1.6 timestamp as POSIX seconds (None when it cannot be read)."""
    try:
        when = _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.timestamp()


def readings(frames: list[Frame]) -> list[float]:
    """The timestamps of every meterValue entry of MeterValues frames, in the order they arrived."""
    out = []
    for f in frames:
        for mv in f.body.get("meterValue", []) if isinstance(f.body, dict) else []:
            t = stamp(mv.get("timestamp"))
            if t is not None:
                out.append(t)
    return out


def wait_call(station: Any, action: str, since: int, timeout: float, match: dict | None = None) -> Frame | None:
    """The first `action` CALL from trace index `since` (waiting at most `timeout`); no finding when there is none."""
    return calls_wait(station, action, since, timeout, match)

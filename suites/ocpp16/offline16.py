"""What the 1.6 offline cases share: keeping the fake CSMS unreachable for a while (StationSession.offline()), the
settings offline authorization needs, and reading the timestamps the station put on what it queued."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from helpers16 import config, get_config, wait_s
from vgitest.ocpp.outage import Outage, stamp
from vgitest.ocpp.outage import outage as shared_outage
from vgitest.ocpp.states_v16 import calls_wait
from vgitest.trace import Frame
from vgitest.verdict import Inconclusive


def offline_s(profile: Any) -> float:
    return float(profile.param("offline_duration", 10))


@contextlib.contextmanager
def outage(station: Any, profile: Any) -> Iterator[Outage]:
    """The shared outage (vgitest.ocpp.outage) with the 1.6 suite's waits: message_wait to notice the closed
    connection, connect_timeout to come back."""
    with shared_outage(station, wait_s(profile), wait_s(profile, "connect_timeout", 10)) as out:
        yield out


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

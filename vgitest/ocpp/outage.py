"""An outage of the CSMS for the offline cases of every OCPP version: inside the block the fake CSMS is out of the
station's reach (its connection closed, every reconnection refused with HTTP 503: StationSession.offline()); after
it the station must reconnect, which every judged step after the block needs (INCONCLUSIVE if it does not)."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Any, Iterator

from ..verdict import Inconclusive, NonConformance
from . import timestamps


@dataclasses.dataclass
class Outage:
    """Where an outage sits in the trace (indexes) and on the harness's clock (wall seconds)."""

    start: int
    start_wall: float
    end_wall: float = 0.0
    reopen: int = 0  # trace index of the station's first connection after the outage
    reopen_wall: float = 0.0  # and when it came


@contextlib.contextmanager
def outage(station: Any, wait: float, reconnect: float) -> Iterator[Outage]:
    """The CSMS is unreachable inside the block; the station has `wait` seconds to notice the closed connection and
    `reconnect` seconds after the block to come back."""
    out = Outage(len(station.csms.trace), time.time())
    with station.offline():
        deadline = time.monotonic() + wait
        while station.connected and time.monotonic() < deadline:  # the station saw its connection go
            time.sleep(0.05)
        yield out
        out.end_wall = time.time()
        back = len(station.csms.trace)
    try:
        station.wait_connected(reconnect)
    except NonConformance:
        raise Inconclusive(f"the station did not reconnect within {reconnect:g} s once the CSMS was reachable "
                           "again; what it queued cannot be judged") from None
    opened = next((f for f in station.frames(back) if f.kind == "OPEN"), None)
    out.reopen = opened.index if opened is not None else back
    out.reopen_wall = opened.wall if opened is not None else time.time()


def stamp(text: Any) -> float | None:
    """An OCPP timestamp as POSIX seconds (None when it cannot be read)."""
    return timestamps.epoch(text)

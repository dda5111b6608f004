"""Helpers of the CSIP suite: what the client reported, in watts."""

from __future__ import annotations

import time
from typing import Any

from vgitest.sep2.codec import as_list, find
from vgitest.verdict import Inconclusive

W = "38"  # ReadingType uom: watts


def power_readings(state: Any, since: int = 0) -> list[tuple[float, float]]:
    """(arrival time, watts) of every mirrored power reading from index `since` of the server's readings."""
    out: list[tuple[float, float]] = []
    types: dict[int, dict] = {}
    for number, mup in state.mirror_usage_points.items():
        for mmr in as_list(mup.get("MirrorMeterReading")):
            if isinstance(mmr, dict) and isinstance(mmr.get("ReadingType"), dict):
                types.setdefault(number, mmr["ReadingType"])
    for number, reading, at in state.readings[since:]:
        rt = reading.get("ReadingType") if isinstance(reading.get("ReadingType"), dict) else types.get(number, {})
        if str(rt.get("uom")) != W:
            continue
        for value in _values(reading):
            out.append((at, float(value) * 10 ** int(str(rt.get("powerOfTenMultiplier", "0")))))
    return out


def _values(reading: dict) -> list[str]:
    direct = find(reading, "Reading/value")
    if direct is not None:
        return [str(direct)]
    return [str(find(r, "value")) for rs in as_list(reading.get("MirrorReadingSet"))
            for r in as_list(rs.get("Reading")) if find(r, "value") is not None]


def wait_readings(state: Any, since: int, n: int, timeout: float) -> list[tuple[float, float]]:
    """Wait (bounded) for at least `n` power readings after `since`."""
    deadline = time.monotonic() + timeout
    while True:
        got = power_readings(state, since)
        if len(got) >= n or time.monotonic() >= deadline:
            return got
        time.sleep(0.1)


def rated_w(client: Any, t: Any) -> float:
    """The client's rated maximum power as it described it (DERCapability rtgMaxW), in watts; waits (bounded)
    for the description of a client that is still starting."""
    deadline = time.monotonic() + t.wait
    while True:
        dev = next(iter(client.state.devices.values()), None)
        cap = dev.der.get("dercap", {}) if dev is not None else {}
        rtg = cap.get("rtgMaxW") if isinstance(cap, dict) else None
        if isinstance(rtg, dict):
            return float(rtg.get("value", 0)) * 10 ** int(str(rtg.get("multiplier", "0")))
        if time.monotonic() >= deadline:
            raise Inconclusive("the client has not described its rated power (DERCapability rtgMaxW; CORE-014 "
                               "checks that it does)")
        time.sleep(0.1)

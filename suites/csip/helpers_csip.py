"""Helpers of the CSIP suite: what the client reported (watts, vars, volts, hertz) and what it described."""

from __future__ import annotations

import time
from typing import Any

from vgitest.sep2.codec import as_list, find
from vgitest.verdict import Inconclusive

W, VAR, VOLT, HZ = "38", "63", "29", "33"  # ReadingType uom: watts, vars, volts, hertz
REVERSE = "19"  # ReadingType flowDirection: received from the customer


def _types(state: Any) -> dict[tuple[int, str | None], dict]:
    """ReadingType of each MirrorMeterReading the client created, by (MirrorUsagePoint number, mRID) ({} for one
    created without); under (number, None) the first one, for readings naming no mRID the server knows."""
    types: dict[tuple[int, str | None], dict] = {}
    for number, mup in state.mirror_usage_points.items():
        for mmr in as_list(mup.get("MirrorMeterReading")):
            if isinstance(mmr, dict):
                rt = mmr.get("ReadingType") if isinstance(mmr.get("ReadingType"), dict) else {}
                types.setdefault((number, mmr.get("mRID")), rt)
                if rt:
                    types.setdefault((number, None), rt)
    return types


def readings(state: Any, uom: str, since: int = 0) -> list[tuple[float, float]]:
    """(arrival time, value) of every mirrored reading of this uom from index `since` of the server's readings,
    scaled by its powerOfTenMultiplier. Signs in the meter's view: positive flows to the site (a reading
    declared with flowDirection reverse is negated)."""
    out: list[tuple[float, float]] = []
    types = _types(state)
    for number, reading, at in state.readings[since:]:
        own = reading.get("ReadingType")
        rt = own if isinstance(own, dict) else types.get((number, reading.get("mRID")), types.get((number, None), {}))
        if str(rt.get("uom")) != uom:
            continue
        sign = -1.0 if str(rt.get("flowDirection")) == REVERSE else 1.0
        for value in _values(reading):
            out.append((at, sign * float(value) * 10 ** int(str(rt.get("powerOfTenMultiplier", "0")))))
    return out


def power_readings(state: Any, since: int = 0) -> list[tuple[float, float]]:
    """(arrival time, watts) of every mirrored power reading from index `since` of the server's readings."""
    return readings(state, W, since)


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


def nearest(series: list[tuple[float, float]], at: float, within: float) -> float | None:
    """The value of `series` that arrived closest to `at`, if within `within` seconds of it."""
    best = min(series, key=lambda s: abs(s[0] - at), default=None)
    return best[1] if best is not None and abs(best[0] - at) <= within else None


def described(client: Any, t: Any, part: str, key: str) -> Any:
    """Element `key` of the DER description the client PUT (`part`: dercap, derg, ders, dera); waits (bounded)
    for a client that has not PUT that part yet; None when it never did, or without that element."""
    deadline = time.monotonic() + t.wait
    while True:
        dev = next(iter(client.state.devices.values()), None)
        body = dev.der.get(part) if dev is not None else None
        if isinstance(body, dict):
            return body.get(key)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def quantity(value: Any) -> float | None:
    """An ActivePower / ReactivePower / VoltageRMS ({multiplier, value}) in its unit."""
    if not isinstance(value, dict):
        return None
    try:
        return float(value["value"]) * 10 ** int(str(value.get("multiplier", "0")))
    except (KeyError, ValueError):
        return None


def set_max_w(client: Any, t: Any) -> float:
    """The reference of every % of setMaxW: the client's DERSettings setMaxW, else its DERCapability rtgMaxW."""
    w = quantity(described(client, t, "derg", "setMaxW")) or quantity(described(client, t, "dercap", "rtgMaxW"))
    if not w:
        raise Inconclusive("the client has described neither setMaxW (DERSettings) nor rtgMaxW (DERCapability); "
                           "CORE-014 checks that it does")
    return w


def supports_modes(client: Any, t: Any, *bits: int) -> bool:
    """Whether the client's DERCapability modesSupported (DERControlType, hex) sets every bit in `bits`."""
    raw = described(client, t, "dercap", "modesSupported")
    try:
        modes = int(str(raw), 16)
    except ValueError:
        return False
    return all(modes >> b & 1 for b in bits)

"""What a DER client reported of its output, as the fake 2030.5 server holds it: the mirrored readings of one unit
(watts, vars, volts, hertz), in the meter's view. Shared by the CSIP suite and the fuzz cases."""

from __future__ import annotations

from typing import Any

from .codec import as_list, find

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


def entries(state: Any, since: int = 0) -> list[tuple[int, str, dict, float, float]]:
    """(MirrorUsagePoint number, MirrorMeterReading mRID, ReadingType, arrival time, value scaled by its
    powerOfTenMultiplier, sign as posted) of every mirrored reading from index `since` of the server's readings: for judges that need the
    mirror a reading belongs to (its roleFlags) and its declared flowDirection."""
    out: list[tuple[int, str, dict, float, float]] = []
    types = _types(state)
    for number, reading, at in state.readings[since:]:
        own = reading.get("ReadingType")
        rt = own if isinstance(own, dict) else types.get((number, reading.get("mRID")), types.get((number, None), {}))
        try:
            scale = 10 ** int(str(rt.get("powerOfTenMultiplier", "0")))
        except ValueError:
            continue
        for value in _values(reading):
            try:
                out.append((number, str(reading.get("mRID", "")), rt, at, float(value) * scale))
            except ValueError:
                continue
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

"""ISO 8601 durations of weeks, days, hours, minutes and seconds (the forms OpenADR 2.0b and 3 use, e.g. PT1H30M),
read once for every protocol package that meets them."""

from __future__ import annotations

import re

_FORM = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def seconds(text: str) -> float:
    """The duration in seconds; ValueError for anything else (years and months included: their length varies)."""
    t = text.strip()
    m = _FORM.fullmatch(t)
    if not m or t.lstrip("+-") in ("P", "PT") or t.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    sign, w, d, h, mi, s = m.groups()
    total = (int(w or 0) * 7 + int(d or 0)) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)
    return -total if sign == "-" else total


def seconds_or_none(text: object) -> float | None:
    """The duration in seconds, or None when `text` is not one (a device's value, judged elsewhere)."""
    if not isinstance(text, str):
        return None
    try:
        return seconds(text)
    except ValueError:
        return None

"""OCPP dateTime values read once, the same way everywhere: ISO 8601 with `Z` or an offset, and a time that names no
zone taken as UTC (OCPP-J sends UTC; a station that leaves the zone out means it). Callers that judge a device's
message use the lenient readers (None for what is not a time); the reference stations and harness-made values use the
strict one, where an unreadable time is a bug to raise."""

from __future__ import annotations

import datetime as _dt
from typing import Any


def parse(text: Any) -> _dt.datetime | None:
    """An OCPP dateTime as an aware datetime (UTC when it names no zone); None when unset or unreadable."""
    if text is None or text == "":
        return None
    try:
        when = _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=_dt.timezone.utc)


def epoch(text: Any) -> float | None:
    """An OCPP dateTime as POSIX seconds; None when unset or unreadable."""
    when = parse(text)
    return None if when is None else when.timestamp()


def strict_epoch(text: Any) -> float:
    """An OCPP dateTime as POSIX seconds; ValueError naming the text when it is not one."""
    value = epoch(text)
    if value is None:
        raise ValueError(f"not an OCPP dateTime: {text!r}")
    return value

"""Helpers of the OpenADR 3 suite: events built the way the cases need them, and reading answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vgitest import isoduration
from vgitest.trace import Direction, Frame


def event(*, name: str = "vgi-event", level: int = 1, start_in_s: int = 300,
          report: str | tuple[str, ...] | None = None, program_id: str | None = None, targets: list[dict[str, Any]] | None = None,
          period: dict[str, str] | None = None) -> dict[str, Any]:
    """A one-hour SIMPLE event starting soon (or over `period`); with `report`, it asks for a report of that payload
    type (or of each of those types); with `targets`, it is meant for those only."""
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=start_in_s)).isoformat(timespec="seconds")
    body: dict[str, Any] = {"eventName": name, "intervalPeriod": period or {"start": start.replace("+00:00", "Z"),
                                                                            "duration": "PT1H"},
                            "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [level]}]}]}
    if report is not None:
        body["reportDescriptors"] = [{"payloadType": p, "readingType": "DIRECT_READ", "units": "KWH"}
                                     for p in ((report,) if isinstance(report, str) else report)]
    if program_id is not None:
        body["programID"] = program_id
    if targets is not None:
        body["targets"] = targets
    return body


def reports_of(event_id: str, created: bool = True) -> Any:
    """A predicate of expect_answered: a report naming `event_id` (that the VTN created, with `created`)."""
    return lambda q, a: (q.body or {}).get("eventID") == event_id and (not created or status(a) == 201)


def duration_s(text: Any) -> float | None:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds in seconds (None: another form)."""
    return isoduration.seconds_or_none(text)


def instant(text: Any) -> dt.datetime | None:
    """The moment an RFC 3339 date-time names (None: not one, or without its offset)."""
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def requests(frames: list[Frame], name: str) -> list[Frame]:
    """The VEN's requests `name` among `frames`."""
    return [f for f in frames if f.direction is Direction.IN and f.kind == "REQUEST" and f.name == name]


def status(answer: Frame | None) -> int | None:
    return None if answer is None else answer.meta.get("status")


def ok(code: int) -> Any:
    """A predicate of expect_answered: the VTN answered `code`."""
    return lambda request, answer: status(answer) == code


def ids(answer: Frame) -> set[str]:
    """The ids of the objects a search answered."""
    return {str(o.get("id")) for o in answer.body or [] if isinstance(o, dict)} if isinstance(answer.body, list) \
        else set()


def payload_types(report: dict[str, Any]) -> set[str]:
    return {str(p.get("type")) for res in report.get("resources") or [] for iv in res.get("intervals") or []
            for p in iv.get("payloads") or []}

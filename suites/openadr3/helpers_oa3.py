"""Helpers of the OpenADR 3 suite: events built the way the cases need them, and reading answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vgitest.trace import Frame


def event(*, name: str = "vgi-event", level: int = 1, start_in_s: int = 300, report: str | None = None,
          program_id: str | None = None) -> dict[str, Any]:
    """A one-hour SIMPLE event starting soon; with `report`, it asks for a report of that payload type."""
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=start_in_s)).isoformat(timespec="seconds")
    body: dict[str, Any] = {"eventName": name, "intervalPeriod": {"start": start.replace("+00:00", "Z"),
                                                                  "duration": "PT1H"},
                            "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [level]}]}]}
    if report is not None:
        body["reportDescriptors"] = [{"payloadType": report, "readingType": "DIRECT_READ", "units": "KWH"}]
    if program_id is not None:
        body["programID"] = program_id
    return body


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

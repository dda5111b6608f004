"""Life-cycle faults of the reference VEN: defects only a sequence of distributes reveals (the event life-cycle
model, vgitest.openadr.models, in suites/openadr20b_fuzz finds each by itself; no hand-written case sends the
sequence).

They are bugs of VENs that keep an event table: a schedule that is frozen once an event starts (a modification
arriving then is acknowledged but not applied), a cancellation that marks the event but leaves it in the table the
answers are built from, and an opt that is filed under the version the VEN saw first. The reference VEN calls the
hooks below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import messages as m
from ..codec import find

__all__ = ["FAULTS", "held_version", "kept_cancelled"]

FAULTS = {  # name -> description (catalogued in catalog.py)
    "modification_ignored_when_active": "once an event's active period has begun, the VEN keeps the version it "
                                        "started with: a modification arriving then is acknowledged with the old "
                                        "modificationNumber and not applied",
    "cancelled_event_kept": "a cancelled event stays in the VEN's event table: every later oadrCreatedEvent still "
                            "lists it (with the modificationNumber of its cancellation)",
    "opt_first_modification": "oadrCreateOpt names the modificationNumber of the first version of the event the VEN "
                              "received, not of the version it holds",
}


def _active(ev: dict | None, now: dt.datetime) -> bool:
    text = find(ev, "eiActivePeriod/properties/dtstart/date-time") if ev else None
    try:
        return isinstance(text, str) and m.parse_time(text) <= now
    except ValueError:
        return False


def held_version(ven: Any, held: dict | None, new: dict) -> dict:
    """The version of an event the VEN goes on with: the new one, except that with modification_ignored_when_active
    a running event keeps the version it started with."""
    if held is not None and ven.has("modification_ignored_when_active") and _active(held, dt.datetime.now(dt.timezone.utc)) \
            and find(new, "eventDescriptor/eventStatus") != "cancelled":
        return held
    return new


def kept_cancelled(ven: Any, events: dict[str, dict], carried: set[str], opt: str, request_id: str) -> list[dict]:
    """cancelled_event_kept: eventResponses for the cancelled events of the VEN's table the distribute no longer
    carries."""
    if not ven.has("cancelled_event_kept"):
        return []
    return [m.event_response(eid, find(ev, "eventDescriptor/modificationNumber", "0"), opt, request_id)
            for eid, ev in events.items()
            if eid not in carried and find(ev, "eventDescriptor/eventStatus") == "cancelled"]

"""Connector states of the OCPP 2.1 reference station: by StatusNotification (as in 2.0.1), or by NotifyEvent on
the Connector component's AvailabilityState variable, which 2.1 prefers (2.1 Part 0 §2, block G). The PIXIT
`status_by` = "NotifyEvent" makes the station report only that way, so the 2.1 run can show that the cases judge
connector states in either form."""

from __future__ import annotations

import itertools
from typing import Any

from .base import utcnow

NOTIFY_EVENT = "NotifyEvent"


class StatusByEvent:
    """Mixin for the 2.1 station (before Station201 in the bases): `send_status` by NotifyEvent when configured."""

    params: dict[str, Any]  # these two come from the station
    safe_call: Any

    async def send_status(self, payload: dict) -> bool:
        if str(self.params.get("status_by", "StatusNotification")) != NOTIFY_EVENT:
            return bool(await super().send_status(payload))  # type: ignore[misc]
        seq = getattr(self, "_event_ids", None)
        if seq is None:
            seq = self._event_ids = itertools.count(1)
        event: dict[str, Any] = {
            "eventId": next(seq), "trigger": "Delta", "actualValue": payload["connectorStatus"],
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": payload["evseId"], "connectorId": payload["connectorId"]}},
            "variable": {"name": "AvailabilityState"}}
        if "timestamp" in payload:  # the fault missing_mandatory_field takes it away, here as in StatusNotification
            event["timestamp"] = payload["timestamp"]
        return await self.safe_call("NotifyEvent", {"generatedAt": payload.get("timestamp") or utcnow(), "seqNo": 0,
                                                    "eventData": [event]}) is not None


__all__ = ["NOTIFY_EVENT", "StatusByEvent"]

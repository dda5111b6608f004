"""Alarms of the reference DER client: a LogEvent POSTed to its EndDevice's LogEventList (action ``alarm``)."""

from __future__ import annotations

from .core import Core
from .registration import Registration

PEN = 32473  # RFC 5612 documentation enterprise number: never a real vendor's


class Alarms:
    def __init__(self, core: Core, registration: Registration) -> None:
        self.core, self.registration = core, registration
        self._ids = 0  # its logEventIDs, one per alarm

    async def post(self, code: int, details: str) -> None:
        href = None if self.core.has("no_log_events") else self.registration.edev_links.get("LogEventListLink")
        if href is None:
            self.core.log.append("alarm: no LogEventList known yet")
            return
        self._ids += 1
        body = {"createdDateTime": str(self.core.server_now_int()), "details": str(details)[:32], "functionSet": "0",
                "logEventCode": str(int(code)), "logEventID": str(self._ids), "logEventPEN": str(PEN),
                "profileID": "2"}
        await self.core.http.write("POST", href, "LogEvent", body)

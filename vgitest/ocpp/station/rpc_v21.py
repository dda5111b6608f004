"""The OCPP-J 2.1 RPC framework of the reference station, and its faults (catalog_v21_rpc).

What 2.1 changes in the framework (2.1 Part 4 §4): a frame of a message type the station does not know is ignored
(2.0.1 answered it); a CALLRESULTERROR (type 5) from the CSMS reports that the CSMS could not accept one of the
station's CALLRESULTs and takes no answer; a SEND (type 6) is an unconfirmed message and takes no answer either; and
the station's message ids are unique over every connection of its identity, not per connection. The base station
already does all of that right (it ignores types other than CALL/CALLRESULT/CALLERROR outside 2.0.1, and its id
counter lives as long as the station); the mixin below adds the faults of stations that still act like 2.0.1 ones.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from ..versions import CALL, CALLERROR, CALLRESULT, CALLRESULTERROR, SEND

FAULTS = {  # name -> what the faulty station does (catalogued in catalog_v21_rpc)
    "unknown_type_answered_21": "A frame of an unknown message type is answered CALLERROR MessageTypeNotSupported "
                                "(the 2.0.1 behaviour; 2.1 ignores such a frame)",
    "send_answered": "A SEND from the CSMS is handled like a CALL: the station answers it (CALLRESULT or CALLERROR)",
    "callresulterror_answered": "A CALLRESULTERROR from the CSMS is answered with a CALLERROR, as if it were a "
                                "message type the station does not support",
    "msgid_reset_on_reconnect": "The station restarts its message-id counter on every new connection, so after a "
                                "reconnection it reuses ids it already used under its identity",
}


class Rpc21:
    """Mixin for the 2.1 station (before Station201 in the bases): the 2.1 RPC faults, off by default."""

    _ids: Any  # these three come from ReferenceStation
    ws: Any
    has: Any

    def _next_id(self) -> str:
        if self.has("msgid_reset_on_reconnect") and getattr(self, "_id_connection", None) is not self.ws:
            self._id_connection = self.ws
            self._ids = itertools.count(1)
        return super()._next_id()  # type: ignore[misc]

    async def _dispatch(self, data: str | bytes) -> None:
        msg = _frame(data)
        if msg is not None:
            kind, mid = msg[0], msg[1]
            if kind == SEND and self.has("send_answered") and len(msg) == 4:
                await super()._dispatch(json.dumps([CALL, *msg[1:]]))  # type: ignore[misc]
                return
            if kind == CALLRESULTERROR and self.has("callresulterror_answered"):
                await self.send_error(mid, "MessageTypeNotSupported", f"type {kind}")  # type: ignore[attr-defined]
                return
            if kind not in (CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND) \
                    and self.has("unknown_type_answered_21"):
                await self.send_error(mid, "MessageTypeNotSupported", f"type {kind}")  # type: ignore[attr-defined]
                return
        await super()._dispatch(data)  # type: ignore[misc]


def _frame(data: str | bytes) -> list | None:
    """The frame as an RPC array with a string id, or None (the base dispatcher answers what is not one)."""
    try:
        msg = json.loads(data)
    except ValueError:
        return None
    if isinstance(msg, list) and len(msg) >= 3 and isinstance(msg[1], str):
        return msg
    return None


__all__ = ["FAULTS", "Rpc21"]

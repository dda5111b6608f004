"""OCPP 2.1 reference charging station: the 2.0.1 reference station speaking `ocpp2.1`, with the rows of
:mod:`.requests_v21` for what 2.1 adds, and the faults of `catalog_v21`.

2.1 keeps 2.0.1's device model, transactions and messages (with optional fields added), so the station is the
2.0.1 one where nothing changed; what differs lives in 2.1 modules: the RPC framework (CALLRESULTERROR and SEND,
message ids unique per identity), and the blocks 2.1 adds (Q bidirectional power transfer, R DER control)."""

from __future__ import annotations

from typing import Any

from . import catalog_v21  # noqa: F401  (registers the 2.1 faults before the base checks names)
from .der_v21 import DerStation
from .requests_v21 import REQUESTS as REQUESTS_21
from .rpc_v21 import Rpc21
from .status_v21 import StatusByEvent
from .v201 import Evse, NoAnswer, Station201, Tx
from .v2x_v21 import V2xStation


class Station21(Rpc21, StatusByEvent, DerStation, V2xStation, Station201):
    version = "2.1"
    subprotocol = "ocpp2.1"

    def __init__(self, csms_url: str, identity: str = "VGI-REF-21", **kw: Any) -> None:
        super().__init__(csms_url, identity, **kw)

    def register_handlers(self) -> None:
        super().register_handlers()
        self.handlers.update({action: self._guarded(row.answer) for action, row in REQUESTS_21.items()})

    async def after_answer(self, action: str, payload: dict, result: Any) -> None:
        row = REQUESTS_21.get(action)
        if row is None:
            await super().after_answer(action, payload, result)
        elif row.after is not None:
            self.spawn(row.after(self, payload, result))


__all__ = ["Station21", "Tx", "Evse", "NoAnswer"]

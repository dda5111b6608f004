"""A deliberately dumb OCPP-J client for unit tests: it sends exactly the bytes it is given."""

from __future__ import annotations

import base64
import json
from typing import Any

from websockets.sync.client import ClientConnection, connect


class RawClient:
    def __init__(self, url: str, subprotocols: list[str] | None, password: str | None = None,
                 identity: str | None = None) -> None:
        headers = {}
        if password is not None and identity is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()
        self._cm = connect(url, subprotocols=subprotocols, additional_headers=headers, open_timeout=5,
                           close_timeout=1)
        self.ws: ClientConnection = self._cm.__enter__()

    def send(self, data: str | bytes | list) -> None:
        self.ws.send(json.dumps(data) if isinstance(data, list) else data)

    def recv(self, timeout: float = 2.0) -> Any:
        return json.loads(self.ws.recv(timeout=timeout))

    def boot(self, version: str = "1.6") -> Any:
        payload = ({"chargePointVendor": "V", "chargePointModel": "M"} if version == "1.6" else
                   {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}})
        self.send([2, "boot-1", "BootNotification", payload])
        return self.recv()

    def close(self) -> None:
        self.ws.close()

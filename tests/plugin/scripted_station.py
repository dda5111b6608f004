"""A scripted OCPP 1.6 station for the plugin's own tests: it boots, then sends what a test tells it to.

It fits the simulated adapter (constructor, start/stop, perform) so the plugin can be tested without the
reference stations."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from websockets.sync.client import connect


class ScriptedStation:
    def __init__(self, csms_url: str, identity: str, *, password: str | None = None, connectors: int = 1,
                 faults: tuple[str, ...] = (), params: dict[str, Any] | None = None) -> None:
        self.url = f"{csms_url}/{identity}"
        headers = {}
        if password:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()
        self.headers = headers
        self._cm = None
        self.ws = None
        self._lock = threading.Lock()

    def start(self) -> "ScriptedStation":
        self._cm = connect(self.url, subprotocols=["ocpp1.6"], additional_headers=self.headers, open_timeout=5)
        self.ws = self._cm.__enter__()
        self.ws.send(json.dumps([2, "boot", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        self.ws.recv(timeout=5)
        return self

    def stop(self) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)

    def perform(self, action: str, **params: Any) -> None:
        """`send(text=...)` sends raw text and waits for one reply; `answer_next(payload=...)` answers a CSMS CALL."""
        assert self.ws is not None
        with self._lock:
            if action == "send":
                self.ws.send(params["text"])
                self.ws.recv(timeout=5)
            elif action == "answer_next":
                msg = json.loads(self.ws.recv(timeout=5))
                self.ws.send(json.dumps([3, msg[1], params["payload"]]))
            else:
                raise ValueError(action)

    def do_send(self) -> None:  # advertises the actions to SimulatedAdapter.supports
        pass

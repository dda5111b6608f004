"""The toy protocol's reference device: says hello when asked; its fault `lowercase` says it in lower case."""

from __future__ import annotations

import socket
from typing import Any


class EchoDevice:
    def __init__(self, url: str, identity: str, *, password: Any = None, connectors: int = 1,
                 faults: tuple[str, ...] = (), params: dict[str, Any] | None = None) -> None:
        host, port = url.removeprefix("tcp://").rsplit(":", 1)
        self.address, self.faults = (host, int(port)), faults

    def start(self) -> "EchoDevice":
        self.sock = socket.create_connection(self.address, timeout=5)
        return self

    def perform(self, action: str, **params: Any) -> None:
        line = b"hello\n" if "lowercase" in self.faults else b"HELLO\n"
        self.sock.sendall(line)
        self.sock.recv(100)

    def stop(self) -> None:
        self.sock.close()

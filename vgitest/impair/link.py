"""An impaired link between a device and a fake peer: the relay, and where the machine allows it, a veth pair
between two network namespaces carrying the TCP leg, so the kernel applies rate (`tbf`) and loss (eBPF, or
`netem`) to real packets.

    device --lo--> relay (delay, jitter) --veth: ns A -> ns B (tbf / loss / netem)--> forwarder --lo--> peer

Both relays run in this process; their sockets are made inside the namespaces (a socket stays in the namespace
it was created in), so nothing touches the host's interfaces and the device and peer need no change: they keep
talking to loopback. Timing is recorded at the device's edge (the first relay), so it includes the veth leg.

Without namespaces (not root, no `ip`) the link is the relay alone: delay, jitter and a user-space token bucket
for the rate; TCP loss is then not applied and :meth:`ImpairedLink.start` raises :class:`KernelUnavailable`.
UDP (ISO 15118 SDP) always goes through the relay alone, which models UDP loss honestly itself.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Callable
from typing import Any

from ..slac import netns
from .kernel import KernelUnavailable, apply, capabilities
from .profile import NONE, Impairment
from .relay import Relay

A_ADDR, B_ADDR = "10.254.0.1", "10.254.0.2"


def kernel_available() -> tuple[bool, str]:
    """Whether the TCP leg can run over a veth pair here (namespaces need root and iproute2)."""
    return netns.available()


class ImpairedLink:
    """Use as a context manager; ``address`` is where the device connects (instead of the peer's address).

    ``kernel``: None = use the veth path when available; False = relay only; True = require it. ``applied``
    says afterwards how each aspect was applied ("netem", "tbf", "ebpf", "relay", "relay token bucket")."""

    def __init__(self, impairment: Impairment, target: tuple[str, int], *, proto: str = "tcp",
                 listen: tuple[str, int] = ("127.0.0.1", 0), kernel: bool | None = None, seed: int | None = None,
                 transform: Callable[[str, bytes], bytes] | None = None) -> None:
        self.imp, self.target, self.proto, self.listen = impairment, target, proto, listen
        self.kernel, self.seed, self.transform = kernel, seed, transform
        self.applied: dict[str, str] = {}
        self.relay: Relay | None = None
        self._forwarder: Relay | None = None
        self._pair: netns.NetnsPair | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self.relay is not None, "link not started"
        return self.relay.address

    def start(self) -> "ImpairedLink":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        imp = self.imp
        use_kernel = self.proto == "tcp" and not imp.is_none and self.kernel is not False
        if use_kernel:
            ok, why = kernel_available()
            if not ok:
                if self.kernel or imp.loss_pct:
                    raise KernelUnavailable(f"TCP {imp.name} needs the kernel path: {why}")
                use_kernel = False
        if not use_kernel:
            if self.proto == "tcp" and imp.loss_pct:
                raise KernelUnavailable("TCP loss needs the kernel path (kernel=False was asked)")
            self.relay = Relay(imp, self.target, proto=self.proto, listen=self.listen, seed=self.seed,
                               transform=self.transform).start()
            self.applied = self._user_aspects(frozenset(("delay", "rate", "loss")))
            return
        pair = self._pair = netns.NetnsPair(prefix="vgiimp").create()
        dev = pair.ifname
        for ns, addr in ((pair.a, A_ADDR), (pair.b, B_ADDR)):
            subprocess.run(["ip", "-n", ns, "addr", "add", f"{addr}/30", "dev", dev], capture_output=True,
                           text=True, timeout=10, check=True)
        caps = capabilities(pair.a, dev)
        kernel_how: dict[str, str] = {}
        for ns in (pair.a, pair.b):
            kernel_how = apply(ns, dev, imp, caps)
        listener = netns.run_in_netns(pair.b, _listener, timeout=10)
        self._forwarder = Relay(NONE, self.target, sock=listener, user=frozenset()).start()
        out_port = listener.getsockname()[1]
        ns_a = pair.a

        async def via_veth() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            loop = asyncio.get_running_loop()
            sock = await loop.run_in_executor(None, netns.run_in_netns, ns_a, _client_socket, 10)
            try:
                await loop.sock_connect(sock, (B_ADDR, out_port))
            except BaseException:
                sock.close()
                raise
            return await asyncio.open_connection(sock=sock)

        user = frozenset(a for a in ("delay", "rate") if a not in kernel_how)
        self.relay = Relay(imp, (B_ADDR, out_port), proto="tcp", listen=self.listen, user=user, connect=via_veth,
                           seed=self.seed).start()
        self.applied = {**self._user_aspects(user), **{k: v for k, v in kernel_how.items()}}

    def _user_aspects(self, user: frozenset[str]) -> dict[str, str]:
        imp, out = self.imp, {}
        if imp.delays and "delay" in user:
            out["delay"] = "relay"
        if imp.rate_kbps and "rate" in user:
            out["rate"] = "relay token bucket"
        if imp.loss_pct and "loss" in user:
            out["loss"] = "relay"
        return out

    def stop(self) -> None:
        for r in (self.relay, self._forwarder):
            if r is not None:
                r.stop()
        if self._pair is not None:
            self._pair.destroy()
            self._pair = None

    def __enter__(self) -> "ImpairedLink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        return {"impairment": self.imp.as_dict(), "applied": dict(self.applied),
                "path": "veth" if self._forwarder is not None else "relay"}


def _listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((B_ADDR, 0))
    s.listen(64)
    s.setblocking(False)
    return s


def _client_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    return s

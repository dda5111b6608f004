"""The link of the Table 5 flow: two network namespaces joined by a veth pair (as SLAC's), with an IPv4 address on
each end for MMS over TCP, and an event loop whose thread lives in one namespace.

The harness's end is ``a`` (:data:`HARNESS_IP`), the device's ``b`` (:data:`DEVICE_IP`); the /30 is private to the
pair, so nothing reaches the host's interfaces. A socket belongs to the namespace of the thread that made it, so
each side runs its asyncio loop on a thread that entered its namespace first (:class:`NsLoop`): its TCP server,
its connections and its AF_PACKET socket are all on its end of the veth.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import parse_qs, urlsplit

from ..loop import BackgroundLoop
from ..slac import netns

HARNESS_IP, DEVICE_IP = "10.61.85.1", "10.61.85.2"
PREFIX = 30


class FlowPair(netns.NetnsPair):
    """A :class:`~vgitest.slac.netns.NetnsPair` with an address on each end."""

    def __init__(self) -> None:
        super().__init__(prefix="vgi61850")

    def create(self) -> FlowPair:
        super().create()
        try:
            for ns, ip in ((self.a, HARNESS_IP), (self.b, DEVICE_IP)):
                subprocess.run(["ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX}", "dev", self.ifname],
                               capture_output=True, text=True, timeout=10, check=True)
        except BaseException:
            self.destroy()
            raise
        return self

    def device_url(self) -> str:
        return device_url(self.b, self.ifname, DEVICE_IP, HARNESS_IP)


def device_url(ns: str | None, ifname: str, own: str, peer: str) -> str:
    """Where a device under test finds its end: ``iec61850+netns://NS/IF?ip=OWN&peer=PEER`` (no netns:
    ``iec61850://IF?...``)."""
    scheme = "iec61850+netns" if ns else "iec61850"
    return f"{scheme}://{ns + '/' if ns else ''}{ifname}?ip={own}&peer={peer}"


def parse_url(url: str) -> tuple[str | None, str, str, str]:
    """(namespace, interface, own IPv4, peer IPv4) of a :func:`device_url`."""
    u = urlsplit(url)
    q = parse_qs(u.query)
    if u.scheme not in ("iec61850", "iec61850+netns") or "ip" not in q or "peer" not in q:
        raise ValueError(f"not an IEC 61850 flow URL: {url!r} (iec61850+netns://NS/IF?ip=A&peer=B)")
    if u.scheme == "iec61850+netns":
        return u.netloc, u.path.lstrip("/"), q["ip"][0], q["peer"][0]
    return None, u.netloc, q["ip"][0], q["peer"][0]


class NsLoop(BackgroundLoop):
    """A :class:`~vgitest.loop.BackgroundLoop` whose thread enters network namespace ``ns`` first (None: stays)."""

    def __init__(self, ns: str | None, name: str) -> None:
        self.ns = ns
        self.error: OSError | None = None
        super().__init__(name)
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        if self.ns:
            try:
                fd = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
                try:
                    netns._setns(fd)  # the thread ends with the loop: it never needs to come back
                finally:
                    os.close(fd)
            except OSError as exc:  # the namespace is gone or not ours: no loop, and the maker is told at once
                self.error = exc
                self._started.set()
                return
        super()._run()

"""Two network namespaces joined by a veth pair: a private "PLC link" for running both SLAC roles over real
AF_PACKET sockets on one machine, without touching the host's interfaces.

Python 3.11 has no ``os.setns`` (3.12+), so :func:`enter` calls libc's ``setns(2)`` through ctypes when
``os.setns`` is missing. A network namespace switch applies to the calling thread only, so each role runs in
its own thread (with its own event loop) that enters the namespace first; sockets stay bound to the
namespace they were created in. Namespace names carry the pid and a counter, so parallel pytest-xdist
workers never collide, and the veth ends are created directly inside the namespaces (never visible in the
host namespace, so their short names cannot clash either).
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import itertools
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
IFNAME = "slac0"
_counter = itertools.count()


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def _has_setns() -> bool:
    if hasattr(os, "setns"):
        return True
    try:
        return hasattr(ctypes.CDLL(None), "setns")
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def available() -> tuple[bool, str]:
    """Whether namespaces and veth pairs can be made here; the reason if not (tests skip with it)."""
    if not hasattr(os, "geteuid") or not os.path.exists("/proc/self/ns/net"):
        return False, "not Linux (no /proc/self/ns/net)"
    if shutil.which("ip") is None:
        return False, "the `ip` command (iproute2) is not installed"
    if not _has_setns():
        return False, "no setns() (neither os.setns nor libc setns)"
    if os.geteuid() != 0:
        return False, "not root: creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN"
    try:
        with NetnsPair():
            pass
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return False, f"cannot create a namespace pair with a veth link: {detail.strip()}"
    return True, ""


class NetnsPair:
    """Namespaces ``a`` and ``b`` with interface ``slac0`` in each, joined by one veth pair, both up.

    Use as a context manager; :meth:`destroy` always runs and tolerates half-built state.
    """

    def __init__(self, prefix: str = "vgislac") -> None:
        tag = f"{prefix}-{os.getpid()}-{next(_counter)}-{secrets.token_hex(2)}"
        self.a, self.b = f"{tag}-a", f"{tag}-b"
        self.ifname = IFNAME
        self._made: list[str] = []

    def create(self) -> NetnsPair:
        try:
            for ns in (self.a, self.b):
                _ip("netns", "add", ns)
                self._made.append(ns)
            _ip("link", "add", IFNAME, "netns", self.a, "type", "veth", "peer", "name", IFNAME, "netns", self.b)
            for ns in (self.a, self.b):
                _ip("-n", ns, "link", "set", IFNAME, "up")
        except BaseException:
            self.destroy()
            raise
        return self

    def destroy(self) -> None:
        # Deleting a namespace deletes its veth end, and with it the peer.
        while self._made:
            _ip("netns", "delete", self._made.pop(), check=False)

    def __enter__(self) -> Self:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.destroy()


class LinkOwner:
    """A fake peer that owns its link: a veth pair between namespaces (``pair``) and the event loop its sockets run
    on (``loop``). :meth:`stop` ends the loop before deleting the namespaces its sockets live in, and may run
    twice (the plugin's tear-down after a failed start)."""

    loop: Any = None
    pair: Any = None

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()
            self.loop = None
        if self.pair is not None:
            self.pair.destroy()
            self.pair = None


def run_in_netns(ns: str, fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn`` in a fresh thread that has entered namespace ``ns``; its result or exception comes back."""
    return start_in_netns(ns, fn).result(timeout)


def run_coroutine_in_netns(ns: str, factory: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Run a coroutine (made by ``factory`` inside the namespace) on its own event loop in ``ns``."""
    return start_coroutine_in_netns(ns, factory).result(timeout)


def start_coroutine_in_netns(ns: str, factory: Callable[[], Awaitable[T]]) -> NsFuture[T]:
    async def main() -> T:
        return await factory()
    return start_in_netns(ns, lambda: asyncio.run(main()))


class NsFuture(threading.Thread):
    """A thread running one callable inside a network namespace; :meth:`result` waits (bounded)."""

    def __init__(self, ns: str, fn: Callable[[], Any]) -> None:
        super().__init__(name=f"netns-{ns}", daemon=True)
        self.ns, self.fn = ns, fn
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            home = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
            try:
                target = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
                try:
                    _setns(target)
                finally:
                    os.close(target)
                try:
                    self._result = self.fn()
                finally:
                    _setns(home)
            finally:
                os.close(home)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            self._error = exc

    def result(self, timeout: float) -> Any:
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"code in namespace {self.ns} still running after {timeout} s")
        if self._error is not None:
            raise self._error
        return self._result


def start_in_netns(ns: str, fn: Callable[[], T]) -> NsFuture:
    fut = NsFuture(ns, fn)
    fut.start()
    return fut

"""Ports for processes the tests start and address by number (a station's test hook, the CSMS URL on a station's
command line), chosen before the process that binds them runs.

A port the kernel hands out for bind(0) is free only until someone else binds it: with eighteen suite processes
asking the kernel for ports at once, another got the same one before the station bound it (seen in a loaded run:
EADDRINUSE, and a health check answered 404 by someone else's server). The kernel hands out bind(0) and outgoing
ports from ``ip_local_port_range`` (32768-60999 by default), so a port below that range is taken only by a process
that chose it: these tests pick one there at random and check it is free now."""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOW = 20000  # well above the registered services a test machine runs
ATTEMPTS = 200


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free loopback TCP port outside the kernel's ephemeral range (bind(0) when that range leaves no room)."""
    top = _ephemeral_start()
    if top - LOW > 1000:
        for _ in range(ATTEMPTS):
            port = random.randrange(LOW, top)
            if _free(port):
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

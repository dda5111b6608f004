"""The CSIP-AUS reference client and fake server as the reference-client tests start them (one place, not four)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from vgitest.sep2.client.reference import ReferenceDerClient
from vgitest.sep2.server import FakeSep2Server

from .payloads import LFDI


@contextlib.contextmanager
def aus_server(poll_rate_s: float = 1) -> Iterator[FakeSep2Server]:
    """A fake 2030.5 server in CSIP-AUS mode polling at `poll_rate_s`."""
    srv = FakeSep2Server(csip_aus=True).start()
    srv.state.poll_rate_s = poll_rate_s
    try:
        yield srv
    finally:
        srv.stop()


@contextlib.contextmanager
def running(srv: FakeSep2Server, *faults: str, **params: Any) -> Iterator[ReferenceDerClient]:
    """The reference client in CSIP-AUS mode against `srv`, with `faults` and extra PIXIT `params`."""
    pixit = {"lfdi": LFDI, "post_rate_s": 1, "random_seed": 7, "csip_aus": True, **params}
    client = ReferenceDerClient(srv.url, faults=faults, params=pixit).start()
    try:
        yield client
    finally:
        client.stop()

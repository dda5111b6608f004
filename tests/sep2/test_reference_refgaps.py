"""The reference DER client where the CACTUS procedures found it lacking (issue 18): each test shows the behaviour a
procedure needs and fails on the client as it was (the defect named in the test)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Iterator

import pytest

from tests.waiting import wait_until
from vgitest.sep2.client.reference import ReferenceDerClient
from vgitest.sep2.server import FakeSep2Server

from .payloads import LFDI


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(csip_aus=True).start()
    srv.state.poll_rate_s = 1
    yield srv
    srv.stop()


@contextlib.contextmanager
def running(srv: FakeSep2Server, *faults: str, **params: Any) -> Iterator[ReferenceDerClient]:
    pixit = {"lfdi": LFDI, "post_rate_s": 1, "random_seed": 7, "csip_aus": True, **params}
    client = ReferenceDerClient(srv.url, faults=faults, params=pixit).start()
    try:
        yield client
    finally:
        client.stop()


def test_reregister_after_registering_in_band_goes_on(server: FakeSep2Server) -> None:
    """A client that registered itself in band (PIN configured, out-of-band registration expected) and is then
    told to reregister finds its own EndDevice listed, without a Registration: it goes on to its programs. It
    used to forget that it had registered that EndDevice itself and stop there (a missing PIN), which failed
    the first CACTUS procedure of a shard (the client's power-on walk and the procedure's reregister in a row)."""
    server.state.add_program(1)
    with running(server, register_when_unlisted="true") as client:
        server.session.expect("POST", "/edev", 5)
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)
        server.session.reset_for_test()
        client.perform("reregister")
        server.session.expect("GET", "/edev/*/rg", 5)
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)

"""The fake EVCC stops a session when the EVSE answers with the wrong message type: one finding, one request,
the connection closed. (It used to send the request again and again until the session deadline.)"""

from __future__ import annotations

import asyncio
import time

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")


@pytest.mark.parametrize("family", ["din", "iso-2", "iso-20"])
def test_wrong_response_type_ends_the_session(family: str) -> None:
    from vgitest.iso15118.catalog import actions_for
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.script import Script
    from vgitest.iso15118.secc import SeccServer

    faults = frozenset({"wrong_response_type"})

    async def main():  # type: ignore[no-untyped-def]
        srv = await SeccServer(Trace(), families=(family,), judge=False, faults=faults,
                               script=Script(actions_for("evse", family, faults))).start()
        cli = EvccClient(Trace(), offers=(family,), mode="DC", sdp_port=srv.sdp_port, judge=True)
        try:
            return cli, await cli.run(deadline_s=20)
        finally:
            await srv.stop()

    t0 = time.monotonic()
    cli, s = asyncio.run(main())
    assert time.monotonic() - t0 < 5, "the session ran on after the wrong answer"
    assert not s.completed and "ServiceDiscoveryReq" in (s.end_reason or ""), s.end_reason
    assert [f.rule_id for f in cli.trace.findings_since(0)] == ["V2G-UNEXPECTED-RESPONSE"]
    sent = [req.name for req, _ in s.exchanges]
    assert sent.count("ServiceDiscoveryReq") == 1, sent
    assert s.link is not None and s.link.closed

"""The fake SECC records its own turnaround on every answer (``harness_latency_us``): from the socket time the
request's last byte arrived to the moment the response went to the socket. Behaviour only; how fast it must be
is measured in benchmarks/v2g_charge_loop.py, not asserted here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")


def _session(family: str, mode: str, script: Any = None) -> Any:
    # imported here: the roles register the live rule ids, which test_analyze.py's coverage check does not expect
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer

    async def main() -> Any:
        srv = await SeccServer(Trace(), families=(family,), judge=True, script=script).start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=200, loop_interval_s=0.005), offers=(family,), mode=mode,
                         sdp_port=srv.sdp_port, judge=False)
        s = await cli.run(deadline_s=30)
        await srv.stop()
        assert s.completed, s.end_reason
        return srv
    return asyncio.run(main())


@pytest.mark.parametrize("family, mode", [("din", "DC"), ("iso-2", "DC"), ("iso-20", "DC")])
def test_every_answer_carries_the_harness_latency(family: str, mode: str) -> None:
    srv = _session(family, mode)
    (sess,) = srv.sessions
    assert len(sess.responses) == len(sess.requests) > 10
    loop = {"din": "CurrentDemandRes", "iso-2": "CurrentDemandRes", "iso-20": "DC_ChargeLoopRes"}[family]
    assert any(r.name == loop for r in sess.responses)
    for req, res in zip(sess.requests, sess.responses):
        lat = res.meta.get("harness_latency_us")
        assert lat is not None, res.name
        assert 0 < lat < 1e6, (res.name, lat)
        assert lat == round((res.t_ns - req.t_ns) / 1000, 1)  # measured from this request's socket time
    assert not srv.trace.findings_since(0)


def test_a_scripted_delay_is_not_counted_as_harness_latency() -> None:
    from vgitest.iso15118.script import Action, Script

    srv = _session("din", "DC", Script([Action(match="ServiceDiscoveryReq", delay_s=0.05)]))
    (sess,) = srv.sessions
    delayed = [r for r in sess.responses if r.name == "ServiceDiscoveryRes"]
    assert delayed and all("harness_latency_us" not in r.meta for r in delayed)
    assert all("harness_latency_us" in r.meta for r in sess.responses if r.name != "ServiceDiscoveryRes")

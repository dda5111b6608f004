"""The strict (ISO 15118-4 timing) and field-tolerant timing profiles (PIXIT ``timing_profile``): a late answer is
a failure under the strict profile and informational under the field profile; what the peer enforces (its
timeouts) keeps its severity in both."""

from __future__ import annotations

import asyncio

import pytest

from vgitest.findings import Severity

pytestmark = pytest.mark.usefixtures("schemas_available")


def _late_discovery(profile: str, delay: float) -> list:
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.script import Action, Script
    from vgitest.iso15118.secc import SeccServer
    from vgitest.iso15118.timers import Timers
    from vgitest.trace import Trace

    async def run() -> list:
        srv = await SeccServer(Trace(), families=("din",), judge=False,
                               script=Script([Action("ServiceDiscoveryReq", delay_s=delay)])).start()
        trace = Trace()
        cli = EvccClient(trace, ev=EvParams(soc_per_s=500, loop_interval_s=0.0), offers=("din",),
                         sdp_port=srv.sdp_port, timers=Timers(overrides={"secc_msg_performance": 0.2,
                                                                         "evcc_msg_timeout": 1.0},
                                                                  profile=profile))
        s = await cli.run(deadline_s=20)
        await srv.stop()
        return [f for fr in trace for f in fr.findings] + trace.findings + [s]

    return asyncio.run(run())


def test_late_answer_fails_under_strict_and_is_informational_under_field() -> None:
    *strict, s1 = _late_discovery("strict", 0.4)
    *field, s2 = _late_discovery("field", 0.4)
    assert [(f.rule_id, f.severity) for f in strict] == [("V2G-SECC-PERFORMANCE", Severity.FAIL)]
    assert [(f.rule_id, f.severity) for f in field] == [("V2G-SECC-PERFORMANCE", Severity.INFO)]
    assert s1.completed and s2.completed


def test_a_missed_timeout_stays_a_failure_under_field() -> None:
    *field, s = _late_discovery("field", 1.5)  # beyond the EVCC's message timeout: the EV gives up
    assert ("V2G-NO-RESPONSE", Severity.FAIL) in [(f.rule_id, f.severity) for f in field]
    assert not s.completed

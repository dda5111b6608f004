"""supportedAppProtocol choice as the fake EVCC judges it: priority 1 is the highest ([V2G2-167]).

SupportedAppProtocol_005 (-20) offers DIN at priority 1 and -20 at priority 2. Josev's SECC speaks DIN too and
rightly chose it; the fake EVCC reported "the EVSE declares -20 too, offered with the better priority 2". An EVSE
that picks an entry with a higher priority than any its profile declares is no defect (the profile says less than
the EVSE speaks); picking a lower-priority entry than a declared one is, and the message says "higher priority N
(1 is the highest)".
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")
DIN = "urn:din:70121:2012:MsgDef"


def _run(evse_families: tuple[str, ...], declared: tuple[str, ...], din_priority: int,
         faults: frozenset[str] = frozenset()) -> tuple[Any, Any]:
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.iso20 import NAMESPACES
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.script import Action, Script
    from vgitest.iso15118.secc import SeccServer

    offers = sorted([{"ProtocolNamespace": DIN, "VersionNumberMajor": 2, "VersionNumberMinor": 0, "SchemaID": 1,
                      "Priority": din_priority},
                     {"ProtocolNamespace": NAMESPACES["DC"], "VersionNumberMajor": 1, "VersionNumberMinor": 0,
                      "SchemaID": 2, "Priority": 3 - din_priority}], key=lambda o: o["Priority"])

    async def main() -> tuple[Any, Any]:
        srv = await SeccServer(Trace(), families=evse_families, judge=False, faults=faults).start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=400, loop_interval_s=0.005), offers=("iso-20",), mode="DC",
                         sdp_port=srv.sdp_port, judge=True,
                         script=Script([Action(match="supportedAppProtocolReq", patch={"AppProtocol": offers})]))
        cli.secc_supports = declared
        try:
            return cli, await cli.run(deadline_s=30)
        finally:
            await srv.stop()
    return asyncio.run(main())


def test_an_evse_that_speaks_more_than_declared_and_picks_priority_1_is_no_defect() -> None:
    cli, s = _run(("iso-20", "din"), declared=("iso-20",), din_priority=1)
    assert s.family == "din"
    assert [f.rule_id for f in cli.trace.findings_since(0) if f.rule_id == "V2G-SAP-CHOICE"] == []


def test_an_evse_that_picks_a_lower_priority_than_a_declared_entry_fails_with_the_right_words() -> None:
    cli, s = _run(("iso-20", "din"), declared=("iso-20", "din"), din_priority=1,
                  faults=frozenset({"sap_ignores_priority"}))
    assert s.family == "iso-20"
    (f,) = [f for f in cli.trace.findings_since(0) if f.rule_id == "V2G-SAP-CHOICE"]
    assert "priority 2) chosen" in f.message and "higher priority 1 (1 is the highest)" in f.message, f.message
    assert "better" not in f.message

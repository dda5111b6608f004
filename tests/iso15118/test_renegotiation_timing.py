"""ISO 15118-2 renegotiation starts inside the charge loop, not right after PowerDeliveryRes(Start).

The fake EV of PowerDelivery_002 (DC and AC) asked to renegotiate with the very next request after
PowerDeliveryRes(Start), before any charge-loop message, although its own docstring says "at its next
charge-loop answer"; Josev's SECC and EVerest's state table both expect a CurrentDemandReq / ChargingStatusReq
first. Symmetrically, the fake SECC sends a test's EVSENotification (ReNegotiation, StopCharging) only in
charge-loop answers, where the cases look for the EV's reaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")

LOOP = {"DC": "CurrentDemandReq", "AC": "ChargingStatusReq"}


def _progress(frame: Any) -> str | None:
    body = (frame.body or {}).get("V2G_Message", {}).get("Body", {})
    return (body.get("PowerDeliveryReq") or {}).get("ChargeProgress")


def _run(mode: str, *, fake: str) -> tuple[list[Any], Any]:
    """One ISO-2 session with a renegotiation asked for by the fake EV (``fake="EVCC"``) or by the fake SECC's
    ReNegotiation notification (``fake="SECC"``); returns the requests in order and the judging side."""
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer

    async def main() -> tuple[list[Any], Any]:
        srv = await SeccServer(Trace(), families=("iso-2",), judge=fake == "SECC").start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=60, loop_interval_s=0.01), offers=("iso-2",), mode=mode,
                         sdp_port=srv.sdp_port, judge=fake == "EVCC")
        if fake == "EVCC":
            cli.ev_hook = lambda logic: setattr(logic, "renegotiate", True)
        else:
            srv.evse_hook = lambda logic: setattr(logic, "notification", "ReNegotiation")
        try:
            s = await cli.run(deadline_s=30)
        finally:
            await srv.stop()
        assert s.completed, s.end_reason
        judge = cli if fake == "EVCC" else srv
        return [req for req, _ in s.exchanges], judge, srv
    reqs, judge, srv = asyncio.run(main())
    return reqs, (judge, srv)


@pytest.mark.parametrize("mode", ["DC", "AC"])
def test_fake_ev_renegotiates_after_a_charge_loop_message(mode: str) -> None:
    reqs, (judge, _) = _run(mode, fake="EVCC")
    names = [r.name for r in reqs]
    start = next(i for i, r in enumerate(reqs) if _progress(r) == "Start")
    reneg = next(i for i, r in enumerate(reqs) if _progress(r) == "Renegotiate")
    assert reneg > start + 1 and names[start + 1] == LOOP[mode], names
    assert names.count("ChargeParameterDiscoveryReq") == 2, names
    assert not judge.trace.findings_since(0), [str(f) for f in judge.trace.findings_since(0)]


@pytest.mark.parametrize("mode", ["DC", "AC"])
def test_fake_secc_notifies_renegotiation_in_charge_loop_answers_only(mode: str) -> None:
    reqs, (_, srv) = _run(mode, fake="SECC")
    (sess,) = srv.sessions
    carrying = [r.name for r in sess.responses if "ReNegotiation" in str(r.body)]
    assert carrying and set(carrying) == {LOOP[mode][:-3] + "Res"}, carrying
    names = [r.name for r in reqs]
    assert names.count("ChargeParameterDiscoveryReq") == 2, names

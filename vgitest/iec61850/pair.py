"""Run the reference EVSE against the reference EV over a :class:`~vgitest.iec61850.netpair.FlowPair`: the EVSE in
namespace ``a``, the EV in ``b``, each on its own loop. The tests use it to show every fault of one role against
the clean other role without the suite machinery; it is also the template of a bench run where one of the two is
the real device."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from .ether import ETHERTYPE_SV, ethertype
from .flow import EvRole, EvseRole, FlowResult, FlowTimers
from .l2 import L2Endpoint, Seen
from .netpair import DEVICE_IP, HARNESS_IP, FlowPair, NsLoop


@dataclasses.dataclass
class PairRun:
    evse: FlowResult
    ev: FlowResult
    evse_l2: list[Seen]
    ev_l2: list[Seen]
    evse_mms: list
    ev_mms: list


def run_pair(pair: FlowPair, evse_faults: Iterable[str] = (), ev_faults: Iterable[str] = (),
             timers: FlowTimers = FlowTimers(), timeout: float = 20.0, settle_s: float = 0.0) -> PairRun:
    """One whole flow; both roles' results, layer-2 records and MMS logs. ``settle_s`` bounds a wait, after both
    roles ended, for the EV's SoC updates still on the link to reach the EVSE (a slow or delayed link): the EV
    stops publishing when it sees the terminating GOOSE, while its last updates may still be in flight."""
    a, b = NsLoop(pair.a, "flow-evse"), NsLoop(pair.b, "flow-ev")
    try:
        async def make_evse() -> EvseRole:
            return EvseRole(L2Endpoint(pair.ifname), HARNESS_IP, DEVICE_IP, evse_faults, timers)

        async def make_ev() -> EvRole:
            return EvRole(L2Endpoint(pair.ifname), DEVICE_IP, HARNESS_IP, ev_faults, timers)
        evse, ev = a.run(make_evse()), b.run(make_ev())
        a.run(evse.start())
        b.run(ev.start())
        fe, fv = a.submit(evse.run()), b.submit(ev.run())
        evse_result, ev_result = fe.result(timeout), fv.result(timeout)
        _settle(evse.l2.records, ev.result.samples, settle_s)
        a.run(evse.close())
        b.run(ev.close())
        evse.l2.close()
        ev.l2.close()
        return PairRun(evse_result, ev_result, list(evse.l2.records), list(ev.l2.records), evse.mms_logs(),
                       ev.mms_logs())
    finally:
        a.stop()
        b.stop()


def _settle(evse_records: list[Seen], sent: int, bound_s: float) -> None:
    """Wait (at most ``bound_s``) until the EVSE has received as many SV frames as the EV sent."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if sum(1 for r in list(evse_records) if r.direction == "rx" and _is_sv(r)) >= sent:
            return
        time.sleep(0.02)


def _is_sv(seen: Seen) -> bool:
    return ethertype(seen.raw) == ETHERTYPE_SV

"""SDP and V2G over IPv6 link-local addresses between two network namespaces (what a real EV-EVSE link looks
like): the EVCC multicasts its SDP request to ff02::1 on its interface, the SECC answers with its link-local
address, and the session runs over TCP to that address with the interface as scope. Skipped, with the reason,
where namespaces cannot be made."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import pytest

from vgitest.slac import netns

pytestmark = pytest.mark.usefixtures("schemas_available")


def _link_local(ns: str, ifname: str, timeout: float = 8.0) -> str:
    """The interface's fe80:: address once duplicate address detection has finished (bounded wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", ifname], capture_output=True,
                             text=True, timeout=5).stdout
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                if a.get("local", "").startswith("fe80") and not a.get("tentative"):
                    return a["local"]
        time.sleep(0.1)
    raise AssertionError(f"no usable link-local address on {ifname} in {ns} within {timeout} s")


@pytest.mark.parametrize("family,mode", [("din", "DC"), ("iso-2", "AC"), ("iso-20", "DC_BPT")])
def test_sdp_multicast_and_session_over_link_local(family: str, mode: str) -> None:
    ok, why = netns.available()
    if not ok:
        pytest.skip(f"network namespaces unavailable: {why}")
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer
    from vgitest.trace import Trace

    with netns.NetnsPair("vgiv2g") as pair:
        secc_addr = _link_local(pair.a, pair.ifname)
        _link_local(pair.b, pair.ifname)
        secc_trace, evcc_trace = Trace(), Trace()

        async def serve() -> list:
            srv = await SeccServer(secc_trace, families=(family,), host=f"{secc_addr}%{pair.ifname}",
                                   sdp_host="::", sdp_port=15118, judge=True).start()
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not (srv.sessions and srv.sessions[-1].done.is_set()):
                    await asyncio.sleep(0.05)
                return [(s.family, s.end_reason, s.closed_by) for s in srv.sessions]
            finally:
                await srv.stop()

        server = netns.start_coroutine_in_netns(pair.a, serve)
        time.sleep(0.3)  # the SDP responder binds before the EV's first request (the EV retries anyway)

        async def charge():
            cli = EvccClient(evcc_trace, ev=EvParams(soc_per_s=200, loop_interval_s=0.01), offers=(family,),
                             mode=mode, sdp_target=f"ff02::1%{pair.ifname}", sdp_port=15118, judge=True,
                             sdp_retries=20)
            return await cli.run(deadline_s=20)

        s = netns.run_coroutine_in_netns(pair.b, charge, timeout=40)
        sessions = server.result(timeout=40)
    assert s.sdp is not None and s.sdp.address == secc_addr, (s.sdp, secc_addr)
    assert s.completed, s.end_reason
    assert sessions and sessions[-1][0] == family, sessions
    findings = [str(f) for t in (secc_trace, evcc_trace) for fr in t for f in fr.findings]
    findings += [str(f) for t in (secc_trace, evcc_trace) for f in t.findings]
    assert findings == []

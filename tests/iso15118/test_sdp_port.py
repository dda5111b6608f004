"""The SECC's TCP port, as the SDP answer announces it, is a Dynamic Port (49152-65535; ISO 15118-2:2014 7.10.1.2).

The fake SECC used to leave port 0 to the kernel, whose ephemeral range (Linux: 32768-60999) is not that range:
Josev's EV refused its SDP answers. It now binds in the dynamic ports by default, or in the PIXIT's
``secc_port_range``, or on the PIXIT's fixed ``secc_port``; the fake EVCC reports an EVSE that announces another
port."""

from __future__ import annotations

import asyncio
import socket

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")


def test_fake_secc_binds_in_the_dynamic_ports_by_default() -> None:
    from vgitest.iso15118.secc import SeccServer

    async def ports() -> list[int]:
        servers = [await SeccServer(Trace(), families=("din",)).start() for _ in range(8)]
        try:
            return [s.port for s in servers]
        finally:
            for s in servers:
                await s.stop()

    got = asyncio.run(ports())
    assert all(49152 <= p <= 65535 for p in got), got


def test_fake_secc_honours_a_port_range_and_a_fixed_port() -> None:
    from vgitest.iso15118.fake import FakeSecc

    secc = FakeSecc(families=("din",), port_range=(50100, 50120)).start()
    try:
        assert 50100 <= secc.server.port <= 50120
    finally:
        secc.stop()
    with socket.socket(socket.AF_INET6) as probe:  # a free port to pin
        probe.bind(("::1", 0))
        free = probe.getsockname()[1]
    secc = FakeSecc(families=("din",), port=free).start()
    try:
        assert secc.server.port == free
    finally:
        secc.stop()


@pytest.mark.parametrize("value, expected", [(None, (49152, 65535)), ("50000-50010", (50000, 50010)),
                                             ([50000, 50010], (50000, 50010))])
def test_pixit_port_range(value, expected) -> None:  # noqa: ANN001
    from vgitest.iso15118.fake import port_range_of
    assert port_range_of(value) == expected


@pytest.mark.parametrize("value", ["50000", [70000, 70001], [50010, 50000], "a-b"])
def test_pixit_port_range_rejects_nonsense(value) -> None:  # noqa: ANN001
    from vgitest.iso15118.fake import port_range_of
    with pytest.raises(ValueError):
        port_range_of(value)


def test_fake_evcc_reports_an_sdp_answer_outside_the_dynamic_ports() -> None:
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer

    async def main():  # type: ignore[no-untyped-def]
        srv = await SeccServer(Trace(), families=("din",), judge=False, port_range=(40100, 40200)).start()
        cli = EvccClient(Trace(), ev=EvParams(soc_per_s=400, loop_interval_s=0.005), offers=("din",),
                         sdp_port=srv.sdp_port, judge=True)
        try:
            return await cli.run(deadline_s=30), cli
        finally:
            await srv.stop()

    s, cli = asyncio.run(main())
    assert s.sdp is not None and 40100 <= s.sdp.port <= 40200
    rules = [(f.rule_id, f.message) for f in cli.trace.findings_since(0)]
    assert [r for r, _ in rules] == ["V2G-SDP-ANSWER"], rules
    assert str(s.sdp.port) in rules[0][1] and "49152-65535" in rules[0][1]

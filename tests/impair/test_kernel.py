"""The kernel path of an impaired link, measured on a veth pair between namespaces the test makes: tbf's rate,
the eBPF drop's loss rate, TCP intact (retransmitted) across a lossy link. Skips where namespaces cannot be made."""

from __future__ import annotations

import socket
import subprocess

import pytest

from vgitest.impair import kernel
from vgitest.impair.link import A_ADDR, B_ADDR, ImpairedLink
from vgitest.impair.profile import Impairment
from vgitest.slac import netns

from .echo import one_way_seconds, recv_exactly, tcp_echo, tcp_sink

OK, WHY = netns.available()
needs_netns = pytest.mark.skipif(not OK, reason=f"network namespaces unavailable: {WHY}")


def test_drop_program_is_seven_instructions_with_the_threshold() -> None:
    code = kernel.drop_program(5.0)
    assert len(code) == 7 * 8
    assert int.from_bytes(code[20:24], "little", signed=True) == int(0.05 * 2 ** 31)


def _udp_loss(loss_pct: float, n: int = 3000) -> float:
    """Datagrams from ns a to ns b across the veth with the eBPF drop on a's egress: the share lost."""
    with netns.NetnsPair(prefix="vgiimpt") as pair:
        for ns, addr in ((pair.a, A_ADDR), (pair.b, B_ADDR)):
            subprocess.run(["ip", "-n", ns, "addr", "add", f"{addr}/30", "dev", pair.ifname], check=True, timeout=10)
        kernel.attach_drop(pair.a, pair.ifname, loss_pct)

        def receiver() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((B_ADDR, 5555))
            s.settimeout(0.5)
            return s
        rx = netns.run_in_netns(pair.b, receiver, 10)
        tx = netns.run_in_netns(pair.a, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 10)
        got = 0
        try:
            for i in range(n):
                tx.sendto(b"x" * 40, (B_ADDR, 5555))
                if i % 50 == 49:  # drain, so no socket buffer overflows (that would be loss of another kind)
                    got += _drain(rx)
            got += _drain(rx, wait=True)
        finally:
            tx.close()
            rx.close()
    return 1 - got / n


def _drain(s: socket.socket, wait: bool = False) -> int:
    n = 0
    s.settimeout(0.3 if wait else 0.001)
    try:
        while True:
            s.recv(100)
            n += 1
    except OSError:
        return n


@needs_netns
def test_ebpf_drop_loses_the_configured_share_of_packets() -> None:
    """5 % configured: of 3000 datagrams 5 % ± 1.6 % (4 binomial sd) lost; 0 % loses none."""
    lost = _udp_loss(5.0)
    assert 0.034 <= lost <= 0.066, lost
    assert _udp_loss(0.0, n=500) == 0


@needs_netns
def test_tcp_across_a_lossy_link_arrives_whole_after_retransmissions() -> None:
    """5 % loss each way on the veth: 64 kB echoed intact (the kernel retransmits); the link says how it applied
    the loss."""
    target, srv = tcp_echo()
    with ImpairedLink(Impairment("5 %", loss_pct=5), target, seed=1) as link:
        assert link.applied["loss"] in ("ebpf", "netem")
        c = socket.create_connection(link.address, timeout=30)
        blob = bytes(range(256)) * 256
        c.sendall(blob)
        assert recv_exactly(c, len(blob)) == blob
        c.close()
    srv.close()


@needs_netns
def test_tbf_rate_on_the_veth() -> None:
    """56 kbit/s by tbf, one way: 14,000 bytes of payload (≈ 14,600 on the wire with TCP/IP/Ethernet headers)
    arrive in 2.1 s minus the bucket of one frame (1600 bytes at once): 1.85 s measured, 1.55-2.5 s accepted."""
    target, srv = tcp_sink(14000)
    with ImpairedLink(Impairment("56", rate_kbps=56), target) as link:
        assert link.applied.get("rate") in ("tbf", "netem")
        elapsed = one_way_seconds(link.address, 14000)
    srv.close()
    assert 1.55 <= elapsed <= 2.5, elapsed

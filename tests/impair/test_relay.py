"""The impairment relay does what it is configured to do, measured (tolerances in each test's docstring)."""

from __future__ import annotations

import socket
import statistics
import threading
import time

import pytest

from vgitest.impair.profile import Impairment
from vgitest.impair.relay import DOWN, UP, Relay

from .echo import one_way_seconds, recv_exactly, tcp_echo, tcp_sink, udp_echo


def test_delay_and_jitter_stay_in_their_band_per_direction() -> None:
    """100 ms ± 50 ms one way: every chunk waits 50-150 ms (+10 ms for scheduling on a loaded 2-core machine),
    the mean of 12 round trips' one-way waits is 100 ms ± 15 ms (uniform jitter: sd of a mean of 24 ≈ 6 ms;
    the draws are seeded, so only scheduling varies between runs)."""
    target, srv = tcp_echo()
    with Relay(Impairment("d", delay_ms=100, jitter_ms=50), target, seed=7) as relay:
        c = socket.create_connection(relay.address, timeout=10)
        for i in range(12):
            c.sendall(b"%04d" % i)
            assert recv_exactly(c, 4) == b"%04d" % i
        c.close()
        time.sleep(0.05)
        waits = [(ch.t_write_ns - ch.t_read_ns) / 1e6 for ch in relay.records()]
    srv.close()
    assert len(waits) == 24
    assert all(45 <= w <= 160 for w in waits), (min(waits), max(waits))
    assert 85 <= statistics.mean(waits) <= 115
    assert statistics.pstdev(waits) > 15  # the jitter is there (uniform ±50 ms: sd ≈ 29 ms)


def test_jitter_never_reorders_a_tcp_stream() -> None:
    """300 writes in a burst under 100 ± 50 ms: the bytes come back in the order sent (the echo's answers pass
    the relay's other direction too)."""
    target, srv = tcp_echo()
    with Relay(Impairment("d", delay_ms=100, jitter_ms=50), target, seed=3) as relay:
        c = socket.create_connection(relay.address, timeout=10)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = b"".join(b"%05d" % i for i in range(300))
        for i in range(300):
            c.sendall(sent[5 * i:5 * i + 5])
            if i % 30 == 0:
                time.sleep(0.01)  # separate reads, so chunks get different random delays
        assert recv_exactly(c, len(sent)) == sent
        c.close()
        ups = [ch for ch in relay.records() if ch.direction == UP]
    srv.close()
    assert len(ups) > 5
    assert [ch.t_write_ns for ch in ups] == sorted(ch.t_write_ns for ch in ups)


def test_user_space_rate_limit() -> None:
    """56 kbit/s (7 kB/s) in user space: 14,000 bytes one way take 2 s minus the 1500-byte bucket (1.79 s);
    accepted 1.6-2.4 s."""
    target, srv = tcp_sink(14000)
    with Relay(Impairment("r", rate_kbps=56), target) as relay:
        elapsed = one_way_seconds(relay.address, 14000)
    srv.close()
    assert 1.6 <= elapsed <= 2.4, elapsed


def test_udp_loss_and_delay_in_user_space() -> None:
    """5 % loss per datagram, each way: of 1000 echoes about 1 - 0.95² = 9.75 % are lost (binomial sd ≈ 0.94 %,
    so 6-14 % accepted; the relay counts each drop)."""
    target, srv = udp_echo()
    with Relay(Impairment("l", loss_pct=5), target, proto="udp", seed=11) as relay:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(0.5)
        got = 0

        def read() -> None:
            nonlocal got
            try:
                while True:
                    c.recvfrom(100)
                    got += 1
            except OSError:  # the timeout: nothing more for 0.5 s
                pass
        reader = threading.Thread(target=read)
        reader.start()
        for i in range(1000):
            c.sendto(b"%d" % i, relay.address)
            if i % 20 == 19:
                time.sleep(0.002)  # keep every socket buffer on the way far from full (that would be loss too)
        reader.join(10)
        c.close()
        dropped = relay.dropped
    srv.close()
    lost = (1000 - got) / 1000
    assert 0.06 <= lost <= 0.14, lost
    assert dropped == 1000 - got


def test_a_tcp_relay_refuses_to_fake_loss() -> None:
    with pytest.raises(ValueError, match="cannot model packet loss"):
        Relay(Impairment("l", loss_pct=1), ("127.0.0.1", 1))


def test_unreachable_target_closes_the_device_connection_promptly() -> None:
    """A peer that is not there: the device sees its connection closed within the connect bound, the relay
    notes the harness-side error, and stop() returns."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead = probe.getsockname()
    probe.close()
    relay = Relay(Impairment("none"), dead, connect_timeout=1).start()
    try:
        c = socket.create_connection(relay.address, timeout=5)
        t0 = time.monotonic()
        assert c.recv(10) == b""
        assert time.monotonic() - t0 < 2
        c.close()
        assert relay.errors and "cannot reach" in relay.errors[0]
    finally:
        t0 = time.monotonic()
        relay.stop()
        assert time.monotonic() - t0 < 12


def test_a_device_that_never_reads_cannot_stall_stop() -> None:
    """The peer sends 4 MB; the device reads nothing. stop() is bounded (its loop gives tasks 5 s, then 10 s)."""
    target, srv = tcp_echo()
    relay = Relay(Impairment("none"), target, drain_timeout=2).start()
    c = socket.create_connection(relay.address, timeout=5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        c.sendall(b"y" * 65536)  # echoed back, never read
        time.sleep(0.5)
        t0 = time.monotonic()
        relay.stop()
        assert time.monotonic() - t0 < 12
        assert relay.bytes_by_direction()[UP] == 65536
        assert relay.bytes_by_direction()[DOWN] < 65536 or not relay.errors
    finally:
        c.close()
        srv.close()

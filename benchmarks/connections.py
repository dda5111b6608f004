"""Many keep-alive connections (issue 13): does the fake CSMS give back what N open WebSocket connections cost once
they close? Before issue 13, 10,000 connections took RSS from 54 to 268 MiB and it stayed at 269 MiB after they
closed, with every session and wire log kept.

Each round, a client process opens N connections (at most 500 handshakes in flight), each sends one
BootNotification and waits for its answer, holds the connection until all N are open, then closes them all. After
each round the harness does what the plugin does between tests (test-start mark, wire logs released, per-test
state reset). Figures per round: RSS with N open, RSS after they closed, sessions and wire logs kept.

Pass: the sessions and wire logs kept after a round are bounded (not N), and RSS after the last round is within
20 % of RSS after the first (memory is reused, not accumulated, round after round). CPython rarely hands freed
heap back to the OS, so RSS after a round stays above the level before it; what must not happen is growth.

Run: python benchmarks/connections.py [--connections 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vgitest, not an installed one

from benchmarks.soak import rss_mib  # noqa: E402


def clients(url: str, n: int, opened: "mp.Event", close: "mp.Event", out: "mp.Queue[tuple[int, int]]") -> None:
    from websockets.asyncio.client import connect

    async def main() -> tuple[int, int]:
        gate = asyncio.Semaphore(500)
        conns = []

        async def one(i: int) -> None:
            async with gate:
                try:
                    ws = await connect(f"{url}/K{os.getpid()}-{i}", subprotocols=["ocpp1.6"], open_timeout=60)
                    await ws.send(json.dumps([2, "b", "BootNotification",
                                              {"chargePointVendor": "V", "chargePointModel": "M"}]))
                    await ws.recv()
                    conns.append(ws)
                except Exception:  # noqa: BLE001 - counted: every connection that did not open
                    pass

        await asyncio.gather(*(one(i) for i in range(n)))
        opened.set()
        while not close.is_set():
            await asyncio.sleep(0.1)
        ok = len(conns)
        await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
        return ok, n - ok

    out.put(asyncio.run(main()))


def trim_rss() -> float:
    """RSS after glibc's malloc_trim: what is left is memory still in use, not free heap kept by the allocator."""
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return rss_mib()


def main() -> int:
    from vgitest.ocpp.csms import FakeCsms
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connections", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"# {args.connections} keep-alive OCPP 1.6 connections, {args.rounds} rounds; {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# command: python benchmarks/connections.py --connections {args.connections} --rounds {args.rounds}")
    after: list[float] = []
    kept: list[tuple[int, int]] = []
    with FakeCsms(heartbeat_interval=3600) as csms:
        print(f"before: RSS {rss_mib():.1f} MiB")
        ctx = mp.get_context("spawn")
        for rnd in range(1, args.rounds + 1):
            opened, close, q = ctx.Event(), ctx.Event(), ctx.Queue()
            p = ctx.Process(target=clients, args=(csms.url, args.connections, opened, close, q))
            t0 = time.monotonic()
            p.start()
            if not opened.wait(600):
                p.kill()
                print("the client did not open its connections within 600 s")
                return 1
            open_rss, open_sessions = rss_mib(), len(csms.sessions)
            close.set()
            ok, failed = q.get(timeout=300)
            p.join(60)
            deadline = time.monotonic() + 30
            while any(not w.closed for w in csms.wires) and time.monotonic() < deadline:
                time.sleep(0.2)
            csms.trace.mark(test_start=True)  # what the plugin does between two tests
            for w in list(csms.wires):
                w.release(time.monotonic_ns())
            for s in list(csms.sessions.values()):
                s.reset_for_test()
            gc.collect()
            after.append(rss_mib())
            trimmed = trim_rss()
            kept.append((len(csms.sessions), len(csms.wires)))
            print(f"round {rnd}: {ok} opened ({failed} failed) in {time.monotonic() - t0:.1f} s; RSS with them open "
                  f"{open_rss:.1f} MiB ({open_sessions} sessions); after they closed {after[-1]:.1f} MiB "
                  f"({trimmed:.1f} MiB once the C allocator gave free pages back), "
                  f"{kept[-1][0]} sessions and {kept[-1][1]} wire logs kept", flush=True)
    bounded = all(s < args.connections // 10 and w < args.connections // 10 for s, w in kept)
    flat = after[-1] <= after[0] * 1.2
    print(f"kept state bounded: {'PASS' if bounded else 'FAIL'}; RSS after round {len(after)} vs round 1: "
          f"{(after[-1] / after[0] - 1) * 100:+.1f} % ({'PASS' if flat else 'FAIL'})")
    return 0 if bounded and flat else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Soak: does the fake CSMS hold a long run in bounded memory (issue 13)? N stations in another process send
Heartbeats back to back (each reconnects under a new identity every `--reconnect` exchanges, so closed
connections and sessions pile up too); every `--test-every` seconds the harness does what the plugin does
between tests (a test-start mark, wire logs released, per-test state reset). RSS is printed at intervals.

Pass: after the warm-up (the first quarter), RSS stays within 20 % of the RSS at the end of the warm-up.

Run: python benchmarks/soak.py [--seconds 60] [--stations 20]
     python benchmarks/soak.py --minutes 10 --stations 100     (the issue's figure)

Measured here (x86_64, 2 shared cores, Python 3.11.7; `--seconds 60 --stations 20`): 272,657 exchanges
(4,544/s), RSS 105.1 MiB after warm-up, peak 113.1 MiB after (+7.6 %), PASS; 20,000-50,000 frames in memory,
64-84 sessions and wire logs. Before issue 13 the same traffic grew ~2.3 KiB per exchange (~600 MiB here).
Released frames are spilled to a temporary JSON-lines file (~180 MiB a minute at this rate), deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import tempfile
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vgitest, not an installed one


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def stations(url: str, n: int, seconds: float, reconnect: int, out: "mp.Queue[int]") -> None:
    from websockets.asyncio.client import connect

    async def one(i: int) -> int:
        done, j, end = 0, 0, time.monotonic() + seconds
        while time.monotonic() < end:
            j += 1
            async with connect(f"{url}/S{i}-{j}", subprotocols=["ocpp1.6"]) as ws:
                await ws.send(json.dumps([2, "boot", "BootNotification",
                                          {"chargePointVendor": "V", "chargePointModel": "M"}]))
                await ws.recv()
                for k in range(reconnect):
                    await ws.send(json.dumps([2, f"h{k}", "Heartbeat", {}]))
                    await ws.recv()
                    done += 1
                    if time.monotonic() >= end:
                        break
        return done

    async def all_() -> int:
        return sum(await asyncio.gather(*(one(i) for i in range(n))))

    out.put(asyncio.run(all_()))


def main() -> int:
    from vgitest.ocpp.csms import FakeCsms
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--minutes", type=float, default=None, help="overrides --seconds")
    ap.add_argument("--stations", type=int, default=20)
    ap.add_argument("--reconnect", type=int, default=2000, help="Heartbeats per connection before a new identity")
    ap.add_argument("--test-every", type=float, default=5.0, help="seconds per simulated test")
    ap.add_argument("--report-every", type=float, default=None, help="seconds between RSS lines")
    args = ap.parse_args()
    seconds = args.minutes * 60 if args.minutes is not None else args.seconds
    every = args.report_every or max(5.0, seconds / 12)
    spill = Path(tempfile.mkdtemp(prefix="vgitest-soak-")) / "released-frames.jsonl"
    print(f"# soak: {args.stations} stations, {seconds:g} s, OCPP 1.6 Heartbeats back to back; "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# command: python benchmarks/soak.py --seconds {seconds:g} --stations {args.stations}")
    samples: list[tuple[float, float]] = []
    with FakeCsms(heartbeat_interval=3600) as csms:
        csms.trace.spill_path = spill
        ctx = mp.get_context("spawn")
        q: "mp.Queue[int]" = ctx.Queue()
        p = ctx.Process(target=stations, args=(csms.url, args.stations, seconds, args.reconnect, q))
        t0 = time.monotonic()
        p.start()
        next_test, next_report = t0 + args.test_every, t0
        while p.is_alive() and time.monotonic() - t0 < seconds + 30:
            now = time.monotonic()
            if now >= next_test:  # what the plugin does between two tests
                csms.trace.mark(test_start=True)
                for w in list(csms.wires):
                    w.release(time.monotonic_ns())
                for s in list(csms.sessions.values()):
                    s.reset_for_test()
                next_test += args.test_every
            if now >= next_report:
                samples.append((now - t0, rss_mib()))
                print(f"t={now - t0:6.1f} s  RSS {samples[-1][1]:7.1f} MiB  frames {len(csms.trace):>9}  "
                      f"in memory {len(csms.trace.since(0)):>7}  sessions {len(csms.sessions):>4}  "
                      f"wire logs {len(csms.wires):>4}", flush=True)
                next_report += every
            time.sleep(0.2)
        exchanges = q.get(timeout=60)
        p.join(30)
        samples.append((time.monotonic() - t0, rss_mib()))
        findings = csms.trace.findings_since(0)
    warm = [r for t, r in samples if t <= seconds / 4]
    after = [r for t, r in samples if t > seconds / 4]
    base = warm[-1] if warm else samples[0][1]
    peak = max(after) if after else base
    ok = peak <= base * 1.2
    print(f"{exchanges} exchanges ({exchanges / seconds:.0f}/s); RSS after warm-up {base:.1f} MiB, peak after "
          f"{peak:.1f} MiB ({(peak / base - 1) * 100:+.1f} %), final {samples[-1][1]:.1f} MiB; "
          f"spilled {spill.stat().st_size / 2 ** 20 if spill.exists() else 0:.1f} MiB to {spill}")
    print(f"trace findings on the soak traffic: {len(findings)}")
    spill.unlink(missing_ok=True)
    spill.parent.rmdir()
    print(f"RSS flat within 20 % after warm-up: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

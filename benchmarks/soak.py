"""Soak: does a fake peer hold a long run in bounded memory (issue 13)?

--peer csms (default): N stations in another process send OCPP 1.6 Heartbeats back to back (each reconnects under
a new identity every `--reconnect` exchanges, so closed connections and sessions pile up too).
--peer vtn / --peer sep2: a steady client in another process: the reference VEN (or the reference DER client) doing
its whole life (registration, polls, events, reports / discovery, polls, readings), plus `--rate` requests per
second on keep-alive connections (oadrPoll from the registered VEN; GETs of the 2030.5 server's resources).

Every `--test-every` seconds the harness does what the plugin does between tests (a test-start mark, wire logs
released, per-test state reset). RSS is printed at intervals.

Pass: after the warm-up (the first quarter), RSS stays within 20 % of the RSS at the end of the warm-up.

Run: python benchmarks/soak.py [--seconds 60] [--stations 20]
     python benchmarks/soak.py --minutes 10 --stations 100     (the issue's figure for the CSMS)
     python benchmarks/soak.py --peer vtn --minutes 60         (the issue's figures for the VTN ...)
     python benchmarks/soak.py --peer sep2 --minutes 60        (... and the 2030.5 server)

Measured here (x86_64, 2 shared cores, Python 3.11.7; `--seconds 60 --stations 20`): 272,657 exchanges
(4,544/s), RSS 105.1 MiB after warm-up, peak 113.1 MiB after (+7.6 %), PASS; 20,000-50,000 frames in memory,
64-84 sessions and wire logs. Before issue 13 the same traffic grew ~2.3 KiB per exchange (~600 MiB here).
Released frames are spilled to temporary JSON-lines files (~180 MiB a minute at this rate), deleted at the end.
The longer figures are in docs/soak.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import shutil
import tempfile
import sys
import time
from pathlib import Path
from typing import Any

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


SEP2_PATHS = ("/dcap", "/tm", "/edev", "/upt", "/mup", "/derp")  # the server's resources a client reads


def http_client(peer: str, url: str, seconds: float, rate: float, out: "mp.Queue[int]") -> None:
    """The steady client: the reference device's own life, plus `rate` requests per second."""
    import aiohttp

    if peer == "vtn":
        from vgitest.openadr import codec, messages
        from vgitest.openadr.ven.reference import ReferenceVen
        device: Any = ReferenceVen(url)
    else:
        from vgitest.sep2.client.reference import ReferenceDerClient
        device = ReferenceDerClient(url, params={"registration": "in_band", "lfdi": "3E4F45AB31EDFE5B67E343E5E4562E319"
                                                                                   "84E23E5"})
    device.start()

    async def steady() -> int:
        done, end, i = 0, time.monotonic() + seconds, 0
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < end:
                tick = time.monotonic()
                if peer == "vtn":
                    ven = device.ven_id
                    if ven is None:  # polls come from a registered VEN
                        await asyncio.sleep(0.1)
                        continue
                    req = http.post(f"{url}/OadrPoll", data=codec.encode("oadrPoll", messages.poll(ven)),
                                    headers={"Content-Type": "application/xml"})
                else:
                    base = url.rsplit("/", 1)[0]
                    req = http.get(base + SEP2_PATHS[i % len(SEP2_PATHS)],
                                   headers={"Accept": "application/sep+xml"})
                async with req as resp:
                    await resp.read()
                done, i = done + 1, i + 1
                await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - tick)))
        return done

    try:
        out.put(asyncio.run(steady()))
    finally:
        device.stop()


def start_peer(peer: str, stack: contextlib.ExitStack) -> Any:
    if peer == "csms":
        from vgitest.ocpp.csms import FakeCsms
        return stack.enter_context(FakeCsms(heartbeat_interval=3600))
    if peer == "vtn":
        from vgitest.openadr.vtn import FakeVtn
        return stack.enter_context(FakeVtn(poll_freq_s=1))
    from vgitest.sep2.server import FakeSep2Server
    return stack.enter_context(FakeSep2Server())


def sessions_of(server: Any) -> list[Any]:
    return list(server.sessions.values()) if hasattr(server, "sessions") else [server.session]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", choices=("csms", "vtn", "sep2"), default="csms")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--minutes", type=float, default=None, help="overrides --seconds")
    ap.add_argument("--stations", type=int, default=20)
    ap.add_argument("--rate", type=float, default=50, help="vtn/sep2: requests per second besides the device's own")
    ap.add_argument("--reconnect", type=int, default=2000, help="Heartbeats per connection before a new identity")
    ap.add_argument("--test-every", type=float, default=5.0, help="seconds per simulated test")
    ap.add_argument("--report-every", type=float, default=None, help="seconds between RSS lines")
    args = ap.parse_args()
    seconds = args.minutes * 60 if args.minutes is not None else args.seconds
    every = args.report_every or max(5.0, seconds / 12)
    spill = Path(tempfile.mkdtemp(prefix="vgitest-soak-")) / "released-frames.jsonl"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.peer == "csms":
        print(f"# soak: {args.stations} stations, {seconds:g} s, OCPP 1.6 Heartbeats back to back; {machine}")
        print(f"# command: python benchmarks/soak.py --seconds {seconds:g} --stations {args.stations}")
    else:
        print(f"# soak: fake {args.peer}, {seconds:g} s, the reference device plus {args.rate:g} requests/s; {machine}")
        print(f"# command: python benchmarks/soak.py --peer {args.peer} --seconds {seconds:g} --rate {args.rate:g}")
    samples: list[tuple[float, float]] = []
    with contextlib.ExitStack() as stack:
        csms = start_peer(args.peer, stack)
        csms.trace.spill_path = spill
        ctx = mp.get_context("spawn")
        q: "mp.Queue[int]" = ctx.Queue()
        if args.peer == "csms":
            p = ctx.Process(target=stations, args=(csms.url, args.stations, seconds, args.reconnect, q))
        else:
            p = ctx.Process(target=http_client, args=(args.peer, csms.url, seconds, args.rate, q))
        t0 = time.monotonic()
        p.start()
        next_test, next_report = t0 + args.test_every, t0
        while p.is_alive() and time.monotonic() - t0 < seconds + 30:
            now = time.monotonic()
            if now >= next_test:  # what the plugin does between two tests
                csms.trace.mark(test_start=True)
                for w in list(csms.wires):
                    w.release(time.monotonic_ns())
                for s in sessions_of(csms):
                    s.reset_for_test()
                next_test += args.test_every
            if now >= next_report:
                samples.append((now - t0, rss_mib()))
                print(f"t={now - t0:6.1f} s  RSS {samples[-1][1]:7.1f} MiB  frames {len(csms.trace):>9}  "
                      f"in memory {len(csms.trace.since(0)):>7}  sessions {len(sessions_of(csms)):>4}  "
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
          f"spilled {sum(f.stat().st_size for f in spill.parent.iterdir()) / 2 ** 20:.1f} MiB to {spill.parent} "
          "(rotated at VGITEST_SPILL_MAX_MB)")
    rules: dict[str, int] = {}
    for f in findings:
        rules[f.rule_id] = rules.get(f.rule_id, 0) + 1
    print(f"trace findings on the soak traffic: {len(findings)} {rules or ''}")
    shutil.rmtree(spill.parent, ignore_errors=True)  # the spill file and its rotated predecessor
    print(f"RSS flat within 20 % after warm-up: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

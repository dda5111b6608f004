"""The fake CSMS's own added latency: from a station CALL's arrival at the socket (`data_received`) to the
CALLRESULT handed to the socket, including parsing, framing/RPC checks, schema validation, the default
handler and trace recording. One station, in a separate process, sends CALLs back to back.

Run: python benchmarks/csms_latency.py [--messages 2000] [--version 1.6|2.0.1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import time

try:
    from benchmarks.corpus import V16, V201
except ImportError:
    from corpus import V16, V201  # type: ignore[no-redef]


def station(url: str, version: str, n: int, out: "mp.Queue[list[float]]") -> None:
    from websockets.sync.client import connect
    corpus = V16 if version == "1.6" else V201
    msgs = [m for m in corpus if m[0] != "BootNotification"]
    rtts = []
    with connect(url, subprotocols=["ocpp1.6" if version == "1.6" else "ocpp2.0.1"]) as ws:
        boot = dict(corpus)["BootNotification"]
        ws.send(json.dumps([2, "boot", "BootNotification", boot]))
        ws.recv()
        for i in range(n):
            action, payload = msgs[i % len(msgs)]
            t0 = time.perf_counter()
            ws.send(json.dumps([2, f"m{i}", action, payload]))
            ws.recv()
            rtts.append(time.perf_counter() - t0)
    out.put(rtts)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def main() -> int:
    from vgitest.ocpp.csms import FakeCsms
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--version", default="2.0.1", choices=["1.6", "2.0.1"])
    args = ap.parse_args()
    with FakeCsms(heartbeat_interval=3600) as csms:
        ctx = mp.get_context("spawn")
        q: "mp.Queue[list[float]]" = ctx.Queue()
        p = ctx.Process(target=station, args=(csms.url_for("BENCH-1"), args.version,
                                                                   args.messages, q))
        p.start()
        rtts = q.get(timeout=300)
        p.join(30)
        added = [x / 1e3 for x in csms.latencies()[1:]]  # µs; the first (boot, cold caches) is excluded
        findings = csms.trace.findings_since(0)
    rtt_us = [x * 1e6 for x in rtts]
    print(f"# fake CSMS added latency — OCPP {args.version}, {len(added)} CALLs from one station in another "
          f"process; {platform.machine()}, Python {platform.python_version()}")
    print(f"harness added latency (socket in -> reply written): median {statistics.median(added):.0f} µs, "
          f"p99 {pct(added, 0.99):.0f} µs, max {max(added):.0f} µs")
    print(f"station round trip (client side, incl. its own JSON work): median {statistics.median(rtt_us):.0f} µs, "
          f"p99 {pct(rtt_us, 0.99):.0f} µs")
    print(f"findings on the benchmark traffic: {len(findings)} (expected 0)")
    return 0 if not findings else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""How long can `Trace.append` hold a fake peer's event loop once a long run starts releasing frames (issue 13)?

Appends 120,000 frames with a test-start mark every 5,000 (as the plugin marks between cases), so the trace
releases ~30,000 frames at a time, and reports the slowest append: without a spill file (the anchor: list
slicing and the garbage collector) and with one.

Measured here (x86_64, 2 shared cores, Python 3.11.7, load 0.5), 2026-12-06: anchor 23-27 ms; with the spill in
its own thread 52-56 ms; with the spill encoded inside `append` (before) 213-219 ms. What is left above the anchor
is mostly the garbage collector, run by whichever thread allocates. 2026-12-07 (load 1.3), with the collector's
slower pace for large traces (vgitest/gcpolicy.py): anchor 5.1 ms, with the spill 8.0 ms.

Run: python benchmarks/trace_release.py [--frames 120000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vgitest, not an installed one

from vgitest.trace import Direction, Frame, Trace  # noqa: E402


def slowest_append(n: int, spill: Path | None) -> tuple[float, int]:
    t = Trace()
    t.spill_path = spill
    body = {"a": [1, 2, 3], "b": "x" * 200}
    worst = 0.0
    for i in range(n):
        if i % 5000 == 0:
            t.mark(test_start=True)
        f = Frame(time.monotonic_ns(), time.time(), Direction.IN, "sep2", "2030.5", "c1", "REQUEST", "GET /dcap",
                  "s1", b"GET /dcap HTTP/1.1\r\n" * 5, body, meta={"status": 200, "path": "/dcap"})
        t0 = time.perf_counter()
        t.append(f)
        worst = max(worst, time.perf_counter() - t0)
    t.flush_spill()
    return worst, t.released


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=120_000)
    args = ap.parse_args()
    print(f"# trace release: {args.frames} frames; {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    print(f"# command: python benchmarks/trace_release.py --frames {args.frames}")
    anchor, released = slowest_append(args.frames, None)
    print(f"no spill file (anchor):   slowest append {anchor * 1e3:6.1f} ms  ({released} frames released)")
    with tempfile.TemporaryDirectory() as tmp:
        spill = Path(tmp) / "released-frames.jsonl"
        worst, released = slowest_append(args.frames, spill)
        lines = sum(1 for _ in spill.open())
    print(f"spill file, own thread:   slowest append {worst * 1e3:6.1f} ms  ({released} frames released, "
          f"{lines} written)")
    return 0 if lines == released else 1


if __name__ == "__main__":
    raise SystemExit(main())

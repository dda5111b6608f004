"""The Table 6 impairment matrix (issue 16): each protocol flow of a built-in reference device against the fake
peer, under each link condition (none, 9.6 kbps, 56 kbps, 100 ms ± 50 ms, 1 % and 5 % loss), N repetitions per
cell, judged against FLOW D3.1 Table 6; writes docs/impairment.md and docs/impairment.json.

Rate and loss need network namespaces (root and iproute2); without them those cells say NOT_MEASURED.

Run: python benchmarks/impairment_matrix.py [--reps 20] [--jobs 6] [--flows ocpp16,sep2] [--columns none,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vgitest, not an installed one

from vgitest.impair import matrix  # noqa: E402
from vgitest.impair.flows import FLOWS  # noqa: E402
from vgitest.impair.profile import COLUMNS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20, help="repetitions per cell (default 20)")
    ap.add_argument("--jobs", type=int, default=6, help="cells run at a time, each in its own process (default 6)")
    ap.add_argument("--flows", default=",".join(FLOWS), help=f"comma-separated, of: {', '.join(FLOWS)}")
    ap.add_argument("--columns", default=",".join(c.name for c in COLUMNS),
                    help="comma-separated impairment columns (default: all six)")
    ap.add_argument("--step-s", type=float, default=30.0, help="bound of one step of a repetition (default 30 s)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs",
                    help="folder for impairment.md and impairment.json (default docs/)")
    args = ap.parse_args()
    flows = [f for f in args.flows.split(",") if f]
    columns = [c for c in args.columns.split(",") if c]
    unknown = [f for f in flows if f not in FLOWS]
    if unknown:
        ap.error(f"unknown flows: {', '.join(unknown)}")
    meta = {"command": "python benchmarks/impairment_matrix.py " + " ".join(sys.argv[1:]), "date": matrix.now(),
            "machine": matrix.machine(), "kernel": matrix.kernel_caps(), "reps": args.reps, "jobs": args.jobs}
    t0 = time.monotonic()
    done = 0

    def progress(cell: dict) -> None:
        nonlocal done
        done += 1
        print(f"[{done}/{len(flows) * len(columns)}] {time.monotonic() - t0:6.0f} s  {cell['row']:<40} "
              f"{cell['column']:<16} {cell['verdict']}  {cell.get('why', '')}", flush=True)

    cells = matrix.run_matrix(flows, columns, args.reps, args.jobs, args.step_s, progress)
    meta["wall_s"] = time.monotonic() - t0
    md, js = matrix.write(cells, meta, args.out)
    print(f"wrote {md} and {js} in {meta['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

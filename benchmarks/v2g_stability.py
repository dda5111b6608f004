"""Verdict stability of the ISO 15118 / DIN 70121 suites: run each reference run N times and compare verdicts.

The issue asks for the same verdicts on 20 consecutive runs on a 2-core machine (no flaky timing verdicts). This
runs the built-in V2G reference runs (`vgitest run --only ...`) N times, reads each run's results.json, and
reports, per test, every run whose verdict differs from the first run's. Exit status 1 if any verdict changed.

    python benchmarks/v2g_stability.py --n 20                 # all V2G reference runs
    python benchmarks/v2g_stability.py --n 5 --only din70121-evse
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ("din70121-evse", "din70121-ev", "iso15118-2-evse", "iso15118-2-ev", "iso15118-2-pnc-evse",
           "iso15118-2-pnc-ev", "iso15118-20-evse", "iso15118-20-ev", "iso15118-20-tls-evse", "iso15118-20-tls-ev",
           "slac-evse", "slac-ev")


def available_runs() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from vgitest.peer import reference_runs
    return [r.name for r in reference_runs() if r.name in DEFAULT]


def one_run(names: list[str], reports: Path) -> dict[str, dict[str, str]]:
    cmd = [sys.executable, "-m", "vgitest.cli", "run", "--reports", str(reports)]
    for n in names:
        cmd += ["--only", n]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    out: dict[str, dict[str, str]] = {}
    for n in names:
        f = reports / n / "results.json"
        out[n] = {r["nodeid"]: r["verdict"] for r in json.loads(f.read_text())["results"]} if f.is_file() else {}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20, help="number of consecutive runs (default 20)")
    ap.add_argument("--only", action="append", help="reference run name(s); default: every V2G run")
    ap.add_argument("--json", help="write the per-run verdict counts here")
    args = ap.parse_args()
    names = args.only or available_runs()
    first: dict[str, dict[str, str]] | None = None
    changed: dict[str, list[tuple[int, str, str]]] = collections.defaultdict(list)
    counts = []
    t0 = time.time()
    for i in range(1, args.n + 1):
        with tempfile.TemporaryDirectory() as tmp:
            got = one_run(names, Path(tmp))
        c = {n: dict(collections.Counter(v.values())) for n, v in got.items()}
        counts.append(c)
        if first is None:
            first = got
        else:
            for n in names:
                for node, verdict in got[n].items():
                    if first[n].get(node) != verdict:
                        changed[node].append((i, first[n].get(node, "-"), verdict))
        print(f"run {i:>2}/{args.n}: " + "; ".join(f"{n} {c[n]}" for n in names) + f"  ({time.time() - t0:.0f} s)",
              flush=True)
    if changed:
        print("\nverdicts that changed:")
        for node, runs in sorted(changed.items()):
            print(f"  {node}: " + ", ".join(f"run {i}: {a} -> {b}" for i, a, b in runs))
    else:
        print(f"\nsame verdicts in all {args.n} runs ({sum(len(v) for v in (first or {}).values())} tests per run)")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": counts, "changed": changed}, indent=2))
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark and print its figures (what `make bench` does)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
BENCHES = ["ocpp_validation.py", "csms_latency.py", "exi_bench.py", "openadr_validation.py", "v2g_charge_loop.py", "soak.py"]

if __name__ == "__main__":
    rc = 0
    for b in BENCHES:
        if (HERE / b).is_file():
            print(f"\n$ python benchmarks/{b}", flush=True)
            rc |= subprocess.call([sys.executable, str(HERE / b)], cwd=HERE.parent)
    raise SystemExit(rc)

"""Encode/decode latency of the pure-Python EXI codec for the messages on the V2G hot path.

Messages come from the capture corpus when it is beside the repository (../shared/corpora/v2g), else
from a seeded random walk over the grammars (schema-valid, realistic sizes). Prints median and p99 in
microseconds per call.

    python benchmarks/exi_bench.py [--n 3000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vgitest.exi import decode, encode, load  # noqa: E402
from vgitest.exi.strategies import random_message  # noqa: E402

CASES = [
    ("iso-2", "SessionSetupReq"), ("iso-2", "SessionSetupRes"), ("iso-2", "ChargeParameterDiscoveryReq"),
    ("iso-2", "CurrentDemandReq"), ("iso-2", "CurrentDemandRes"),
    ("din", "SessionSetupReq"), ("din", "SessionSetupRes"), ("din", "ChargeParameterDiscoveryReq"),
    ("din", "CurrentDemandReq"), ("din", "CurrentDemandRes"),
    ("iso-20-dc", "DC_ChargeLoopReq"), ("iso-20-dc", "DC_ChargeLoopRes"),
]


def _corpus_samples() -> dict[tuple[str, str], bytes]:
    try:
        from tests.exi.corpus import CORPUS, load_corpus
    except ImportError:
        return {}
    if not CORPUS.is_dir():
        return {}
    out: dict[tuple[str, str], bytes] = {}
    for m in load_corpus(CORPUS).messages:
        if m.schema in ("din", "iso-2"):
            body = decode(m.data, m.schema)["V2G_Message"]["Body"]
            key = (m.schema, next(iter(body)))
        elif m.schema and m.schema.startswith("iso-20"):
            key = (m.schema, next(iter(decode(m.data, m.schema))))
        else:
            continue
        out.setdefault(key, m.data)
    return out


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def bench(fn, arg, schema: str, n: int) -> tuple[float, float]:  # noqa: ANN001
    clock = time.perf_counter_ns
    for _ in range(50):
        fn(arg, schema)
    times = []
    gc.disable()
    try:
        for _ in range(n):
            t = clock()
            fn(arg, schema)
            times.append((clock() - t) / 1000)
    finally:
        gc.enable()
    return _percentiles(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="timed calls per message and direction")
    args = ap.parse_args()
    samples = _corpus_samples()
    rng = random.Random(15118)
    print(f"{'schema':<10} {'message':<28} {'src':<7} {'bytes':>5} {'dec med':>8} {'dec p99':>8} "
          f"{'enc med':>8} {'enc p99':>8}   (microseconds)")
    for schema, name in CASES:
        load(schema)
        data = samples.get((schema, name))
        src = "corpus"
        if data is None:
            data = encode(random_message(schema, name, rng), schema)
            src = "random"
        msg = decode(data, schema)
        assert encode(msg, schema) == data
        dm, dp = bench(decode, data, schema, args.n)
        em, ep = bench(encode, msg, schema, args.n)
        print(f"{schema:<10} {name:<28} {src:<7} {len(data):>5} {dm:>8.1f} {dp:>8.1f} {em:>8.1f} {ep:>8.1f}")
    print(f"\nPython {sys.version.split()[0]}; repeat with: python benchmarks/exi_bench.py --n {args.n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

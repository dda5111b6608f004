"""Encode/decode latency of the pure-Python EXI codec for the messages on the V2G hot path.

Messages come from the capture corpus when it is beside the repository (../shared/corpora/v2g), else
from a seeded random walk over the grammars (schema-valid, realistic sizes). Prints median and p99 in
microseconds per call.

When a JVM and py4j are present, the same messages go through Josev's Java codec (EXIficient over py4j,
benchmarks/josev_codec.py) in the same run, with fewer calls because each takes milliseconds.

    python benchmarks/exi_bench.py [--n 3000] [--java-n 200] [--no-java]
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from vgitest.exi import decode, encode, load  # noqa: E402
from vgitest.exi.strategies import random_message  # noqa: E402

from josev_codec import NAMESPACES  # noqa: E402

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
    ap.add_argument("--java-n", type=int, default=200, help="timed calls per message and direction for Java")
    ap.add_argument("--no-java", action="store_true", help="skip the Josev Java codec comparison")
    args = ap.parse_args()
    java = None
    if not args.no_java:
        from josev_codec import JavaCodec, unavailable
        why = unavailable()
        if why:
            print(f"Josev Java codec: not measured ({why})")
        else:
            java = JavaCodec()
    samples = _corpus_samples()
    rng = random.Random(15118)
    print(f"{'schema':<10} {'message':<28} {'src':<7} {'bytes':>5} {'dec med':>8} {'dec p99':>8} "
          f"{'enc med':>8} {'enc p99':>8}   (microseconds)")
    rows: list[tuple] = []
    failed: list[str] = []
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
        print(f"{schema:<10} {name:<28} {src:<7} {len(data):>5} {dm:>8.1f} {dp:>8.1f} {em:>8.1f} {ep:>8.1f}",
              flush=True)
        if java is not None and schema in NAMESPACES:
            try:
                text = java.decode(data, schema)
                same = java.encode(text, schema) == data
            except Exception as exc:  # the Java codec's own failure is a result, not a crash of the benchmark
                lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
                cause = [x for x in lines if x.startswith("Caused by:")] or lines[:1]
                failed.append(f"{schema} {name} ({src}): {cause[-1][:160]}")
                continue
            jdm, jdp = bench(java.decode, data, schema, args.java_n)
            jem, jep = bench(java.encode, text, schema, args.java_n)
            rows.append((schema, name, jdm, jdp, jem, jep, same, dm, em))
    if rows:
        print(f"\nJosev Java codec via py4j, same messages, {args.java_n} calls each (milliseconds):")
        print(f"{'schema':<10} {'message':<28} {'dec med':>8} {'dec p99':>8} {'enc med':>8} {'enc p99':>8} "
              f"{'same bytes':>10} {'dec x':>7} {'enc x':>7}")
        for schema, name, jdm, jdp, jem, jep, same, dm, em in rows:
            print(f"{schema:<10} {name:<28} {jdm / 1000:>8.2f} {jdp / 1000:>8.2f} {jem / 1000:>8.2f} "
                  f"{jep / 1000:>8.2f} {str(same):>10} {jdm / dm:>7.0f} {jem / em:>7.0f}")
        print("dec x / enc x: how many times slower the Java path is than vgitest.exi (medians)")
    for line in failed:
        print(f"Java codec could not handle {line}")
    if java is not None:
        java.close()
    print(f"\nPython {sys.version.split()[0]}; repeat with: python benchmarks/exi_bench.py --n {args.n} --java-n {args.java_n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

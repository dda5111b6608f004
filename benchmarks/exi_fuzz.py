"""Full-size decoder fuzzing: N random/mutated inputs per grammar set (default 100,000).

    python benchmarks/exi_fuzz.py [--n 100000] [--seed 0] [--schema iso-2 ...]

Prints inputs, rejections, maximum time per call; exits 1 if anything but ExiError was raised.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vgitest.exi import fuzz  # noqa: E402
from vgitest.exi.schemas import SCHEMAS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--schema", action="append", choices=[s for s in SCHEMAS if s != "xmldsig"])
    args = ap.parse_args()
    extra: dict[str, list[bytes]] = {}
    try:
        from tests.exi.corpus import CORPUS, load_corpus

        if CORPUS.is_dir():
            for m in load_corpus(CORPUS).messages:
                if m.schema:
                    extra.setdefault(m.schema, []).append(m.data)
    except ImportError:
        pass
    bad = 0
    for schema in args.schema or [s for s in SCHEMAS if s != "xmldsig"]:
        t = time.perf_counter()
        st = fuzz.run(schema, args.n, args.seed, extra.get(schema, [])[:500])
        print(f"{schema:<14} {st.inputs:>7} inputs  {st.rejected:>7} ExiError  {st.decoded:>6} valid  "
              f"max {st.max_seconds * 1e3:6.2f} ms/call  {time.perf_counter() - t:6.1f} s  "
              f"crashes {len(st.crashes)}", flush=True)
        for data, why in st.crashes[:5]:
            print(f"   {why}: {data.hex()}")
        bad += len(st.crashes)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

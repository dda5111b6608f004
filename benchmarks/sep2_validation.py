"""IEEE 2030.5 schema-validation throughput (messages per second, one thread, lxml/libxml2) on the
hand-written CSIP resources of tests/sep2/payloads.py, for each schema the fake server can select.

(a) ``Sep2Validator.is_valid`` on a pre-parsed tree (what the server calls per request after decoding);
(b) ``codec.decode`` + ``is_valid`` from bytes (the whole per-request payload path: size cap, hostile-XML
scan, hardened parse, dict form, validation). Every payload is first checked to be valid under each
schema and a broken one to be rejected, so the figures time real validation work.

Run: python benchmarks/sep2_validation.py [--n N] [--max-seconds S]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.sep2.payloads import CSIP_AUS_DER_CONTROL, RESOURCES, RESPONSE  # noqa: E402
from benchmarks.batchtimer import measure  # noqa: E402
from vgitest.sep2 import codec  # noqa: E402
from vgitest.sep2.validator import Sep2Validator  # noqa: E402

CONFIGS = (("2018", False), ("2023", False), ("2018", True))
METHODS = ("(a) tree", "(b) bytes")


def corpus(csip_aus: bool) -> dict[str, bytes]:
    items = {name: codec.encode(name, body) for name, body in RESOURCES.items()}
    if csip_aus:
        items["DERControl (csipaus)"] = codec.encode("DERControl", CSIP_AUS_DER_CONTROL)
    return items


def check(v: Sep2Validator, items: dict[str, bytes]) -> None:
    """Refuse to time anything unless every payload is valid and a broken one is rejected."""
    for name, raw in items.items():
        problems = [str(f) for f in v.validate(codec.decode(raw).doc)]
        if problems:
            raise SystemExit(f"{name} is not valid under {v.schema_label}: {problems}")
    broken = codec.encode("Response", {**RESPONSE, "endDeviceLFDI": "XYZ"})
    if v.is_valid(codec.decode(broken).doc):
        raise SystemExit(f"negative control failed: {v.schema_label} accepted a Response with a bad LFDI")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="validations per payload and method (default 2000)")
    ap.add_argument("--max-seconds", type=float, default=0.5, help="time cap per payload and method (default 0.5)")
    args = ap.parse_args()
    libxml2 = ".".join(map(str, etree.LIBXML_VERSION))
    print(f"# IEEE 2030.5 schema validation throughput — {platform.machine()}, one thread")
    print(f"# Python {platform.python_version()}, lxml {etree.__version__} (libxml2 {libxml2})")
    print(f"# repeat: python benchmarks/sep2_validation.py --n {args.n} --max-seconds {args.max_seconds}")
    print("# each cell: messages/s | median µs per message; *: stopped at --max-seconds before --n")
    for version, csip_aus in CONFIGS:
        t0 = time.perf_counter()
        v = Sep2Validator(version, csip_aus)
        compile_ms = (time.perf_counter() - t0) * 1e3
        items = corpus(csip_aus)
        check(v, items)
        print(f"\n## {v.schema_label} ({v.entry.name}; located + compiled in {compile_ms:.1f} ms, not timed below)")
        print(f"{'resource':<22}{'bytes':>6}" + "".join(f" | {m:>20}" for m in METHODS))
        rates: dict[str, list[float]] = {m: [] for m in METHODS}
        for name, raw in items.items():
            tree = codec.decode(raw).doc
            fns: dict[str, Callable[[], Any]] = {
                METHODS[0]: lambda: v.is_valid(tree),
                METHODS[1]: lambda: v.is_valid(codec.decode(raw).doc),
            }
            row = ""
            for m in METHODS:
                cell = measure(fns[m], args.n, args.max_seconds)
                rate, median_us, capped = cell.rate, cell.median_us, cell.capped
                rates[m].append(rate)
                row += f" | {rate:>10,.0f} {median_us:>8.1f}{'*' if capped else ' '}"
            print(f"{name:<22}{len(raw):>6}{row}", flush=True)
        hm = {m: len(rs) / sum(1 / r for r in rs) for m, rs in rates.items()}
        print(f"{'all (harmonic mean)':<22}{'':>6}" + "".join(f" | {hm[m]:>10,.0f} {1e6 / hm[m]:>8.1f} "
                                                            for m in METHODS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""OpenADR 2.0b schema-validation throughput (messages per second, one thread) on payloads rendered by
`openleadr`: lxml (libxml2) against the pure-Python `xmlschema` package, on the same oadr_20b.xsd.

(a) lxml ``XMLSchema.validate`` on a pre-parsed tree; (a*) the same through vgitest's
``OadrValidator.is_valid`` (what the fake VTN calls per frame); (b) lxml parse + validate from bytes
(hardened parser: no network, no entities); (c) ``xmlschema`` ``is_valid`` from bytes; (c') ``xmlschema``
``is_valid`` on a pre-parsed ``xml.etree`` tree, its native element type and so the fair peer of (a).
Every payload is first checked to be valid under both validators, and a payload with a required element
removed to be rejected by both, so the figures time real validation work.

Run: python benchmarks/openadr_validation.py [--n N] [--max-seconds S]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable

from lxml import etree

from vgitest.openadr import schemas
from vgitest.openadr.validator import OadrValidator

try:
    from benchmarks.batchtimer import Cell, measure  # noqa: F401  (Cell: part of this module's results)
    from benchmarks.openadr_corpus import build_corpus
except ImportError:
    from batchtimer import Cell, measure  # type: ignore[no-redef]  # noqa: F401
    from openadr_corpus import build_corpus  # type: ignore[no-redef]

METHODS = ("(a) lxml tree", "(a*) vgitest", "(b) lxml bytes", "(c) xmlschema bytes", "(c') xmlschema tree")


def check_corpus(corpus: dict[str, bytes], schema: etree.XMLSchema, xs: Any, parser: etree.XMLParser) -> None:
    """Refuse to time anything unless both validators accept every payload and reject a broken one."""
    vgi = OadrValidator()
    for name, raw in corpus.items():
        doc = etree.fromstring(raw, parser)
        problems = [str(f) for f in vgi.validate(doc)]
        if problems or not schema.validate(doc) or not xs.is_valid(raw) or not xs.is_valid(ET.fromstring(raw)):
            raise SystemExit(f"corpus payload {name} is not valid under both validators: {problems}")
    broken = corpus["oadrPoll"].replace(b"<ei:venID>ven-0001</ei:venID>", b"")
    if broken == corpus["oadrPoll"] or schema.validate(etree.fromstring(broken, parser)) or xs.is_valid(broken):
        raise SystemExit("negative control failed: an oadrPoll without ei:venID was not rejected by both validators")


def versions() -> str:
    import importlib.metadata as md

    import xmlschema
    libxml2 = ".".join(map(str, etree.LIBXML_VERSION))
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"lxml {etree.__version__} (libxml2 {libxml2}), xmlschema {xmlschema.__version__}, "
            f"openleadr {md.version('openleadr')} (corpus)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="validations per message type and method (default 2000)")
    ap.add_argument("--max-seconds", type=float, default=1.0,
                    help="time cap per message type and method (default 1.0)")
    args = ap.parse_args()
    try:
        import xmlschema  # noqa: F401
        corpus = build_corpus()
    except ImportError as e:
        print(f"needs the dev extra (xmlschema, openleadr): pip install -e '.[dev]' ({e})", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    schema = schemas.load_schema()
    lxml_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    xs = schemas.xmlschema_schema()
    xs_compile = time.perf_counter() - t0
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    check_corpus(corpus, schema, xs, parser)
    vgi = OadrValidator()

    print(f"# OpenADR 2.0b schema validation throughput — {platform.machine()}, one thread")
    print(f"# {versions()}")
    print(f"# schema: {schemas.schema_dir()}/{schemas.ENTRY}; compile (one-off, not timed below): "
          f"lxml {lxml_compile * 1e3:.1f} ms, xmlschema {xs_compile * 1e3:.0f} ms")
    print(f"# repeat: python benchmarks/openadr_validation.py --n {args.n} --max-seconds {args.max_seconds}")
    print(f"# {len(corpus)} payloads, all valid under both validators; each cell: messages/s | median µs per message")
    head = "".join(f" | {m:>20}" for m in METHODS)
    print(f"{'message':<29}{'bytes':>6}{head}")
    cells: dict[str, list[Cell]] = {m: [] for m in METHODS}
    for name, raw in corpus.items():
        tree = etree.fromstring(raw, parser)
        et_tree = ET.fromstring(raw)
        fns: dict[str, Callable[[], object]] = {
            METHODS[0]: lambda: schema.validate(tree),
            METHODS[1]: lambda: vgi.is_valid(tree),
            METHODS[2]: lambda: schema.validate(etree.fromstring(raw, parser)),
            METHODS[3]: lambda: xs.is_valid(raw),
            METHODS[4]: lambda: xs.is_valid(et_tree),
        }
        row = []
        for m in METHODS:
            c = measure(fns[m], args.n, args.max_seconds)
            cells[m].append(c)
            row.append(f" | {c.rate:>10,.0f} {c.median_us:>8.1f}{'*' if c.capped else ' '}")
        print(f"{name:<29}{len(raw):>6}{''.join(row)}", flush=True)
    hm = {m: len(cs) / sum(1 / c.rate for c in cs) for m, cs in cells.items()}
    print(f"{'all (harmonic mean)':<29}{'':>6}" + "".join(f" | {hm[m]:>10,.0f} {1e6 / hm[m]:>8.1f} " for m in METHODS))
    capped = sum(c.capped for cs in cells.values() for c in cs)
    print("# all row: harmonic mean of the per-type rates (each type equally frequent) and its µs per message")
    if capped:
        print(f"# *: {capped} cells stopped at --max-seconds before --n validations")
    print(f"# (b)/(c) lxml vs xmlschema from bytes: {hm[METHODS[2]] / hm[METHODS[3]]:.0f}x; "
          f"(a)/(c') on pre-parsed trees: {hm[METHODS[0]] / hm[METHODS[4]]:.0f}x; "
          f"(a*)/(a) vgitest overhead: {hm[METHODS[0]] / hm[METHODS[1]]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One run split across several pytest processes, each with its own reference DUT (`--vgi-shard K/N`).

A conformance run mostly waits on protocol timers, so a long suite finishes sooner when its cases are dealt to
N processes: the longest first to the least loaded (a case's marker ``vgi_expected_s``), round robin when they are
of one length. Shard K writes its reports to `<run dir>/shard-K/`; `merge` then
writes the run's results.json, summary.md and junit.xml from the shards, interleaved (collection order when the
cases were dealt round robin), so a sharded run reads like one that was not. Each case's evidence stays in its shard's folder (results.json names it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Sequence, TypeVar
from xml.etree import ElementTree as ET

from .verdict import HarnessError

T = TypeVar("T")


def parse(text: str) -> tuple[int, int]:
    """'K/N' (1 <= K <= N) as (K, N)."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise HarnessError(f"--vgi-shard {text!r}: expected K/N, e.g. 2/3") from None
    if not 1 <= k <= n:
        raise HarnessError(f"--vgi-shard {text!r}: K must be between 1 and N")
    return k, n


def dirname(k: int) -> str:
    return f"shard-{k}"


def expected_s(item: Any) -> float:
    """How long a case is expected to take against its reference device: its marker ``vgi_expected_s(seconds)``,
    else 1 (cases of one length)."""
    marker = item.get_closest_marker("vgi_expected_s") if hasattr(item, "get_closest_marker") else None
    return float(marker.args[0]) if marker is not None and marker.args else 1.0


def select(items: Sequence[T], k: int, n: int) -> tuple[list[T], list[T]]:
    """(kept, deselected): shard K of N. The longest case goes first to the shard with the least expected time so
    far (the lowest-numbered on a tie), each shard keeping collection order; cases of one length are dealt round
    robin (every N-th from the K-th). Every shard process computes the same split from the same collection."""
    weights = [expected_s(it) for it in items]
    load = [0.0] * n
    owner = [0] * len(items)
    for i in sorted(range(len(items)), key=lambda i: -weights[i]):  # stable: collection order among equals
        owner[i] = min(range(n), key=lambda j: (load[j], j))
        load[owner[i]] += weights[i]
    keep = [it for i, it in enumerate(items) if owner[i] == k - 1]
    drop = [it for i, it in enumerate(items) if owner[i] != k - 1]
    return keep, drop


def merge(run_dir: Path, n: int) -> dict[str, Any] | None:
    """Write `run_dir`/results.json, summary.md and junit.xml from its N shards; the merged document, or None when
    no shard left a results.json."""
    from .evidence.report import write_results
    docs: list[dict[str, Any] | None] = []
    for k in range(1, n + 1):
        try:
            docs.append(json.loads((run_dir / dirname(k) / "results.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            docs.append(None)
    present = [d for d in docs if d is not None]
    if not present:
        return None
    results = _interleave([list(d.get("results") or []) for d in present])
    meta = dict(present[0].get("meta") or {})
    meta["started"] = min((d.get("meta") or {}).get("started") or time.time() for d in present)
    meta["finished"] = max((d.get("meta") or {}).get("finished") or 0 for d in present)
    meta["shards"] = n
    missing = [k for k, d in enumerate(docs, 1) if d is None]
    if missing:
        meta["shards_without_results"] = missing
    stops = [d["interrupted"] for d in present if d.get("interrupted")]
    write_results(results, run_dir, meta, interrupted=stops[0] if stops else None)
    _merge_junit([run_dir / dirname(k) / "junit.xml" for k in range(1, n + 1)], run_dir / "junit.xml")
    return {"meta": meta, "results": results, "interrupted": stops[0] if stops else None}


def _interleave(lists: list[list[T]]) -> list[T]:
    """Round robin, undoing `select`: shard 1's first case, shard 2's first, ... then each one's second."""
    out: list[T] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


def _merge_junit(parts: list[Path], path: Path) -> None:
    """One <testsuite> with every shard's test cases (in collection order) and summed counters."""
    suites = []
    for p in parts:
        try:
            root = ET.parse(p).getroot()
        except (OSError, ET.ParseError):
            continue
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        if suite is not None:
            suites.append(suite)
    if not suites:
        return
    merged = ET.Element("testsuite", dict(suites[0].attrib))
    for counter in ("tests", "failures", "errors", "skipped"):
        merged.set(counter, str(sum(int(s.get(counter, "0")) for s in suites)))
    merged.set("time", f"{max(float(s.get('time', '0')) for s in suites):.3f}")
    props = suites[0].find("properties")
    if props is not None:
        merged.append(props)
    for case in _interleave([list(s.iter("testcase")) for s in suites]):
        merged.append(case)
    from .evidence.junit import write_tree
    root = ET.Element("testsuites")
    root.append(merged)
    write_tree(ET.ElementTree(root), path)

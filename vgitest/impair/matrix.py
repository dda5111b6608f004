"""The impairment matrix: every flow of :mod:`vgitest.impair.flows` under every column of
:data:`vgitest.impair.profile.COLUMNS`, N repetitions per cell, judged against Table 6 (:mod:`.envelope`),
written as docs/impairment.md and a JSON beside it.

Cells run in parallel processes (each its own fake peer, link and namespaces): nearly all of a cell's time is
waiting on the link, so a few more processes than cores finish the matrix sooner without starving the timing
(the busiest cells, the unimpaired ones, are also the shortest).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from .envelope import judge
from .flows import FLOWS
from .kernel import KernelUnavailable
from .profile import column

GIVE_UP_AFTER = 3  # unfinished repetitions in a row: the cell stops (its verdict cannot be PASS any more)
COST = {"9.6 kbps": 5, "100 ms ± 50 ms": 4, "56 kbps": 3, "5 % loss": 2, "1 % loss": 1, "none": 0}


def run_cell(flow_key: str, column_name: str, reps: int, seed: int = 1, step_s: float = 30.0) -> dict[str, Any]:
    """One cell, in this process: start the flow's peer behind the link, run `reps` repetitions, judge them."""
    flow = FLOWS[flow_key](step_s)
    imp = column(column_name)
    env = flow.envelope()
    cell: dict[str, Any] = {"flow": flow_key, "row": flow.name, "column": column_name, "reps_asked": reps,
                            "inside_envelope": env.inside(imp), "envelope": env.describe()}
    t0 = time.monotonic()
    try:
        flow.open(imp, seed=seed)
    except KernelUnavailable as exc:
        flow.close()
        return {**cell, "verdict": "NOT_MEASURED", "why": str(exc), "cell_s": time.monotonic() - t0}
    results = []
    try:
        cell["applied"] = flow.describe_link()
        in_a_row = 0
        for i in range(reps):
            r = flow.run_once(i)
            results.append(r)
            in_a_row = 0 if r.finished else in_a_row + 1
            if in_a_row >= GIVE_UP_AFTER:
                cell["gave_up"] = f"stopped after {GIVE_UP_AFTER} unfinished repetitions in a row"
                break
        relays = flow.relays()
        if relays:
            cell["bytes"] = {d: sum(r.bytes_by_direction()[d] for r in relays) for d in ("up", "down")}
        cell["relay_errors"] = flow.link_errors()[:5]
    finally:
        flow.close()
    j = judge(env, [(r.exchanges, r.finished) for r in results])
    cell.update(j.as_dict())
    cell["repetition_median_s"] = statistics.median(r.seconds for r in results) if results else None
    cell["unfinished"] = sorted({r.why for r in results if not r.finished})[:3]
    cell["cell_s"] = time.monotonic() - t0
    return cell


def run_matrix(flows: list[str], columns: list[str], reps: int, jobs: int, step_s: float = 30.0,
               progress: Any = None) -> list[dict[str, Any]]:
    """Every cell, `jobs` at a time in spawned processes, the longest expected first; results in matrix order."""
    todo = sorted(((f, c) for f in flows for c in columns), key=lambda fc: -COST.get(fc[1], 0))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(run_cell, f, c, reps, 1, step_s): (f, c) for f, c in todo}
        for fut in concurrent.futures.as_completed(futures):
            key = futures[fut]
            try:
                out[key] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a harness crash in one cell is reported, not fatal
                out[key] = {"flow": key[0], "row": FLOWS[key[0]].name, "column": key[1], "verdict": "ERROR",
                            "why": f"harness error: {exc!r}"}
            if progress:
                progress(out[key])
    return [out[(f, c)] for f in flows for c in columns]


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def _cell_md(c: dict[str, Any]) -> str:
    v = c["verdict"]
    if v in ("NOT_MEASURED", "ERROR"):
        return f"{v}"
    mark = "" if c.get("inside_envelope") else " (outside)"
    med = "–" if c.get("median_s") is None else f"{c['median_s']:.3f}"
    p95 = "–" if c.get("p95_s") is None else f"{c['p95_s']:.3f}"
    return (f"**{v}**{mark}<br>{med} / {p95} s<br>{c['reliability_pct']:.1f} % of {c['attempts']}"
            f"<br>{c['reps_completed']}/{c['reps']} runs")


def render(cells: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    from .flows import FLOWS as F
    flows = list(dict.fromkeys(c["flow"] for c in cells))
    cols = list(dict.fromkeys(c["column"] for c in cells))
    by = {(c["flow"], c["column"]): c for c in cells}
    lines = [
        "# Table 6 under impairment",
        "",
        "Generated by `" + meta["command"] + "` on " + meta["date"] + f" in {meta['wall_s']:.0f} s "
        f"({meta['jobs']} cells at a time, {meta['reps']} repetitions per cell).",
        "",
        f"Machine: {meta['machine']['platform']}, Python {meta['machine']['python']}, {meta['machine']['cpus']} "
        f"CPUs (shared; load {meta['machine']['load_1min']} at the start). Kernel: "
        + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in meta["kernel"].items()) + ".",
        "",
        "Each row is a built-in reference device against the project's fake peer; each column a link condition "
        "(one way, each direction). Rate and loss are applied by the kernel on a veth pair between two network "
        "namespaces (`tbf`; loss by `netem` where the kernel has it, else by an eBPF classifier that drops IP "
        "packets, so TCP really retransmits); delay and jitter by the user-space relay (or `netem`), which never "
        "reorders a TCP stream. The ISO 15118 SDP datagrams (UDP) pass the relay alone, which applies all four "
        "aspects to them. The IEC 61850 row has no relay (GOOSE and SV are Ethernet multicast): its veth is split "
        "by a layer-2 forwarder that delays every frame (MMS's TCP, GOOSE, SV, ARP) and through whose egress the "
        "eBPF drop loses every EtherType; its rate is `tbf` on the veth ends. See `vgitest/impair/` and "
        "docs/impairment-method.md.",
        "",
        "A cell: the verdict; median / p95 latency of one exchange at the device's edge (IEC 61850: what the waiting "
        "end waited, so a GOOSE counts the time since the GOOSE before it); reliability (exchanges "
        "completed within the application's latency range, or the protocol's own timers) and the number of exchanges attempted; runs that "
        "reached the flow's last message. \"(outside)\": the link itself is outside the application's Table 6 "
        "figures (rate below its bandwidth, worst round trip above its strict latency, or loss above 100 % minus "
        "its reliability), so a FAIL there says the link is too poor, not that the device is wrong.",
        "",
        "| flow | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for f in flows:
        lines.append(f"| {F[f].name} | " + " | ".join(_cell_md(by[(f, c)]) for c in cols) + " |")
    lines += ["", "## Flows", ""]
    for f in flows:
        flow = F[f]()
        env = flow.envelope()
        lines.append(f"- **{flow.name}** — judged by {env.describe()}. Exchange: {flow.exchange}. Last message: "
                     f"{flow.last}.")
    configured = [c for c in cells if (c.get("applied") or {}).get("configured")]
    if configured:
        lines += ["", "## Device settings per cell", "",
                  "Settings a deployment configures for its link (IEC 61850: the GOOSE curve and SV rate of the "
                  "SCL, see docs/impairment-method.md), as each cell ran them:", ""]
        for c in configured:
            lines.append(f"- {c['row']}, {c['column']}: " + ", ".join(
                f"{k.replace('_', ' ')} {v:g}" for k, v in c["applied"]["configured"].items()))
    notes = [c for c in cells if c.get("why") or c.get("unfinished") or c.get("gave_up") or c.get("relay_errors")]
    if notes:
        lines += ["", "## Notes per cell", ""]
        for c in notes:
            parts = [p for p in (c.get("why"), c.get("gave_up"), "; ".join(c.get("unfinished") or []),
                                 "; ".join(c.get("relay_errors") or [])) if p]
            lines.append(f"- {c['row']}, {c['column']}: " + " — ".join(parts))
    return "\n".join(lines) + "\n"


def write(cells: list[dict[str, Any]], meta: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "impairment.md", out / "impairment.json"
    md.write_text(render(cells, meta), encoding="utf-8")
    js.write_text(json.dumps({"meta": meta, "cells": cells}, indent=1, default=str) + "\n", encoding="utf-8")
    return md, js


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def kernel_caps() -> dict[str, bool]:
    """What the kernel path offers here (made on a throw-away namespace pair), for the report's header."""
    from ..slac import netns
    from .kernel import capabilities
    ok, _ = netns.available()
    if not ok:
        return {"namespaces": False}
    with netns.NetnsPair(prefix="vgiimpc") as pair:
        return {"namespaces": True, **capabilities(pair.a, pair.ifname)}


__all__ = ["run_cell", "run_matrix", "render", "write", "machine", "now", "kernel_caps"]

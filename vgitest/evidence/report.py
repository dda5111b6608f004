"""The run's summary: results.json (machine-readable, what CI and the fault matrix read), summary.md
(for humans), and Allure's environment.properties."""

from __future__ import annotations

import collections
import json
import os
import time
from pathlib import Path
from typing import Any


def write_results(results: list[dict[str, Any]], run_dir: Path, meta: dict[str, Any], *,
                  running: dict[str, Any] | None = None, interrupted: dict[str, Any] | None = None) -> Path:
    """Rewritten after every case, each file replaced whole (temp file + os.replace): a run stopped at any moment
    leaves every finished case, and `running` names the case that had begun."""
    counts = collections.Counter(r["verdict"] for r in results)
    doc = {"meta": meta, "counts": dict(counts), "results": results, "running": running, "interrupted": interrupted}
    path = run_dir / "results.json"
    _replace(path, json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    lines = [f"# vgitest run: {meta.get('profile_name', '')}", "",
             f"DUT: {meta.get('dut', '')}  ", f"Profile: {meta.get('profile', '')}  ",
             f"Faults injected: {', '.join(meta.get('faults', [])) or 'none'}  ", ""]
    if interrupted:
        lines += [f"**Run interrupted** by {interrupted.get('signal')}: the results below are the cases that had "
                  "ended, and the case that was running (INCONCLUSIVE, interrupted).", ""]
    lines += ["| verdict | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items())]
    lines += ["", "| test | case | verdict | rules | duration (s) | harness latency p99 (µs) |",
              "|---|---|---|---|---|---|"]
    for r in results:
        lat = r.get("harness_latency") or {}
        rules = ", ".join(sorted({f["rule"] for f in r.get("findings", []) if f["severity"] != "info"}))
        verdict = r["verdict"] + (" (interrupted)" if r.get("interrupted") else "")
        lines.append(f"| {r['test']} | {r.get('case') or ''} | {verdict} | {rules} | {r.get('duration_s', 0):.2f}"
                     f" | {lat.get('p99_us', '') if lat else ''} |")
    _replace(run_dir / "summary.md", "\n".join(lines) + "\n")
    return path


def interrupted_result(running: dict[str, Any], signame: str) -> dict[str, Any]:
    """The result of the case a signal stopped (`running` as results.json names it): never judged, so
    INCONCLUSIVE, and marked as interrupted."""
    started = running.get("started")
    return {"test": running.get("test"), "nodeid": running.get("nodeid"), "case": running.get("case"),
            "feature": running.get("feature"), "verdict": "INCONCLUSIVE", "outcome": "interrupted",
            "interrupted": True, "duration_s": round(time.time() - started, 3) if started else 0,
            "findings": [], "observed": [], "message": f"interrupted by {signame} before the case ended"}


def mark_interrupted(run_dir: Path, signame: str) -> bool:
    """After a pytest process died of a signal it could not handle (SIGKILL): mark its last results.json as
    interrupted, with the case it was running. False when there is nothing to mark (no run folder)."""
    path = run_dir / "results.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if not run_dir.is_dir():
            return False
        doc = {"meta": {}, "results": []}
    if doc.get("interrupted"):
        return True  # the pytest process marked it itself
    results = list(doc.get("results", []))
    if doc.get("running"):
        results.append(interrupted_result(doc["running"], signame))
    write_results(results, run_dir, doc.get("meta", {}), interrupted={"signal": signame, "at": time.time()})
    return True


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_environment(env: dict[str, str], allure_dir: Path, run_name: str = "") -> None:
    """Allure shows one environment per results folder: each run adds its own keys (prefixed with the run's name)
    and keeps the other runs' keys, so a folder that holds several DUT runs shows all of them."""
    import fcntl
    allure_dir.mkdir(parents=True, exist_ok=True)
    path = allure_dir / "environment.properties"
    prefix = f"{run_name}." if run_name else ""
    with (allure_dir / ".environment.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # runs in parallel processes share the folder
        merged: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                key, sep, value = line.partition("=")
                if sep and not (prefix and key.startswith(prefix)):
                    merged[key] = value
        merged.update({f"{prefix}{k}": str(v).replace(chr(10), " ") for k, v in env.items()})
        tmp = path.with_name(f".environment.{run_name or 'run'}.tmp")
        tmp.write_text("".join(f"{k}={v}\n" for k, v in sorted(merged.items())), encoding="utf-8")
        tmp.replace(path)

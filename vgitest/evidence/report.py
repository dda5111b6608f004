"""The run's summary: results.json (machine-readable, what CI and the fault matrix read), summary.md
(for humans), and Allure's environment.properties."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any


def write_results(results: list[dict[str, Any]], run_dir: Path, meta: dict[str, Any]) -> Path:
    counts = collections.Counter(r["verdict"] for r in results)
    doc = {"meta": meta, "counts": dict(counts), "results": results}
    path = run_dir / "results.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    lines = [f"# vgitest run: {meta.get('profile_name', '')}", "",
             f"DUT: {meta.get('dut', '')}  ", f"Profile: {meta.get('profile', '')}  ",
             f"Faults injected: {', '.join(meta.get('faults', [])) or 'none'}  ", "",
             "| verdict | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items())]
    lines += ["", "| test | case | verdict | rules | duration (s) | harness latency p99 (µs) |",
              "|---|---|---|---|---|---|"]
    for r in results:
        lat = r.get("harness_latency") or {}
        rules = ", ".join(sorted({f["rule"] for f in r.get("findings", []) if f["severity"] != "info"}))
        lines.append(f"| {r['test']} | {r.get('case') or ''} | {r['verdict']} | {rules} | {r.get('duration_s', 0):.2f}"
                     f" | {lat.get('p99_us', '') if lat else ''} |")
    (run_dir / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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

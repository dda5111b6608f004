"""One test's evidence folder: every frame (JSON lines), the sequence diagram (text and Mermaid), a pcapng of the
test's bytes, the findings with their phase, and what the fake peer adds for its protocol (``RunPeer.evidence``:
a trace in a format the protocol's tools read, an Ethernet capture of layer-2 frames). The same files are
attached to Allure.

Evidence never turns a verdict into an error: a capture that cannot be written leaves a note beside the rest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..findings import Finding
from . import allure, charts, jsonl, pcapng, sequence


def folder_name(test_name: str) -> str:
    """A file-system-safe folder name for a test."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]


def write(folder: Path, peer: Any, frames: list, *, dut: str, start_ns: int, verdict: str | None,
          findings: list[Finding], observed: list[tuple[Finding, str]], extra: dict[str, Any],
          latency_budgets: tuple[float | None, float | None] = (None, None)) -> dict[str, str]:
    """Write one test's evidence into `folder` and attach it to Allure; {name: path} of the files written.
    `extra` holds the result fields shown beside the findings (harness latency, message sizes);
    `latency_budgets` the device's answer budget and the harness's own (seconds, None: none) for the chart."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, str] = {}
    jsonl.write_frames(frames, folder / "frames.jsonl")
    out["frames"] = str(folder / "frames.jsonl")
    harness = getattr(peer, "harness_name", "HARNESS")
    seq = sequence.text(frames, dut=dut, harness=harness)
    (folder / "sequence.txt").write_text(seq, encoding="utf-8")
    (folder / "sequence.mmd").write_text(sequence.mermaid(frames, dut=dut, harness=harness.replace("-", " ").title()),
                                         encoding="utf-8")
    out["sequence"] = str(folder / "sequence.txt")
    pictures: list[tuple[str, Path]] = []
    try:
        (folder / "sequence.svg").write_text(charts.sequence_svg(frames, dut=dut, harness=harness), encoding="utf-8")
        pictures.append(("sequence diagram (picture)", folder / "sequence.svg"))
        chart = charts.latency_svg(charts.exchanges(frames), *latency_budgets)
        if chart is not None:
            (folder / "latency.svg").write_text(chart, encoding="utf-8")
            pictures.append(("latency against budget", folder / "latency.svg"))
    except Exception as exc:  # evidence must never turn a verdict into an error
        (folder / "charts.error.txt").write_text(f"pictures not drawn: {exc!r}\n", encoding="utf-8")
    out.update({p.stem: str(p) for _, p in pictures})
    own: dict[str, str] = {}
    for what, write_files in (("pcapng", lambda: _wire_capture(peer, folder, start_ns, frames)),
                              ("protocol evidence", lambda: peer.evidence(frames, folder))):
        try:
            own.update(write_files())
        except Exception as exc:  # evidence must never turn a verdict into an error
            (folder / "capture.error.txt").write_text(f"{what} not written: {exc!r}\n", encoding="utf-8")
    out.update(own)
    summary = {"verdict": verdict, "findings": [f.to_dict() for f in findings],
               "observed": [{**f.to_dict(), "not_judged": why} for f, why in observed], **extra}
    (folder / "findings.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    out["findings"] = str(folder / "findings.json")
    for title, path in pictures:
        allure.attach_file(path, title, "svg")
    allure.attach_text(seq, "sequence diagram")
    allure.attach_json(summary, "findings (judged and observed), sizes and harness latency")
    for name, path in own.items():  # the protocol's own files first (e.g. a trace its tools read), the pcapng last
        if name != "pcapng":
            allure.attach_file(Path(path), name.replace("_", " "), Path(path).suffix.lstrip("."))
    allure.attach_file(folder / "frames.jsonl", "frames (raw, all)", "jsonl")
    allure.attach_file(folder / "capture.pcapng", "capture.pcapng", "pcapng")
    return out


def _wire_capture(peer: Any, folder: Path, start_ns: int, frames: list) -> dict[str, str]:
    """A pcapng of the bytes the peer's connections carried during the test (none: no file)."""
    if pcapng.write_pcapng(getattr(peer, "wires", None) or [], folder / "capture.pcapng", start_ns, frames=frames):
        return {"pcapng": str(folder / "capture.pcapng")}
    return {}

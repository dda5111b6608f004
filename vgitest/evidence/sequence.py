"""A readable sequence diagram of a test's frames: plain text for terminals and attachments, and Mermaid
for renderers that draw it."""

from __future__ import annotations

from typing import Iterable

from ..trace import Direction, Frame


def label(f: Frame) -> str:
    """A frame in a few words: its message name and kind, a status or error code."""
    if f.kind in ("OPEN", "CLOSE", "REJECT"):
        extra = f.meta.get("negotiated") or f.meta.get("code") or ""
        return f"[{f.kind.lower()}{' ' + str(extra) if extra else ''}]"
    name = f.name or "?"
    if f.kind == "CALL":
        return f"{name}"
    if f.kind == "CALLRESULT":
        status = f.body.get("status") if isinstance(f.body, dict) else None
        return f"{name} result" + (f" ({status})" if isinstance(status, str) else "")
    if f.kind == "CALLERROR":
        code = f.body.get("errorCode") if isinstance(f.body, dict) else None
        return f"{name if f.name else ''} CALLERROR {code}".strip()
    return f"{f.kind} {name if f.name else ''}".strip()


def text(frames: Iterable[Frame], dut: str = "DUT", harness: str = "HARNESS") -> str:
    frames = list(frames)
    if not frames:
        return "(no frames)\n"
    t0 = frames[0].t_ns
    width = 58
    lines = [f"{'t (s)':>9}  {dut:<10}{'':^{width}}{harness}"]
    for f in frames:
        words = label(f)
        if f.correlation:
            words += f" #{f.correlation[:8]}"
        words += f" {f.size}B" if f.size else ""
        words = words[: width - 6]
        bar = "─" * max(2, width - 4 - len(words))
        arrow = f"──{words} {bar}▶" if f.direction is Direction.IN else f"◀{bar} {words}──"
        mark = "  ✗ " + "; ".join(x.rule_id for x in f.findings) if f.findings else ""
        lines.append(f"{(f.t_ns - t0) / 1e9:9.3f}  {'':<10}{arrow}{mark}")
    return "\n".join(lines) + "\n"


def mermaid(frames: Iterable[Frame], dut: str = "DUT", harness: str = "Harness") -> str:
    out = ["sequenceDiagram", f"    participant D as {dut}", f"    participant H as {harness}"]
    for f in frames:
        words = label(f).replace(";", ",").replace("#", "")
        if f.direction is Direction.IN:
            out.append(f"    D->>H: {words}")
        else:
            out.append(f"    H-->>D: {words}")
        for x in f.findings:
            out.append(f"    Note over D,H: {x.rule_id}")
    return "\n".join(out) + "\n"

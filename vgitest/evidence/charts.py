"""Pictures of one test drawn by the harness itself (plain SVG, no library, no browser): the sequence diagram,
and the latencies of the test's exchanges against the budgets that judge them. A lab's reader sees them in the
Allure report and in the evidence folder; the text and Mermaid forms stay for terminals and renderers.

Latencies come from the frames' socket timestamps: a device's answer time is from the harness's request leaving
its socket to the answer arriving (the pair shares a correlation id); the harness's own time is what the fake peer
recorded for its answers (meta ``harness_latency_us``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Iterable

from ..trace import Direction, Frame
from .sequence import label as frame_label

FONT = "font-family='DejaVu Sans Mono, Menlo, Consolas, monospace' font-size='12'"
RED, GREEN, GREY, BLUE = "#c62828", "#2e7d32", "#757575", "#1565c0"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, with who answered and how long it took (seconds)."""
    name: str
    answered_by_dut: bool
    seconds: float


def exchanges(frames: Iterable[Frame]) -> list[Exchange]:
    """The test's answered requests in order: the device's answers to the harness (socket to socket) and the
    harness's answers to the device (its recorded processing time)."""
    pending: dict[str, Frame] = {}
    out: list[Exchange] = []
    for f in frames:
        if f.kind in ("OPEN", "CLOSE", "REJECT"):
            continue
        if f.direction is Direction.OUT and "harness_latency_us" in f.meta:
            out.append(Exchange(f.name or f.kind, False, float(f.meta["harness_latency_us"]) / 1e6))
            continue
        if not f.correlation:
            continue
        req = pending.get(f.correlation)
        if req is None:
            pending[f.correlation] = f
        elif req.direction is Direction.OUT and f.direction is Direction.IN:
            del pending[f.correlation]
            out.append(Exchange(req.name or req.kind, True, max(0.0, (f.t_ns - req.t_ns) / 1e9)))
        else:
            del pending[f.correlation]
    return out


def _text(x: float, y: float, s: str, anchor: str = "start", color: str = "#212121") -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{color}' {FONT}>{escape(s)}</text>"


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
            f"viewBox='0 0 {width:.0f} {height:.0f}'><title>{escape(title)}</title>"
            f"<rect width='100%' height='100%' fill='white'/>" + "".join(body) + "</svg>\n")


def sequence_svg(frames: list[Frame], dut: str = "DUT", harness: str = "HARNESS", max_rows: int = 400) -> str:
    """Two lifelines (the device left, the harness right) and one arrow per frame, in time order: its time
    from the test's first frame, its label, a device answer's latency, and in red the rules a frame broke. More
    than `max_rows` frames: the first ones, and a note of how many are left out (the text form has them all)."""
    shown = frames[:max_rows]
    left, right, top, row = 190.0, 650.0, 60.0, 26.0
    height = top + row * (len(shown) + 1) + 20
    body = [_text(left, 24, dut, "middle"), _text(right, 24, harness, "middle"),
            f"<line x1='{left}' y1='34' x2='{left}' y2='{height - 20:.0f}' stroke='{GREY}' stroke-dasharray='4 3'/>",
            f"<line x1='{right}' y1='34' x2='{right}' y2='{height - 20:.0f}' stroke='{GREY}' stroke-dasharray='4 3'/>",
            "<defs><marker id='a' markerWidth='8' markerHeight='8' refX='7' refY='4' orient='auto'>"
            "<path d='M0,0 L8,4 L0,8 z' fill='context-stroke'/></marker></defs>"]
    if not shown:
        body.append(_text((left + right) / 2, top, "(no frames)", "middle", GREY))
    t0 = shown[0].t_ns if shown else 0
    requests: dict[str, Frame] = {}
    for i, f in enumerate(shown):
        y = top + row * i
        bad = bool(f.findings)
        color = RED if bad else (BLUE if f.direction is Direction.IN else "#424242")
        x1, x2 = (left, right) if f.direction is Direction.IN else (right, left)
        body.append(_text(8, y + 4, f"{(f.t_ns - t0) / 1e9:9.3f} s", "start", GREY))
        body.append(f"<line x1='{x1}' y1='{y:.1f}' x2='{x2}' y2='{y:.1f}' stroke='{color}' stroke-width='1.5' "
                    f"marker-end='url(#a)'/>")
        text = frame_label(f) + (f" {f.size} B" if f.size else "")
        note = ""
        if f.correlation:
            req = requests.pop(f.correlation, None)
            if req is None:
                requests[f.correlation] = f
            elif req.direction is Direction.OUT and f.direction is Direction.IN:
                note = f"answered in {(f.t_ns - req.t_ns) / 1e6:.1f} ms"
        if f.direction is Direction.OUT and "harness_latency_us" in f.meta:
            note = f"harness took {_fmt(float(f.meta['harness_latency_us']) / 1e6)}"
        body.append(_text((left + right) / 2, y - 4, text[:70], "middle", color))
        extra = "; ".join(x.rule_id for x in f.findings) if bad else note
        if extra:
            shade = RED if bad else (GREEN if f.direction is Direction.IN else GREY)
            body.append(_text(right + 12, y + 4, extra[:60], "start", shade))
    if len(frames) > len(shown):
        body.append(_text((left + right) / 2, top + row * len(shown), f"... {len(frames) - len(shown)} more frames "
                          "(sequence.txt has them all)", "middle", GREY))
    return _svg(right + 340, height, body, f"sequence: {dut} and {harness}")


def latency_svg(items: list[Exchange], dut_budget_s: float | None, harness_budget_s: float | None,
                max_rows: int = 200) -> str | None:
    """One bar per exchange on a logarithmic time axis, device answers and the harness's own answers in two
    groups, each with its budget as a dashed line (a bar over it is red). None without exchanges."""
    if not items:
        return None
    items = items[:max_rows]
    values = [e.seconds for e in items] + [b for b in (dut_budget_s, harness_budget_s) if b]
    lo = 10 ** math.floor(math.log10(max(1e-6, min(v for v in values if v > 0) if any(values) else 1e-6)))
    hi = 10 ** math.ceil(math.log10(max(values + [lo * 10])))
    left, width, top, row = 230.0, 520.0, 30.0, 18.0

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return left + width * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    groups = [("device answer time (socket to socket)", True, dut_budget_s),
              ("harness's own time to answer", False, harness_budget_s)]
    body: list[str] = []
    y = top
    for title, by_dut, budget in groups:
        rows = [e for e in items if e.answered_by_dut is by_dut]
        if not rows:
            continue
        body.append(_text(8, y, title + (f" (budget {_fmt(budget)})" if budget else " (no budget)"), "start"))
        y0 = y + 8
        for e in rows:
            y += row
            over = budget is not None and e.seconds > budget
            body.append(_text(left - 8, y + 4, e.name[:28], "end"))
            body.append(f"<rect x='{left}' y='{y - 6:.1f}' width='{max(1.0, x(e.seconds) - left):.1f}' height='12' "
                        f"fill='{RED if over else GREEN}'/>")
            body.append(_text(x(e.seconds) + 6, y + 4, _fmt(e.seconds), "start", RED if over else "#424242"))
        if budget:
            body.append(f"<line x1='{x(budget):.1f}' y1='{y0:.1f}' x2='{x(budget):.1f}' y2='{y + 8:.1f}' "
                        f"stroke='{RED}' stroke-width='2' stroke-dasharray='5 3'/>")
        y += row * 2
    decade = lo
    while decade <= hi * 1.0001:  # the axis: one tick per power of ten
        body.insert(0, f"<line x1='{x(decade):.1f}' y1='{top + 6}' x2='{x(decade):.1f}' y2='{y - row:.1f}' "
                       f"stroke='#e0e0e0'/>")
        body.append(_text(x(decade), y - row + 14, _fmt(decade), "middle", GREY))
        decade *= 10
    return _svg(left + width + 120, y + 10, body, "latency against budget")


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"

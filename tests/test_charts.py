"""The pictures of a test's evidence (vgitest/evidence/charts.py): the SVG sequence diagram and the latencies
against their budgets, drawn by the harness without a library or a browser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vgitest.evidence.charts import Exchange, exchanges, latency_svg, sequence_svg
from vgitest.findings import Finding, Severity
from vgitest.trace import Direction, Frame

NS = "{http://www.w3.org/2000/svg}"


def _frame(t_ms: float, direction: Direction, kind: str, name: str, corr: str | None, **meta: float) -> Frame:
    return Frame(int(t_ms * 1e6), 0.0, direction, "ocpp", "1.6", "c1", kind, name, corr, b"x" * 10, {},
                 meta=dict(meta))


FRAMES = [
    _frame(0, Direction.IN, "CALL", "Heartbeat", "a"),  # the device asks, the harness answers in 300 µs
    _frame(0.3, Direction.OUT, "CALLRESULT", "Heartbeat", "a", harness_latency_us=300.0),
    _frame(5, Direction.OUT, "CALL", "Reset", "b"),  # the harness asks, the device answers after 40 ms
    _frame(45, Direction.IN, "CALLRESULT", "Reset", "b"),
    _frame(50, Direction.OUT, "CALL", "GetConfiguration", "c"),  # never answered: no exchange
]


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{NS}text")]


def test_exchanges_pair_requests_with_answers() -> None:
    got = exchanges(FRAMES)
    assert [(e.name, e.answered_by_dut) for e in got] == [("Heartbeat", False), ("Reset", True)]
    assert abs(got[0].seconds - 300e-6) < 1e-9 and abs(got[1].seconds - 0.040) < 1e-9


def test_sequence_picture_shows_each_frame_its_latency_and_broken_rules() -> None:
    frames = [*FRAMES]
    frames[3] = _frame(45, Direction.IN, "CALLRESULT", "Reset", "b")
    frames[3].findings.append(Finding("OCPP-SCHEMA", "bad", Severity.FAIL))
    svg = sequence_svg(frames, dut="CP-1", harness="FAKE-CSMS")
    texts = _texts(svg)  # well-formed XML, or this raises
    assert "CP-1" in texts and "FAKE-CSMS" in texts
    assert len(ET.fromstring(svg).findall(f"{NS}line")) == 2 + len(frames)  # two lifelines, an arrow per frame
    assert "harness took 300 µs" in texts
    assert "OCPP-SCHEMA" in texts  # the broken rule instead of the latency, in red
    red = [t for t in ET.fromstring(svg).iter(f"{NS}text") if t.get("fill") == "#c62828"]
    assert {t.text for t in red} >= {"OCPP-SCHEMA"}
    long = sequence_svg(frames * 100, max_rows=10)
    assert "... 490 more frames (sequence.txt has them all)" in _texts(long)


def test_latency_chart_marks_a_bar_over_its_budget() -> None:
    items = [Exchange("Reset", True, 0.040), Exchange("TriggerMessage", True, 3.0), Exchange("Heartbeat", False, 3e-4)]
    svg = latency_svg(items, dut_budget_s=2.5, harness_budget_s=0.010)
    assert svg is not None
    bars = {round(float(r.get("y"))): r.get("fill") for r in ET.fromstring(svg).iter(f"{NS}rect") if r.get("y")}
    assert sorted(bars.values()) == ["#2e7d32", "#2e7d32", "#c62828"]  # only the 3 s answer is over 2.5 s
    texts = _texts(svg)
    assert "device answer time (socket to socket) (budget 2.5 s)" in texts
    assert "harness's own time to answer (budget 10 ms)" in texts
    assert latency_svg([], 1.0, 1.0) is None


def test_the_chart_budgets_come_from_the_protocol_budget_files() -> None:
    """The core names no protocol: each budget file's [chart] table says which of its budgets the chart draws,
    and a profile's override of that budget is what is drawn."""
    from vgitest.budgets import Budgets
    b = Budgets.load()
    assert b.answer_budgets("ocpp") == (30.0, 0.010)
    assert b.answer_budgets("openadr") == (10.0, None)
    assert b.answer_budgets("no-such-protocol") == (None, None)
    assert b.override("ocpp", "response_timeout", value_s=2.5).answer_budgets("ocpp") == (2.5, 0.010)

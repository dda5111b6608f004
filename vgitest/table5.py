"""FLOW D3.1 Table 5 across protocols: the messages that carry each row's information, with measured sizes.

Table 5 sizes an EV charging flow over IEC 61850 (power request, ACK, parameter request and response, start,
repeated state-of-charge updates, stop). Every other protocol the harness speaks carries the same information
in messages of its own; this module says which (``EQUIVALENTS``, with the reason for each choice and for each
row a protocol cannot carry), measures them in a run's evidence and writes the comparison: a Markdown table, a
JSON file and an SVG bar chart per row (budget against the median of each protocol), attached to the Allure
report as a result of its own.

Sizes are the application message as the trace records it (``Frame.size``): the V2GTP message (8-byte header and
EXI body) for ISO 15118 / DIN SPEC 70121, the WebSocket text (OCPP JSON), the HTTP body (OpenADR 2.0b, IEEE
2030.5), and for IEC 61850 the whole frame as Table 5 counts it (GOOSE and SV as sent; MMS as its TPKT plus 54 bytes
of Ethernet, IPv4 and TCP headers). For the other protocols, transport below the message (TCP/IP, TLS, WebSocket
and HTTP headers) is not in the figure.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import statistics
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .resources import data_dir

# The columns, in the order the table shows them, each with the built-in runs whose evidence it reads.
FAMILIES: dict[str, tuple[str, ...]] = {
    "IEC 61850": ("iec61850-evse", "iec61850-ev"),
    "ISO 15118-2": ("iso15118-2-evse", "iso15118-2-ev"),
    "ISO 15118-20": ("iso15118-20-evse", "iso15118-20-ev"),
    "DIN SPEC 70121": ("din70121-evse", "din70121-ev"),
    "OCPP 1.6": ("ocpp16",),
    "OCPP 2.0.1": ("ocpp201",),
    "OpenADR 2.0b": ("openadr20b",),
    "IEEE 2030.5": ("csip",),
}


@dataclasses.dataclass(frozen=True)
class Equivalent:
    """The messages of one protocol that carry a Table 5 row's information. ``kinds`` and ``names`` select
    frames of the trace (``names`` are regular expressions matched against the whole frame name); an empty
    ``names`` means the protocol has no such message, and ``why`` says why."""

    family: str
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    why: str

    def matches(self, frame: dict[str, Any]) -> bool:
        return (frame.get("kind") in self.kinds
                and any(re.fullmatch(n, frame.get("name") or "") for n in self.names))


def _iso(names: tuple[str, ...], why: str, kinds: tuple[str, ...]) -> list[Equivalent]:
    return [Equivalent(f, names, kinds, why) for f in ("ISO 15118-2", "DIN SPEC 70121")]


REQ, RES = ("REQUEST",), ("RESPONSE",)
CALL, RESULT = ("CALL",), ("CALLRESULT",)
NONE: tuple[str, ...] = ()

EQUIVALENTS: dict[int, list[Equivalent]] = {
    1: [Equivalent("IEC 61850", (r"MMS Write.*PowerRequest.*",), REQ, "the EV writes its power request"),
        *_iso((r"ChargeParameterDiscoveryReq",), "the EV states its energy need and its limits", REQ),
        Equivalent("ISO 15118-20", (r"(AC_|DC_)?ChargeParameterDiscoveryReq",), REQ, "the EV states its power limits"),
        Equivalent("OCPP 1.6", NONE, CALL, "OCPP 1.6 carries nothing from the EV about the power it wants"),
        Equivalent("OCPP 2.0.1", (r"NotifyEVChargingNeeds",), CALL,
                   "the station passes on what the EV asked for (ISO 15118 charging needs)"),
        Equivalent("OpenADR 2.0b", NONE, REQ, "a VEN does not ask for power; the VTN sets it"),
        Equivalent("IEEE 2030.5", NONE, REQ, "a client does not ask for power; the server's controls set it")],
    2: [Equivalent("IEC 61850", (r"MMS Write.*PowerRequest.*",), RES, "the EVSE's write response"),
        *_iso((r"ChargeParameterDiscoveryRes",), "the EVSE's answer to the energy need", RES),
        Equivalent("ISO 15118-20", (r"(AC_|DC_)?ChargeParameterDiscoveryRes",), RES, "the EVSE's answer to the limits"),
        Equivalent("OCPP 1.6", NONE, RESULT, "no request to acknowledge (row 1)"),
        Equivalent("OCPP 2.0.1", (r"NotifyEVChargingNeeds",), RESULT, "the CSMS's acknowledgement"),
        Equivalent("OpenADR 2.0b", NONE, RES, "no request to acknowledge (row 1)"),
        Equivalent("IEEE 2030.5", NONE, RES, "no request to acknowledge (row 1)")],
    3: [Equivalent("IEC 61850", (r"MMS Read EVParameters.*",), REQ, "the EVSE reads the EV's state"),
        *_iso(NONE, "the EV is always the client: the EVSE never asks, the EV sends its state unasked", REQ),
        Equivalent("ISO 15118-20", NONE, REQ, "the EV is always the client: the EVSE never asks"),
        Equivalent("OCPP 1.6", (r"TriggerMessage",), CALL, "the CSMS asks the station for meter values"),
        Equivalent("OCPP 2.0.1", (r"TriggerMessage",), CALL, "the CSMS asks the station for meter values"),
        Equivalent("OpenADR 2.0b", (r"oadrCreateReport",), REQ + RES, "the VTN asks for a telemetry report"),
        Equivalent("IEEE 2030.5", NONE, REQ,
                   "the server cannot ask (REST): the client posts its state on its own schedule")],
    4: [Equivalent("IEC 61850", (r"MMS Read EVParameters.*",), RES, "the EV's state, limits and charging mode"),
        *_iso((r"CurrentDemandReq",), "DC: the EV's state of charge, targets and limits", REQ),
        Equivalent("ISO 15118-20", (r"DC_ChargeLoopReq", r"AC_ChargeLoopReq"), REQ,
                   "the EV's present and target state of charge and its limits"),
        Equivalent("OCPP 1.6", (r"MeterValues",), CALL, "the station's meter values (SoC where the EV gives it)"),
        Equivalent("OCPP 2.0.1", (r"MeterValues",), CALL, "the station's meter values (SoC where the EV gives it)"),
        Equivalent("OpenADR 2.0b", (r"oadrRegisterReport",), REQ, "the VEN describes what it can report"),
        Equivalent("IEEE 2030.5", (r"PUT /edev/\d+/der/\d+/ders",), REQ,
                   "DERStatus: the client's state (state of charge for storage) and its operating mode")],
    5: [Equivalent("IEC 61850", (r"GOOSE initiate.*",), ("GOOSE",), "the EVSE starts charging"),
        *_iso((r"PowerDeliveryRes",), "the EVSE confirms the start of power delivery", RES),
        Equivalent("ISO 15118-20", (r"PowerDeliveryRes",), RES, "the EVSE confirms the start of power delivery"),
        Equivalent("OCPP 1.6", (r"RemoteStartTransaction",), CALL, "the CSMS starts a transaction"),
        Equivalent("OCPP 2.0.1", (r"RequestStartTransaction",), CALL, "the CSMS starts a transaction"),
        Equivalent("OpenADR 2.0b", (r"oadrDistributeEvent",), REQ + RES, "the VTN announces an event"),
        Equivalent("IEEE 2030.5", (r"DERControlList",), RES, "the server's list of controls, with the active one")],
    6: [Equivalent("IEC 61850", (r"SV.*",), ("SV",), "the EV's state of charge, sampled"),
        *_iso((r"CurrentDemandReq", r"ChargingStatusReq"),
              "the charge loop (DC carries the state of charge; AC ChargingStatusReq carries none)", REQ),
        Equivalent("ISO 15118-20", (r"DC_ChargeLoopReq", r"AC_ChargeLoopReq"), REQ, "the charge loop"),
        Equivalent("OCPP 1.6", (r"MeterValues",), CALL, "periodic meter values"),
        Equivalent("OCPP 2.0.1", (r"TransactionEvent",), CALL, "transaction updates with meter values"),
        Equivalent("OpenADR 2.0b", (r"oadrUpdateReport",), REQ, "periodic telemetry"),
        Equivalent("IEEE 2030.5", (r"POST /mup/\d+",), REQ, "periodic meter readings (MirrorMeterReading)")],
    7: [Equivalent("IEC 61850", (r"GOOSE terminate.*",), ("GOOSE",), "the EVSE stops charging"),
        *_iso((r"CurrentDemandRes", r"ChargingStatusRes"),
              "the EVSE asks the EV to stop in its charge loop answer (EVSENotification StopCharging)", RES),
        Equivalent("ISO 15118-20", (r"DC_ChargeLoopRes", r"AC_ChargeLoopRes"), RES,
                   "the EVSE asks the EV to stop in its charge loop answer (EVSENotification)"),
        Equivalent("OCPP 1.6", (r"RemoteStopTransaction",), CALL, "the CSMS stops the transaction"),
        Equivalent("OCPP 2.0.1", (r"RequestStopTransaction",), CALL, "the CSMS stops the transaction"),
        Equivalent("OpenADR 2.0b", (r"oadrDistributeEvent",), REQ + RES, "the VTN cancels the event"),
        Equivalent("IEEE 2030.5", (r"DERControlList",), RES, "the list without the control, or with it cancelled")],
}


@dataclasses.dataclass
class Cell:
    """One protocol's messages for one row: what was measured (bytes of each matching frame)."""

    equivalent: Equivalent
    sizes: list[int] = dataclasses.field(default_factory=list)
    names: set[str] = dataclasses.field(default_factory=set)

    @property
    def median(self) -> float | None:
        return statistics.median(self.sizes) if self.sizes else None

    def text(self) -> str:
        if not self.equivalent.names:
            return "n/a"
        if not self.sizes:
            return "not measured"
        lo, hi = min(self.sizes), max(self.sizes)
        span = f"{lo}" if lo == hi else f"{lo}-{hi}"
        return f"{self.median:.0f} ({span}, n={len(self.sizes)})"


@dataclasses.dataclass
class Row:
    row: int
    message: str
    attributes: str
    budget: int
    direction: str
    cells: dict[str, Cell]


def table5_rows() -> list[dict[str, Any]]:
    import tomllib
    with (data_dir("schemas") / "budgets" / "flow_d31_table5.toml").open("rb") as f:
        return tomllib.load(f)["size"]


def _frames(reports: Path, runs: Iterable[str]) -> Iterable[dict[str, Any]]:
    for run in runs:
        for path in sorted((reports / run).glob("**/frames.jsonl")):
            with path.open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue  # a truncated last line of a killed run


def measure(reports: Path) -> list[Row]:
    """Every Table 5 row with each protocol's matching frames from the runs under ``reports``."""
    rows = []
    for spec in table5_rows():
        cells = {e.family: Cell(e) for e in EQUIVALENTS[spec["row"]]}
        rows.append(Row(spec["row"], spec["message"], spec["attributes"], spec["max_bytes"], spec["direction"],
                        cells))
    for family, runs in FAMILIES.items():
        wanted = [(row, row.cells[family]) for row in rows if family in row.cells and row.cells[family].equivalent.names]
        for frame in _frames(reports, runs):
            for _row, cell in wanted:
                if cell.equivalent.matches(frame):
                    cell.sizes.append(int(frame.get("size") or 0))
                    cell.names.add(frame.get("name") or "")
    return rows


def markdown(rows: list[Row], source: str) -> str:
    fams = list(FAMILIES)
    out = ["# FLOW D3.1 Table 5 across protocols", "",
           "Generated by `vgitest table5` from the evidence of " + source + ". Each cell: the median size in bytes of",
           "the messages that carry the row's information (smallest-largest, number of messages). How sizes are",
           "counted and why each message was chosen: `vgitest/table5.py` and the notes below.", "",
           "Table 5's own figures look like whole Ethernet frames: its 54-byte ACK is exactly an Ethernet, IPv4 and",
           "TCP header with no payload. The cells here are application messages, so for a protocol over TCP add",
           "at least 54 bytes per message (more with TCP options, TLS records and WebSocket or HTTP framing) before",
           "comparing a cell with the budget. The IEC 61850 column is counted that way already (GOOSE and SV as",
           "sent, MMS with the 54 bytes added), which no MMS frame can meet for rows 1 and 2 (see",
           "docs/iec61850_flow.md).", "",
           "| # | Table 5 message | attributes | budget (B) | " + " | ".join(fams) + " |",
           "|---|---|---|---|" + "---|" * len(fams)]
    for r in rows:
        cells = [r.cells[f].text() if f in r.cells else "" for f in fams]
        out.append(f"| {r.row} | {r.message} ({r.direction}) | {r.attributes} | {r.budget} | " + " | ".join(cells)
                   + " |")
    out += ["", "## Which messages, and why", ""]
    for r in rows:
        out.append(f"**Row {r.row}, {r.attributes}:**")
        for f in fams:
            if f in r.cells:
                e = r.cells[f].equivalent
                what = ", ".join(f"`{n}`" for n in e.names) + f" ({'/'.join(e.kinds)})" if e.names else "none"
                out.append(f"- {f}: {what}: {e.why}.")
        out.append("")
    return "\n".join(out) + "\n"


def svg(rows: list[Row]) -> str:
    """One group of bars per row: the budget (hatched grey) and each protocol's median; n/a leaves a gap."""
    fams = list(FAMILIES)
    colours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]
    top = max([r.budget for r in rows] + [c.median or 0 for r in rows for c in r.cells.values()]) or 1
    bar, gap, chart_h, left = 9, 18, 220, 48
    group = bar * (len(fams) + 1) + gap
    width = left + group * len(rows) + 180
    scale = chart_h / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{chart_h + 70}" '
             f'font-family="sans-serif" font-size="10">',
             f'<text x="{left}" y="12">FLOW D3.1 Table 5: budget vs measured median (bytes, scale 0-{top:.0f})</text>']
    base = chart_h + 20
    for i, r in enumerate(rows):
        x0 = left + i * group
        bars = [("budget", float(r.budget), "#999")] + [
            (f, r.cells[f].median if f in r.cells else None, colours[j % len(colours)]) for j, f in enumerate(fams)]
        for k, (name, value, colour) in enumerate(bars):
            if value is None:
                continue
            h = value * scale
            parts.append(f'<rect x="{x0 + k * bar}" y="{base - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{html.escape(name)}: {value:.0f} B</title></rect>')
        parts.append(f'<text x="{x0}" y="{base + 12}">row {r.row}</text>')
    for j, name in enumerate(["budget"] + fams):
        colour = "#999" if j == 0 else colours[(j - 1) % len(colours)]
        y = 24 + j * 13
        parts.append(f'<rect x="{width - 170}" y="{y}" width="9" height="9" fill="{colour}"/>'
                     f'<text x="{width - 157}" y="{y + 8}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"row": r.row, "message": r.message, "attributes": r.attributes, "budget": r.budget,
             "direction": r.direction,
             "protocols": {f: {"messages": list(c.equivalent.names), "kinds": list(c.equivalent.kinds),
                               "why": c.equivalent.why, "sizes": c.sizes, "median": c.median}
                           for f, c in r.cells.items()}} for r in rows]


def allure_result(rows: list[Row], allure_dir: Path, chart: str) -> None:
    """A result of its own in the Allure report, carrying the chart and the table (allure-results format)."""
    allure_dir.mkdir(parents=True, exist_ok=True)
    svg_name = f"{uuid.uuid4()}-attachment.svg"
    md_name = f"{uuid.uuid4()}-attachment.md"
    (allure_dir / svg_name).write_text(chart, encoding="utf-8")
    (allure_dir / md_name).write_text(markdown(rows, "this run"), encoding="utf-8")
    result = {"uuid": str(uuid.uuid4()), "name": "FLOW D3.1 Table 5: message sizes across protocols",
              "fullName": "vgitest.table5", "status": "passed", "stage": "finished",
              "description": "The size of the messages that carry each Table 5 row's information in each protocol "
                             "of this run, against the row's budget (informational: no verdict).",
              "labels": [{"name": "epic", "value": "FLOW D3.1"}, {"name": "parentSuite", "value": "FLOW D3.1"},
                         {"name": "feature", "value": "Table 5 message sizes"}],
              "attachments": [{"name": "Table 5 chart", "source": svg_name, "type": "image/svg+xml"},
                              {"name": "Table 5 table", "source": md_name, "type": "text/markdown"}]}
    (allure_dir / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")


def write(reports: Path, allure_dir: Path | None = None) -> Path:
    """table5.md, table5.json and table5.svg in ``reports`` (and the Allure result); the Markdown's path."""
    rows = measure(reports)
    chart = svg(rows)
    (reports / "table5.svg").write_text(chart, encoding="utf-8")
    (reports / "table5.json").write_text(json.dumps(as_json(rows), indent=1), encoding="utf-8")
    md = reports / "table5.md"
    md.write_text(markdown(rows, f"the runs in `{reports.name}/`") + "\n![chart](table5.svg)\n", encoding="utf-8")
    if allure_dir is not None:
        allure_result(rows, allure_dir, chart)
    return md

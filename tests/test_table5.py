"""The Table 5 comparison: which frames count for which row, what n/a and "not measured" mean, the outputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from vgitest import table5
from vgitest.cli import main


def _frames(path: Path, frames: list[tuple[str, str, int]]) -> None:
    path.mkdir(parents=True)
    (path / "frames.jsonl").write_text("".join(
        json.dumps({"kind": k, "name": n, "size": s}) + "\n" for k, n, s in frames) + '{"trunc', encoding="utf-8")


def test_every_row_names_every_protocol_with_a_reason() -> None:
    rows = {r["row"] for r in table5.table5_rows()}
    assert rows == set(table5.EQUIVALENTS) == set(range(1, 8))
    for row, eqs in table5.EQUIVALENTS.items():
        assert sorted(e.family for e in eqs) == sorted(table5.FAMILIES), row
        assert all(e.why and e.kinds for e in eqs), row


def test_sizes_come_from_the_matching_frames_of_the_family_runs(tmp_path: Path) -> None:
    _frames(tmp_path / "iso15118-2-evse" / "tests" / "a", [
        ("REQUEST", "ChargeParameterDiscoveryReq", 55), ("RESPONSE", "ChargeParameterDiscoveryRes", 66),
        ("REQUEST", "CurrentDemandReq", 56), ("REQUEST", "CurrentDemandReq", 58),
        ("RESPONSE", "ChargeParameterDiscoveryReq", 999)])  # right name, wrong kind: not counted
    _frames(tmp_path / "iso15118-2-ev" / "tests" / "b", [("REQUEST", "ChargeParameterDiscoveryReq", 45)])
    _frames(tmp_path / "ocpp16" / "tests" / "c", [("CALL", "MeterValues", 229), ("CALLRESULT", "MeterValues", 2)])
    _frames(tmp_path / "unrelated" / "tests" / "d", [("REQUEST", "ChargeParameterDiscoveryReq", 1)])
    rows = {r.row: r for r in table5.measure(tmp_path)}
    assert rows[1].cells["ISO 15118-2"].sizes == [55, 45] and rows[1].cells["ISO 15118-2"].text() == "50 (45-55, n=2)"
    assert rows[2].cells["ISO 15118-2"].sizes == [66]
    assert rows[6].cells["ISO 15118-2"].sizes == [56, 58] and rows[6].cells["OCPP 1.6"].sizes == [229]
    assert rows[1].cells["OCPP 1.6"].text() == "n/a" and rows[1].cells["IEC 61850"].text() == "not measured"
    assert rows[3].cells["ISO 15118-2"].text() == "n/a"


def test_the_run_outputs_and_the_allure_result(tmp_path: Path) -> None:
    _frames(tmp_path / "ocpp201" / "tests" / "a", [("CALL", "TransactionEvent", 456)])
    md = table5.write(tmp_path, tmp_path / "allure")
    text = md.read_text()
    assert "| 6 | SV (EV->EVSE) | SoC level update | 72 |" in text and "456 (456, n=1)" in text
    ET.parse(tmp_path / "table5.svg")  # well-formed
    assert json.loads((tmp_path / "table5.json").read_text())[5]["protocols"]["OCPP 2.0.1"]["sizes"] == [456]
    result = json.loads(next((tmp_path / "allure").glob("*-result.json")).read_text())
    assert {a["type"] for a in result["attachments"]} == {"image/svg+xml", "text/markdown"}
    assert all((tmp_path / "allure" / a["source"]).is_file() for a in result["attachments"])


def test_the_command_says_when_there_is_no_evidence(tmp_path: Path, capsys) -> None:
    assert main(["table5", "--reports", str(tmp_path)]) == 2
    assert "no evidence" in capsys.readouterr().err


def test_the_docs_table_says_what_the_code_maps() -> None:
    """docs/table5.md is generated from a `make run`; its notes must be those of the current mapping."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "table5.md").read_text()
    notes = table5.markdown(table5.measure(Path("/nonexistent")), "").split("## Which messages, and why")[1]
    assert notes in doc, "docs/table5.md is stale: regenerate it with `vgitest table5 --out docs/table5.md`"

"""The negative TLS matrix in docs/tls-matrix.md is what the reference stations really get: every cell is run
(the station and a fake CSMS in-process, judged by the functions the cases use), clean and with the catalogued
fault that weakens the check; and the judging functions are shown to tell a refusal from an acceptance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vgitest.ocpp import tlsmatrix as m

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "tls-matrix.md"
COLUMNS = tuple((version, which) for version in m.VERSIONS for which in ("clean", "fault"))
WIDTH = 4 + 3 * len(m.VERSIONS)  # row, what, a case per version, rule, fault, two verdicts per version


def documented() -> dict[tuple[str, str, str], tuple[str, str | None]]:
    """{(version, variant, "clean" | fault): (verdict, rule)} read from the table."""
    out = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != WIDTH or not cells[0].startswith("`"):
            continue
        variant, fault = cells[0].strip("`"), cells[3 + len(m.VERSIONS)].strip("`")
        for (version, which), cell in zip(COLUMNS, cells[4 + len(m.VERSIONS):]):
            hit = re.fullmatch(r"(\w+)(?: \(([A-Z0-9-]+)\))?", cell)
            assert hit, f"cell {cell!r} of row {variant}"
            out[(version, variant, "clean" if which == "clean" else fault)] = (hit.group(1), hit.group(2))
    return out


ROWS = [(version, row, fault) for version in m.VERSIONS for row in m.ROWS + (m.CLIENT_ROW,)
        for fault in (None, row.fault)]


def _variant(row: m.Row) -> str:
    return "client-certificate" if row is m.CLIENT_ROW else row.variant


def test_the_table_is_the_generators_output() -> None:
    """Every row and cell is in the document, written the way `python -m vgitest.ocpp.tlsmatrix` writes it."""
    table = documented()
    assert len(table) == len(ROWS)
    assert DOC.read_text() == m.markdown(table)


def test_the_table_can_differ() -> None:
    """The comparison below sees a changed cell (a table that always matched would prove nothing)."""
    table = documented()
    key = ("1.6", "expired", "accepts_expired_csms_cert")
    assert table[key] == ("FAIL", "OCPP-SEC-TLS-SERVER-AUTH")
    assert m.markdown({**table, key: ("PASS", None)}) != DOC.read_text()


@pytest.mark.parametrize("version,row,fault", ROWS,
                         ids=[f"{v}-{_variant(r)}-{f or 'clean'}" for v, r, f in ROWS])
def test_reference_verdict_matches_the_table(tmp_path: Path, version: str, row: m.Row, fault: str | None) -> None:
    expected = documented()[(version, _variant(row), fault or "clean")]
    assert m.reference_verdict(version, row, fault, tmp_path) == expected

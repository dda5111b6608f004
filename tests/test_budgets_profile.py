"""Budgets load from schemas/budgets (incl. FLOW D3.1 Tables 5 and 6); profiles load, validate and decide
applicability."""

from __future__ import annotations

from pathlib import Path

import pytest

from vgitest.budgets import Budgets
from vgitest.findings import Severity
from vgitest.profile import Profile
from vgitest.verdict import HarnessError


def test_flow_table5_sizes_are_budgets() -> None:
    b = Budgets.load()
    rows = b.sizes("iec61850")
    assert [(x.message, x.max_bytes) for x in rows] == [("MMS_req", 105), ("MMS_res", 54), ("MMS_req", 165),
                                                      ("MMS_res", 315), ("GOOSE", 104), ("SV", 72), ("GOOSE", 104)]
    assert b.size_for("iec61850", "SV").max_bytes == 72
    assert b.size_for("iec61850", "MMS_res", direction="EV->EVSE").max_bytes == 315


def test_flow_table6_applications() -> None:
    b = Budgets.load()
    name, app = b.application_for("ocpp")
    assert name == "electrified_transportation" and app["latency_s"] == [2, 300]
    assert b.application("demand_response")["bandwidth_kbps"] == [14, 100]


def test_timing_budget_and_override() -> None:
    b = Budgets.load()
    assert b.timing("ocpp", "tolerance").value_s == 4.0  # the certification tools' default
    tight = b.override("ocpp", "tolerance", value_s=0.5)
    assert tight.timing("ocpp", "tolerance").value_s == 0.5 and b.timing("ocpp", "tolerance").value_s == 4.0
    with pytest.raises(KeyError):
        b.timing("ocpp", "nonexistent")


def test_exact_size_budget_beats_default() -> None:
    b = Budgets.load()
    assert b.size_for("ocpp", "MeterValues").max_bytes == 2048
    b.add_size("ocpp", "MeterValues", 512, severity="fail", ref="BytesPerMessage")
    got = b.size_for("ocpp", "MeterValues")
    assert got.max_bytes == 512 and got.severity is Severity.FAIL


def test_profile_pics_and_applicability(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text('[dut]\nname="X"\n[pics]\nCore=true\nReservation=false\n[pixit]\nconnectors=2\n')
    prof = Profile.load(p)
    assert prof.missing(("Core",)) == [] and prof.missing(("Reservation",)) == ["Reservation"]
    assert prof.missing(("!Reservation",)) == [] and prof.missing(("!Core",)) == ["!Core"]
    assert prof.param("connectors") == 2 and prof.environment()["pics.Reservation"] == "no"


def test_profile_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not found"):
        Profile.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[pics]\nCore = 'yes'\n")
    with pytest.raises(HarnessError, match="must be true/false"):
        Profile.load(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[dut\n")
    with pytest.raises(HarnessError, match="broken.toml"):
        Profile.load(broken)

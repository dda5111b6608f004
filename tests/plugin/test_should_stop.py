"""A body that stops because a SHOULD was broken (`check_outcome` on a warn rule, e.g. the SLAC SHOULD rules) is
NON_STRICT, not FAIL: the stop itself judges nothing. With --vgi-strict it is FAIL, and a broken MUST still fails."""

from __future__ import annotations

import json

import pytest

from tests.plugin.test_plugin import PROFILE, ROOT  # the scripted station's profile

TESTS = '''
import json
import pytest
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_S_01", feature="Demo")
def test_stops_on_a_should(station, dut):
    dut.perform("send", text=json.dumps([2, "s-1", "Heartbeat", {}]))
    frame = station.expect("Heartbeat", timeout=2)
    station.check_outcome(False, r.HEARTBEAT_EARLY, "the Heartbeat came before its interval", frame)
    raise RuntimeError("never reached: the body stops at the broken SHOULD")


@pytest.mark.vgi_case("TC_S_02", feature="Demo")
def test_stops_on_a_must(station, dut):
    dut.perform("send", text=json.dumps([2, "s-2", "Heartbeat", {}]))
    frame = station.expect("Heartbeat", timeout=2)
    station.check_outcome(False, r.STATION_RESPONSE, "the objective was not met", frame)
'''


@pytest.mark.parametrize("strict,should", [(False, "NON_STRICT"), (True, "FAIL")])
def test_a_broken_should_that_stops_the_body_is_non_strict(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch, strict: bool,
                                                          should: str) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    pytester.makefile(".toml", station=PROFILE)
    pytester.makepyfile(test_stop=TESTS)
    pytester.runpytest_subprocess("--vgi-profile=station.toml", "-p", "no:cacheprovider",
                                  *(["--vgi-strict"] if strict else []))
    doc = json.loads((pytester.path / "reports" / "station" / "results.json").read_text())
    by = {r["test"]: r for r in doc["results"]}
    assert by["test_stops_on_a_should"]["verdict"] == should, by["test_stops_on_a_should"]
    assert [f["rule"] for f in by["test_stops_on_a_should"]["findings"]] == ["OCPP-HEARTBEAT-EARLY"]
    assert by["test_stops_on_a_must"]["verdict"] == "FAIL"
    assert [f["rule"] for f in by["test_stops_on_a_must"]["findings"]] == ["OCPP-RESPONSE-STATUS"]

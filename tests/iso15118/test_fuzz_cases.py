"""The ISO 15118-2 fuzz cases' examples and replay (vgitest/iso15118/fuzzcases.py, suites/iso15118_2_fuzz).

Positive data sends only what a conformant EV sends: an EVCCID is the EVCC's MAC address (ISO 15118-2 §8.4.3.2), so
6 bytes, although the schema's evccIDType takes 0 to 6. And a counterexample of an ISO fuzz case is reproduced from
its report with the one command `vgitest replay` (issue 15), also one of the EV case.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings

from tests.suite_process import UNUSED_PLUGINS
from vgitest.iso15118 import robustness
from vgitest.iso15118.fuzzcases import positive_examples
from vgitest.iso15118.iso2 import Iso2Ev
from vgitest.iso15118.negative import length_problems
from vgitest.iso15118.params import EvParams

ROOT = Path(__file__).resolve().parents[2]
F_EV = Iso2Ev(EvParams(), "DC")


@settings(max_examples=150, derandomize=True, deadline=None)
@given(positive_examples())
def test_positive_evccids_are_unicast_mac_addresses(example: dict) -> None:
    evccid = bytes.fromhex(example["evccid"])
    assert len(evccid) == 6 and not evccid[0] & 1, example["evccid"]
    from vgitest.iso15118 import family as fam
    f = fam.get("iso-2")
    msg = f.wrap("SessionSetupReq", {"EVCCID": evccid}, bytes(8))
    assert length_problems(msg, "iso-2") == []


@pytest.mark.parametrize("family", ["din", "iso-2"])
def test_positive_service_scopes_are_drawn_with_the_family_s_facet(family: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """DIN's serviceScopeType takes 32 characters, ISO 15118-2's 64: a DIN session draws from DIN's datatype (today
    the string strategy's own 24-character cap hides the difference; a larger cap must not make DIN data invalid)."""
    from vgitest.iso15118 import fuzzcases
    asked = []
    real = fuzzcases._codec

    def codec(message: str, leaf: str, body: dict | None = None, family: str = "iso-2"):  # noqa: ANN202
        asked.append((leaf, family))
        return real(message, leaf, body, family)

    monkeypatch.setattr(fuzzcases, "_codec", codec)
    fuzzcases.positive_examples(family)
    assert asked == [("ServiceScope", family)]
    assert real("ServiceDiscoveryReq", "ServiceScope", family=family).max_len == {"din": 32, "iso-2": 64}[family]


def test_the_late_departure_fault_refuses_only_what_16_bits_cannot_hold() -> None:
    server = SimpleNamespace(faults={"failed_on_late_departure"})
    name, body = F_EV._cpd()
    key = next(k for k in ("DC_EVChargeParameter", "AC_EVChargeParameter") if k in body)

    def refused(departure: int) -> str | None:
        req = dict(body, **{key: dict(body[key], DepartureTime=departure)})
        return robustness.evse_refuses(server, {}, "iso-2", name, req)

    assert refused(65535) is None and refused(0) is None
    assert refused(65536) == "FAILED_WrongChargeParameter"
    assert robustness.evse_refuses(SimpleNamespace(faults=set()), {}, "iso-2", name,
                                   dict(body, **{key: dict(body[key], DepartureTime=2 ** 32 - 1)})) is None


def _fail_then_replay(tmp_path: Path, profile: str, test: str, fault: str) -> tuple[dict, str, Path]:
    reports = tmp_path / "reports"
    cmd = [sys.executable, "-m", "pytest", "suites/iso15118_2_fuzz", "-k", test, f"--vgi-profile={profile}",
           f"--vgi-fault={fault}", f"--vgi-reports={reports}", "--vgi-run-name=f", "-p", "no:cacheprovider",
           *UNUSED_PLUGINS, "-q"]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    result = json.loads((reports / "f" / "results.json").read_text())["results"][0]
    assert result["verdict"] == "FAIL" and "vgitest replay" in result["message"], result
    path = Path(result["message"].rsplit("vgitest replay ", 1)[1].split()[0])
    # the one command, from another directory than the checkout
    out = subprocess.run([sys.executable, "-m", "vgitest.cli", "replay", str(path), "--reports",
                          str(tmp_path / "again")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return result, out.stdout + out.stderr, path


@pytest.mark.parametrize("profile,test,fault,rule", [
    ("reference-evse-iso2", "FUZZ_01_SECC", "accepts_long_value", "V2G-FUZZ-REJECT"),
    ("reference-ev-iso2", "FUZZ_01_EVCC", "ignores_specific_failed", "V2G-STOP-AFTER-FAILED"),
])
def test_an_iso_counterexample_is_reproduced_by_one_command(tmp_path: Path, profile: str, test: str, fault: str,
                                                           rule: str) -> None:
    result, out, path = _fail_then_replay(tmp_path, profile, test, fault)
    assert f"vgitest replay: FAIL {rule}" in out, out[-3000:]
    again = json.loads((tmp_path / "again" / "replay-f" / "results.json").read_text())["results"][0]
    stats = json.loads((Path(again["evidence"]["findings"]).parent / "fuzz-stats.json").read_text())
    assert stats["sent"] == 1 and stats["replayed_from"] == str(path)
    doc = json.loads(path.read_text())
    assert doc["faults"] == [fault] and doc["rule"] == rule and doc["frames"]
    # the same example against the device without the fault: the case passes
    doc["faults"] = []
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(doc))
    out = subprocess.run([sys.executable, "-m", "vgitest.cli", "replay", str(fixed), "--reports",
                          str(tmp_path / "fixed")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "vgitest replay: PASS" in out.stdout, out.stdout[-3000:] + out.stderr[-2000:]
    fixed_run = json.loads((tmp_path / "fixed" / "replay-f" / "results.json").read_text())["results"][0]
    stats = json.loads((Path(fixed_run["evidence"]["findings"]).parent / "fuzz-stats.json").read_text())
    assert stats["case_total"]["sent"] == 1, stats["parts"]  # once, not once per kind of the case's parts


@pytest.mark.parametrize("family", ["din", "iso-2", "iso-20"])
def test_the_driver_builds_a_session_in_order_in_each_family(family: str) -> None:
    """The fuzz driver's steps are a session the family's sequence table allows, each request encodable in its
    schema (DIN SPEC 70121: ServicePaymentSelection, ContractAuthentication, an empty SessionStopReq; ISO 15118-20:
    its CommonMessages and DC messages)."""
    import dataclasses

    from vgitest.exi import encode
    from vgitest.iso15118 import family as fam
    from vgitest.iso15118.fuzzdrive import Conn, Driver, steps_for
    from vgitest.iso15118.rules import allowed_after

    f = fam.get(family)
    steps = steps_for(family, "AC")  # DIN: DC whatever the mode says
    assert ("ContractAuthentication" in dict(steps)) == (family == "din")
    assert ("ScheduleExchange" in dict(steps)) == (family == "iso-20")
    driver = Driver.__new__(Driver)
    conn = Conn(link=None, family=f, logic=f.ev(dataclasses.replace(EvParams()), "DC" if family == "din" else "AC"))
    prev = None
    for label, name in steps:
        got, body = driver.request(conn, label)
        assert got == name, (label, got)
        encode(f.wrap(got, body, bytes(8)), f.schema_of(got))
        base = fam.base(name)
        if prev is not None and prev != base:
            assert allowed_after(family, prev, base), (prev, base)
        prev = base


@pytest.mark.parametrize("family", ["iso-2", "iso-20"])
def test_a_broken_response_leaves_the_header_alone(family: str) -> None:
    """An EV case breaks a response's body: the fake SECC writes the header again (ISO 15118-20 keeps its Header
    inside the message's root element, not in a V2G_Message)."""
    from vgitest.iso15118 import family as fam
    from vgitest.iso15118 import negative as neg
    from vgitest.iso15118.params import EvseParams

    f = fam.get(family)
    name, body = f.evse(EvseParams()).skeleton("SessionSetupReq")
    msg = f.wrap(name, body, bytes(8))
    schema = f.schema_of(name)
    for pick in range(12):
        broken = neg.too_long(msg, schema, pick, 0, body_only=True)
        assert broken is not None and "SessionID" not in broken.what, broken.what


@pytest.mark.parametrize("family,plug", [("iso-20", {"control_mode": "Dynamic"}), ("iso-2", {})])
def test_the_ev_case_plugs_in_as_the_family_s_conformance_cases_do(family: str, plug: dict,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """ISO 15118-20: every plug-in of the EV case asks for the Dynamic control mode, as suites/iso15118_20 does (Josev's
    EV, left to pick, takes Scheduled and never finishes a session: the liveness probe failed on that, not on the
    broken response)."""
    from vgitest.iso15118 import fuzzcases, suite
    seen = []
    monkeypatch.setattr(suite, "ev_session", lambda secc, dut, profile, **kw: seen.append(kw) or "session")
    profile = SimpleNamespace(dut={"version": family}, param=lambda key, default=None: "DC" if key == "mode" else
                              default, supports=lambda f: f == "DC")
    ev = fuzzcases.EvFuzz(SimpleNamespace(), SimpleNamespace(), profile)
    assert ev._session() == "session" and seen == [plug]

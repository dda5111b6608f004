"""Every fault in the reference simulators' catalog is caught: for each fault, the suite test(s) the catalog
names must end FAIL against the reference station with that fault injected, with the catalog's rule id
among the findings. A conformance test that no fault can make fail would be a defect; this is the proof.

Each row runs the named tests in a fresh pytest process (a fault is injected when the station starts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.forkserver import run_pytest
from tests.suite_process import UNUSED_PLUGINS
from vgitest.catalogdocs import case_versions
from vgitest.findings import register_all
from vgitest.ocpp.station import catalog  # noqa: F401  (registers every version's faults)
from vgitest.ocpp.station.faults import CATALOG as OCPP_CATALOG
from vgitest.openadr.ven.catalog import OADR_FAULTS
from vgitest.openadr3.ven.catalog import OA3_FAULTS
from vgitest.iso15118.catalog import EV_FAULTS, EVSE_FAULTS
from vgitest.sep2.client.catalog import SEP2_FAULTS
from vgitest.slac.catalog import SLAC_EV_FAULTS, SLAC_EVSE_FAULTS
from vgitest.iec61850.catalog import FLOW_EV_FAULTS, FLOW_EVSE_FAULTS

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"1.6": ("suites/ocpp16", "reference-station-16"), "2.0.1": ("suites/ocpp201", "reference-station-201"),
          "2.1": ("suites/ocpp201", "reference-station-21"),
          "2.0b": ("suites/openadr20b", "reference-ven-20b"), "3.0.1": ("suites/openadr3", "reference-ven-30"),
          "2018": ("suites/csip", "reference-der-client-csip"),
          "evse:din": ("suites/din70121", "reference-evse-din"), "ev:din": ("suites/din70121", "reference-ev-din"),
          "evse:iso-2": ("suites/iso15118_2", "reference-evse-iso2"), "ev:iso-2": ("suites/iso15118_2", "reference-ev-iso2"),
          "evse:iso-20": ("suites/iso15118_20", "reference-evse-iso20"),
          "ev:iso-20": ("suites/iso15118_20", "reference-ev-iso20"),
          "slac-evse:15118-3": ("suites/slac", "reference-slac-evse"),
          "slac-ev:15118-3": ("suites/slac", "reference-slac-ev"),
          "iec61850-evse:ed2": ("suites/iec61850", "reference-iec61850-evse"),
          "iec61850-ev:ed2": ("suites/iec61850", "reference-iec61850-ev")}
# A version's fuzz suite (issue 15) is a folder of its own, run with the conformance suite by the same fault rows.
FUZZ_SUITES = {"1.6": "suites/ocpp16_fuzz", "2.0.1": "suites/ocpp201_fuzz", "2.0b": "suites/openadr20b_fuzz",
               "2018": "suites/csip_fuzz", "evse:iso-2": "suites/iso15118_2_fuzz", "ev:iso-2": "suites/iso15118_2_fuzz",
               "evse:din": "suites/din70121_fuzz", "ev:din": "suites/din70121_fuzz",
               "evse:iso-20": "suites/iso15118_20_fuzz", "ev:iso-20": "suites/iso15118_20_fuzz",
               "slac-evse:15118-3": "suites/slac_fuzz", "slac-ev:15118-3": "suites/slac_fuzz"}


# A version whose run also takes a folder of its own: 2.1 runs the 2.0.1 cases that hold in 2.1, then suites/ocpp21.
MORE_SUITES = {"2.1": "suites/ocpp21", "2018": "suites/csip_aus"}  # 2018: the CACTUS CSIP-AUS procedures


def folders(version: str) -> list[str]:
    """The suite folders whose tests a version's faults name."""
    return [SUITES[version][0]] + [f for f in [MORE_SUITES.get(version), FUZZ_SUITES.get(version)]
                                   if f and (ROOT / f).is_dir()]


def version_tests(version: str) -> set[str]:
    """The tests of the version's folders that run in that version (a case of suites/ocpp201 counts for 2.1 only
    when its vgi_protocol marker names 2.1)."""
    out = set()
    for folder in folders(version):
        for path in (ROOT / folder).glob("test_*.py"):
            names = set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
            versions = case_versions(path)
            out |= {n for n in names if version in versions.get(n, (version,))}
    return out


CATALOGS = {"1.6": OCPP_CATALOG, "2.0.1": OCPP_CATALOG, "2.1": OCPP_CATALOG, "2.0b": OADR_FAULTS.faults, "2018": SEP2_FAULTS.faults,
            "3.0.1": OA3_FAULTS.faults,
            "evse:din": EVSE_FAULTS.faults, "ev:din": EV_FAULTS.faults,
            "evse:iso-2": EVSE_FAULTS.faults, "ev:iso-2": EV_FAULTS.faults,
            "evse:iso-20": EVSE_FAULTS.faults, "ev:iso-20": EV_FAULTS.faults,
            "slac-evse:15118-3": SLAC_EVSE_FAULTS.faults, "slac-ev:15118-3": SLAC_EV_FAULTS.faults,
            "iec61850-evse:ed2": FLOW_EVSE_FAULTS.faults, "iec61850-ev:ed2": FLOW_EV_FAULTS.faults}
MINIMUM = {"1.6": 25, "2.0.1": 25, "2.1": 25, "2.0b": 20, "2018": 25, "evse:din": 25, "ev:din": 25, "evse:iso-2": 25, "ev:iso-2": 25,
           "evse:iso-20": 25, "ev:iso-20": 25, "slac-evse:15118-3": 12, "slac-ev:15118-3": 12,
           "iec61850-evse:ed2": 8, "iec61850-ev:ed2": 6, "3.0.1": 20}


def _catalog_version(version: str) -> str:
    """The catalog's own version key: "evse:din" -> "din" (one suite folder serves both device roles)."""
    return version.split(":", 1)[-1]

ROWS = [(f.name, version, i) for version, cat in CATALOGS.items() for f in sorted(cat.values(), key=lambda x: x.name)
        for i, (v, _) in enumerate(f.detections) if v == _catalog_version(version)
        and (ROOT / SUITES[version][0]).is_dir()]
# The longest rows first, since make test hands out rows in this order and a long row that starts last holds up the
# end (work stealing cannot split a row): those of fuzz cases (a faulty device costs a timeout per example while the
# case shrinks, up to ~60 s), those running CACTUS procedures (tens of seconds each even time-scaled; measured 23-199 s
# a row) and the other rows measured over 45 s in make test's suite phase on 2026-12-07 (two cores). The order only
# schedules: no verdict depends on it.
LONG_PROFILES = {"reference-der-client-csip-aus"}
MEASURED_S = {"2.0.1:fw201_download_failure_hidden": 121, "1.6:drop_bad_request": 76, "2018:ignores_primacy": 65,
              "2.0.1:tx_id_reused_after_remote_stop": 68, "2.0.1:drop_bad_request": 63,
              "1.6:remote_start_stale_after_unplug": 61, "2.0.1:meter_restarts_after_unplug": 56,
              "1.6:meter_id_of_previous_tx": 50}
CACTUS_MEASURED_S = {"no_received_response": 200, "no_control_list_polling": 181,
                     "notification_wrong_status": 153}  # CACTUS rows measured over 150 s (2026-12-08)


def _row_estimate(row: tuple[str, str, int]) -> float:
    """Seconds a row is expected to take, for ordering: measured, or by kind; 0 for the many short rows."""
    det = CATALOGS[row[1]][row[0]].detections[row[2]][1]
    if det.profile in LONG_PROFILES:
        return CACTUS_MEASURED_S.get(row[0], 55.0 * len(det.tests))
    if any("FUZZ" in t for t in det.tests):
        return 60.0
    return MEASURED_S.get(f"{row[1]}:{row[0]}", 0.0)


ROWS.sort(key=lambda row: -_row_estimate(row))


def _row_id(fault: str, version: str, i: int) -> str:
    profile = CATALOGS[version][fault].detections[i][1].profile
    return f"{version}:{fault}" + (f"@{profile}" if profile else "")


def files_of(version: str, tests: tuple[str, ...]) -> list[str]:
    """The suite files that define `tests` (the row's process collects only those: importing a whole suite folder
    was half of a row's CPU, and CI runs hundreds of rows on two cores); the version's folders when a name is not
    found at module level."""
    found: dict[str, list[Path]] = {}
    for folder in folders(version):
        for path in sorted((ROOT / folder).glob("test_*.py")):
            for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M):
                found.setdefault(name, []).append(path)
    if not all(t in found for t in tests):
        return folders(version)

    def own(name: str) -> str:
        """A name in two files (a 2.0.1 case and its 2.1 twin in suites/ocpp21): the file whose case runs in the
        version."""
        paths = found[name]
        fitting = [p for p in paths if version in case_versions(p).get(name, ())] if len(paths) > 1 else []
        return (fitting or paths)[0].relative_to(ROOT).as_posix()

    return sorted({own(t) for t in tests})


def select(tests: tuple[str, ...], *, exact: bool) -> str:
    """The row's -k expression. pytest's -k matches parts of names: CACTUS's "ALL_25" also ran ALL-25-EXT (the
    3-hour procedure, 390 s of a make test at 1/30), "ALL_29" ALT-ALL-29, "ALL_03" ALL-03-REJ. A CACTUS row
    (`exact`) runs its procedures' cases and no other: each named test_<id> and no longer."""
    if not exact:
        return " or ".join(tests)
    names = [t if t.startswith("test_") else f"test_{t}" for t in tests]
    return " or ".join(f"({n} and not {n}_)" for n in names)


def run_with_fault(tmp_path: Path, version: str, fault: str, tests: tuple[str, ...], strict: bool,
                   profile: str | None = None) -> dict:
    default_profile = SUITES[version][1]
    profile = profile or default_profile
    reports = tmp_path / "reports"
    args = [*files_of(version, tests), "-k", select(tests, exact=profile in LONG_PROFILES), f"--vgi-profile={profile}",
            f"--vgi-fault={fault}",
            f"--vgi-reports={reports}", "--vgi-run-name=m", "-p", "no:cacheprovider", *UNUSED_PLUGINS, "-q"]
    if strict:
        args.append("--vgi-strict")
    # a CACTUS row runs whole procedures, each waiting out its idle limit when the fault keeps the client quiet
    # (no_received_response: five procedures, about 200 s at 1/30)
    proc = run_pytest(args, ROOT, timeout=900 if profile in LONG_PROFILES else 300)
    results_file = reports / "m" / "results.json"
    assert results_file.is_file(), f"no results: {proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    doc = json.loads(results_file.read_text())
    doc["returncode"] = proc.returncode
    doc["stdout"] = proc.stdout
    return doc


RULE_IN_MESSAGE = re.compile(r"\[([A-Z0-9]+(?:-[A-Z0-9]+)+)\]")


def without_rule(results: list[dict]) -> list[str]:
    """The FAIL / NON_STRICT results that name no rule a lab could act on: no judged finding of severity fail or
    warn, and no registered rule id in brackets in the message (issue 14: no FAIL without a rule id)."""
    known = register_all()
    out = []
    for r in results:
        if r["verdict"] not in ("FAIL", "NON_STRICT"):
            continue
        judged = [f for f in r.get("findings", []) if f.get("severity") in ("fail", "warn") and f.get("rule")]
        named = [m for m in RULE_IN_MESSAGE.findall(r.get("message") or "") if m in known]
        if not judged and not named:
            out.append(f"{r['test']}: {r['verdict']} without a rule id — {(r.get('message') or '')[:300]}")
    return out


@pytest.mark.parametrize("fault,version,i", ROWS, ids=[_row_id(*row) for row in ROWS])
def test_fault_is_caught(tmp_path: Path, fault: str, version: str, i: int) -> None:
    det = CATALOGS[version][fault].detections[i][1]
    doc = run_with_fault(tmp_path, version, fault, det.tests, det.strict, det.profile)
    by_test = {r["test"]: r for r in doc["results"]}
    assert doc["returncode"] != 0, "pytest exited 0 although a fault was injected"
    unruled = without_rule(doc["results"])
    assert not unruled, "\n".join(unruled)
    for test in det.tests:
        assert test in by_test, f"{test} did not run; ran {sorted(by_test)}\n{doc['stdout'][-2000:]}"
        r = by_test[test]
        # the rule of a judged finding, or the rule the FAIL names in its message (a finding on a frame that arrived
        # while the case was still reaching its state is not judged, but the body's check that failed names it)
        rules = {f["rule"] for f in r["findings"]} | set(RULE_IN_MESSAGE.findall(r.get("message") or ""))
        assert r["verdict"] == "FAIL", f"{test} ended {r['verdict']} with fault {fault}: {r.get('message')}"
        assert det.rule in rules, f"{test} failed, but without {det.rule}: found {sorted(rules)}; {r.get('message')}"


def test_a_cactus_row_runs_its_procedures_and_no_other() -> None:
    """-k matches parts of names: a CACTUS row's expression must pick test_ALL_25 but not test_ALL_25_EXT,
    test_ALL_29 but not test_ALT_ALL_29 (pytest's own evaluation of the expression)."""
    from _pytest.mark.expression import Expression

    def picks(expr: str, name: str) -> bool:
        return Expression.compile(expr).evaluate(lambda kw, **_: kw.lower() in name.lower())

    expr = select(("test_ALL_25", "test_ALL_29", "ALL_03"), exact=True)
    assert [n for n in ("test_ALL_25", "test_ALL_29", "test_ALL_03", "test_ALL_25_EXT", "test_ALT_ALL_29",
                        "test_ALL_03_REJ", "test_ALL_02") if picks(expr, n)] == ["test_ALL_25", "test_ALL_29",
                                                                                  "test_ALL_03"]
    assert picks(select(("test_ALL_25",), exact=False), "test_ALL_25_EXT")  # what the old expression did


def test_a_fail_without_a_rule_is_refused() -> None:
    """The check above sees a FAIL a bare assert gave (no finding, no rule in its message), and accepts a FAIL
    carried by a judged finding or by a registered rule named in the message."""
    bare = {"test": "test_x", "verdict": "FAIL", "findings": [], "message": "assert None is not None"}
    observed_only = {**bare, "findings": [{"rule": "V2G-SEQUENCE", "severity": "info"}]}
    unknown = {**bare, "message": "[NOT-A-RULE] something"}
    by_finding = {**bare, "findings": [{"rule": "V2G-SEQUENCE", "severity": "fail"}]}
    by_message = {**bare, "message": "[V2G-NO-RESPONSE] the session did not run to SessionStopRes"}
    passed = {**bare, "verdict": "PASS"}
    assert len(without_rule([bare, observed_only, unknown])) == 3
    assert without_rule([by_finding, by_message, passed]) == []


def test_catalog_is_large_enough() -> None:
    for version, (suite, _) in SUITES.items():
        if (ROOT / suite).is_dir():
            n = sum(1 for f in CATALOGS[version].values() if _catalog_version(version) in f.detected_by)
            assert n >= MINIMUM[version], f"{version} has only {n} catalogued faults (at least {MINIMUM[version]})"


@pytest.mark.parametrize("version", sorted(SUITES))
def test_every_suite_test_is_shown_to_fail_by_a_fault(version: str) -> None:
    """A conformance test that no fault makes fail is a defect: each must be named by a catalogued fault."""
    tests = version_tests(version)
    if ":" in version:  # one folder, two device roles: each catalog names the tests of its role
        named = {t for key, cat in CATALOGS.items() if key.endswith(":" + _catalog_version(version))
                 for f in cat.values() for v, d in f.detections if v == _catalog_version(version) for t in d.tests}
    else:
        named = {t for f in CATALOGS[version].values() for v, d in f.detections if v == version for t in d.tests}
    missing = tests - named
    assert not missing, f"{version} tests no fault is shown to fail: {sorted(missing)}"

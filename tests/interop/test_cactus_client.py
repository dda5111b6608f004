"""Interoperability: cactus-client 1.3.3 (BSGIP, MIT, PyPI), an independent IEEE 2030.5 / CSIP-AUS client that
tests servers, against the fake 2030.5 server over CSIP TLS on loopback (see `cactus_oracle`). Its verdict on
each of its server procedures (S-ALL-01 ...) must be the one tests/interop/expected/cactus-client.toml gives:
the CI slice by default, every procedure under --oracle-full (``make oracles``).

cactus-client runs in its own virtualenv (``make cactus``; Python >= 3.12). Without it the test skips, saying
how to get it. The unit tests below need no cactus-client: they pin how its outcomes become verdicts and how its
admin instructions change the fake server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop import cactus_oracle as co
from tests.interop.oracle import Table, compare, full_run
from vgitest.sep2 import testpki
from vgitest.sep2.resources import Sep2State

TABLE = "cactus-client"
PROCEDURE_TIMEOUT_S = 120  # a slice row takes a few seconds; a full-table row at most this (then CACTUS-INCOMPLETE)
FULL_TIMEOUT_S = 300  # the procedures that wait on post rates and event times take minutes


@pytest.fixture(scope="module")
def sep2_schemas() -> None:
    from vgitest.sep2 import schemas
    from vgitest.upstream import UpstreamError
    try:
        schemas.load_schema("2018")
    except UpstreamError as e:
        pytest.skip(f"IEEE 2030.5 schemas unavailable: {e}")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> testpki.CsipPki:
    return testpki.make(tmp_path_factory.mktemp("cactus-pki"))


def test_cactus_client_procedures_against_the_table(sep2_schemas: None, pki: testpki.CsipPki,
                                                    tmp_path: Path) -> None:
    if co.cactus_python() is None:
        pytest.skip("cactus-client is not installed: `make cactus` (needs Python >= 3.12) builds .venv-cactus")
    table = Table.load(TABLE)
    rows = [e.test for e in table.selected()]
    timeout = FULL_TIMEOUT_S if full_run() else PROCEDURE_TIMEOUT_S
    outcomes = {t: co.run_procedure(t, pki, tmp_path / t, timeout_s=timeout) for t in rows}
    diffs = compare(table, [o.result for o in outcomes.values()], rows)
    explain = "\n".join(f"{t} ({o.seconds:.0f} s): {o.result['verdict']} {o.result['message'][:300]}\n    "
                        + "\n    ".join(o.admin_log[-6:]) for t, o in outcomes.items()
                        if any(d.startswith(t + ":") for d in diffs))
    assert not diffs, ("cactus-client's verdicts differ from tests/interop/expected/cactus-client.toml:\n"
                       + "\n".join(diffs) + "\n" + explain)


# --- without cactus-client ----------------------------------------------------------------------------------------
def step(id_: str, passed: bool, *, failure: str | None = None, exc: str | None = None) -> dict:
    return {"id": id_, "passed": passed, "skipped": False, "failure": failure, "exc": exc}


def test_outcomes_become_verdicts() -> None:
    ok = {"passed": True, "steps": [step("A", True)], "warnings": [], "xsd_errors": [], "execution_complete": True}
    assert co.verdict("S-1", ok)["verdict"] == "PASS"
    warned = {**ok, "warnings": [{"source": "/derp/3", "message": "mrid 'X' is invalid: The last 8 digits don't "
                                  "encode a base10 integer '00007ED9'"}]}
    got = co.verdict("S-1", warned)
    assert got["verdict"] == "NON_STRICT" and [f["rule"] for f in got["findings"]] == ["CACTUS-WARN:MRID-PEN-DECIMAL"]
    failed = {**warned, "passed": False, "steps": [step("A", True), step("B", False, failure="wrong")],
              "xsd_errors": [{"method": "GET", "url": "/x", "errors": ["bad"]}]}
    got = co.verdict("S-1", failed)
    assert got["verdict"] == "FAIL"
    assert sorted(f["rule"] for f in got["findings"] if f["severity"] == "fail") == ["CACTUS-XSD", "CACTUS:B"]
    cannot = {**failed, "steps": [step("B", False, exc=f"AdminCannot('{co.CANNOT} set-post-rate: no')")]}
    assert co.verdict("S-1", cannot)["verdict"] == "INCONCLUSIVE"
    assert co.verdict("S-1", {"not_run": "needs an aggregator"})["verdict"] == "NOT_APPLICABLE"
    assert co.verdict("S-1", {"error": "boom"})["verdict"] == "ERROR"
    running = {**ok, "passed": False, "execution_complete": False,
               "steps": [{**step("Simulate", False, failure="unfinished: Waiting +60.0s"), "in_progress": True}]}
    assert co.verdict("S-1", running)["verdict"] == "INCONCLUSIVE"
    retrying = {**running, "steps": [{**step("D", False, failure="unfinished: no link"), "in_progress": False}]}
    assert [f["rule"] for f in co.verdict("S-1", retrying)["findings"]] == ["CACTUS:D"]
    stuck = {**ok, "passed": False, "steps": [], "execution_complete": False}
    assert [f["rule"] for f in co.verdict("S-1", stuck)["findings"]] == ["CACTUS-INCOMPLETE"]


def test_admin_instructions_change_the_fake_servers_data() -> None:
    st = Sep2State()
    admin = co.Admin(st)
    client = {"id": "dev1", "lfdi": "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5", "pin": 111115}
    assert admin.apply({"type": "ensure-end-device", "params": {"registered": True}, "client": client}) == (True, "")
    dev = st.devices[client["lfdi"]]
    assert dev.pin == 111115 and dev.fsas == []
    assert admin.apply({"type": "create-der-control", "client": client,
                        "params": {"status": "active", "opModExpLimW": 10000.0, "opModImpLimW": 40000.0,
                                   "opModConnect": True}})[0]
    (prog,) = st.programs
    assert dev.fsas == [prog.fsa]  # the client's own group
    (ctl,) = prog.controls
    assert ctl.start <= st.now() and ctl.base == {"opModConnect": "true",
                                                   "csipaus:opModExpLimW": {"multiplier": "0", "value": "10000"},
                                                   "csipaus:opModImpLimW": {"multiplier": "1", "value": "4000"}}
    assert admin.apply({"type": "create-der-control", "client": client, "params": {"status": "scheduled"}})[0]
    assert prog.controls[1].start > st.now()
    assert admin.apply({"type": "set-poll-rate", "client": client,
                        "params": {"resource": "EndDeviceList", "rate_seconds": 60}})[0]
    assert st.rate("EndDeviceList") == 60 and st.rate("DeviceCapability") == st.poll_rate_s
    assert admin.apply({"type": "clear-der-controls", "client": client, "params": {"all": True}})[0]
    assert {c.status for c in prog.controls} == {2}
    done, why = admin.apply({"type": "set-post-rate", "client": client,
                             "params": {"resource": "MirrorUsagePoint", "rate_seconds": 60}})
    assert not done and "postRate" in why
    assert admin.apply({"type": "ensure-end-device", "params": {"registered": False}, "client": client})[0]
    assert client["lfdi"] not in st.devices

"""Josev (`iso15118` 0.31.2) as a standing oracle of the ISO 15118 / DIN SPEC 70121 suites, in both directions.

Josev's EVCC is the EV under test of the fake SECC, Josev's SECC the EVSE under test of the fake EVCC, for DIN
SPEC 70121, ISO 15118-2 and ISO 15118-20. Josev runs as a program of its own (``tests/interop/josev_hook.py``, in
its own virtualenv and network namespace, one process per direction); each suite runs in a pytest process in the
other namespace of the veth pair, with the profile ``tests/interop/profiles/josev-<family>-<role>.toml``, exactly
as a vendor would run it. Every verdict is compared with the reviewed table
``tests/interop/expected/josev-<family>-<role>.toml`` (see ``tests/interop/oracle.py``): ``make test`` runs the
rows marked ``slice``, ``make oracles`` (``--oracle-full``) every row.

The ISO 15118-2 and DIN SPEC 70121 fuzz suites (issue 15) run against the same two processes with the profiles of
their families, judged by ``josev-<iso2|din>-<role>-fuzz.toml``. Josev's SECC answers SDP again only about 5 s after a session ended, so each
example (a session and the liveness probe's) costs over 5 s and every fuzz case spends its whole pr time budget:
no fuzz row is in the slice, they run with ``--oracle-full``.

Skipped, with the reason, without Java or network namespaces (root).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.interop.josev import PROFILES, Unavailable, cpu_pressure_us, josev_device, unavailable_reason
from tests.interop.oracle import ROOT, Table, compare, full_run

FAMILIES = {"din": "suites/din70121", "iso2": "suites/iso15118_2", "iso20": "suites/iso15118_20"}
PREFIX = {"ev": "test_TC_EVCC_", "evse": "test_TC_SECC_"}  # the cases of each role
FUZZ = {"iso2": "suites/iso15118_2_fuzz", "din": "suites/din70121_fuzz"}  # issue 15: cases end in _SECC/_EVCC
FUZZ_SUFFIX = {"ev": "_EVCC", "evse": "_SECC"}
RUN_TIMEOUT_S = {False: 600, True: 7200}  # one suite run: the slice / every row (bounds, not budgets)


@dataclasses.dataclass(frozen=True)
class Run:
    """One reviewed table of a role: the suite it judges, the profile Josev is run with, and which of the suite's
    cases are the role's."""

    table: Table
    suite: str
    profile: str

    def is_role_case(self, name: str, role: str) -> bool:
        if self.suite in FUZZ.values():
            return name.startswith("test_TC_VGI_FUZZ_") and name.endswith(FUZZ_SUFFIX[role])
        return name.startswith(PREFIX[role])


def tables(role: str) -> list[Run]:
    """The role's tables: the three conformance suites, then the ISO 15118-2 and DIN SPEC 70121 fuzz suites (with
    the profiles of their families' conformance suites)."""
    runs = [Run(Table.load(f"josev-{fam}-{role}"), suite, f"josev-{fam}-{role}.toml")
            for fam, suite in FAMILIES.items()]
    return runs + [Run(Table.load(f"josev-{fam}-{role}-fuzz"), suite, f"josev-{fam}-{role}.toml")
                   for fam, suite in FUZZ.items()]


def collected(run: Run, role: str) -> list[str]:
    """The role's cases the suite has (pytest --collect-only with the profile)."""
    out = subprocess.run([sys.executable, "-m", "pytest", run.suite, "--collect-only", "-q",
                          f"--vgi-profile={PROFILES / run.profile}", "-p", "no:cacheprovider"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    names = [line.rsplit("::", 1)[-1] for line in out.stdout.splitlines() if "::" in line]
    assert names, out.stdout[-2000:] + out.stderr[-2000:]
    return sorted({n for n in names if run.is_role_case(n, role)})


@pytest.mark.parametrize("role", ["ev", "evse"])
def test_every_case_of_the_role_has_a_reviewed_verdict(role: str) -> None:
    """A case added to a suite (the fuzz suite too) fails here until someone reviews Josev's verdict for it."""
    for run in tables(role):
        assert run.table.suite == run.suite, (run.table.name, run.table.suite)
        cases = collected(run, role)
        assert cases, f"{run.table.name}: the suite has no case of the role {role}"
        assert sorted(run.table.cases) == cases, (
            f"{run.table.name}: not reviewed {sorted(set(cases) - set(run.table.cases))}, "
            f"no longer in the suite {sorted(set(run.table.cases) - set(cases))}")


def run_direction(role: str, workdir: Path) -> tuple[list[str], list[str]]:
    """One Josev process for the role; the selected rows of its tables, one suite run each. Returns the
    differences from the tables and what each run took."""
    selected = [(run, run.table.selected()) for run in tables(role)]
    selected = [(run, rows) for run, rows in selected if rows]
    assert selected, f"no Josev {role} case is selected (the tables mark no slice)"
    timeout = RUN_TIMEOUT_S[full_run()]
    differences: list[str] = []
    timings: list[str] = []
    with josev_device(role, workdir / "josev") as device:
        for run, rows in selected:
            t0, psi0 = time.monotonic(), cpu_pressure_us()
            tests = [e.test for e in rows]
            results = device.run(run.suite, run.profile, workdir / "reports", run.table.name, tests, timeout=timeout)
            differences += compare(run.table, results, tests)
            wall, psi1 = time.monotonic() - t0, cpu_pressure_us()
            contended = f"{(psi1 - psi0) / 1e6 / wall:.0%}" if psi0 is not None and psi1 is not None else "unknown"
            timings.append(f"{run.table.name}: {len(tests)} cases in {wall:.0f} s (Josev at nice {device.niceness()}; "
                           f"CPU contended {contended} of the time)")
        if not device.alive():
            differences.append(f"Josev ({role}) died during the run:\n{device.log_tail()}")
    return differences, timings


def test_josev_verdicts_match_the_reviewed_tables(tmp_path: Path) -> None:
    """Both directions at once (two namespace pairs, two Josev processes): the slice's wall time is the longer of
    the two."""
    why = unavailable_reason()
    if why:
        pytest.skip(why)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {role: pool.submit(run_direction, role, tmp_path / role) for role in ("ev", "evse")}
        try:
            outcome = {role: f.result() for role, f in futures.items()}
        except Unavailable as exc:
            pytest.skip(str(exc))
    took = "\n".join(t for _, timings in outcome.values() for t in timings)
    print(took)
    differences = [d for diffs, _ in outcome.values() for d in diffs]
    assert not differences, "\n".join(differences) + f"\n(evidence: {tmp_path}/<ev|evse>/reports)\n{took}"


def test_the_hook_client_reports_why_an_action_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter command exits 1 with the reason (the harness shows it) when no hook answers."""
    from tests.interop import josev_hook
    monkeypatch.setenv(josev_hook.HOOK_ENV, str(tmp_path / "absent.sock"))
    assert josev_hook.send("plug_in", "din") == 1
    assert "plug_in failed" in capsys.readouterr().err
    monkeypatch.delenv(josev_hook.HOOK_ENV)
    assert josev_hook.send("plug_in", "din") == 1


def test_the_hook_asks_josev_for_what_the_case_plugs_in() -> None:
    from tests.interop.josev_hook import ev_config
    assert ev_config("din", None, False)["supportedProtocols"] == ["DIN_SPEC_70121"]
    assert ev_config("iso-2", "AC", False)["energyTransferMode"] == "AC_three_phase_core"
    bpt = ev_config("iso-20", "AC_BPT", True)
    assert (bpt["supportedProtocols"], bpt["supportedEnergyServices"], bpt["useTls"]) == (
        ["ISO_15118_20_AC"], ["AC_BPT"], True)
    with pytest.raises(ValueError):
        ev_config("iso-21", None, False)

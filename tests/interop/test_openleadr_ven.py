"""Interoperability: a VEN built on the `openleadr` library (an independent 2.0b implementation) against the
fake VTN. It registers, registers its reports, polls, receives and answers an event, opts out, and reports;
every exchange is validated and checked like a DUT's, and any finding is shown.

The same library is also a standing oracle of the suite: suites/openadr20b run against it as the DUT
(tests/interop/openleadr_ven.py) must give the verdicts reviewed in tests/interop/expected/openleadr-ven.toml
(the slice in `make test`, every row with --oracle-full)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Iterator

import pytest

from tests.interop.oracle import Table, compare, run_suite
from vgitest.budgets import Budgets
from vgitest.loop import BackgroundLoop
from vgitest.openadr import checks, messages as m
from vgitest.openadr.codec import as_list, find
from vgitest.openadr.vtn import FakeVtn
from vgitest.trace import Frame

openleadr = pytest.importorskip("openleadr", reason="openleadr is a dev dependency (pip install -e '.[dev]')")
logging.getLogger("openleadr").setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def oadr_schema_dir() -> object:
    from vgitest.openadr import schemas
    from vgitest.upstream import UpstreamError
    try:
        return schemas.schema_dir()
    except UpstreamError as e:
        pytest.skip(f"OpenADR 2.0b schemas unavailable: {e}")


@pytest.fixture(scope="module")
def world(oadr_schema_dir: object) -> Iterator[tuple[FakeVtn, object, BackgroundLoop]]:
    vtn = FakeVtn(poll_freq_s=1, ven_id="OPENLEADR-VEN").start()
    loop = BackgroundLoop("openleadr-ven")
    answers: list[str] = []

    async def on_event(event: dict) -> str:
        answers.append(event["event_descriptor"]["event_id"])
        return "optIn"

    def build():  # noqa: ANN202 - the client must be made on its own loop
        client = openleadr.OpenADRClient(ven_name="openleadr-ven", vtn_url=vtn.url, allow_jitter=False,
                                         disable_signature=True)
        client.add_handler("on_event", on_event)
        client.add_report(callback=lambda: 230.5, resource_id="charger-1", measurement="voltage",
                          sampling_rate=dt.timedelta(seconds=1))
        return client

    async def start():  # noqa: ANN202
        client = build()
        await client.run()
        return client

    client = loop.run(start(), timeout=30)
    yield vtn, client, loop
    try:
        loop.run(client.stop(), timeout=10)
    except Exception:
        pass
    loop.stop()
    vtn.stop()


def fails(vtn: FakeVtn, start: int = 0) -> list[str]:
    frame_findings = [f for fr in vtn.trace.since(start) for f in fr.findings]
    trace_findings = checks.run_all(list(vtn.trace), start, Budgets.load())
    return [str(f) for f in frame_findings + trace_findings if f.severity.value == "fail"]


def test_registers_registers_reports_and_polls(world) -> None:  # noqa: ANN001
    vtn, _, _ = world
    ven = vtn.session
    ven.expect("oadrQueryRegistration", 10)
    ven.expect("oadrCreatePartyRegistration", 10)
    ven.expect("oadrRegisterReport", 10)
    ven.expect("oadrPoll", 10, {"venID": "OPENLEADR-VEN"})
    assert vtn.state.registration_id and vtn.state.reports
    assert fails(vtn) == []


def _deliver_event(vtn: FakeVtn, event_id: str) -> Frame:
    """Hand the openleadr VEN one event on its next poll; its oadrCreatedEvent answer."""
    ven = vtn.session
    sig = m.signal([m.interval(0, 1800, 1), m.interval(1, 1800, 2)], current=0)
    ev = m.event(event_id, start=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10), signals=[sig],
                 ven_ids=["OPENLEADR-VEN"])
    vtn.state.events[event_id] = (ev, "always")
    ven.queue("oadrDistributeEvent", m.distribute_event(vtn.state.vtn_id, [(ev, "always")],
                                                        request_id=f"DIST-{event_id}"))
    assert ven.wait_delivered(10) is not None
    return ven.expect("oadrCreatedEvent", 10)


def test_answers_an_event(world) -> None:  # noqa: ANN001
    vtn, _, _ = world
    ven = vtn.session
    start = len(vtn.trace)
    ven.cursor = start
    created = _deliver_event(vtn, "OL-EVENT-1")
    resp = as_list(find(created.body, "eiCreatedEvent/eventResponses/eventResponse"))
    assert [(find(x, "qualifiedEventID/eventID"), x.get("optType")) for x in resp] == [("OL-EVENT-1", "optIn")]
    ven.expect("oadrPoll", 10)
    assert fails(vtn, start) == []


def test_opts_out(world) -> None:  # noqa: ANN001
    """Self-contained (xdist may run it on another worker than the event test): its own event, then the opt."""
    vtn, client, loop = world
    ven = vtn.session
    start = len(vtn.trace)
    ven.cursor = start
    _deliver_event(vtn, "OL-EVENT-2")
    loop.run(client.create_opt(opt_type="optOut", opt_reason="participating", targets=[{"ven_id": "OPENLEADR-VEN"}],
                               event_id="OL-EVENT-2", modification_number=0), timeout=15)
    opt = ven.expect("oadrCreateOpt", 10)
    assert opt.body.get("optType") == "optOut"
    answer = ven.answer_to(opt)
    assert answer is not None and answer.name == "oadrCreatedOpt"
    assert fails(vtn, start) == []


def test_reports_what_the_vtn_requested(world) -> None:  # noqa: ANN001
    vtn, _, _ = world
    ven = vtn.session
    ven.cursor = 0
    ven.expect("oadrCreatedReport", 15)
    update = ven.expect("oadrUpdateReport", 15)
    requested = set(vtn.state.report_requests)
    sent = {str(x.get("reportRequestID")) for x in as_list(update.body.get("oadrReport"))}
    assert sent <= requested and sent
    assert fails(vtn) == []


# --- the same library as a signing VEN over TLS 1.2 (its own XMLDSig implementation against signature.py) ------
@pytest.fixture(scope="module")
def signed_world(oadr_schema_dir: object, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[FakeVtn, object, BackgroundLoop]]:
    from vgitest.openadr import security, testpki
    material = testpki.make(tmp_path_factory.mktemp("openleadr-pki"))
    files = material.files()
    vtn = FakeVtn(poll_freq_s=1, ven_id="OPENLEADR-SIGNED", ssl_context=material.vtn_context("good"),
                  fingerprints=security.FingerprintCheck({"OPENLEADR-SIGNED": material.ven_fingerprint})).start()
    vtn.signatures.required = True  # as with PICS XmlSignature: an unsigned payload would be a finding
    loop = BackgroundLoop("openleadr-signed-ven")

    async def start():  # noqa: ANN202 - the client must be made on its own loop
        client = openleadr.OpenADRClient(ven_name="openleadr-signed", vtn_url=vtn.url, allow_jitter=False,
                                         cert=files["tls_cert"], key=files["tls_key"], ca_file=files["tls_ca"],
                                         show_fingerprint=False)
        client.add_handler("on_event", lambda event: "optIn")
        await client.run()
        return client

    client = loop.run(start(), timeout=30)
    yield vtn, client, loop
    try:
        loop.run(client.stop(), timeout=10)
    except Exception:
        pass
    loop.stop()
    vtn.stop()


def test_a_signing_openleadr_ven_over_tls_has_no_findings(signed_world) -> None:  # noqa: ANN001
    vtn, _, _ = signed_world
    ven = vtn.session
    ven.expect("oadrCreatePartyRegistration", 10)
    ven.expect("oadrPoll", 10, {"venID": "OPENLEADR-SIGNED"})
    requests = [f for f in vtn.trace if f.kind == "REQUEST"]
    assert requests and all(f.meta["tls"]["version"] == "TLSv1.2" for f in requests)
    verdicts = [f.meta.get("signature") or {} for f in requests]
    assert all(v.get("verified") and v.get("authenticated") for v in verdicts), verdicts
    assert len({v["nonce"] for v in verdicts}) == len(verdicts)
    assert fails(vtn) == []


# --- the suite with the openleadr VEN as its DUT, against the reviewed verdicts -----------------------------------
ORACLE_PROFILE = Path(__file__).resolve().parent / "profiles" / "openleadr-ven.toml"


def test_the_suite_gives_the_openleadr_ven_the_reviewed_verdicts(oadr_schema_dir: object, tmp_path: Path) -> None:
    table = Table.load("openleadr-ven")
    rows = [e.test for e in table.selected()]
    results = run_suite(table.suite, ORACLE_PROFILE, tmp_path, "openleadr-ven", rows, timeout=900)
    problems = compare(table, results, rows)
    assert not problems, "\n".join(problems) + f"\n(evidence: {tmp_path / 'openleadr-ven'})"


def test_the_fuzz_suite_gives_the_openleadr_ven_the_reviewed_verdicts(oadr_schema_dir: object, tmp_path: Path) -> None:
    """suites/openadr20b_fuzz (issue 15) against the same VEN: tests/interop/expected/openleadr-ven-fuzz.toml."""
    table = Table.load("openleadr-ven-fuzz")
    rows = [e.test for e in table.selected()]
    results = run_suite(table.suite, ORACLE_PROFILE, tmp_path, "openleadr-ven-fuzz", rows, timeout=600)
    problems = compare(table, results, rows)
    assert not problems, "\n".join(problems) + f"\n(evidence: {tmp_path / 'openleadr-ven-fuzz'})"


@pytest.mark.parametrize("name", ["openleadr-ven-fuzz", "pyoadr-ven-fuzz"])
def test_the_fuzz_tables_cover_the_whole_fuzz_suite(name: str) -> None:
    """A case added to the fuzz suite needs a reviewed verdict for each VEN (collected without running anything)."""
    import subprocess
    import sys
    from tests.interop.oracle import ROOT
    table = Table.load(name)
    profile = Path(__file__).resolve().parent / "profiles" / str(table.extra["profile"])
    out = subprocess.run([sys.executable, "-m", "pytest", table.suite, "--collect-only", "-q", "-p", "no:cacheprovider",
                          f"--vgi-profile={profile}"], cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    collected = {line.split("::")[-1] for line in out.splitlines() if "::test_" in line}
    assert collected and collected == set(table.cases), (sorted(collected - set(table.cases)),
                                                         sorted(set(table.cases) - collected))

"""pytest fixtures of OCPP suites: the fake CSMS, the station's session on it, and the reusable states
(Booted, Authorized, EnergyTransferStarted) its cases start from."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from ..fixturekit import peer_for_test, record_of
from ..run import VgiRun
from ..verdict import HarnessError, Inconclusive, NonConformance


@pytest.fixture
def csms(request: pytest.FixtureRequest) -> Any:
    """The fake CSMS (started once per session; every frame of this test is checked and kept as evidence)."""
    return peer_for_test(request, "ocpp")


@pytest.fixture
def station(csms: Any, dut: Any, vgi_run: VgiRun, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The DUT's session on the fake CSMS (connected; per-test configuration reset). After the case, the postamble
    brings the station back to idle (transactions stopped, cable unplugged) and waits for it."""
    session = csms.session(vgi_run.identity)
    timeout = float(vgi_run.require_profile().param("connect_timeout", 30))
    try:
        session.wait_connected(timeout)
    except NonConformance as exc:
        raise Inconclusive(f"{exc} (is the station configured with {csms.url_for(vgi_run.identity)}?)") from None
    session.reset_for_test()
    rec = record_of(request)
    if rec is not None:
        session.cursor = rec["start"]
        rec["initial_hb"] = session.heartbeat_interval if session.registration == "Accepted" else None
    yield session
    from .states import postamble  # the case is judged: bring the station back to idle, wait for it
    session.reset_for_test()  # the case's overrides (a held answer, a refused token) must not stall the clean-up
    notes = postamble(session, dut, vgi_run.require_profile())
    if notes:
        for result in reversed(vgi_run.results):
            if result["nodeid"] == request.node.nodeid:
                result["postamble"] = notes
                break


def _states(session: Any) -> Any:
    from .states import for_version
    return for_version(session.version)


@pytest.fixture
def booted_station(station: Any, dut: Any, vgi_profile: Any) -> Any:
    """Reusable state Booted: connected and registration Accepted in this power cycle."""
    _states(station).booted(station, dut, vgi_profile)
    return station


@pytest.fixture
def authorized_session(booted_station: Any, dut: Any, vgi_profile: Any) -> dict:
    """Reusable state Authorized: a valid token presented and accepted."""
    return _states(booted_station).authorized(booted_station, dut, vgi_profile)


@pytest.fixture
def running_transaction(booted_station: Any, dut: Any, vgi_profile: Any) -> dict:
    """Reusable state EnergyTransferStarted: EV plugged in, authorized, transaction running."""
    return _states(booted_station).transaction(booted_station, dut, vgi_profile)


@pytest.fixture
def file_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A file service for this case, HTTP (vgitest/ocpp/files.py) or FTP (ftpfiles.py, PIXIT file_transfer): firmware
    to download, a location to upload diagnostics to, faults on request; on the address the fake CSMS listens on
    (PIXIT file_server_host names the address written into URLs, file_server_port a fixed port). Every transfer is written into the case's
    evidence folder as transfers.json."""
    from ..evidence import allure, bundle
    from ..fixturekit import run_of
    from .files import FileServer
    from .ftpfiles import FtpFileServer
    run = run_of(request)
    profile = run.require_profile()
    kind = str(profile.param("file_transfer", "http"))
    if kind not in ("http", "ftp"):
        raise HarnessError(f"PIXIT file_transfer = {kind!r}: the file service speaks \"http\" or \"ftp\"")
    server = (FtpFileServer if kind == "ftp" else FileServer)(
        run.settings.host or "127.0.0.1", int(profile.param("file_server_port", 0)),
        url_host=profile.param("file_server_host", None) or None).start()
    try:
        yield server
    finally:
        server.stop()
        try:
            path = server.write_evidence(run.run_dir / "tests" / bundle.folder_name(request.node.name))
            if path is not None:
                allure.attach_file(path, "file transfers", "json")
        except OSError as exc:  # evidence must never turn a verdict into an error
            request.node.add_report_section("teardown", "file transfers", f"not written: {exc!r}")

"""L: Firmware management — the secure firmware update (L01) over the harness's file service: the station downloads
the image for real, checks the signing certificate and the signature the CSMS gave, and reports every state it
enters with the update's requestId; the cases judge those reports in order, against the dates the request gave,
against the transactions running, and against the transfers the file service recorded (transfers.json)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from firmware201 import after_install, answered, judge, no_download, not_before, security_event, send, signed
from vgitest.case import preamble
from vgitest.ocpp import firmware_signing as fs
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.files import BAD_FILE, NOT_FOUND, SLOW, FileFault
from vgitest.verdict import NotApplicable

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

FEATURE = "Firmware Management"
ALLOW_NEW = ("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate")


def _schedule(profile) -> float:
    return float(profile.param("firmware_schedule_s", 3))


def _publish(file_server, vgi_profile, fault=None) -> tuple[str, bytes]:
    image = fs.firmware_image(vgi_profile)
    return file_server.publish("firmware.bin", image, fault), image


@contextlib.contextmanager
def _allow_new_sessions(station, value: bool) -> Iterator[None]:
    """ChargingStation.AllowNewSessionsPendingFirmwareUpdate set to `value` for the case (restored after); a station
    without the variable does not apply to a case that depends on it."""
    want = "true" if value else "false"
    with preamble(f"AllowNewSessionsPendingFirmwareUpdate = {want}"):
        old = s.get_value(station, *ALLOW_NEW)
        if old is None:
            raise NotApplicable("NOT_APPLICABLE: the station does not report ChargingStation."
                                  "AllowNewSessionsPendingFirmwareUpdate; the case depends on it")
        if old != want:
            res = station.call("SetVariables", {"setVariableData": [{**s.variable(*ALLOW_NEW),
                                                                     "attributeValue": want}]})
            status = res["setVariableResult"][0]["attributeStatus"]
            if status != "Accepted":
                raise NotApplicable(f"NOT_APPLICABLE: SetVariables AllowNewSessionsPendingFirmwareUpdate = {want} "
                                      f"answered {status}")
    try:
        yield
    finally:
        if old != want and station.connected:
            station.call("SetVariables", {"setVariableData": [{**s.variable(*ALLOW_NEW), "attributeValue": old}]})


def _second_update_case(station, profile, files, t):
    """An update whose download takes a few seconds, and a second UpdateFirmware while it is Downloading; returns
    both locations and both updates."""
    image = fs.firmware_image(profile)
    slow = files.publish("firmware-slow.bin", image, FileFault(SLOW, rate=max(1024.0, len(image) / 4.0)))
    first_update = send(station, slow, *signed(profile, image))
    answered(station, first_update, "Accepted")
    s.require(station, "FirmwareStatusNotification", first_update.mark, t.wait, r.FIRMWARE_SECURE,
              "the first update was not reported Downloading", {"status": "Downloading"})
    url = files.publish("firmware.bin", image)
    second = send(station, url, *signed(profile, image))
    return slow, url, first_update, second


@pytest.mark.vgi_case("TC_L_01_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_01_CS(booted_station, vgi_profile, file_server, t) -> None:
    """A secure firmware update that works: the station accepts a request with a trusted signing certificate and a
    valid signature, fetches the whole image, and reports Downloading, Downloaded, SignatureVerified, Installing
    (InstallRebooting before a reboot) and, running the new firmware, Installed, all with the request's requestId;
    a reboot boots with reason FirmwareUpdate, and the security event FirmwareUpdated follows."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile)
    update = send(st, url, *signed(vgi_profile, image))
    answered(st, update, "Accepted")
    frames = judge(st, vgi_profile, file_server, url, update, "installed", t)
    after_install(st, update, frames, t)


@pytest.mark.vgi_case("TC_L_02_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_02_CS(booted_station, vgi_profile, file_server, t) -> None:
    """An update to be installed a few seconds from now: the station downloads and verifies the image at once,
    reports InstallScheduled, and starts installing no earlier than installDateTime."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile)
    ahead = _schedule(vgi_profile)
    update = send(st, url, *signed(vgi_profile, image), install=ahead)
    answered(st, update, "Accepted")
    frames = judge(st, vgi_profile, file_server, url, update, "installed", t, install_scheduled=True)
    not_before(st, frames, ("Installing", "InstallRebooting", "Installed"), update.sent_ns + int(ahead * 1e9), t,
               "installDateTime")
    after_install(st, update, frames, t)


@pytest.mark.vgi_case("TC_L_03_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_03_CS(booted_station, vgi_profile, file_server, t) -> None:
    """An update to be downloaded a few seconds from now: the station reports DownloadScheduled, starts downloading
    no earlier than retrieveDateTime, and then goes through the whole update to Installed."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile)
    ahead = _schedule(vgi_profile)
    update = send(st, url, *signed(vgi_profile, image), retrieve=ahead)
    answered(st, update, "Accepted")
    frames = judge(st, vgi_profile, file_server, url, update, "installed", t, download_scheduled=True)
    not_before(st, frames, ("Downloading",), update.sent_ns + int(ahead * 1e9), t, "retrieveDateTime")
    after_install(st, update, frames, t)


@pytest.mark.vgi_case("TC_L_05_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_05_CS(booted_station, vgi_profile, file_server, t) -> None:
    """A signing certificate the station's manufacturer root did not issue: the station refuses the request
    (InvalidCertificate, or RevokedCertificate), reports the security event InvalidFirmwareSigningCertificate and
    does not download."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile)
    _, signature = signed(vgi_profile, image)
    update = send(st, url, fs.invalid_certificate(vgi_profile), signature)
    answered(st, update, "InvalidCertificate", "RevokedCertificate", why="the signing certificate is not one the "
             "station's manufacturer root issued (L01.FR.21, L01.FR.22)")
    security_event(st, update.mark, "InvalidFirmwareSigningCertificate", t, "L01.FR.02")
    no_download(st, update, t, "the station refused the signing certificate")


@pytest.mark.vgi_case("TC_L_06_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_06_CS(booted_station, vgi_profile, file_server, t) -> None:
    """The image the station downloads does not match its signature (bytes changed in the middle of it): the
    station reports Downloading, Downloaded and InvalidSignature, never installs it, and reports the security event
    InvalidFirmwareSignature."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile, BAD_FILE)
    update = send(st, url, *signed(vgi_profile, image))
    answered(st, update, "Accepted")
    judge(st, vgi_profile, file_server, url, update, "invalid_signature", t)
    security_event(st, update.mark, "InvalidFirmwareSignature", t, "L01.FR.03")


@pytest.mark.vgi_case("TC_L_07_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_07_CS(booted_station, vgi_profile, file_server, t) -> None:
    """The firmware location does not exist (404 to every attempt): after its retries the station reports
    DownloadFailed (Downloading before it is optional), never Downloaded or an install; the file service must have
    seen it try."""
    st = booted_station
    url, image = _publish(file_server, vgi_profile, NOT_FOUND)
    update = send(st, url, *signed(vgi_profile, image))
    answered(st, update, "Accepted")
    judge(st, vgi_profile, file_server, url, update, "download_failed", t)


@pytest.mark.vgi_case("TC_L_08_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_08_CS(booted_station, vgi_profile, file_server, t) -> None:
    """A properly signed image that fails the station's own installation check: the station verifies the signature,
    starts installing and reports InstallVerificationFailed (or InstallationFailed), never Installed."""
    st = booted_station
    image = fs.failing_image(vgi_profile)
    url = file_server.publish("firmware.bin", image)
    update = send(st, url, *signed(vgi_profile, image))
    answered(st, update, "Accepted")
    judge(st, vgi_profile, file_server, url, update, "install_failed", t)


@pytest.mark.vgi_case("TC_L_10_CS", feature=FEATURE, requires=("Core", "C-60"))
def test_TC_L_10_CS(booted_station, vgi_profile, file_server, t) -> None:
    """A second UpdateFirmware while the first is downloading, to a station that can cancel an update: it answers
    AcceptedCanceled, drops the first update (which never reaches Installing or Installed) and takes the second
    through to Installed."""
    st = booted_station
    _, url, first_update, second = _second_update_case(st, vgi_profile, file_server, t)
    answered(st, second, "AcceptedCanceled", why="the station declares it cancels an update in progress (C-60, "
             "L01.FR.24)")
    frames = judge(st, vgi_profile, file_server, url, second, "installed", t, only_own=True)
    old = [f for f in s.calls(st, "FirmwareStatusNotification", second.mark)
           if f.body.get("requestId") == first_update.request_id
           and f.body.get("status") in ("Installing", "InstallRebooting", "Installed")]
    st.check(not old, r.FIRMWARE_SECURE, "the canceled update went on: " + ", ".join(
        str(f.body.get("status")) for f in old), old[0] if old else None)
    after_install(st, second, frames, t)


@pytest.mark.vgi_case("TC_L_11_CS", feature=FEATURE, requires=("Core", "!C-60"))
def test_TC_L_11_CS(booted_station, vgi_profile, file_server, t) -> None:
    """A second UpdateFirmware while the first is downloading, to a station that cannot cancel an update: it
    answers Rejected, and the first update goes on to Installed."""
    st = booted_station
    slow, _, first_update, second = _second_update_case(st, vgi_profile, file_server, t)
    answered(st, second, "Rejected", why="the station declares it cannot cancel an update in progress (no C-60, "
             "L01.FR.27)")
    frames = judge(st, vgi_profile, file_server, slow, first_update, "installed", t)
    after_install(st, first_update, frames, t)


def _stop(station, dut, tx: dict, t) -> int:
    """End the running transaction (remote stop) and return the trace index of its Ended event."""
    start = s.mark(station)
    res = station.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
    station.check(res["status"] == "Accepted", r.STATION_RESPONSE, "the running transaction could not be stopped")
    return s.require(station, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                     {"eventType": "Ended"}).index


def _unplug(station, dut, t) -> None:
    if station.connected:
        start = s.mark(station)
        dut.perform("unplug", connector=t.connector)
        s.wait_call(station, "StatusNotification", start, t.wait, {"evseId": t.connector})


def _held_after(station, since: int, evses: list[int], t, why: str) -> None:
    for evse in evses:
        s.require(station, "StatusNotification", since, t.wait, r.STATUS_TRANSITION,
                  f"EVSE {evse} was not reported Unavailable {why} (L01.FR.07)",
                  {"evseId": evse, "connectorStatus": "Unavailable"})


def _quiet_while_tx(station, since: int, t, what: str, match) -> None:
    """No progress of the kind `what` while the transaction runs (L01.FR.06; L01.FR.13 for the download)."""
    frame = s.wait_call(station, "FirmwareStatusNotification", since, t.quiet, match)
    station.check(frame is None, r.FIRMWARE_SECURE, f"{frame.body.get('status') if frame else ''} came while the "
                  f"transaction was still running, by a station that cannot {what} firmware during one", frame)


def _installs_after(station, frames, ended: int) -> None:
    early = [f for f in frames if f.body.get("status") in ("Installing", "InstallRebooting", "Installed")
             and f.index < ended]
    station.check(not early, r.FIRMWARE_SECURE, f"{early[0].body.get('status')} came while the transaction was still "
                  "running, by a station that cannot install during one (L01.FR.06)" if early else "",
                  early[0] if early else None)


@pytest.mark.vgi_case("TC_L_15_CS", feature=FEATURE, requires=("Core", "C-20", "AQ-7", "!C-43"))
def test_TC_L_15_CS(running_transaction, booted_station, vgi_profile, dut, file_server, t) -> None:
    """An update during a transaction, to a station that downloads during one but installs only after it, with
    AllowNewSessionsPendingFirmwareUpdate false: it downloads and verifies at once, does not install while the
    transaction runs, holds its free EVSEs Unavailable (and the busy one once its transaction ends) so that no new
    session starts, then installs and reports Installed."""
    st, tx = booted_station, running_transaction
    connectors = [c for c in range(1, int(vgi_profile.param("connectors", 1)) + 1)]
    try:
        with _allow_new_sessions(st, False):
            url, image = _publish(file_server, vgi_profile)
            update = send(st, url, *signed(vgi_profile, image))
            answered(st, update, "Accepted")
            s.require(st, "FirmwareStatusNotification", update.mark, t.wait, r.FIRMWARE_SECURE,
                      "the verified image was not reported (SignatureVerified)", {"status": "SignatureVerified"})
            _held_after(st, update.mark, [c for c in connectors if c != tx["evse"]], t, "while the update waits")
            _quiet_while_tx(st, update.mark, t, "install", lambda b: b.get("status") in
                            ("Installing", "InstallRebooting", "Installed"))
            ended = _stop(st, dut, tx, t)
            _held_after(st, ended, [tx["evse"]], t, "after its transaction ended, while the update is pending")
            frames = judge(st, vgi_profile, file_server, url, update, "installed", t)
            _installs_after(st, frames, ended)
            after_install(st, update, frames, t)
    finally:
        _unplug(st, dut, t)


@pytest.mark.vgi_case("TC_L_18_CS", feature=FEATURE, requires=("Core",))
def test_TC_L_18_CS(booted_station, vgi_profile, file_server, t) -> None:
    """An UpdateFirmware without signing certificate and signature, to a station that supports secure updates: it
    refuses the request (Rejected or InvalidCertificate) and does not download."""
    st = booted_station
    url, _ = _publish(file_server, vgi_profile)
    update = send(st, url, None, None)
    answered(st, update, "Rejected", "InvalidCertificate", why="an update without signature must not be taken by a "
             "station that supports secure firmware updates")
    no_download(st, update, t, "the request carried no signing certificate and no signature")


def _two_evses(request, profile, t) -> int:
    """The EVSE for the second session, or NOT_APPLICABLE for a station with one EVSE (Part 5: HFS-8 > 1)."""
    others = [c for c in range(1, int(profile.param("connectors", 1)) + 1) if c != t.connector]
    if not others:
        from vgitest.fixturekit import not_applicable
        not_applicable(request, "the case starts a second session while the update waits: the station needs a "
                       "second EVSE (PIXIT connectors > 1)")
    return others[0]


def _second_session(station, dut, profile, evse: int, t) -> None:
    """A new session on `evse` while the update waits: the EV plugged in and the token presented start one."""
    token = s.id_token(profile)
    start = s.mark(station)
    dut.perform("plug_in", connector=evse)
    dut.perform("present_token", id_token=token["idToken"], connector=evse)
    why = (f"no transaction charging on EVSE {evse} although AllowNewSessionsPendingFirmwareUpdate is true "
           "(L01.FR.07 holds EVSEs only when it is false)")
    started = s.require(station, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, why,
                        lambda b: b.get("evse", {}).get("id") == evse and b.get("eventType") == "Started")
    tx_id = started.body["transactionInfo"]["transactionId"]
    s.require(station, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, why,
              lambda b: b["transactionInfo"].get("transactionId") == tx_id
              and b["transactionInfo"].get("chargingState") == "Charging")


def _end_all(station, profile, t) -> int:
    """End every running transaction (remote stop) and return the trace index of the last Ended event."""
    start = s.mark(station)
    open_tx = list(s.open_transactions(station))
    notes = s.end_transactions(station, profile)
    station.check(not notes, r.EXPECTED_MESSAGE, "; ".join(notes))
    ended = [f for f in s.tx_events(station, start) if f.body.get("eventType") == "Ended"
             and f.body["transactionInfo"]["transactionId"] in open_tx]
    return max(f.index for f in ended) if ended else start


def _unplug_all(station, dut, profile, t) -> None:
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        if station.connected and s.last_statuses(station).get((c, 1)) in ("Occupied", "Unavailable"):
            start = s.mark(station)
            dut.perform("unplug", connector=c)
            s.wait_call(station, "StatusNotification", start, t.wait, {"evseId": c})


def _downloads_after(station, frames, ended: int) -> None:
    early = [f for f in frames if f.body.get("status") not in ("DownloadScheduled",) and f.index < ended]
    station.check(not early, r.FIRMWARE_SECURE, f"{early[0].body.get('status')} came while a transaction was still "
                  "running, by a station that downloads only once every transaction has ended" if early else "",
                  early[0] if early else None)


@pytest.mark.vgi_case("TC_L_12_CS", feature=FEATURE, requires=("Core", "C-20", "!AQ-7", "!C-43"))
def test_TC_L_12_CS(request, running_transaction, booted_station, vgi_profile, dut, file_server, t) -> None:
    """An update during a transaction, to a station that neither downloads nor installs during one, with
    AllowNewSessionsPendingFirmwareUpdate true: it reports DownloadScheduled and waits, keeps its free EVSEs
    available so that a new session can start on another EVSE, and downloads and installs only once every
    transaction has ended."""
    st, tx = booted_station, running_transaction
    other = _two_evses(request, vgi_profile, t)
    try:
        with _allow_new_sessions(st, True):
            url, image = _publish(file_server, vgi_profile)
            update = send(st, url, *signed(vgi_profile, image))
            answered(st, update, "Accepted")
            s.require(st, "FirmwareStatusNotification", update.mark, t.wait, r.FIRMWARE_SECURE,
                      "the update waiting for the transaction was not reported DownloadScheduled (L01.FR.13)",
                      {"status": "DownloadScheduled"})
            _second_session(st, dut, vgi_profile, other, t)
            ended = _end_all(st, vgi_profile, t)
            frames = judge(st, vgi_profile, file_server, url, update, "installed", t, download_scheduled=True)
            _downloads_after(st, frames, ended)
            after_install(st, update, frames, t)
    finally:
        _unplug_all(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_L_13_CS", feature=FEATURE, requires=("Core", "C-20", "!AQ-7", "!C-43"))
def test_TC_L_13_CS(running_transaction, booted_station, vgi_profile, dut, file_server, t) -> None:
    """An update during a transaction, to a station that neither downloads nor installs during one, with
    AllowNewSessionsPendingFirmwareUpdate false: it reports DownloadScheduled, holds its free EVSEs Unavailable
    (and the busy one once its transaction ends), and downloads and installs only after the transaction."""
    st, tx = booted_station, running_transaction
    connectors = list(range(1, int(vgi_profile.param("connectors", 1)) + 1))
    try:
        with _allow_new_sessions(st, False):
            url, image = _publish(file_server, vgi_profile)
            update = send(st, url, *signed(vgi_profile, image))
            answered(st, update, "Accepted")
            s.require(st, "FirmwareStatusNotification", update.mark, t.wait, r.FIRMWARE_SECURE,
                      "the update waiting for the transaction was not reported DownloadScheduled (L01.FR.13)",
                      {"status": "DownloadScheduled"})
            _held_after(st, update.mark, [c for c in connectors if c != tx["evse"]], t, "while the update waits")
            _quiet_while_tx(st, update.mark, t, "download", lambda b: b.get("status") != "DownloadScheduled")
            ended = _stop(st, dut, tx, t)
            _held_after(st, ended, [tx["evse"]], t, "after its transaction ended, while the update is pending")
            frames = judge(st, vgi_profile, file_server, url, update, "installed", t, download_scheduled=True)
            _downloads_after(st, frames, ended)
            after_install(st, update, frames, t)
    finally:
        _unplug_all(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_L_14_CS", feature=FEATURE, requires=("Core", "C-20", "AQ-7", "!C-43"))
def test_TC_L_14_CS(request, running_transaction, booted_station, vgi_profile, dut, file_server, t) -> None:
    """An update during a transaction, to a station that downloads during one but installs only after, with
    AllowNewSessionsPendingFirmwareUpdate true: it downloads and verifies at once, lets a new session start on
    another EVSE while the install waits, and installs only once every transaction has ended."""
    st, tx = booted_station, running_transaction
    other = _two_evses(request, vgi_profile, t)
    try:
        with _allow_new_sessions(st, True):
            url, image = _publish(file_server, vgi_profile)
            update = send(st, url, *signed(vgi_profile, image))
            answered(st, update, "Accepted")
            s.require(st, "FirmwareStatusNotification", update.mark, t.wait, r.FIRMWARE_SECURE,
                      "the verified image was not reported (SignatureVerified)", {"status": "SignatureVerified"})
            _second_session(st, dut, vgi_profile, other, t)
            ended = _end_all(st, vgi_profile, t)
            frames = judge(st, vgi_profile, file_server, url, update, "installed", t)
            _installs_after(st, frames, ended)
            after_install(st, update, frames, t)
    finally:
        _unplug_all(st, dut, vgi_profile, t)


@pytest.mark.vgi_case("TC_L_16_CS", feature=FEATURE, requires=("Core", "C-43"))
def test_TC_L_16_CS(running_transaction, booted_station, vgi_profile, dut, file_server, t) -> None:
    """An update during a transaction, to a station that installs firmware while one runs: it goes through the
    whole update to Installed while the transaction is still going on."""
    st, tx = booted_station, running_transaction
    try:
        url, image = _publish(file_server, vgi_profile)
        update = send(st, url, *signed(vgi_profile, image))
        answered(st, update, "Accepted")
        frames = judge(st, vgi_profile, file_server, url, update, "installed", t)
        installed = next(f for f in frames if f.body.get("status") == "Installed")
        ended = [f for f in s.tx_events(st, update.mark, tx["transaction_id"]) if f.body.get("eventType") == "Ended"
                 and f.index < installed.index]
        st.check(not ended, r.FIRMWARE_SECURE, "the transaction ended before the firmware was installed, by a station "
                 "that declares it installs during transactions (C-43)", ended[0] if ended else installed)
        after_install(st, update, frames, t)
    finally:
        _unplug_all(st, dut, vgi_profile, t)

"""The file service (vgitest/ocpp/files.py), the judging of firmware and diagnostics statuses
(vgitest/ocpp/transfer_checks.py) and the reference station's transfer client (station/v16_files.py): every fault
the server offers does what it says and is recorded, and every check refuses the bad case it exists for."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from vgitest.ocpp.files import (BAD_FILE, CUT, NOT_FOUND, REFUSE, SLOW, FileFault, FileServer, Transfer, corrupt,
                                image_problem, reference_image)
from vgitest.ocpp.station.v16_files import _download, _upload
from vgitest.ocpp.transfer_checks import (collapse, download_evidence_problem, sequence_problem,
                                          upload_evidence_problem)

DATA = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
def server():
    with FileServer(socket_timeout=5, max_duration=10) as srv:
        yield srv


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as res:
        return res.read()


# --- downloads ------------------------------------------------------------------------------------------------
def test_a_published_file_downloads_whole_and_is_recorded(server):
    url = server.publish("fw.bin", DATA)
    assert _get(url) == DATA
    t = server.wait_for(lambda t: True, 2)  # a download is recorded once its last byte was written
    assert t is not None and server.transfers_for(url) == [t]
    assert (t.kind, t.status, t.size, t.expected, t.complete, t.fault) == ("download", 200, len(DATA), len(DATA),
                                                                          True, None)
    assert t.t_start_ns > 0 and t.filename == "fw.bin"


def test_not_found_answers_404_and_records_the_attempt(server):
    url = server.publish("fw.bin", DATA, NOT_FOUND)
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(url)
    assert err.value.code == 404
    [t] = server.transfers_for(url)
    assert (t.status, t.complete, t.fault) == (404, False, "not_found")
    unknown = server.base_url + "/files/nothing/here.bin"
    with pytest.raises(urllib.error.HTTPError):
        _get(unknown)


def test_bad_file_arrives_whole_but_changed(server):
    url = server.publish("fw.bin", DATA, BAD_FILE)
    got = _get(url)
    assert len(got) == len(DATA) and got != DATA and got == corrupt(DATA)
    t = server.wait_for(lambda t: True, 2)
    assert t is not None and t.complete


def test_cut_download_announces_the_whole_length_and_stops_half_way(server):
    url = server.publish("fw.bin", DATA, CUT)
    with pytest.raises((http.client.IncompleteRead, ValueError, OSError)):
        _download(url, 5)  # the reference station's client refuses a short file
    t = server.wait_for(lambda t: True, 2)
    assert t is not None and (t.size, t.expected, t.complete) == (len(DATA) // 2, len(DATA), False)


def test_slow_download_keeps_its_rate(server):
    url = server.publish("fw.bin", DATA[:2048], FileFault(SLOW, rate=4096))
    t0 = time.monotonic()
    assert _get(url) == DATA[:2048]
    assert time.monotonic() - t0 >= 0.4  # 2 KiB at 4 KiB/s
    t = server.wait_for(lambda t: True, 2)  # recorded once the server's last pause ended
    assert t is not None and t.complete and t.duration_s >= 0.4


def test_a_slow_transfer_is_bounded_by_max_duration():
    with FileServer(max_duration=0.5) as srv:
        url = srv.publish("fw.bin", DATA, FileFault(SLOW, rate=1000))
        with pytest.raises((http.client.IncompleteRead, ValueError, OSError)):
            _download(url, 5)
        t = srv.wait_for(lambda t: True, 3)
        assert t is not None and not t.complete and t.size < len(DATA)


def test_unknown_fault_names_are_refused():
    with pytest.raises(ValueError):
        FileFault("teapot")


# --- uploads --------------------------------------------------------------------------------------------------
def test_put_into_a_location_keeps_the_file(server):
    loc = server.upload_location()
    _upload(loc, "diag.json", b'{"a": 1}', 5)
    assert server.uploaded(loc) == {"diag.json": b'{"a": 1}'}
    [t] = server.transfers_for(loc)
    assert (t.kind, t.method, t.status, t.complete, t.filename) == ("upload", "PUT", 201, True, "diag.json")


def test_post_multipart_keeps_the_file_part(server):
    loc = server.upload_location()
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"log.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n")
    req = urllib.request.Request(loc, data=body, method="POST",
                                 headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 200
    assert server.uploaded(loc) == {"log.txt": b"hello"}


def test_refused_upload_fails_the_client_and_is_recorded(server):
    loc = server.upload_location(REFUSE)
    with pytest.raises((urllib.error.HTTPError, OSError)):
        _upload(loc, "diag.json", b"x" * 1000, 5)
    [t] = server.transfers_for(loc)
    assert (t.status, t.complete, t.fault) == (403, False, "refuse")
    assert server.uploaded(loc) == {}


def test_cut_upload_is_incomplete(server):
    loc = server.upload_location(CUT)
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, OSError)):
        _upload(loc, "diag.json", b"x" * 100_000, 5)
    t = server.wait_for(lambda t: True, 2)
    assert t is not None and not t.complete and t.size == 50_000
    assert server.uploaded(loc) == {}


def test_evidence_lists_what_was_offered_and_what_moved(server, tmp_path: Path):
    assert server.write_evidence(tmp_path / "none") is None  # nothing offered: no file
    url = server.publish("fw.bin", DATA)
    _get(url)
    assert server.wait_for(lambda t: True, 2) is not None
    doc = json.loads(server.write_evidence(tmp_path / "case").read_text())
    path = urllib.parse.urlsplit(url).path
    assert doc["files"][path]["size"] == len(DATA) and len(doc["transfers"]) == 1


def test_url_host_for_a_server_on_every_interface():
    srv = FileServer("0.0.0.0")
    assert srv.url_host == "127.0.0.1"
    assert FileServer("0.0.0.0", url_host="192.0.2.7").url_host == "192.0.2.7"


# --- the reference image ----------------------------------------------------------------------------------------
def test_reference_image_passes_its_check_and_a_corrupted_copy_does_not():
    image = reference_image("9.9")
    assert image_problem(image) == ("9.9", None)
    assert image_problem(corrupt(image))[1] is not None
    assert image_problem(b"garbage")[1] is not None


# --- judging the statuses ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("statuses,outcome", [
    (["Downloading", "Downloaded", "Installing", "Installed"], "installed"),
    (["Downloading", "Downloading", "Downloaded", "Installing", "Installed"], "installed"),
    (["Downloading", "DownloadFailed"], "download_failed"),
    (["Downloading", "DownloadFailed", "Downloading", "DownloadFailed"], "download_failed"),
    (["Downloading", "Downloaded", "Installing", "InstallationFailed"], "install_failed"),
    (["Uploading", "Uploaded"], "uploaded"),
    (["Uploading", "UploadFailed", "Uploading", "UploadFailed"], "upload_failed"),
])
def test_conforming_sequences_pass(statuses, outcome):
    assert sequence_problem(statuses, outcome) is None


@pytest.mark.parametrize("statuses,outcome,why", [
    (["Downloading", "Installing", "Installed"], "installed", "expected"),
    (["Downloading", "Downloaded", "Installing"], "installed", "missing Installed"),
    ([], "installed", "nothing"),
    (["Idle", "Downloading", "Downloaded", "Installing", "Installed"], "installed", "Idle"),
    (["Downloading"], "download_failed", "missing DownloadFailed"),
    (["Downloading", "Downloaded", "Installing", "Installed"], "download_failed", "expected"),
    (["Downloading", "DownloadFailed", "Downloading", "Downloaded"], "download_failed", "expected"),
    (["Downloading", "Downloaded", "Installing", "Installed"], "install_failed", "expected"),
    (["Downloading", "Downloaded", "Installing", "InstallationFailed", "Installed"], "install_failed", "expected"),
    (["Uploading", "UploadFailed"], "uploaded", "expected"),
    (["Uploading", "Uploaded"], "upload_failed", "expected"),
    (["Uploading", "UploadFailed", "Uploading", "Uploaded"], "upload_failed", "expected"),
])
def test_bad_sequences_are_refused(statuses, outcome, why):
    problem = sequence_problem(statuses, outcome)
    assert problem is not None and why in problem


def test_collapse_merges_repeats_only():
    assert collapse(["a", "a", "b", "a"]) == ["a", "b", "a"]


def _t(kind: str, complete: bool, start: int, name: str | None = "f") -> Transfer:
    return Transfer(kind, "GET" if kind == "download" else "PUT", "/p", name, "c", 200 if complete else 404,
                    10 if complete else 0, 10, complete, None, None, "", 0.0, start)


def test_download_evidence():
    whole, failed = _t("download", True, 100), _t("download", False, 100)
    assert download_evidence_problem([whole], "installed", 200) is None
    assert "without a whole download" in download_evidence_problem([], "installed", 200)
    assert "without a whole download" in download_evidence_problem([failed], "installed", 200)
    assert "without a whole download" in download_evidence_problem([_t("download", True, 300)], "installed", 200)
    assert download_evidence_problem([failed], "download_failed", 200) is None
    assert "never requested" in download_evidence_problem([], "download_failed", 200)
    assert download_evidence_problem([], "installed", None) is None  # no claim, nothing to back


def test_upload_evidence():
    up = _t("upload", True, 100, "diag.json")
    assert upload_evidence_problem([up], "uploaded", 200, "diag.json") is None
    assert "without a whole upload" in upload_evidence_problem([], "uploaded", 200, "diag.json")
    assert "announced fileName" in upload_evidence_problem([up], "uploaded", 200, "other.json")
    assert upload_evidence_problem([_t("upload", False, 100)], "upload_failed", 200, None) is None
    assert "never tried" in upload_evidence_problem([], "upload_failed", 200, None)

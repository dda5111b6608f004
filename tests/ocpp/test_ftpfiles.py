"""The FTP file service (vgitest/ocpp/ftpfiles.py) with the reference station's transfer client
(station/v16_files.py): downloads and uploads over FTP are recorded, and each fault it offers does what it says."""

from __future__ import annotations

import ftplib
import urllib.error

import pytest

from vgitest.ocpp.files import BAD_FILE, CUT, NOT_FOUND, REFUSE, corrupt
from vgitest.ocpp.ftpfiles import FtpFileServer
from vgitest.ocpp.station.v16_files import _download, _upload

DATA = bytes(range(256)) * 32


@pytest.fixture
def ftp():
    with FtpFileServer() as srv:
        yield srv


def test_download_is_whole_and_recorded(ftp):
    url = ftp.publish("fw.bin", DATA)
    assert url.startswith("ftp://vgitest:")
    assert _download(url, 5) == DATA
    t = ftp.wait_for(lambda t: True, 3)
    assert t is not None and (t.kind, t.status, t.complete, t.size) == ("download", 226, True, len(DATA))
    assert ftp.transfers_for(url) == [t]


def test_not_found_download_fails_and_is_recorded(ftp):
    url = ftp.publish("fw.bin", DATA, NOT_FOUND)
    with pytest.raises((urllib.error.URLError, OSError)):
        _download(url, 5)
    t = ftp.wait_for(lambda t: True, 3)
    assert t is not None and (t.status, t.complete, t.fault) == (550, False, "not_found")


def test_bad_file_is_served_corrupted(ftp):
    url = ftp.publish("fw.bin", DATA, BAD_FILE)
    assert _download(url, 5) == corrupt(DATA)


def test_upload_is_kept_and_recorded(ftp):
    loc = ftp.upload_location()
    _upload(loc, "diag.json", b'{"x": 1}', 5)
    assert ftp.uploaded(loc) == {"diag.json": b'{"x": 1}'}
    t = ftp.wait_for(lambda t: t.kind == "upload", 3)
    assert t is not None and (t.status, t.complete, t.filename) == (226, True, "diag.json")


def test_refused_upload_fails_the_client_and_is_recorded(ftp):
    loc = ftp.upload_location(REFUSE)
    with pytest.raises(ftplib.error_perm):
        _upload(loc, "diag.json", b"x", 5)
    t = ftp.wait_for(lambda t: True, 3)
    assert t is not None and (t.status, t.complete, t.fault) == (550, False, "refuse")
    assert ftp.uploaded(loc) == {}


def test_missing_upload_location_fails_the_client_and_is_recorded(ftp):
    loc = ftp.upload_location(NOT_FOUND)
    with pytest.raises(ftplib.error_perm):
        _upload(loc, "diag.json", b"x", 5)
    t = ftp.wait_for(lambda t: True, 3)
    assert t is not None and (t.kind, t.status, t.fault) == ("upload", 550, "not_found")


def test_http_only_faults_are_refused(ftp):
    with pytest.raises(ValueError):
        ftp.publish("fw.bin", DATA, CUT)
    with pytest.raises(ValueError):
        ftp.upload_location(BAD_FILE)

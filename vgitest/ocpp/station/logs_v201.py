"""The 2.0.1 reference station's log upload (use case N01, GetLog): it answers with the name of the file it will
upload, reports Uploading, uploads the diagnostics or security log into log.remoteLocation (PUT <location><file>,
or FTP STOR), retrying `retries` times `retryInterval` apart, and reports Uploaded or UploadFailure, every
LogStatusNotification carrying the request's requestId. A GetLog while an upload runs cancels that upload and
is answered AcceptedCanceled (the new request is then served).

The upload moves in chunks and stops between two of them once cancelled, so a cancelled upload really ends
instead of finishing in the background. Faults (catalog_v201_logs.py) are `station.has(...)` branches next to
the behaviour they break."""

from __future__ import annotations

import asyncio
import datetime as _dt
import ftplib
import http.client
import io
import json
import select
import threading
import time
import urllib.parse
from typing import Any

from . import catalog_v201_logs  # noqa: F401  (registers the faults)

Station201 = Any  # typed loosely: the station owns this module's state, not the other way round
TRANSFER_TIMEOUT = 30.0  # s: one upload attempt (a stalled server never holds the station longer)
MAX_WAIT = 120.0  # s: the longest the station waits between two attempts
CHUNK = 1024


class Cancelled(Exception):
    """The upload was cancelled by a newer GetLog."""


def upload(location: str, name: str, data: bytes, timeout: float, stop: threading.Event) -> None:
    """Upload `data` as `name` into the directory `location` (http, https, ftp); raises when the server does not take
    it whole, and `Cancelled` as soon as `stop` is set."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme == "ftp":
        ftp = ftplib.FTP(timeout=timeout)

        def check(_block: bytes) -> None:
            if stop.is_set():
                raise Cancelled()
        try:
            ftp.connect(parts.hostname or "", parts.port or 21)
            ftp.login(urllib.parse.unquote(parts.username or "anonymous"), urllib.parse.unquote(parts.password or ""))
            if parts.path.strip("/"):
                ftp.cwd(urllib.parse.unquote(parts.path))
            ftp.storbinary(f"STOR {name}", io.BytesIO(data), blocksize=CHUNK, callback=check)
        finally:
            ftp.close()
        return
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(parts.hostname or "", parts.port, timeout=timeout)
    path = (parts.path if parts.path.endswith("/") else parts.path + "/") + urllib.parse.quote(name)
    try:
        conn.putrequest("PUT", path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders()
        for i in range(0, len(data), CHUNK):
            if stop.is_set():
                raise Cancelled()
            conn.send(data[i:i + CHUNK])
        deadline = time.monotonic() + timeout
        while not select.select([conn.sock], [], [], 0.1)[0]:  # the server may still be reading: stay cancellable
            if stop.is_set():
                raise Cancelled()
            if time.monotonic() > deadline:
                raise TimeoutError("no answer to the upload")
        status = conn.getresponse().status
        if status >= 300:
            raise OSError(f"upload answered HTTP {status}")
    finally:
        conn.close()


class LogUploads:
    """The log upload of one Station201: at most one runs; a newer request cancels it."""

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.stop: threading.Event | None = None
        self.request_id: int | None = None

    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def cancel(self) -> None:
        if self.stop is not None:
            self.stop.set()
        if self.task is not None:
            self.task.cancel()


def _log_body(st: Station201, log_type: str) -> bytes:
    """What the station logs: its event record, or for the security log the security events it raised."""
    if log_type == "SecurityLog":
        lines = [e for e in st.events if "security" in e.lower() or "certificate" in e.lower() or "TLS" in e]
        body: dict[str, Any] = {"identity": st.identity, "log": "SecurityLog", "events": lines[-200:]}
    else:
        body = {"identity": st.identity, "log": "DiagnosticsLog", "events": st.events[-200:]}
    return json.dumps(body, indent=1).encode()


def _file_name(st: Station201, log_type: str) -> str:
    return f"{log_type}-{st.identity}-{_dt.datetime.now(_dt.timezone.utc):%Y%m%dT%H%M%S%fZ}.json"


async def get_log(st: Station201, p: dict) -> dict:
    """GetLog: Accepted (AcceptedCanceled when an upload had to be cancelled for it), with the file name."""
    if p["logType"] == "SecurityLog" and st.has("security_log_rejected"):
        return {"status": "Rejected"}
    uploads: LogUploads = st.log_uploads
    status = "Accepted"
    if uploads.running():
        if st.has("log_second_request_rejected"):
            return {"status": "Rejected"}
        uploads.cancel()
        status = "AcceptedCanceled"
    out = {"status": status, "filename": _file_name(st, p["logType"])}
    if st.has("log_filename_missing"):
        del out["filename"]  # then uploads under a name it never announced
    return out


async def after_get_log(st: Station201, p: dict, result: dict) -> None:
    if result.get("status") not in ("Accepted", "AcceptedCanceled"):
        return
    uploads: LogUploads = st.log_uploads
    uploads.stop = threading.Event()
    uploads.request_id = p["requestId"]
    uploads.task = st.spawn(_upload_log(st, p, str(result.get("filename") or _file_name(st, p["logType"])), uploads.stop))


async def _status(st: Station201, status: str, request_id: int) -> None:
    payload: dict[str, Any] = {"status": status}
    if not st.has("log_request_id_missing"):
        payload["requestId"] = request_id
    await st.safe_call("LogStatusNotification", payload)


async def _upload_log(st: Station201, p: dict, name: str, stop: threading.Event) -> None:
    """Uploading, the attempts, then Uploaded or UploadFailure; a cancelled upload reports nothing more."""
    request_id = p["requestId"]
    location = p["log"]["remoteLocation"]
    retries, interval = int(p.get("retries", 1)), int(p.get("retryInterval", 5))
    data = _log_body(st, p["logType"])
    if st.has("log_upload_skipped"):  # claims the upload without sending anything
        await _status(st, "Uploading", request_id)
        await _status(st, "Uploaded", request_id)
        return
    await _status(st, "Uploading", request_id)
    ok = False
    for attempt in range(1 + max(0, retries)):
        if attempt:
            await asyncio.sleep(min(MAX_WAIT, max(0, interval)))
        try:
            await asyncio.to_thread(upload, location, name, data, TRANSFER_TIMEOUT, stop)
            ok = True
            break
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - any failed attempt is retried, then reported
            st.events.append(f"log upload attempt {attempt + 1} failed: {type(exc).__name__}: {exc}")
    if stop.is_set():
        return
    if not ok and st.has("log_failure_reported_uploaded"):
        ok = True
    await _status(st, "Uploaded" if ok else "UploadFailure", request_id)

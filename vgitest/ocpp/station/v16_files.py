"""The 1.6 reference station's Firmware Management profile: UpdateFirmware and GetDiagnostics, with real transfers
over HTTP (and FTP through the standard library) and the status notifications a conforming station sends
(OCPP 1.6 §4.4, §4.5, §5.9, §5.19).

Firmware: at retrieveDate the station reports Downloading, fetches the image (retrying `retries` times,
`retryInterval` apart), reports Downloaded or DownloadFailed, then Installing; an image that fails its check
(vgitest.ocpp.files.image_problem) ends InstallationFailed, a good one is installed by a reboot, after which the
station boots with the new firmwareVersion and reports Installed. Diagnostics: the station answers with the name of
its diagnostics file, reports Uploading, uploads into the location (PUT <location><fileName>, or FTP STOR) and
reports Uploaded or, after its retries, UploadFailed.

Faults (catalog_v16_files.py) are `station.has(...)` branches next to the behaviour they break.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import ftplib
import http.client
import json
import urllib.parse
import urllib.request
from typing import Any

from ..files import image_problem
from . import catalog_v16_files  # noqa: F401  (registers the faults)
from .base import seconds_until

TRANSFER_TIMEOUT = 30.0  # s: one download or upload attempt (a stalled server never holds the station longer)
MAX_WAIT = 120.0  # s: the longest the station waits for a retrieveDate in the future, or between retries
MAX_IMAGE = 64 * 1024 * 1024


def _download(url: str, timeout: float, accept_partial: bool = False) -> bytes:
    """The whole file at `url` (http, https, ftp); raises when it cannot be had whole (`accept_partial`: the fault
    firmware_accepts_truncated takes whatever arrived)."""
    with urllib.request.urlopen(url, timeout=timeout) as res:  # noqa: S310 (the CSMS chose the URL)
        length = res.headers.get("Content-Length")
        try:
            data = res.read(MAX_IMAGE + 1)
        except http.client.IncompleteRead as cut:
            if not accept_partial:
                raise
            return bytes(cut.partial)
    if len(data) > MAX_IMAGE:
        raise ValueError("firmware image too large")
    if length is not None and length.isdigit() and int(length) != len(data) and not accept_partial:
        raise ValueError(f"got {len(data)} of {length} bytes")
    return data


def _upload(location: str, name: str, data: bytes, timeout: float) -> None:
    """Upload `data` as `name` into the directory `location`; raises when the server does not take it whole."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme == "ftp":
        ftp = ftplib.FTP(timeout=timeout)
        try:
            ftp.connect(parts.hostname or "", parts.port or 21)
            ftp.login(urllib.parse.unquote(parts.username or "anonymous"), urllib.parse.unquote(parts.password or ""))
            if parts.path.strip("/"):
                ftp.cwd(urllib.parse.unquote(parts.path))
            import io
            ftp.storbinary(f"STOR {name}", io.BytesIO(data))
        finally:
            try:
                ftp.quit()
            except (OSError, ftplib.Error):
                ftp.close()
        return
    url = location if location.endswith("/") else location + "/"
    req = urllib.request.Request(url + urllib.parse.quote(name), data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310
        if res.status >= 300:
            raise OSError(f"upload answered HTTP {res.status}")


class Files16:
    """Firmware and diagnostics of one Station16 (survives its reboots, as firmware does)."""

    def __init__(self, station: Any) -> None:  # the Station16 that owns it (not imported: no import circle)
        self.st = station
        self.firmware_version = "0.1.0"
        self.firmware_status = "Idle"  # what a FirmwareStatusNotification trigger reports
        self.diagnostics_status = "Idle"
        self._installed_pending = False  # a new image was installed: report Installed after the boot
        self._firmware_task: asyncio.Task | None = None

    def register(self) -> None:
        self.st.handlers["UpdateFirmware"] = self._update_firmware
        self.st.handlers["GetDiagnostics"] = self._get_diagnostics

    # --- firmware -----------------------------------------------------------------------------------------------
    async def _update_firmware(self, p: dict) -> dict:
        args = (p["location"], p.get("retrieveDate"), int(p.get("retries", 1)), int(p.get("retryInterval", 5)))
        self.st.later(p, lambda: self._start_firmware(*args))
        return {}

    async def _start_firmware(self, *args: Any) -> None:
        # not a station task: the install reboots the station, which ends the station's tasks
        if self._firmware_task is not None and not self._firmware_task.done():
            self._firmware_task.cancel()  # a new UpdateFirmware replaces the one in progress
        self._firmware_task = asyncio.get_running_loop().create_task(self._firmware(*args))

    async def _status(self, status: str) -> None:
        self.firmware_status = status
        await self.st.safe_call("FirmwareStatusNotification", {"status": status})

    async def _firmware(self, location: str, retrieve: str | None, retries: int, interval: int) -> None:
        await asyncio.sleep(seconds_until(retrieve, MAX_WAIT))
        if self.st.has("firmware_fake_download"):  # claims the steps without fetching anything
            for status in ("Downloading", "Downloaded", "Installing"):
                await self._status(status)
            await self._install(self.firmware_version)
            return
        await self._status("Downloading")
        data, why = None, ""
        for attempt in range(1 + max(0, retries)):
            if attempt:
                await asyncio.sleep(min(MAX_WAIT, max(0, interval)))
            try:
                data = await asyncio.to_thread(_download, location, TRANSFER_TIMEOUT,
                                               self.st.has("firmware_accepts_truncated"))
                break
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
                self.st.events.append(f"firmware download attempt {attempt + 1} failed: {why}")
        if data is None:
            if self.st.has("firmware_download_failure_hidden"):
                self.firmware_status = "Idle"
                return  # gives up without a word
            await self._status("DownloadFailed")
            self.firmware_status = "Idle"
            return
        if not self.st.has("firmware_skips_downloaded"):
            await self._status("Downloaded")
        await self._status("Installing")
        version, problem = image_problem(data)
        if problem is not None and not self.st.has("firmware_installs_invalid_image"):
            self.st.events.append(f"firmware image refused: {problem}")
            await self._status("InstallationFailed")
            self.firmware_status = "Idle"
            return
        await self._install(version or self.firmware_version)

    async def _install(self, version: str) -> None:
        """Take the new image and reboot into it; Installed follows the boot (after_boot)."""
        self.firmware_version = version
        self._installed_pending = True
        await self.st.do_reboot("FirmwareUpdate")

    async def after_boot(self) -> None:
        if self._installed_pending:
            self._installed_pending = False
            await self._status("Installed")
            self.firmware_status = "Idle"

    # --- diagnostics --------------------------------------------------------------------------------------------
    async def _get_diagnostics(self, p: dict) -> dict:
        name = f"diagnostics-{self.st.identity}-{_dt.datetime.now(_dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
        args = (p["location"], name, int(p.get("retries", 1)), int(p.get("retryInterval", 5)))
        self.st.later(p, lambda: self._diagnostics(*args))
        return {"fileName": name}

    async def _diag_status(self, status: str) -> None:
        self.diagnostics_status = status
        await self.st.safe_call("DiagnosticsStatusNotification", {"status": status})

    async def _diagnostics(self, location: str, name: str, retries: int, interval: int) -> None:
        body = json.dumps({"identity": self.st.identity, "firmwareVersion": self.firmware_version,
                           "events": self.st.events[-200:]}, indent=1).encode()
        if self.st.has("diagnostics_upload_skipped"):  # claims the upload without sending anything
            await self._diag_status("Uploading")
            await self._diag_status("Uploaded")
            self.diagnostics_status = "Idle"
            return
        await self._diag_status("Uploading")
        upload_name = "diagnostics.json" if self.st.has("diagnostics_other_file_name") else name
        ok = False
        for attempt in range(1 + max(0, retries)):
            if attempt:
                await asyncio.sleep(min(MAX_WAIT, max(0, interval)))
            try:
                await asyncio.to_thread(_upload, location, upload_name, body, TRANSFER_TIMEOUT)
                ok = True
                break
            except Exception as exc:
                self.st.events.append(f"diagnostics upload attempt {attempt + 1} failed: {type(exc).__name__}: {exc}")
        if not ok and self.st.has("diagnostics_failure_reported_uploaded"):
            ok = True
        await self._diag_status("Uploaded" if ok else "UploadFailed")
        self.diagnostics_status = "Idle"

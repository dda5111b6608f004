"""The OCPP 2.0.1 reference station's secure firmware update (L01): UpdateFirmware with a signing certificate and
a signature, a real download over the harness's file service, and a FirmwareStatusNotification (with the update's
requestId) for every state it enters.

What the station does, in order: it refuses a request without certificate or signature (it supports secure updates
only: Rejected) and a certificate that its manufacturer root did not issue (InvalidCertificate, then the security
event InvalidFirmwareSigningCertificate). An accepted update waits for retrieveDateTime (DownloadScheduled), and,
when it cannot download during a transaction (PIXIT firmware_download_during_tx false), for the transactions to
end; downloads with `retries` retries `retryInterval` apart (Downloading, Downloaded or DownloadFailed); checks the
signature (SignatureVerified, or InvalidSignature and its security event); waits for installDateTime
(InstallScheduled) and, unless it can install during a transaction (PIXIT firmware_install_during_tx), for the
transactions to end, with its free EVSEs Unavailable meanwhile unless
ChargingStation.AllowNewSessionsPendingFirmwareUpdate is true (L01.FR.06/07); then Installing, the image check
(InstallVerificationFailed for an image that fails it), InstallRebooting and a reboot into the new version, after
which it reports Installed and the security event FirmwareUpdated (L01.FR.28/31). A second UpdateFirmware cancels
the update in progress (AcceptedCanceled, L01.FR.24), or is Rejected by a station configured unable to cancel
(PIXIT firmware_cancel false, L01.FR.27).

Faults (catalog_v201_firmware.py) are `st.has(...)` branches next to the behaviour they break.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from cryptography import x509

from .. import firmware_signing as signing
from ..files import image_problem
from . import catalog_v201_firmware  # noqa: F401  (registers the faults)
from .base import seconds_until, utcnow
from .v16_files import TRANSFER_TIMEOUT, _download as download

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back
MAX_WAIT = 600.0  # s: the longest the station waits for a date or for transactions to end
CURRENT_VERSION = "0.1.0"


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


class Firmware201:
    """The firmware of one Station201: survives its reboots, as firmware does."""

    def __init__(self, station: Station201) -> None:
        self.st = station
        params = station.params
        self.root_file = params.get("firmware_root")  # what the station trusts for firmware (else the reference)
        self.can_cancel = _flag(params.get("firmware_cancel", True))  # PICS C-60
        self.download_during_tx = _flag(params.get("firmware_download_during_tx", True))  # PICS AQ-7
        self.install_during_tx = _flag(params.get("firmware_install_during_tx", False))  # PICS C-43
        self.version = CURRENT_VERSION
        self.task: asyncio.Task | None = None
        self.request_id: int | None = None
        self.last_status = "Idle"
        self._installed: int | None = None  # requestId whose image was installed: Installed follows the boot
        self._held: list[Any] = []  # EVSEs this update made Unavailable (L01.FR.07), made available again after it

    # --- the request ----------------------------------------------------------------------------------------
    def roots(self) -> list[x509.Certificate]:
        """The manufacturer roots the station trusts for firmware: the reference root, or PIXIT firmware_root."""
        if self.root_file:
            with open(str(self.root_file), "rb") as f:
                return x509.load_pem_x509_certificates(f.read())
        return [signing.reference_root().cert]

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    async def answer(self, st: Station201, p: dict) -> dict:
        fw = p["firmware"]
        cert, signature = fw.get("signingCertificate"), fw.get("signature")
        if (not cert or not signature) and not st.has("fw201_unsigned_accepted"):
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedRequest",
                                                         "additionalInfo": "secure firmware updates only"}}
        if cert:
            problem = signing.certificate_problem(cert, self.roots())
            if problem is not None and not st.has("fw201_certificate_not_checked"):
                st.events.append(f"firmware signing certificate refused: {problem}")
                return {"status": "InvalidCertificate"}
        if self.busy():
            if (not self.can_cancel and not st.has("fw201_cancels_anyway")) \
                    or st.has("fw201_second_update_rejected"):
                return {"status": "Rejected"}
            return {"status": "AcceptedCanceled"}
        return {"status": "Accepted"}

    async def after_answer(self, st: Station201, p: dict, result: dict) -> None:
        status = result.get("status")
        if status == "InvalidCertificate":
            if not st.has("fw201_no_certificate_event"):
                await st.safe_call("SecurityEventNotification", {"type": "InvalidFirmwareSigningCertificate",
                                                                 "timestamp": utcnow()})
            return
        if status not in ("Accepted", "AcceptedCanceled"):
            return
        if self.task is not None and not self.task.done():
            # the update in progress gives way to the new one (L01.FR.24); not awaited: a cancellation can be lost
            # in a CALL that completes at the same moment, so the old job also stops at its next step (_current)
            self.task.cancel()
        # not a station task: the install reboots the station, which ends the station's tasks
        self.task = asyncio.get_running_loop().create_task(self._run(p))

    def _current(self) -> None:
        """Stop a job that a newer UpdateFirmware replaced."""
        if asyncio.current_task() is not self.task:
            raise asyncio.CancelledError("replaced by a newer firmware update")

    # --- the update -------------------------------------------------------------------------------------------
    async def _status(self, status: str, *, job: bool = True) -> None:
        """Report a new state; `job`: from the update job (a replaced job stops here instead)."""
        if job:
            self._current()
        self.last_status = status
        rid = self.request_id
        if self.st.has("fw201_wrong_request_id") and rid is not None:
            rid += 1
        body: dict[str, Any] = {"status": status}
        if rid is not None:
            body["requestId"] = rid
        await self.st.safe_call("FirmwareStatusNotification", body)

    def _busy_evses(self) -> list[Any]:
        return [e for e in self.st.evses() if e.transaction is not None]

    async def _hold_evses(self) -> None:
        """L01.FR.07: while the update waits for transactions, no new session starts (unless allowed): free EVSEs
        turn Unavailable now, busy ones when their transaction ends; all come back after the update."""
        allowed = self.st.var("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate") == "true"
        if (allowed and not self.st.has("fw201_new_sessions_refused")) or self.st.has("fw201_new_sessions_allowed"):
            return
        for e in self.st.evses():
            if e in self._held or not e.available or e.inoperative_scheduled:
                continue
            self._held.append(e)
            if e.transaction is not None:
                e.inoperative_scheduled = True
            else:
                e.available = False
                await self.st.report_status(e)

    async def _release_evses(self, report: bool) -> None:
        held, self._held = self._held, []
        for e in held:
            e.available, e.inoperative_scheduled = True, False
            if report:
                await self.st.report_status(e)

    async def _wait_for_transactions(self) -> None:
        deadline = time.monotonic() + MAX_WAIT
        while self._busy_evses() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    async def _run(self, p: dict) -> None:
        self._current()
        self.request_id = p["requestId"]
        fw = p["firmware"]
        rebooting = False
        try:
            rebooting = await self._update(fw, int(p.get("retries", 0) or 0), int(p.get("retryInterval", 0) or 0))
        finally:
            if not rebooting and asyncio.current_task() is self.task:  # a replaced job leaves them to the new one
                await self._release_evses(report=True)

    async def _update(self, fw: dict, retries: int, interval: int) -> bool:
        """The update; True when it ends in a reboot into the new image."""
        st = self.st
        scheduled = False
        wait = seconds_until(fw.get("retrieveDateTime"), MAX_WAIT)
        if wait > 0 and not st.has("fw201_retrieve_schedule_ignored"):
            await self._status("DownloadScheduled")
            scheduled = True
            await asyncio.sleep(wait)
        if self._busy_evses() and not self.download_during_tx \
                and not st.has("fw201_downloads_during_transaction"):
            if not scheduled:
                await self._status("DownloadScheduled")  # L01.FR.13: not downloading because of a transaction
            await self._hold_evses()
            await self._wait_for_transactions()
        await self._status("Downloading")
        data, why = None, ""
        for attempt in range(1 + max(0, retries)):
            if attempt:
                await asyncio.sleep(min(MAX_WAIT, max(0, interval)))
            try:
                data = await asyncio.to_thread(download, fw["location"], TRANSFER_TIMEOUT)
                break
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
                st.events.append(f"firmware download attempt {attempt + 1} failed: {why}")
        if data is None:
            if not st.has("fw201_download_failure_hidden"):
                await self._status("DownloadFailed")
            return False
        await self._status("Downloaded")
        cert, signature = fw.get("signingCertificate"), fw.get("signature")
        if not (cert and signature and signing.signature_valid(cert, data, signature)) \
                and not st.has("fw201_signature_not_checked"):
            await self._status("InvalidSignature")
            if not st.has("fw201_no_signature_event"):
                await st.safe_call("SecurityEventNotification", {"type": "InvalidFirmwareSignature",
                                                                 "timestamp": utcnow()})
            return False
        if not st.has("fw201_no_signature_verified"):
            await self._status("SignatureVerified")
        wait = seconds_until(fw.get("installDateTime"), MAX_WAIT)
        if wait > 0 and not st.has("fw201_install_schedule_ignored"):
            await self._status("InstallScheduled")
            await asyncio.sleep(wait)
        during = self.install_during_tx and not st.has("fw201_install_waits_for_transaction")
        if self._busy_evses() and not during and not st.has("fw201_installs_during_transaction"):
            await self._hold_evses()  # L01.FR.06: installs once every transaction has ended
            await self._wait_for_transactions()
        await self._status("Installing")
        version, problem = image_problem(data)
        if problem is not None and not st.has("fw201_installs_invalid_image"):
            st.events.append(f"firmware image refused: {problem}")
            await self._status("InstallVerificationFailed")
            return False
        if self._busy_evses() and during:  # C-43: activated without a reboot, the transactions charge on
            self.version = version or self.version
            self._installed = self.request_id
            await self.after_boot()
            return False
        await self._status("InstallRebooting")
        self.version = version or self.version
        self._installed = self.request_id
        await self._release_evses(report=False)  # the boot reports every connector afresh
        self._current()
        await st.do_reboot("FirmwareUpdate")
        return True

    async def after_boot(self) -> None:
        """Installed, and the security event of a new firmware, once the new image has booted (L01.FR.28/31)."""
        if self._installed is None:
            return
        self.request_id, self._installed = self._installed, None
        await self._status("Installed", job=False)
        if not self.st.has("fw201_no_updated_event"):
            await self.st.safe_call("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": utcnow(),
                                                                  "techInfo": f"firmware {self.version}"})


async def update_firmware(st: Station201, p: dict) -> dict:
    return await st.firmware.answer(st, p)


async def after_update_firmware(st: Station201, p: dict, result: dict) -> None:
    await st.firmware.after_answer(st, p, result)

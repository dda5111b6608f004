"""OCPP 2.0.1 faults of the secure firmware update (block L, L01) of the reference station
(vgitest/ocpp/station/firmware_v201.py). Each fault names the suite test(s) that must catch it and the rule id;
imported by `catalog_v201`."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


_f("fw201_no_signature_verified", "A firmware whose signature checks out is installed without reporting "
   "SignatureVerified", ("TC_L_01_CS", "TC_L_02_CS", "TC_L_03_CS"), r.FIRMWARE_SECURE)
_f("fw201_wrong_request_id", "FirmwareStatusNotification carries another requestId than the UpdateFirmware's",
   "TC_L_01_CS", r.FIRMWARE_SECURE)
_f("fw201_no_updated_event", "After installing a new firmware the station sends no SecurityEventNotification "
   "FirmwareUpdated", "TC_L_01_CS", r.SECURITY_EVENT)
_f("fw201_install_schedule_ignored", "installDateTime in the future is ignored: the firmware is installed at once, "
   "without InstallScheduled", "TC_L_02_CS", r.FIRMWARE_SECURE)
_f("fw201_retrieve_schedule_ignored", "retrieveDateTime in the future is ignored: the download starts at once, "
   "without DownloadScheduled", "TC_L_03_CS", r.FIRMWARE_SECURE)
_f("fw201_certificate_not_checked", "A firmware signing certificate from a root the station does not trust is "
   "Accepted", "TC_L_05_CS", r.STATION_RESPONSE)
_f("fw201_no_certificate_event", "A refused firmware signing certificate is answered InvalidCertificate but no "
   "SecurityEventNotification InvalidFirmwareSigningCertificate follows", "TC_L_05_CS", r.SECURITY_EVENT)
_f("fw201_signature_not_checked", "The firmware is installed although its signature does not match the image",
   "TC_L_06_CS", r.FIRMWARE_SECURE)
_f("fw201_no_signature_event", "InvalidSignature is reported but no SecurityEventNotification "
   "InvalidFirmwareSignature follows", "TC_L_06_CS", r.SECURITY_EVENT)
_f("fw201_download_failure_hidden", "A download that fails on every attempt is given up without DownloadFailed",
   "TC_L_07_CS", r.FIRMWARE_SECURE)
_f("fw201_installs_invalid_image", "An image that fails the station's installation check is installed and "
   "reported Installed", "TC_L_08_CS", r.FIRMWARE_SECURE)
_f("fw201_second_update_rejected", "A station that declares it can cancel an update in progress answers a second "
   "UpdateFirmware Rejected instead of AcceptedCanceled", "TC_L_10_CS", r.STATION_RESPONSE)
_f("fw201_installs_during_transaction", "A station that cannot install during a transaction starts Installing "
   "while one is still running", "TC_L_15_CS", r.FIRMWARE_SECURE)
_f("fw201_new_sessions_allowed", "While an update waits for a transaction to end, the free EVSEs stay Available "
   "although AllowNewSessionsPendingFirmwareUpdate is false", "TC_L_15_CS", r.STATUS_TRANSITION)
_f("fw201_unsigned_accepted", "An UpdateFirmware without signing certificate and signature is Accepted by a station "
   "that supports secure updates", "TC_L_18_CS", r.STATION_RESPONSE)

# --- the cases of stations with other capabilities (their own reference profiles) ------------------------------
FW, FW_TX, FW_INSTALL = "reference-station-201-fw", "reference-station-201-fw-tx", "reference-station-201-fw-install"
fault("fw201_cancels_anyway", "A station that declares it cannot cancel an update in progress answers a second "
      "UpdateFirmware AcceptedCanceled", version=V, tests=("test_TC_L_11_CS",), rule=r.STATION_RESPONSE, profile=FW)
fault("fw201_downloads_during_transaction", "A station that declares it cannot download firmware during a "
      "transaction downloads while one runs, without DownloadScheduled", version=V, tests=("test_TC_L_13_CS",),
      rule=r.FIRMWARE_SECURE, profile=FW)
fault("fw201_new_sessions_allowed", "", version=V, tests=("test_TC_L_13_CS",), rule=r.STATUS_TRANSITION, profile=FW)
fault("fw201_new_sessions_refused", "While an update waits for a transaction to end, the free EVSEs are made "
      "Unavailable although AllowNewSessionsPendingFirmwareUpdate is true: no new session can start", version=V,
      tests=("test_TC_L_12_CS",), rule=r.EXPECTED_MESSAGE, profile=FW)
fault("fw201_new_sessions_refused", "", version=V, tests=("test_TC_L_14_CS",), rule=r.EXPECTED_MESSAGE, profile=FW_TX)
fault("fw201_install_waits_for_transaction", "A station that declares it installs firmware during a transaction "
      "waits for the transaction to end", version=V, tests=("test_TC_L_16_CS",), rule=r.FIRMWARE_SECURE,
      profile=FW_INSTALL)

"""The OCPP 1.6 Firmware Management faults of the reference station (firmware updates and diagnostics uploads,
station/v16_files.py): which suite test catches each and with which rule. Every entry is proven by the fault matrix
(tests/test_fault_matrix.py)."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"


def _f(name: str, description: str, test: str, rule: str) -> None:
    fault(name, description, version=V, tests=(f"test_{test}",), rule=rule)


_f("firmware_skips_downloaded", "the station goes from Downloading straight to Installing, never reporting "
   "Downloaded", "TC_044_1_CS", r.FIRMWARE_STATUS)
_f("firmware_fake_download", "the station reports Downloading, Downloaded, Installing and Installed without fetching "
   "the firmware", "TC_044_1_CS", r.FILE_TRANSFER)
_f("firmware_download_failure_hidden", "when the download fails the station gives up silently, never reporting "
   "DownloadFailed", "TC_044_2_CS", r.FIRMWARE_STATUS)
_f("firmware_installs_invalid_image", "the station installs an image that fails its check and reports Installed",
   "TC_044_3_CS", r.FIRMWARE_STATUS)
_f("diagnostics_upload_skipped", "the station reports Uploading and Uploaded without uploading anything",
   "TC_045_1_CS", r.FILE_TRANSFER)
_f("diagnostics_other_file_name", "the station uploads its diagnostics under another name than the fileName of its "
   "GetDiagnostics answer", "TC_045_1_CS", r.FILE_TRANSFER)
_f("diagnostics_failure_reported_uploaded", "when every upload attempt fails the station still reports Uploaded",
   "TC_045_2_CS", r.DIAGNOSTICS_STATUS)
_f("firmware_accepts_truncated", "a download cut short is taken as the firmware: Downloaded is reported for a "
   "truncated file", "TC_VGI_FW_01_CS", r.FIRMWARE_STATUS)

"""How firmware and diagnostics status notifications are judged (OCPP 1.6 §4.4, §4.5, §5.9, §5.19): the order
of the statuses a station reports for one transfer, and whether the file service saw the transfer a status
claims. Pure functions over what a case collected, so that each rule is shown to fail on a bad sequence
(tests/ocpp/test_files.py)."""

from __future__ import annotations

from typing import Iterable, Sequence

from .files import Transfer

# the path the case set up -> the statuses a conforming station reports, in order
FIRMWARE_PATHS = {
    "installed": ("Downloading", "Downloaded", "Installing", "Installed"),
    "download_failed": ("Downloading", "DownloadFailed"),
    "install_failed": ("Downloading", "Downloaded", "Installing", "InstallationFailed"),
}
DIAGNOSTICS_PATHS = {
    "uploaded": ("Uploading", "Uploaded"),
    "upload_failed": ("Uploading", "UploadFailed"),
}
# the statuses after which a station may retry (it reports the attempt again) when the case made every attempt fail
RETRY = {"download_failed": ("DownloadFailed", "Downloading"), "upload_failed": ("UploadFailed", "Uploading")}
FINAL = {"Installed", "InstallationFailed", "DownloadFailed", "Uploaded", "UploadFailed"}


def collapse(statuses: Iterable[str]) -> list[str]:
    """The statuses with repeats in a row merged (a progress report sent twice says nothing new)."""
    out: list[str] = []
    for s in statuses:
        if not out or out[-1] != s:
            out.append(s)
    return out


def sequence_problem(statuses: Sequence[str], outcome: str) -> str | None:
    """Why `statuses` (in the order sent) is not what a conforming station reports on the path `outcome`, or None.

    Idle is only an answer to a TriggerMessage, never a progress report. When every attempt fails, a station may
    report each failed attempt and the next one (DownloadFailed, Downloading, ..., DownloadFailed)."""
    expected = {**FIRMWARE_PATHS, **DIAGNOSTICS_PATHS}[outcome]
    seen = collapse(statuses)
    if "Idle" in seen:
        return f"reported Idle during the transfer ({' → '.join(seen)}); Idle only answers a TriggerMessage"
    if outcome in RETRY:
        failed, again = RETRY[outcome]
        while len(seen) > len(expected) and seen[1:3] == [failed, again]:
            seen = [seen[0], *seen[3:]]  # a failed attempt and its retry
    if seen == list(expected):
        return None
    shown = " → ".join(collapse(statuses)) or "nothing"
    if len(seen) < len(expected) and seen == list(expected[:len(seen)]):
        return f"reported {shown}; the update did not reach {expected[-1]} (missing {' → '.join(expected[len(seen):])})"
    return f"reported {shown}; expected {' → '.join(expected)}"


def download_evidence_problem(transfers: Sequence[Transfer], outcome: str, claimed_ns: int | None) -> str | None:
    """Whether the file service saw what the station's status claims. `claimed_ns`: when (monotonic ns) the station
    reported Downloaded (installed / install_failed) or DownloadFailed (download_failed); None if it did not."""
    if claimed_ns is None:
        return None
    before = [t for t in transfers if t.kind == "download" and t.t_start_ns <= claimed_ns]
    if outcome == "download_failed":
        return None if before else "DownloadFailed was reported although the station never requested the file"
    if not any(t.complete for t in before):
        got = ", ".join(f"{t.status} {t.size}/{t.expected} bytes" for t in before) or "no request"
        return f"Downloaded was reported without a whole download of the published file before it ({got})"
    return None


def upload_evidence_problem(transfers: Sequence[Transfer], outcome: str, claimed_ns: int | None,
                            file_name: str | None) -> str | None:
    """As for downloads: Uploaded needs a whole upload of the file the station named in GetDiagnostics.conf before
    it; UploadFailed needs at least one attempt before it."""
    if claimed_ns is None:
        return None
    before = [t for t in transfers if t.kind == "upload" and t.t_start_ns <= claimed_ns]
    if outcome == "upload_failed":
        return None if before else "UploadFailed was reported although the station never tried to upload"
    whole = [t for t in before if t.complete]
    if not whole:
        got = ", ".join(f"{t.status} {t.size}/{t.expected} bytes" for t in before) or "no request"
        return f"Uploaded was reported without a whole upload before it ({got})"
    if file_name is not None and not any(t.filename == file_name for t in whole):
        return (f"the station announced fileName {file_name!r} but uploaded "
                f"{', '.join(repr(t.filename) for t in whole)}")
    return None


# --- OCPP 2.0.1 log uploads (N01): LogStatusNotification of one GetLog request -----------------------------------
LOG_FAILURES = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")
LOG_FINAL = {"Uploaded", "AcceptedCanceled", *LOG_FAILURES}


def log_sequence_problem(statuses: Sequence[str], outcome: str) -> str | None:
    """Why the LogStatusNotification statuses of one GetLog request (in the order sent) are not what a conforming
    station reports, or None. outcome "uploaded": Uploading then Uploaded; "upload_failed": Uploading then one of
    the failure statuses, each failed attempt possibly reported and followed by Uploading again (a retry); never
    Uploaded after a failure that was final, never Idle (only a trigger's answer)."""
    seen = collapse(statuses)
    shown = " → ".join(seen) or "nothing"
    if "Idle" in seen:
        return f"reported Idle during the upload ({shown}); Idle only answers a TriggerMessage"
    if not seen or seen[0] != "Uploading":
        return f"reported {shown}; the upload must start with Uploading"
    if outcome == "uploaded":
        if seen == ["Uploading", "Uploaded"]:
            return None
        return f"reported {shown}; expected Uploading → Uploaded"
    rest = seen[1:]
    while len(rest) >= 2 and rest[0] in LOG_FAILURES and rest[1] == "Uploading":
        rest = rest[2:]  # a failed attempt and its retry
    if len(rest) == 1 and rest[0] in LOG_FAILURES:
        return None
    return f"reported {shown}; expected Uploading and then a failure ({' / '.join(LOG_FAILURES)})"


# --- 2.0.1 secure firmware update (L01): the states a station enters, as letters so that a path is a pattern --------
SECURE_LETTERS = {"DownloadScheduled": "S", "Downloading": "D", "DownloadPaused": "P", "Downloaded": "d",
                  "DownloadFailed": "F", "SignatureVerified": "V", "InvalidSignature": "X", "InstallScheduled": "I",
                  "Installing": "N", "InstallRebooting": "R", "Installed": "O", "InstallVerificationFailed": "Y",
                  "InstallationFailed": "Z"}
SECURE_FINAL = {"Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed", "InstallationFailed"}
_DOWNLOAD = r"D(?:PD?)*"  # Downloading, perhaps paused and resumed (L01.FR.14)
_INSTALL = r"N?R?N?"  # Installing and InstallRebooting: Installing may be left out when the reboot prevents it
# (L01.FR.23), InstallRebooting when no reboot comes before the install (L01.FR.15), either may come first
SECURE_PATHS = {
    "installed": (f"{{S}}{_DOWNLOAD}dV{{I}}{_INSTALL}O",
                  "Downloading → Downloaded → SignatureVerified → (Installing, InstallRebooting) → Installed"),
    "download_failed": ("{S}(?:D(?:FD)*)?F", "(Downloading) → DownloadFailed"),
    "invalid_signature": (f"{{S}}{_DOWNLOAD}dX", "Downloading → Downloaded → InvalidSignature"),
    "install_failed": (f"{{S}}{_DOWNLOAD}dV{{I}}{_INSTALL}[YZ]",
                       "Downloading → Downloaded → SignatureVerified → Installing → InstallVerificationFailed or "
                       "InstallationFailed"),
}


def secure_sequence_problem(statuses: Sequence[str], outcome: str, *, download_scheduled: bool = False,
                            install_scheduled: bool = False) -> str | None:
    """Why `statuses` (in the order sent) is not what a station reports for a secure update on the path `outcome`
    (L01.FR.01), or None. DownloadScheduled must come first when the case scheduled the download (L01.FR.13) and
    may otherwise (a station waiting for a transaction to end); InstallScheduled must come after SignatureVerified
    when the case scheduled the install (L01.FR.16) and may otherwise. Idle only answers a TriggerMessage."""
    import re
    seen = collapse(statuses)
    shown = " → ".join(seen) or "nothing"
    if "Idle" in seen:
        return f"reported Idle during the update ({shown}); Idle only answers a TriggerMessage"
    unknown = [s for s in seen if s not in SECURE_LETTERS]
    if unknown:
        return f"reported {shown}; {', '.join(unknown)} is not a state of a firmware update"
    pattern, expected = SECURE_PATHS[outcome]
    pattern = pattern.replace("{S}", "S" if download_scheduled else "S?").replace("{I}", "I" if install_scheduled
                                                                                   else "I?")
    if re.fullmatch(pattern, "".join(SECURE_LETTERS[s] for s in seen)):
        return None
    before = ("DownloadScheduled → " if download_scheduled else "")
    if install_scheduled:
        expected = expected.replace("SignatureVerified →", "SignatureVerified → InstallScheduled →")
    return f"reported {shown}; expected {before}{expected}"

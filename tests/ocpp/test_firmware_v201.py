"""The pieces the 2.0.1 firmware cases (suites/ocpp201/test_L_firmware.py) judge with, each shown to refuse the bad
case: the order of a secure update's status reports, the signing certificate check and the signature check, and
the signing material a case takes from the PIXIT."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from vgitest import pki
from vgitest.ocpp import firmware_signing as fs
from vgitest.ocpp.files import corrupt, image_problem
from vgitest.ocpp.transfer_checks import secure_sequence_problem
from vgitest.profile import Profile
from vgitest.verdict import Inconclusive

OK = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Installed"]


@pytest.mark.parametrize("statuses,outcome,kw", [
    (OK, "installed", {}),
    (["Downloading", "Downloaded", "SignatureVerified", "InstallRebooting", "Installing", "Installed"], "installed", {}),
    (["Downloading", "Downloaded", "SignatureVerified", "InstallRebooting", "Installed"], "installed", {}),  # L01.FR.23
    (["DownloadScheduled", *OK], "installed", {"download_scheduled": True}),
    (["DownloadScheduled", *OK], "installed", {}),  # waiting for a transaction to end
    (["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing", "Installed"], "installed",
     {"install_scheduled": True}),
    (["Downloading", "Downloading", "DownloadFailed"], "download_failed", {}),
    (["DownloadFailed"], "download_failed", {}),  # the station saw at once that it cannot download
    (["Downloading", "DownloadFailed", "Downloading", "DownloadFailed"], "download_failed", {}),
    (["Downloading", "Downloaded", "InvalidSignature"], "invalid_signature", {}),
    (["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallVerificationFailed"], "install_failed", {}),
    (["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallationFailed"], "install_failed", {}),
])
def test_conforming_sequences_pass(statuses, outcome, kw) -> None:
    assert secure_sequence_problem(statuses, outcome, **kw) is None


@pytest.mark.parametrize("statuses,outcome,kw,said", [
    (["Downloading", "Downloaded", "Installing", "Installed"], "installed", {}, "expected"),  # no SignatureVerified
    (OK, "installed", {"download_scheduled": True}, "DownloadScheduled"),
    (OK, "installed", {"install_scheduled": True}, "InstallScheduled"),
    (["Downloading", "Downloaded", "SignatureVerified", "Installing"], "installed", {}, "expected"),  # never ended
    (["Downloading", "Downloaded", "InvalidSignature", "Installing", "Installed"], "invalid_signature", {}, "expected"),
    (["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"], "install_failed", {}, "expected"),
    (["Downloading", "Downloaded"], "download_failed", {}, "expected"),
    (["Downloading", "Idle", "DownloadFailed"], "download_failed", {}, "Idle"),
    (["Downloading", "Uploaded"], "download_failed", {}, "not a state"),
    ([], "installed", {}, "nothing"),
])
def test_broken_sequences_are_named(statuses, outcome, kw, said) -> None:
    problem = secure_sequence_problem(statuses, outcome, **kw)
    assert problem is not None and said in problem


def test_the_reference_signer_is_trusted_and_a_rogue_one_is_not() -> None:
    roots = [fs.reference_root().cert]
    assert fs.certificate_problem(fs.pem(fs.reference_signer().cert), roots) is None
    assert "not issued by a trusted" in (fs.certificate_problem(fs.pem(fs.rogue_signer().cert), roots) or "")
    assert "not a PEM" in (fs.certificate_problem("garbage", roots) or "")


def test_an_expired_signing_certificate_is_refused() -> None:
    root = pki.root_ca("expiring root")
    old = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=30)
    leaf = pki.issue(root, "expired signer", not_before=old, days=1)
    assert fs.certificate_problem(fs.pem(leaf.cert), [root.cert]) is not None
    fresh = pki.issue(root, "fresh signer")
    assert fs.certificate_problem(fs.pem(fresh.cert), [root.cert]) is None


def test_the_reference_keys_are_the_same_in_every_process() -> None:
    """The station and the suite may run in different processes: the derived keys must not depend on the process."""
    import subprocess
    import sys
    code = ("from vgitest.ocpp import firmware_signing as fs;"
            "from cryptography.hazmat.primitives import serialization as s;"
            "print(fs.reference_root().cert.public_key().public_bytes(s.Encoding.PEM, "
            "s.PublicFormat.SubjectPublicKeyInfo).decode())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    from cryptography.hazmat.primitives import serialization as s
    here = fs.reference_root().cert.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)
    assert other.strip() == here.decode().strip()
    # and a signing certificate made here verifies under a root made there (the same key)
    assert fs.certificate_problem(fs.pem(fs.reference_signer().cert), [fs.reference_root().cert]) is None


def test_a_signature_fits_its_image_only() -> None:
    signer = fs.reference_signer()
    image = fs.reference_image(fs.NEW_VERSION)
    sig = fs.sign(signer.key, image)
    cert = fs.pem(signer.cert)
    assert fs.signature_valid(cert, image, sig)
    assert not fs.signature_valid(cert, corrupt(image), sig)
    assert not fs.signature_valid(fs.pem(fs.rogue_signer().cert), image, sig)
    assert not fs.signature_valid(cert, image, "not base64!")


def test_an_rsa_signer_signs_with_pss() -> None:
    root = pki.root_ca("rsa root", key_type="rsa2048")
    leaf = pki.issue(root, "rsa signer", key_type="rsa2048")
    sig = fs.sign(leaf.key, b"image")
    assert fs.signature_valid(fs.pem(leaf.cert), b"image", sig)
    assert not fs.signature_valid(fs.pem(leaf.cert), b"other", sig)


def _profile(tmp_path: Path, pixit: str) -> Profile:
    path = tmp_path / "p.toml"
    path.write_text('[dut]\nname = "x"\nprotocol = "ocpp"\nversion = "2.0.1"\n[pixit]\n' + pixit)
    return Profile.load(path)


def test_material_from_the_pixit(tmp_path: Path) -> None:
    root = pki.root_ca("vendor root")
    leaf = pki.issue(root, "vendor signer")
    cert, key = leaf.write(tmp_path, "signer")
    image = tmp_path / "fw.bin"
    image.write_bytes(b"vendor image")
    with_key = fs.material(_profile(tmp_path, f'firmware_signing_certificate = "{cert}"\n'
                                               f'firmware_signing_key = "{key}"\n'))
    assert fs.signature_valid(with_key.certificate, b"anything", with_key.signature(b"anything") or "")
    fixed = fs.material(_profile(tmp_path, f'firmware_signing_certificate = "{cert}"\nfirmware_image = "{image}"\n'
                                           'firmware_signature = "QUJD"\n'))
    assert fixed.signature(b"vendor image") == "QUJD"
    assert fixed.signature(b"another image") is None  # the case then cannot sign: INCONCLUSIVE, never a guess
    with pytest.raises(Inconclusive):
        fs.material(_profile(tmp_path, f'firmware_signing_certificate = "{cert}"\n'))
    with pytest.raises(Inconclusive):
        fs.material(_profile(tmp_path, 'firmware_signing_certificate = "/nonexistent/cert.pem"\n'))
    default = fs.material(_profile(tmp_path, ""))
    assert fs.certificate_problem(default.certificate, [fs.reference_root().cert]) is None


def test_the_failing_image_is_refused_by_the_reference_check(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "")
    assert image_problem(fs.firmware_image(profile))[1] is None
    assert image_problem(fs.failing_image(profile))[1] is not None

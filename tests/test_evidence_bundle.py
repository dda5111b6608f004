"""The evidence bundle (`vgitest report bundle` / `verify`, and the one `vgitest run` writes per run): what goes in,
and that every kind of tampering is rejected with one line naming it."""

from __future__ import annotations

import datetime
import hashlib
import json
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest

from vgitest.cli import main
from vgitest.evidence import runbundle
from vgitest.resources import data_dir

PROFILE = """[dut]
name = "ACME Wallbox 22"
protocol = "ocpp"
version = "1.6"
identity = "ACME-0001"
password = "0123456789abcdef"
"""


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _allure_case(allure: Path, run: str, start_s: float, n: int) -> str:
    """One allure-pytest result of `run` with an attachment of its own, one in a step, and a fixture container."""
    uuid = f"{run}-{n}-{int(start_s)}"
    (allure / f"{uuid}-a-attachment.txt").write_text(f"sequence {uuid}")
    (allure / f"{uuid}-s-attachment.pcapng").write_bytes(b"\x0a\x0d\x0d\x0a" + uuid.encode())
    (allure / f"{uuid}-f-attachment.txt").write_text(f"fixture {uuid}")
    _write_json(allure / f"{uuid}-result.json", {
        "uuid": uuid, "name": f"test_{n}", "start": int(start_s * 1000), "status": "passed",
        "parameters": [{"name": "run", "value": f"'{run}'"}],
        "attachments": [{"name": "seq", "source": f"{uuid}-a-attachment.txt"}],
        "steps": [{"name": "exchange", "attachments": [{"name": "cap", "source": f"{uuid}-s-attachment.pcapng"}]}]})
    _write_json(allure / f"{uuid}-container.json", {
        "uuid": f"c-{uuid}", "children": [uuid],
        "befores": [{"name": "peer", "attachments": [{"name": "log", "source": f"{uuid}-f-attachment.txt"}]}]})
    return uuid


@pytest.fixture()
def reports(tmp_path: Path) -> Path:
    """A reports folder as `vgitest run` leaves it: two runs, and in the shared Allure folder also an earlier run
    of the same name (an earlier `vgitest run` into the same folder without --clean)."""
    reports = tmp_path / "reports"
    profile = tmp_path / "acme.toml"
    profile.write_text(PROFILE)
    now = time.time()
    for run in ("ocpp16", "openadr20b"):
        folder = reports / run
        meta = {"profile": "acme.toml", "cwd": str(tmp_path), "dut": "ACME Wallbox 22", "faults": [],
                "strict": False, "started": now - 60, "finished": now,
                "command": ["python", "-m", "pytest", "suites/ocpp16", f"--vgi-run-name={run}"],
                "profile_sha256": hashlib.sha256(profile.read_bytes()).hexdigest()}
        _write_json(folder / "results.json", {"meta": meta, "counts": {"PASS": 1}, "results": []})
        (folder / "junit.xml").write_text("<testsuites/>")
        (folder / "summary.md").write_text("# run\n")
        (folder / "tls-keys.log").write_text("CLIENT_RANDOM 00 11\n")
        case = folder / "tests" / "test_TC_001"
        case.mkdir(parents=True)
        (case / "frames.jsonl").write_text('{"raw": "00"}\n')
        (case / "capture.pcapng").write_bytes(bytes(range(256)) * 4)
        (folder / "shard-1").mkdir()
        (folder / "shard-1" / "console.log").write_text("shard output\n")
    allure = reports / "allure-results"
    allure.mkdir()
    _allure_case(allure, "ocpp16", now - 30, 1)
    _allure_case(allure, "openadr20b", now - 30, 2)
    _allure_case(allure, "ocpp16", now - 86400, 3)  # yesterday's run of the same name
    (allure / "environment.properties").write_text("ocpp16.dut.name=ACME\n")
    return reports


def _bundle(reports: Path, out: Path, *extra: str) -> Path:
    assert main(["report", "bundle", str(reports / "ocpp16"), "-o", str(out), *extra]) == 0
    return out


def _verify(bundle: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    code = main(["report", "verify", str(bundle), *extra])
    return code, capsys.readouterr().out.strip().splitlines()


def _rewrite(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None],
             add: dict[str, bytes] | None = None, dup: str | None = None) -> Path:
    """Copy a zip member by member (valid CRCs: what someone who unzips, edits and zips again makes); `change`
    returns a member's new bytes, or None to drop it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
            if info.filename == dup:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: the point here
                    zout.writestr(info.filename, b"another copy")
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _keep(name: str, data: bytes) -> bytes:
    return data


def test_a_bundle_holds_the_run_and_what_made_it(reports: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _bundle(reports, tmp_path / "b.zip")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    for member in ("runs/ocpp16/results.json", "runs/ocpp16/junit.xml", "runs/ocpp16/summary.md",
                   "runs/ocpp16/tls-keys.log", "runs/ocpp16/tests/test_TC_001/capture.pcapng",
                   "runs/ocpp16/tests/test_TC_001/frames.jsonl", "runs/ocpp16/shard-1/console.log",
                   "profiles/ocpp16/acme.toml", "allure-results/environment.properties"):
        assert member in names, member
    allure = {n for n in names if n.startswith("allure-results/") and n.count("-") > 1}
    today = next(n for n in allure if n.endswith("-result.json")).split("/")[1].split("-result")[0]
    # this run's case with its attachments (its own, its step's, its fixture's) and container; not the other run's,
    # not yesterday's run of the same name
    assert {n.split("/")[1].replace(today, "U") for n in allure} == {
        "U-result.json", "U-container.json", "U-a-attachment.txt", "U-s-attachment.pcapng", "U-f-attachment.txt"}
    assert today.startswith("ocpp16-1-")
    assert "runs/openadr20b/results.json" not in names
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == names - {"manifest.json"}
    pcap = (reports / "ocpp16/tests/test_TC_001/capture.pcapng").read_bytes()
    assert files["runs/ocpp16/tests/test_TC_001/capture.pcapng"] == {
        "path": "runs/ocpp16/tests/test_TC_001/capture.pcapng", "size": len(pcap),
        "sha256": hashlib.sha256(pcap).hexdigest()}
    assert manifest["format"] == "vgitest-evidence-bundle" and manifest["tool"]["name"] == "vgitest"
    assert manifest["tool"]["version"] and manifest["python"]["version"] and manifest["platform"]["machine"]
    assert {u["name"]: u["sha256"] for u in manifest["upstream"]}["iso15118"] == \
        "2e1fd191888ca5f5f3a34ccd0588611dba1cb6f33bbe7ad0588bab0cfe48d45a"
    assert "pytest" in manifest["dependencies"] and "cryptography" in manifest["dependencies"]
    run = manifest["runs"][0]
    assert run["command"][:3] == ["python", "-m", "pytest"]
    assert run["dut"] == {"name": "ACME Wallbox 22", "protocol": "ocpp", "version": "1.6", "identity": "ACME-0001"}
    assert run["profile"]["sha256"] == run["profile"]["sha256_at_run"] and "problem" not in run["profile"]
    assert manifest["bundled_by"] == ["vgitest", "report", "bundle", str(reports / "ocpp16"), "-o", str(out)]
    assert datetime.datetime.fromisoformat(manifest["created"]).tzinfo is not None
    code, lines = _verify(out, capsys)
    assert code == 0 and lines[-1].startswith(f"{out}: OK, {len(files)} files match"), lines


def test_a_profile_changed_after_the_run_is_named(reports: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "acme.toml").write_text(PROFILE.replace("ACME-0001", "ACME-0002"))
    manifest = json.loads(zipfile.ZipFile(_bundle(reports, tmp_path / "b.zip")).read("manifest.json"))
    assert "changed after the run" in manifest["runs"][0]["profile"]["problem"]
    assert "changed after the run" in capsys.readouterr().err
    code, lines = _verify(tmp_path / "b.zip", capsys)
    assert code == 0 and f"{tmp_path / 'b.zip'}: note: run ocpp16: the profile file changed after the run" in \
        "\n".join(lines), lines


def test_a_reports_folder_bundles_every_run(reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports / "table5.md").write_text("sizes\n")
    assert main(["report", "bundle", str(reports)]) == 0
    out = reports / "bundles" / "all-runs.zip"
    names = set(zipfile.ZipFile(out).namelist())
    assert {"runs/ocpp16/results.json", "runs/openadr20b/results.json", "reports/table5.md"} <= names
    assert sum(n.endswith("-result.json") for n in names) == 2  # both runs' cases, not yesterday's
    assert main(["report", "bundle", str(reports)]) == 0  # again: the first bundle is not bundled into the second
    assert not any(n.endswith(".zip") for n in zipfile.ZipFile(out).namelist())
    assert _verify(out, capsys)[0] == 0


def test_nothing_to_bundle_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "bundle", str(tmp_path), "-o", str(tmp_path / "x.zip")]) == 2
    assert "holds no run" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize("tamper, expected", [
    ("member byte", "changed member: runs/ocpp16/tests/test_TC_001/capture.pcapng"),
    ("manifest hash", "changed member: runs/ocpp16/junit.xml"),
    ("removed", "missing member (in the manifest, not in the bundle): runs/ocpp16/tls-keys.log"),
    ("added", "extra member (not in the manifest): runs/ocpp16/tests/test_TC_001/extra.txt"),
    ("duplicate", "duplicate member: runs/ocpp16/summary.md"),
    ("unsafe name", "unsafe member name: ../escape.txt"),
    ("raw byte in the zip", "damaged member: runs/ocpp16/tests/test_TC_001/capture.pcapng"),
    ("no manifest", "no manifest.json"),
])
def test_verify_rejects_each_kind_of_tampering(reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               tamper: str, expected: str) -> None:
    good = _bundle(reports, tmp_path / "good.zip")
    assert _verify(good, capsys)[0] == 0
    bad = tmp_path / "bad.zip"
    pcap = "runs/ocpp16/tests/test_TC_001/capture.pcapng"
    if tamper == "member byte":
        _rewrite(good, bad, lambda n, d: d[:100] + bytes([d[100] ^ 1]) + d[101:] if n == pcap else d)
    elif tamper == "manifest hash":
        def edit(n: str, d: bytes) -> bytes:
            if n != "manifest.json":
                return d
            m = json.loads(d)
            next(f for f in m["files"] if f["path"] == "runs/ocpp16/junit.xml")["sha256"] = "0" * 64
            return json.dumps(m).encode()
        _rewrite(good, bad, edit)
    elif tamper == "removed":
        _rewrite(good, bad, lambda n, d: None if n == "runs/ocpp16/tls-keys.log" else d)
    elif tamper == "added":
        _rewrite(good, bad, _keep, add={"runs/ocpp16/tests/test_TC_001/extra.txt": b"x"})
    elif tamper == "duplicate":
        _rewrite(good, bad, _keep, dup="runs/ocpp16/summary.md")
    elif tamper == "unsafe name":
        _rewrite(good, bad, _keep, add={"../escape.txt": b"x"})
    elif tamper == "raw byte in the zip":  # the stored (stored-only) member's bytes flipped in place: a bad CRC
        with zipfile.ZipFile(bad, "w") as zout, zipfile.ZipFile(good) as zin:
            for info in zin.infolist():
                zout.writestr(info.filename, zin.read(info), compress_type=zipfile.ZIP_STORED)
        raw = bytearray(bad.read_bytes())
        at = raw.index(bytes(range(40, 80)))
        raw[at] ^= 0xFF
        bad.write_bytes(bytes(raw))
    else:
        _rewrite(good, bad, lambda n, d: None if n == "manifest.json" else d)
    code, lines = _verify(bad, capsys)
    assert code == 1, lines
    assert any(line.startswith(f"{bad}: {expected}") for line in lines), lines
    assert lines[-1].startswith(f"{bad}: REJECTED")
    # one line per problem: an unsafe name is also an extra member, and of two members of one name the one a reader
    # gets is not the one the manifest hashed
    assert len(lines) == 1 + {"unsafe name": 2, "duplicate": 2}.get(tamper, 1), lines


def _keys(tmp_path: Path, kind: str) -> tuple[Path, Path, Path]:
    """A private key, its public key and a self-signed certificate of it (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID
    key: Any = {"ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
                "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
                "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
                "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)}[kind]()
    priv, pub, cert = tmp_path / f"{kind}.key", tmp_path / f"{kind}.pub", tmp_path / f"{kind}.crt"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vgitest lab")])
    now = datetime.datetime.now(datetime.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
         .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
         .sign(key, None if kind == "ed25519" else hashes.SHA256()))
    cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    return priv, pub, cert


@pytest.mark.parametrize("kind", ["ed25519", "p256", "p384"])
def test_a_signed_bundle_holds_for_the_lab_key_only(reports: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str], kind: str) -> None:
    priv, pub, cert = _keys(tmp_path, kind)
    (tmp_path / "other").mkdir()
    _, other_pub, _ = _keys(tmp_path / "other", kind)
    out = _bundle(reports, tmp_path / "signed.zip", "--sign", str(priv), "--cert", str(cert))
    sig = json.loads(zipfile.ZipFile(out).read("manifest.sig"))
    assert sig["certificate"] == cert.read_text() and sig["algorithm"].startswith("Ed25519" if kind == "ed25519"
                                                                                  else "ECDSA-SHA")
    for key in (pub, cert):
        code, lines = _verify(out, capsys, "--pubkey", str(key))
        assert code == 0 and "signature valid for the given key" in lines[-1], lines
    code, lines = _verify(out, capsys)
    assert code == 0 and "the key the bundle carries" in lines[-1], lines
    code, lines = _verify(out, capsys, "--pubkey", str(other_pub))
    assert code == 1 and any("signed by another key" in line for line in lines), lines
    assert any("bad signature" in line for line in lines), lines

    def new_version(n: str, d: bytes) -> bytes:  # an edit that keeps every hash: only the signature can tell
        if n != "manifest.json":
            return d
        m = json.loads(d)
        m["tool"]["version"] = "9.9.9"
        return json.dumps(m).encode()
    forged = _rewrite(out, tmp_path / "forged.zip", new_version)
    code, lines = _verify(forged, capsys, "--pubkey", str(pub))
    assert code == 1 and lines[0] == f"{forged}: manifest.sig: bad signature: the manifest is not the one that was " \
                                      "signed, or another key signed it", lines
    # the same edit of an unsigned bundle is not detectable: the reason to sign (docs/evidence.md says so)
    unsigned = _bundle(reports, tmp_path / "unsigned.zip")
    assert _verify(_rewrite(unsigned, tmp_path / "forged2.zip", new_version), capsys)[0] == 0
    code, lines = _verify(unsigned, capsys, "--pubkey", str(pub))
    assert code == 1 and "not signed" in lines[0], lines
    swapped = _rewrite(out, tmp_path / "swapped.zip",
                       lambda n, d: json.dumps({**json.loads(d), "signature": "AAAA"}).encode()
                       if n == "manifest.sig" else d)
    code, lines = _verify(swapped, capsys, "--pubkey", str(pub))
    assert code == 1 and "bad signature" in lines[0], lines


def test_signing_refuses_what_it_cannot_stand_behind(reports: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rsa_key, _, _ = _keys(tmp_path, "rsa")
    priv, _, _ = _keys(tmp_path, "ed25519")
    (tmp_path / "o").mkdir()
    _, _, other_cert = _keys(tmp_path / "o", "p256")
    assert main(["report", "bundle", str(reports / "ocpp16"), "-o", str(tmp_path / "x.zip"), "--sign",
                 str(rsa_key)]) == 2
    assert "use an Ed25519 or ECDSA key" in capsys.readouterr().err
    assert main(["report", "bundle", str(reports / "ocpp16"), "-o", str(tmp_path / "x.zip"), "--sign", str(priv),
                 "--cert", str(other_cert)]) == 2
    assert "is not the certificate of the key" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert main(["report", "verify", str(tmp_path / "junk.zip")]) == 2
    assert "not a readable zip" in capsys.readouterr().err


def _fake_pytest(monkeypatch: pytest.MonkeyPatch, reports: Path) -> None:
    """`vgitest run` with each pytest replaced by a results.json of one PASS."""
    import vgitest.cli as cli

    def run_many(self, children, parallel, started, ended):  # type: ignore[no-untyped-def]
        for i, child in enumerate(children):
            started(i, child)
            out_dir = child.tag[5]
            profile = str(data_dir("profiles") / f"{child.tag[1]}.toml")
            _write_json(out_dir / "results.json", {"meta": {"profile": profile, "started": time.time()},
                                                   "counts": {"PASS": 1}, "results": []})
            (out_dir / "junit.xml").write_text("<testsuites/>")
            ended(i, child, 0)
    monkeypatch.setattr(cli.ChildRunner, "run_many", run_many)


def test_vgitest_run_leaves_a_bundle_per_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _fake_pytest(monkeypatch, tmp_path)
    assert main(["run", "-j", "1", "--reports", str(tmp_path), "--only", "ocpp16-ups", "--only", "iec61850-ev"]) == 0
    out = capsys.readouterr().out
    assert f"Evidence bundles: {tmp_path / 'bundles'} (2," in out
    bundle = tmp_path / "bundles" / "ocpp16-ups.zip"
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    assert manifest["command"][1:] == ["run", "-j", "1", "--reports", str(tmp_path), "--only", "ocpp16-ups",
                                       "--only", "iec61850-ev"]
    assert manifest["runs"][0]["profile"]["member"] == "profiles/ocpp16-ups/reference-station-16-ups.toml"
    assert _verify(bundle, capsys)[0] == 0


def test_a_bundle_that_cannot_be_written_fails_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _fake_pytest(monkeypatch, tmp_path)
    (tmp_path / "bundles").write_text("a file where the bundles' folder goes")
    assert main(["run", "-j", "1", "--reports", str(tmp_path), "--only", "ocpp16-ups"]) == 2
    assert "vgitest run: evidence bundle not written:" in capsys.readouterr().err
    assert main(["run", "-j", "1", "--reports", str(tmp_path), "--only", "ocpp16-ups", "--no-bundle"]) == 0


def test_no_bundle_turns_it_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_pytest(monkeypatch, tmp_path)
    assert main(["run", "-j", "1", "--reports", str(tmp_path), "--only", "ocpp16-ups", "--no-bundle"]) == 0
    assert (tmp_path / "ocpp16-ups" / "results.json").is_file() and not (tmp_path / "bundles").exists()


def test_a_run_records_its_command_line_and_profile_hash(tmp_path: Path) -> None:
    from vgitest.run import Settings, VgiRun
    run = VgiRun(Settings(profile="reference-station-16-sp2", adapter=None, host="127.0.0.1", port=0,
                          reports=tmp_path, run_name="r", faults=(), strict=False, lenient=False, schemas=None,
                          tls_cert=None, tls_key=None, tls_ca=None))
    run.write_results()
    meta = json.loads((tmp_path / "r" / "results.json").read_text())["meta"]
    assert run.profile is not None and run.profile.path is not None
    assert meta["profile_sha256"] == hashlib.sha256(run.profile.path.read_bytes()).hexdigest()
    assert meta["command"] and meta["cwd"]
    assert meta["dut_identity"]["identity"] and "password" not in meta["dut_identity"]
    assert "password" in run.profile.dut  # the profile has one: the test above is not vacuous


# --- a lab CA: `report verify --ca`, `run --sign` -----------------------------------------------------------------

def _pem(path: Path, *items: Any) -> Path:
    """Write certificates (and private keys, unencrypted) as one PEM file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    path.write_bytes(b"".join(
        i.public_bytes(serialization.Encoding.PEM) if isinstance(i, x509.Certificate) else
        i.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        for i in items))
    return path


def _issue(name: str, key: Any, issuer: tuple[Any, Any] | None = None, *, ca: bool | None = None,
           path_length: int | None = None, usage: str | None = None, days: tuple[float, float] = (-30, 30)) -> Any:
    """A certificate of `key` named CN=`name`, issued by (issuer certificate, issuer key), self-signed without one.
    `ca`: basicConstraints (None: no such extension); `usage`: keyUsage, "sign" (digitalSignature), "ca"
    (keyCertSign, cRLSign) or "none-of-them" (keyEncipherment only); `days`: validity relative to now."""
    import random
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer_cert.subject if issuer_cert is not None else subject).public_key(key.public_key())
         .serial_number(random.getrandbits(63)).not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1])))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
    if usage is not None:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                               "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
        flags.update({"sign": {"digital_signature": True}, "ca": {"key_cert_sign": True, "crl_sign": True},
                      "none-of-them": {"key_encipherment": True}}[usage])
        b = b.add_extension(x509.KeyUsage(**flags), critical=True)
    return b.sign(issuer_key, None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256())


class Lab:
    """A throwaway PKI in a folder: root CA -> intermediate CA -> signing leaf (the good chain), and the means to
    make each kind of bad one."""

    def __init__(self, folder: Path, root_name: str = "vgitest test root", **root: Any) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _issue(root_name, self.root_key, ca=True, usage="ca", **root)
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.inter = _issue("vgitest test intermediate", self.inter_key, (self.root, self.root_key), ca=True,
                            path_length=0, usage="ca")
        self.leaf_key = ed25519.Ed25519PrivateKey.generate()
        self.ca = _pem(folder / "ca.pem", self.root)
        self.key = _pem(folder / "leaf.key", self.leaf_key)

    def chain(self, name: str = "chain.pem", leaf: Any = None, *intermediates: Any) -> Path:
        """A chain file: the leaf (default: a good one) and its intermediates (default: the good one)."""
        leaf = leaf if leaf is not None else _issue("vgitest lab signer", self.leaf_key, (self.inter, self.inter_key),
                                                    ca=False, usage="sign")
        return _pem(self.folder / name, leaf, *(intermediates or (self.inter,)))


def _signed(reports: Path, tmp_path: Path, lab: Lab, chain: Path, name: str) -> Path:
    return _bundle(reports, tmp_path / f"{name}.zip", "--sign", str(lab.key), "--cert", str(chain))


def test_a_bundle_signed_under_the_lab_ca_verifies_with_ca(reports: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    lab = Lab(tmp_path / "lab")
    good = _signed(reports, tmp_path, lab, lab.chain(), "good")
    sig = json.loads(zipfile.ZipFile(good).read("manifest.sig"))
    assert sig["certificate"].count("BEGIN CERTIFICATE") == 2  # the chain travels, leaf first
    signed_at = datetime.datetime.fromisoformat(sig["signed_at"])
    assert signed_at.tzinfo is not None and abs(time.time() - signed_at.timestamp()) < 60
    code, lines = _verify(good, capsys, "--ca", str(lab.ca))
    assert code == 0, lines
    assert "chains through 'CN=vgitest test intermediate' to the trust anchor 'CN=vgitest test root'" in lines[-1]
    assert f"at {signed_at:%Y-%m-%d %H:%M:%S} UTC" in lines[-1], lines
    # a file of several anchors: one of them is enough
    other = Lab(tmp_path / "other", root_name="another lab's root")
    both = _pem(tmp_path / "anchors.pem", other.root, lab.root)
    assert _verify(good, capsys, "--ca", str(both))[0] == 0
    # the lab's self-signed signing certificate given as the anchor itself
    self_signed = _pem(tmp_path / "self.pem", _issue("lab key", lab.leaf_key, usage="sign"))
    own = _signed(reports, tmp_path, lab, self_signed, "self")
    assert _verify(own, capsys, "--ca", str(self_signed))[0] == 0
    code, lines = _verify(own, capsys, "--ca", str(lab.ca))
    assert code == 1 and "its issuer 'CN=lab key' is neither a trust anchor" in lines[0], lines
    # --pubkey/--cert take the key alone: the other lab's root is no key of this bundle, and with --ca it is no anchor
    code, lines = _verify(good, capsys, "--cert", str(other.ca))
    assert code == 1 and "signed by another key" in lines[0], lines
    code, lines = _verify(good, capsys, "--ca", str(other.ca))
    assert code == 1 and lines[0] == f"{good}: certificate 'CN=vgitest test intermediate' (intermediate): its issuer " \
        "'CN=vgitest test root' is neither a trust anchor (--ca) nor a certificate the bundle carries: it does not " \
        "chain to the trust anchors", lines


def _bad_chain(lab: Lab, case: str) -> Path:
    """A chain file that signs fine but must not pass `verify --ca lab.ca`, one reason per case."""
    from cryptography.hazmat.primitives.asymmetric import ec

    def leaf_of(issuer: tuple[Any, Any], **kw: Any) -> Any:
        return _issue("vgitest lab signer", lab.leaf_key, issuer, **{"ca": False, "usage": "sign", **kw})
    if case == "another CA":
        other = Lab(lab.folder / "other", root_name="another lab's root")
        return lab.chain(case, leaf_of((other.inter, other.inter_key)), other.inter)
    if case == "a lookalike CA":  # the same names, other keys: only the signatures tell
        fake = Lab(lab.folder / "fake")
        return lab.chain(case, leaf_of((fake.inter, fake.inter_key)), fake.inter)
    if case == "expired leaf":
        return lab.chain(case, leaf_of((lab.inter, lab.inter_key), days=(-10, -1)))
    if case == "leaf not yet valid":
        return lab.chain(case, leaf_of((lab.inter, lab.inter_key), days=(1, 10)))
    if case in ("issuer not a CA", "issuer without basicConstraints"):
        key = ec.generate_private_key(ec.SECP256R1())
        not_ca = _issue("vgitest test intermediate", key, (lab.root, lab.root_key),
                        ca=False if case == "issuer not a CA" else None)
        return lab.chain(case, leaf_of((not_ca, key)), not_ca)
    if case == "issuer without keyCertSign":
        key = ec.generate_private_key(ec.SECP256R1())
        inter = _issue("vgitest test intermediate", key, (lab.root, lab.root_key), ca=True, usage="sign")
        return lab.chain(case, leaf_of((inter, key)), inter)
    if case == "leaf may not sign":
        return lab.chain(case, leaf_of((lab.inter, lab.inter_key), usage="none-of-them"))
    if case == "path too long":  # the intermediate allows no CA below it; a second intermediate stands there
        key = ec.generate_private_key(ec.SECP256R1())
        sub = _issue("vgitest test sub-intermediate", key, (lab.inter, lab.inter_key), ca=True, usage="ca")
        return lab.chain(case, leaf_of((sub, key)), sub, lab.inter)
    assert case == "intermediate missing"
    return lab.chain(case, leaf_of((lab.inter, lab.inter_key)), _issue("unrelated", lab.inter_key))


@pytest.mark.parametrize("case, expected", [
    ("another CA", "certificate 'CN=vgitest test intermediate' (intermediate): its issuer 'CN=another lab's root' "
                   "is neither a trust anchor"),
    ("a lookalike CA", "certificate 'CN=vgitest test intermediate' (intermediate): its signature does not verify "
                       "with the key of its issuer 'CN=vgitest test root' (1 certificate(s) of that name tried)"),
    ("expired leaf", "certificate 'CN=vgitest lab signer' (leaf): expired at the signing time"),
    ("leaf not yet valid", "certificate 'CN=vgitest lab signer' (leaf): not yet valid at the signing time"),
    ("issuer not a CA", "certificate 'CN=vgitest test intermediate' (intermediate): issued 'CN=vgitest lab signer' "
                        "(leaf) but is not a CA (basicConstraints ca=True is false)"),
    ("issuer without basicConstraints", "certificate 'CN=vgitest test intermediate' (intermediate): issued "
                                        "'CN=vgitest lab signer' (leaf) but is not a CA (basicConstraints ca=True "
                                        "missing)"),
    ("issuer without keyCertSign", "certificate 'CN=vgitest test intermediate' (intermediate): its keyUsage does "
                                   "not allow keyCertSign"),
    ("leaf may not sign", "certificate 'CN=vgitest lab signer' (leaf): its keyUsage does not allow "
                          "digitalSignature"),
    ("path too long", "certificate 'CN=vgitest test intermediate' (intermediate): its pathLenConstraint is 0, but 1 "
                      "intermediate CA(s) stand below it"),
    ("intermediate missing", "certificate 'CN=vgitest lab signer' (leaf): its issuer 'CN=vgitest test "
                             "intermediate' is neither a trust anchor"),
])
def test_verify_with_ca_rejects_each_bad_chain(reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               case: str, expected: str) -> None:
    lab = Lab(tmp_path / "lab")
    bad = _signed(reports, tmp_path, lab, _bad_chain(lab, case), "bad")
    capsys.readouterr()
    code, lines = _verify(bad, capsys, "--ca", str(lab.ca))
    assert code == 1, lines
    assert lines == [f"{bad}: {expected}" + lines[0][len(f"{bad}: {expected}"):], f"{bad}: REJECTED (1 problem(s))"], \
        lines
    # the signature itself is sound: only the chain is wrong
    code, lines = _verify(bad, capsys)
    assert code == 0 and "the key the bundle carries" in lines[-1], lines


def test_verify_with_ca_needs_a_sound_signed_bundle(reports: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lab = Lab(tmp_path / "lab")
    good = _signed(reports, tmp_path, lab, lab.chain(), "good")
    assert _verify(good, capsys, "--ca", str(lab.ca))[0] == 0
    pcap = "runs/ocpp16/tests/test_TC_001/capture.pcapng"
    changed = _rewrite(good, tmp_path / "changed.zip", lambda n, d: d[:9] + bytes([d[9] ^ 1]) + d[10:] if n == pcap
                       else d)
    code, lines = _verify(changed, capsys, "--ca", str(lab.ca))
    assert code == 1 and lines[0].startswith(f"{changed}: changed member: {pcap}"), lines

    def bump(n: str, d: bytes) -> bytes:  # every hash kept: only the signature can tell
        if n != "manifest.json":
            return d
        return json.dumps({**json.loads(d), "command": ["vgitest", "run", "--strict"]}).encode()
    forged = _rewrite(good, tmp_path / "forged.zip", bump)
    code, lines = _verify(forged, capsys, "--ca", str(lab.ca))
    assert code == 1 and "manifest.sig: bad signature" in lines[0], lines

    def sig_edit(**fields: Any) -> Callable[[str, bytes], bytes]:
        return lambda n, d: json.dumps({**json.loads(d), **fields}).encode() if n == "manifest.sig" else d
    # a signature by another key, with the lab's certificate put beside it
    other_key = tmp_path / "other.key"
    other_key.write_bytes(_keys(tmp_path, "ed25519")[0].read_bytes())
    stranger = _bundle(reports, tmp_path / "stranger.zip", "--sign", str(other_key))
    capsys.readouterr()
    lab_sig = json.loads(zipfile.ZipFile(good).read("manifest.sig"))
    borrowed = _rewrite(stranger, tmp_path / "borrowed.zip", sig_edit(certificate=lab_sig["certificate"]))
    code, lines = _verify(borrowed, capsys, "--ca", str(lab.ca))
    assert code == 1 and "manifest.sig: signed by another key than the one given (the bundle names sha256:" in \
        lines[0] and "the certificate's key is sha256:" in lines[0], lines
    unsigned = _bundle(reports, tmp_path / "unsigned.zip")
    capsys.readouterr()
    code, lines = _verify(unsigned, capsys, "--ca", str(lab.ca))
    assert code == 1 and lines[0] == f"{unsigned}: not signed (no manifest.sig), but --ca asks for a signature by a " \
                                     "certificate that chains to the trust anchors", lines
    code, lines = _verify(stranger, capsys, "--ca", str(lab.ca))
    assert code == 1 and lines[0] == f"{stranger}: manifest.sig: carries no certificate, but --ca asks for one that " \
                                     "chains to the trust anchors (sign with `report bundle --cert` or `run " \
                                     "--sign-cert`)", lines
    assert _verify(stranger, capsys)[0] == 0  # without --ca the same bundle is fine
    moved = _rewrite(good, tmp_path / "moved.zip", sig_edit(signed_at="2020-01-01T00:00:00+00:00"))
    code, lines = _verify(moved, capsys, "--ca", str(lab.ca))
    assert code == 1 and "manifest.sig: signed_at 2020-01-01T00:00:00+00:00 is before the manifest was created" in \
        lines[0], lines
    old = _rewrite(good, tmp_path / "old.zip", lambda n, d: json.dumps(
        {k: v for k, v in json.loads(d).items() if k != "signed_at"}).encode() if n == "manifest.sig" else d)
    code, lines = _verify(old, capsys, "--ca", str(lab.ca))  # a signature made before signed_at existed: now
    assert code == 0 and "UTC (now: manifest.sig records no signing time)" in lines[-1], lines
    (tmp_path / "empty.pem").write_text("no certificate here\n")
    for anchors, why in ((tmp_path / "missing.pem", "No such file"), (tmp_path / "empty.pem", "no PEM certificate")):
        assert main(["report", "verify", str(good), "--ca", str(anchors)]) == 2
        assert why in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["report", "verify", str(good), "--ca", str(lab.ca), "--pubkey", str(lab.key)])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_the_chain_is_checked_at_the_signing_time(reports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A leaf that expired since it signed still vouches for what it signed then; one expired when it signed
    does not."""
    import types
    from vgitest.evidence import signing

    class FiveDaysAgo(datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            return datetime.datetime.now(tz) - datetime.timedelta(days=5)
    then = types.SimpleNamespace(datetime=FiveDaysAgo, timezone=datetime.timezone, timedelta=datetime.timedelta)
    lab = Lab(tmp_path / "lab")
    expired = _bad_chain(lab, "expired leaf")  # valid from 10 days ago to yesterday
    monkeypatch.setattr(signing, "datetime", then)
    moved_back = _signed(reports, tmp_path, lab, expired, "moved-back")  # only the signing clock is 5 days behind
    monkeypatch.setattr(runbundle, "datetime", then)
    at_the_time = _signed(reports, tmp_path, lab, expired, "then")
    monkeypatch.undo()
    assert capsys.readouterr().err == ""  # valid at the (faked) time: no warning
    code, lines = _verify(at_the_time, capsys, "--ca", str(lab.ca))
    assert code == 0, lines
    code, lines = _verify(moved_back, capsys, "--ca", str(lab.ca))
    assert code == 1 and "is before the manifest was created" in lines[0], lines
    now = _signed(reports, tmp_path, lab, expired, "now")
    assert "warning: certificate 'CN=vgitest lab signer' (leaf) is valid from" in capsys.readouterr().err
    code, lines = _verify(now, capsys, "--ca", str(lab.ca))
    assert code == 1 and "expired at the signing time" in lines[0], lines


def test_a_chain_file_is_checked_and_carries_certificates_only(reports: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography import x509
    lab = Lab(tmp_path / "lab")
    good = lab.chain()
    with_key = _pem(tmp_path / "with-key.pem", *x509.load_pem_x509_certificates(good.read_bytes()), lab.leaf_key)
    assert b"PRIVATE KEY" in with_key.read_bytes()
    sig = json.loads(zipfile.ZipFile(_signed(reports, tmp_path, lab, with_key, "k")).read("manifest.sig"))
    assert "PRIVATE KEY" not in sig["certificate"] and sig["certificate"] == good.read_text()
    reversed_chain = _pem(tmp_path / "reversed.pem", lab.inter, x509.load_pem_x509_certificates(good.read_bytes())[0])
    assert main(["report", "bundle", str(reports / "ocpp16"), "-o", str(tmp_path / "x.zip"), "--sign", str(lab.key),
                 "--cert", str(reversed_chain)]) == 2
    assert "the key's certificate is number 2 in the file; put it first" in capsys.readouterr().err
    expired = _bad_chain(lab, "expired leaf")
    _signed(reports, tmp_path, lab, expired, "expired")
    err = capsys.readouterr().err
    assert "warning: certificate 'CN=vgitest lab signer' (leaf) is valid from" in err and "--ca` will reject" in err
    _signed(reports, tmp_path, lab, good, "good")
    assert "warning" not in capsys.readouterr().err


def _no_pytest(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`vgitest run` with its pytest processes recorded instead of started."""
    import vgitest.cli as cli
    started: list[Any] = []
    monkeypatch.setattr(cli.ChildRunner, "run_many", lambda self, children, *a: started.extend(children))
    return started


def test_run_sign_checks_the_key_before_any_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives import serialization
    started = _no_pytest(monkeypatch)
    lab = Lab(tmp_path / "lab")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "earlier.txt").write_text("an earlier run's file, kept while nothing runs")
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(lab.leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.BestAvailableEncryption(b"right")))
    other_key = tmp_path / "other.key"
    other_key.write_bytes(_keys(tmp_path, "p256")[0].read_bytes())
    base = ["run", "-j", "1", "--reports", str(reports), "--only", "ocpp16-ups", "--clean"]
    for extra, env, why in (
            (["--sign", str(tmp_path / "no-such.key")], None, "signing key"),
            (["--sign", str(encrypted)], "wrong", "signing key"),
            (["--sign", str(encrypted)], None, "needs VGITEST_SIGN_KEY_PASSWORD"),
            (["--sign", str(other_key), "--sign-cert", str(lab.chain())], None, "is not the certificate of the key"),
            (["--sign", str(lab.key), "--sign-cert", str(tmp_path / "no-such.pem")], None, "certificate"),
            (["--sign", str(lab.key), "--no-bundle"], None, "--no-bundle turns off"),
            (["--sign-cert", str(lab.chain())], None, "give --sign KEY.pem too")):
        if env is None:
            monkeypatch.delenv("VGITEST_SIGN_KEY_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("VGITEST_SIGN_KEY_PASSWORD", env)
        t0 = time.monotonic()
        assert main([*base, *extra]) == 2, extra
        assert time.monotonic() - t0 < 1.0, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("vgitest run: ") and why in err[0], (extra, err)
        assert not started and (reports / "earlier.txt").is_file() and not (reports / "bundles").exists(), extra
    monkeypatch.setenv("VGITEST_SIGN_KEY_PASSWORD", "right")
    assert main([*base, "--sign", str(encrypted)]) == 0  # the same command without the error: runs
    assert started and not (reports / "earlier.txt").exists()


def test_run_sign_writes_signed_bundles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real run (the quickest built-in one, a few seconds) whose bundle verifies under the lab's CA."""
    lab = Lab(tmp_path / "lab")
    reports = tmp_path / "reports"
    assert main(["run", "-j", "1", "--reports", str(reports), "--only", "ocpp16-ups", "--sign", str(lab.key),
                 "--sign-cert", str(lab.chain())]) == 0
    out = capsys.readouterr().out
    assert f"signed with {lab.key} (sha256:" in out and "certificate CN=vgitest lab signer)" in out, out
    bundle = reports / "bundles" / "ocpp16-ups.zip"
    sig = json.loads(zipfile.ZipFile(bundle).read("manifest.sig"))
    assert sig["algorithm"] == "Ed25519" and sig["signed_at"] and sig["certificate"].count("BEGIN CERTIFICATE") == 2
    code, lines = _verify(bundle, capsys, "--ca", str(lab.ca))
    assert code == 0 and "to the trust anchor 'CN=vgitest test root'" in lines[-1], lines
    code, lines = _verify(bundle, capsys, "--ca", str(Lab(tmp_path / "other", root_name="other root").ca))
    assert code == 1 and "neither a trust anchor" in lines[0], lines

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

"""The evidence bundle of a run: one zip that ties a run's files (results, JUnit, Allure results, traces, pcapng,
TLS key logs, the profile) to what produced them (tool version and commit, Python, platform, pinned upstream
wheels, installed dependencies, the command line) and shows, by a sha256 per file in ``manifest.json``, that
none was changed afterwards. A lab key may sign the manifest (Ed25519 or ECDSA, ``manifest.sig``).

The hashes alone catch a changed, missing or added member; someone who rewrites the manifest along with a member
is caught only by a signature checked against a key the verifier trusts. docs/evidence.md is the user's view.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

FORMAT = "vgitest-evidence-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
BUNDLES = "bundles"  # <reports>/bundles/<run>.zip: where `vgitest run` leaves its bundles
ALLURE = "allure-results"
ALLURE_SHARED = ("environment.properties", "categories.json", "executor.json")  # the results folder's own files
SECRET_DUT_KEYS = ("password",)  # never copied into the manifest's DUT identity (the profile file itself is kept)
_CHUNK = 1 << 20
_SLACK_MS = 2000  # an Allure result belongs to a run that started at most this long before it


class BundleError(Exception):
    """The bundle cannot be made or read (no run found, an unusable key); the message says what to do."""


@dataclass
class RunSource:
    """One run folder of a reports directory (a folder with results.json, made by one DUT profile)."""

    name: str
    folder: Path
    doc: dict[str, Any] = field(default_factory=dict)  # results.json

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.doc.get("meta") or {})


def find_runs(path: Path) -> tuple[Path, list[RunSource]]:
    """The reports folder and the runs that `path` names: a run folder (with results.json) is that run; a reports
    folder is every run in it. A shard's folder is part of its run, never a run of its own."""
    path = path.resolve()
    if (path / "results.json").is_file():
        return path.parent, [_run(path)]
    if not path.is_dir():
        raise BundleError(f"{path} is not a folder (name a run folder such as reports/ocpp16, or reports/)")
    runs = [_run(d) for d in sorted(path.iterdir()) if d.is_dir() and (d / "results.json").is_file()]
    if not runs:
        raise BundleError(f"{path} holds no run (no <run>/results.json): run `vgitest run` first, or name its "
                          "--reports folder")
    return path, runs


def _run(folder: Path) -> RunSource:
    try:
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{folder / 'results.json'} cannot be read: {exc}") from None
    return RunSource(folder.name, folder, doc if isinstance(doc, dict) else {})


# --- what went into the run --------------------------------------------------------------------------------------

def tool_info() -> dict[str, Any]:
    """vgitest's version and, from a git checkout, the commit and whether the work tree had changes."""
    from .. import __version__
    try:
        version = importlib.metadata.version("vgitest")
    except importlib.metadata.PackageNotFoundError:
        version = __version__
    root = Path(__file__).resolve().parents[2]
    commit: str | None = None
    dirty: bool | None = None
    if (root / ".git").exists():
        try:
            head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                  timeout=10)
            if head.returncode == 0:
                commit = head.stdout.strip()
                status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                        capture_output=True, text=True, timeout=20)
                dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            pass
    return {"name": "vgitest", "version": version, "git_commit": commit, "git_dirty": dirty}


def upstream_info() -> list[dict[str, Any]]:
    """The pinned upstream wheels the schemas come from: the sha256 the harness accepts, whether a copy checked
    against it is in the cache, and whether the user's own folder replaced it (then the hash says nothing)."""
    from ..upstream import UPSTREAMS, cache_root
    out = []
    for key, up in sorted(UPSTREAMS.items()):
        marker = cache_root() / "upstream" / f"{up.name}-{up.version}" / ".sha256"
        try:
            cached = marker.read_text().strip() == up.sha256
        except OSError:
            cached = False
        out.append({"key": key, "name": up.name, "version": up.version, "sha256": up.sha256,
                    "cached_and_verified": cached, "override": os.environ.get(up.env_var) or None,
                    "override_env": up.env_var})
    return out


def dependencies() -> dict[str, str]:
    """Every distribution installed beside vgitest (name: version), as importlib.metadata sees them."""
    out: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            out[str(name)] = str(dist.version)
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def environment() -> dict[str, Any]:
    return {"python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                       "executable": sys.executable},
            "platform": {"system": platform.system(), "release": platform.release(), "machine": platform.machine(),
                         "description": platform.platform()}}


def dut_identity(profile_doc: dict[str, Any]) -> dict[str, Any]:
    """The [dut] table of a profile without its secrets."""
    dut = profile_doc.get("dut") or {}
    return {k: v for k, v in dut.items() if k not in SECRET_DUT_KEYS}


# --- making a bundle ---------------------------------------------------------------------------------------------

@dataclass
class _Writer:
    zf: zipfile.ZipFile
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_file(self, name: str, path: Path) -> None:
        """Copy `path` into the zip as `name`, hashing the bytes as they are written (one read: the hash is of
        the archived bytes even if the file grows meanwhile)."""
        if name in self.files:
            return
        h, size = hashlib.sha256(), 0
        with path.open("rb") as src, self.zf.open(_info(name), "w", force_zip64=True) as dst:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                h.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self.files[name] = {"path": name, "size": size, "sha256": h.hexdigest()}

    def add_tree(self, prefix: str, folder: Path, skip: Iterable[Path] = ()) -> None:
        skipped = {p.resolve() for p in skip}
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file() or path.resolve() in skipped:
                continue
            if path.name.endswith(".tmp") and path.name.startswith("."):
                continue  # a results.json being replaced at this moment
            self.add_file(f"{prefix}/{path.relative_to(folder).as_posix()}", path)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class AllureIndex:
    """The runs' results in an Allure results folder, read once (a folder may hold thousands of results of many
    runs; `vgitest run` bundles each run from one index)."""

    def __init__(self, allure_dir: Path) -> None:
        self.folder = allure_dir
        # (path, run name, start ms, uuid, attachment paths) of each result; (path, children, attachments) of each
        # container
        self.results: list[tuple[Path, str | None, Any, str, list[Path]]] = []
        self.containers: list[tuple[Path, set[str], list[Path]]] = []
        if not allure_dir.is_dir():
            return
        for path in sorted(allure_dir.glob("*-result.json")):
            doc = _json(path)
            self.results.append((path, _run_parameter(doc), doc.get("start"), str(doc.get("uuid")),
                                 _attachments(allure_dir, doc)))
        for path in sorted(allure_dir.glob("*-container.json")):
            doc = _json(path)
            parts = [p for p in (doc.get("befores") or []) + (doc.get("afters") or []) if isinstance(p, dict)]
            self.containers.append((path, {str(c) for c in doc.get("children") or []},
                                    [a for part in parts for a in _attachments(allure_dir, part)]))

    def members(self, runs: list[RunSource]) -> list[Path]:
        """The Allure files of `runs`: their results (named by the `run` parameter vgitest gives every case,
        within the run's time, so an earlier run of the same name in the same folder is left out), every
        attachment those results and their steps name, the containers (fixtures) around them, and the folder's
        environment files."""
        windows = {}
        for r in runs:
            started, finished = r.meta.get("started"), r.meta.get("finished")
            windows[r.name] = (started * 1000 - _SLACK_MS if isinstance(started, (int, float)) else None,
                               finished * 1000 + _SLACK_MS if isinstance(finished, (int, float)) else None)
        chosen: list[Path] = []
        uuids: set[str] = set()
        for path, name, start, uuid, attachments in self.results:
            if name not in windows:
                continue
            lo, hi = windows[name]
            if isinstance(start, (int, float)) and ((lo is not None and start < lo) or (hi is not None and start > hi)):
                continue
            chosen += [path, *attachments]
            uuids.add(uuid)
        for path, children, attachments in self.containers:
            if uuids & children:
                chosen += [path, *attachments]
        return chosen + [self.folder / n for n in ALLURE_SHARED if (self.folder / n).is_file()]


def _json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _run_parameter(doc: dict[str, Any]) -> str | None:
    for p in doc.get("parameters") or []:
        if isinstance(p, dict) and p.get("name") == "run":
            value = str(p.get("value", ""))
            return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
    return None


def _attachments(allure_dir: Path, node: dict[str, Any]) -> list[Path]:
    out = []
    for a in node.get("attachments") or []:
        source = a.get("source") if isinstance(a, dict) else None
        if source and "/" not in source and (allure_dir / source).is_file():
            out.append(allure_dir / source)
    for s in node.get("steps") or []:
        if isinstance(s, dict):
            out += _attachments(allure_dir, s)
    return out


def _profile_of(run: RunSource) -> Path | None:
    meta = run.meta
    raw = meta.get("profile")
    if not raw:
        return None
    p = Path(str(raw))
    if not p.is_absolute() and meta.get("cwd"):
        p = Path(str(meta["cwd"])) / p
    return p if p.is_file() else None


def make(path: Path, out: Path, *, sign_key: Path | None = None, cert: Path | None = None,
         command: list[str] | None = None, bundled_by: list[str] | None = None,
         allure: AllureIndex | None = None) -> dict[str, Any]:
    """Write the bundle of the run(s) `path` names to `out` (replaced whole) and return its manifest.

    `command`: the command line that made the runs, when the caller knows it (`vgitest run` at its end);
    `bundled_by`: the one that makes the bundle (default: this process's);
    each run's own pytest command line comes from its results.json. `allure`: an index of the reports'
    Allure folder already read."""
    reports, runs = find_runs(path)
    signer = _Signer.load(sign_key, cert) if sign_key else None
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    run_entries = []
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            w = _Writer(zf)
            for r in runs:
                w.add_tree(f"runs/{r.name}", r.folder, skip=[out, tmp])
                run_entries.append(_run_entry(r, w))
            index = allure if allure is not None and allure.folder == reports / ALLURE else \
                AllureIndex(reports / ALLURE)
            for p in index.members(runs):
                w.add_file(f"{ALLURE}/{p.name}", p)
            if not (path.resolve() / "results.json").is_file():  # a whole reports folder: its own files too
                for p in sorted(reports.iterdir()):
                    if p.is_file() and not p.is_symlink() and p.suffix != ".zip" and p.resolve() not in (out, tmp):
                        w.add_file(f"reports/{p.name}", p)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                        "tool": tool_info(), **environment(), "upstream": upstream_info(),
                        "dependencies": dependencies(), "command": command if command is not None else None,
                        "bundled_by": bundled_by or [Path(sys.argv[0]).name, *sys.argv[1:]], "runs": run_entries,
                        "files": [w.files[k] for k in sorted(w.files)]}
            data = (json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")
            zf.writestr(_info(MANIFEST), data)
            if signer is not None:
                zf.writestr(_info(SIGNATURE), signer.sign(data))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


def _run_entry(r: RunSource, w: _Writer) -> dict[str, Any]:
    """The run's part of the manifest: DUT identity, profile (copied into the bundle, with its hash then and at
    the run's start), verdict counts, and its command line."""
    meta = r.meta
    entry: dict[str, Any] = {"name": r.name, "folder": f"runs/{r.name}", "dut_name": meta.get("dut"),
                             "started": meta.get("started"), "finished": meta.get("finished"),
                             "counts": r.doc.get("counts"), "interrupted": r.doc.get("interrupted"),
                             "faults": meta.get("faults"), "strict": meta.get("strict"),
                             "command": meta.get("command"), "cwd": meta.get("cwd")}
    profile = _profile_of(r)
    prof: dict[str, Any] = {"path": meta.get("profile"), "sha256_at_run": meta.get("profile_sha256")}
    if profile is None:
        prof["member"] = None
        prof["problem"] = "the profile file was not found when the bundle was made"
        entry["dut"] = meta.get("dut_identity")
    else:
        member = f"profiles/{r.name}/{profile.name}"
        w.add_file(member, profile)
        prof["member"] = member
        prof["sha256"] = w.files[member]["sha256"]
        if prof["sha256_at_run"] and prof["sha256_at_run"] != prof["sha256"]:
            prof["problem"] = "the profile file changed after the run: its hash differs from the one the run recorded"
        try:
            entry["dut"] = dut_identity(tomllib.loads(profile.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            entry["dut"] = meta.get("dut_identity")
    entry["profile"] = prof
    return entry


# --- signing -----------------------------------------------------------------------------------------------------

class _Signer:
    def __init__(self, key: Any, cert_pem: bytes | None) -> None:
        self.key = key
        self.cert_pem = cert_pem

    @classmethod
    def load(cls, key_path: Path, cert_path: Path | None) -> "_Signer":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519
        password = os.environ.get("VGITEST_SIGN_KEY_PASSWORD")
        try:
            key = serialization.load_pem_private_key(Path(key_path).read_bytes(),
                                                     password.encode() if password else None)
        except (OSError, ValueError, TypeError) as exc:
            raise BundleError(f"signing key {key_path}: {exc} (a PEM private key, Ed25519 or ECDSA; an encrypted "
                              "one needs VGITEST_SIGN_KEY_PASSWORD)") from None
        if not isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
            raise BundleError(f"signing key {key_path}: a {type(key).__name__}; use an Ed25519 or ECDSA key")
        cert_pem = None
        if cert_path is not None:
            cert_pem = Path(cert_path).read_bytes()
            if _public_pem(_load_public(cert_pem, str(cert_path))) != _public_pem(key.public_key()):
                raise BundleError(f"certificate {cert_path} is not the certificate of the key {key_path}")
        return cls(key, cert_pem)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            algorithm = f"ECDSA-{_ecdsa_hash(self.key.curve.key_size)().name.upper()}"
            sig = self.key.sign(data, ec.ECDSA(_ecdsa_hash(self.key.curve.key_size)()))
        else:
            algorithm, sig = "Ed25519", self.key.sign(data)
        doc = {"algorithm": algorithm, "manifest_sha256": hashlib.sha256(data).hexdigest(),
               "signature": base64.b64encode(sig).decode(), "public_key": _public_pem(self.key.public_key()),
               "certificate": self.cert_pem.decode() if self.cert_pem else None}
        return (json.dumps(doc, indent=2) + "\n").encode()


def _ecdsa_hash(bits: int) -> Any:
    from cryptography.hazmat.primitives import hashes
    return hashes.SHA256 if bits <= 256 else hashes.SHA384 if bits <= 384 else hashes.SHA512


def _public_pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _load_public(pem: bytes, what: str) -> Any:
    """A public key from a PEM public key or certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        if b"CERTIFICATE-----" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise BundleError(f"{what}: not a PEM public key or certificate ({exc})") from None


def _check_signature(sig_doc: dict[str, Any], data: bytes, trusted: Any | None) -> list[str]:
    """Problems with the signature of the manifest bytes `data` (none: it holds for the trusted key, or for the
    key the bundle names when the verifier gave none)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    try:
        sig = base64.b64decode(str(sig_doc.get("signature", "")), validate=True)
    except ValueError:
        return [f"{SIGNATURE}: the signature is not base64"]
    problems = []
    try:
        embedded = _load_public(str(sig_doc.get("public_key", "")).encode(), f"{SIGNATURE} public_key")
    except BundleError as exc:
        embedded = None
        if trusted is None:
            return [str(exc)]
    if trusted is not None and embedded is not None and _public_pem(embedded) != _public_pem(trusted):
        problems.append(f"{SIGNATURE}: signed by another key than the one given (the bundle names "
                        f"{_fingerprint(embedded)}, --pubkey is {_fingerprint(trusted)})")
    key = trusted if trusted is not None else embedded
    algorithm = str(sig_doc.get("algorithm", ""))
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "Ed25519":
            key.verify(sig, data)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm.startswith("ECDSA-"):
            h = _ecdsa_hash(key.curve.key_size)()
            if algorithm != f"ECDSA-{h.name.upper()}":
                raise InvalidSignature
            key.verify(sig, data, ec.ECDSA(h))
        else:
            return problems + [f"{SIGNATURE}: algorithm {algorithm or '(none)'} does not fit a "
                               f"{type(key).__name__}"]
    except InvalidSignature:
        problems.append(f"{SIGNATURE}: bad signature: the manifest is not the one that was signed, or another "
                        "key signed it")
    return problems


def _fingerprint(key: Any) -> str:
    """The first 16 hex digits of the sha256 of the key's DER SubjectPublicKeyInfo (what
    `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints)."""
    from cryptography.hazmat.primitives import serialization
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()[:16]


# --- verifying ---------------------------------------------------------------------------------------------------

@dataclass
class Verification:
    problems: list[str]
    files: int = 0
    signed: bool = False
    signer: str | None = None  # fingerprint of the key the signature was checked with
    trusted: bool = False  # checked against a key the verifier gave (not only the one the bundle carries)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def notes(self) -> list[str]:
        """What the manifest itself admits (not tampering): a profile that changed between the run and the
        bundle, a tool run from a work tree with uncommitted changes."""
        out = [f"run {r.get('name')}: {r['profile']['problem']}" for r in self.manifest.get("runs") or []
               if isinstance(r, dict) and isinstance(r.get("profile"), dict) and r["profile"].get("problem")]
        tool = self.manifest.get("tool") or {}
        if isinstance(tool, dict) and tool.get("git_dirty"):
            out.append(f"vgitest ran from a work tree with uncommitted changes (commit {tool.get('git_commit')})")
        return out


def verify(bundle: Path, pubkey: Path | None = None) -> Verification:
    """Re-hash every member against the manifest: a missing, extra, changed or duplicated member, an unsafe name,
    an unreadable manifest and a bad signature are problems, one line each. With `pubkey` (a PEM public key or
    certificate) the bundle must be signed by that key. Raises BundleError when `bundle` is no zip at all."""
    trusted = _load_public(Path(pubkey).read_bytes(), str(pubkey)) if pubkey else None
    try:
        zf = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"{bundle}: not a readable zip ({exc})") from None
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        problems: list[str] = []
        seen: set[str] = set()
        for n in names:
            if n in seen:
                problems.append(f"duplicate member: {n} (two members of one name: which one is the evidence?)")
            seen.add(n)
            pure = PurePosixPath(n)
            if pure.is_absolute() or ".." in pure.parts or "\\" in n:
                problems.append(f"unsafe member name: {n}")
        if MANIFEST not in seen:
            return Verification(problems + [f"no {MANIFEST}: not a vgitest evidence bundle, or its manifest was "
                                             "removed"])
        data = zf.read(MANIFEST)
        try:
            manifest = json.loads(data)
            listed = {str(f["path"]): f for f in manifest["files"]}
            if manifest.get("format") != FORMAT:
                raise ValueError(f"format is {manifest.get('format')!r}, not {FORMAT!r}")
        except (ValueError, KeyError, TypeError) as exc:
            return Verification(problems + [f"{MANIFEST}: unreadable ({exc})"])
        result = Verification(problems, files=len(listed), manifest=manifest)
        for n in sorted(seen - set(listed) - {MANIFEST, SIGNATURE}):
            problems.append(f"extra member (not in the manifest): {n}")
        for n in sorted(set(listed) - seen):
            problems.append(f"missing member (in the manifest, not in the bundle): {n}")
        for n in sorted(set(listed) & seen):
            problems += _check_member(zf, n, listed[n])
        if SIGNATURE in seen:
            result.signed = True
            try:
                sig_doc = json.loads(zf.read(SIGNATURE))
                if not isinstance(sig_doc, dict):
                    raise ValueError("not a JSON object")
            except (ValueError, zipfile.BadZipFile) as exc:
                problems.append(f"{SIGNATURE}: unreadable ({exc})")
            else:
                problems += _check_signature(sig_doc, data, trusted)
                try:
                    used = trusted or _load_public(str(sig_doc.get("public_key", "")).encode(), SIGNATURE)
                    result.signer = _fingerprint(used)
                except BundleError:
                    pass
                result.trusted = trusted is not None
        elif trusted is not None:
            problems.append(f"not signed (no {SIGNATURE}), but --pubkey asks for a signature")
        return result


def _check_member(zf: zipfile.ZipFile, name: str, entry: dict[str, Any]) -> list[str]:
    h, size = hashlib.sha256(), 0
    try:
        with zf.open(name) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                h.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a bad CRC: the zip's bytes were changed in place
        return [f"damaged member: {name} ({exc})"]
    except Exception as exc:  # zlib.error and the like: damaged compressed data
        return [f"damaged member: {name} ({type(exc).__name__}: {exc})"]
    if h.hexdigest() != entry.get("sha256"):
        return [f"changed member: {name} (sha256 {h.hexdigest()[:16]}..., the manifest says "
                f"{str(entry.get('sha256'))[:16]}...; {size} bytes, the manifest says {entry.get('size')})"]
    if size != entry.get("size"):
        return [f"changed member: {name} ({size} bytes, the manifest says {entry.get('size')})"]
    return []


def write_run_bundles(reports: Path, names: list[str], command: list[str]) -> list[Path]:
    """`vgitest run`'s end: one bundle per run that left a results.json, <reports>/bundles/<run>.zip."""
    reports = reports.resolve()
    out_dir = reports / BUNDLES
    index = AllureIndex(reports / ALLURE)
    written = []
    for name in names:
        folder = reports / name
        if not (folder / "results.json").is_file():
            continue
        target = out_dir / f"{name}.zip"
        make(folder, target, command=command, bundled_by=command, allure=index)
        written.append(target)
    return written

"""The evidence bundle of a run: one zip that ties a run's files (results, JUnit, Allure results, traces, pcapng,
TLS key logs, the profile) to what produced them (tool version and commit, Python, platform, pinned upstream
wheels, installed dependencies, the command line) and shows, by a sha256 per file in ``manifest.json``, that
none was changed afterwards. A lab key may sign the manifest (Ed25519 or ECDSA, ``manifest.sig``).

The hashes alone catch a changed, missing or added member; someone who rewrites the manifest along with a member
is caught only by a signature checked against a key the verifier trusts. docs/evidence.md is the user's view.
"""

from __future__ import annotations

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
from pathlib import Path
from typing import Any, Iterable

from .bundleformat import CHUNK, FORMAT, FORMAT_VERSION, MANIFEST, SIGNATURE, BundleError
from .bundleverify import Verification, verify
from .signing import Signer

__all__ = ["BundleError", "FORMAT", "FORMAT_VERSION", "MANIFEST", "SIGNATURE", "Signer", "Verification", "make",
           "verify", "write_run_bundles", "find_runs"]

BUNDLES = "bundles"  # <reports>/bundles/<run>.zip: where `vgitest run` leaves its bundles
ALLURE = "allure-results"
ALLURE_SHARED = ("environment.properties", "categories.json", "executor.json")  # the results folder's own files
SECRET_DUT_KEYS = ("password",)  # never copied into the manifest's DUT identity (the profile file itself is kept)
_SLACK_MS = 2000  # an Allure result belongs to a run that started at most this long before it


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
            for chunk in iter(lambda: src.read(CHUNK), b""):
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
         signer: Signer | None = None, command: list[str] | None = None, bundled_by: list[str] | None = None,
         allure: AllureIndex | None = None) -> dict[str, Any]:
    """Write the bundle of the run(s) `path` names to `out` (replaced whole) and return its manifest.

    `command`: the command line that made the runs, when the caller knows it (`vgitest run` at its end);
    `bundled_by`: the one that makes the bundle (default: this process's);
    each run's own pytest command line comes from its results.json. `allure`: an index of the reports'
    Allure folder already read. `signer`: a key loaded already (`vgitest run` loads it before its runs), else
    `sign_key` and `cert` are read here."""
    reports, runs = find_runs(path)
    if signer is None and sign_key:
        signer = Signer.load(sign_key, cert)
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


def write_run_bundles(reports: Path, names: list[str], command: list[str],
                      signer: Signer | None = None) -> list[Path]:
    """`vgitest run`'s end: one bundle per run that left a results.json, <reports>/bundles/<run>.zip, signed by
    `signer` when given."""
    reports = reports.resolve()
    out_dir = reports / BUNDLES
    index = AllureIndex(reports / ALLURE)
    written = []
    for name in names:
        folder = reports / name
        if not (folder / "results.json").is_file():
            continue
        target = out_dir / f"{name}.zip"
        make(folder, target, signer=signer, command=command, bundled_by=command, allure=index)
        written.append(target)
    return written

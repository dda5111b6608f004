"""Verifying an evidence bundle: every member re-hashed against the manifest, the names checked, the signature
checked against the key the verifier trusts; one line per problem (`vgitest report verify`)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .bundleformat import CHUNK, FORMAT, MANIFEST, SIGNATURE, BundleError
from .signing import check_signature, fingerprint, load_public


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
    trusted = load_public(Path(pubkey).read_bytes(), str(pubkey)) if pubkey else None
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
                problems += check_signature(sig_doc, data, trusted)
                try:
                    used = trusted or load_public(str(sig_doc.get("public_key", "")).encode(), SIGNATURE)
                    result.signer = fingerprint(used)
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
            for chunk in iter(lambda: fh.read(CHUNK), b""):
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

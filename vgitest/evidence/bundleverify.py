"""Verifying an evidence bundle: every member re-hashed against the manifest, the names checked, the signature
checked against the key the verifier trusts or, with trust anchors, the signing certificate's chain to them; one
line per problem (`vgitest report verify`)."""

from __future__ import annotations

import datetime
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .bundleformat import CHUNK, FORMAT, MANIFEST, SIGNATURE, BundleError
from .signing import check_signature, fingerprint, load_certificates, load_public

CLOCK_SLACK_S = 60  # a signing time this much before the manifest's creation is still taken as the same moment


@dataclass
class Verification:
    problems: list[str]
    files: int = 0
    signed: bool = False
    signer: str | None = None  # fingerprint of the key the signature was checked with
    trusted: bool = False  # checked against a key the verifier gave (not only the one the bundle carries)
    chain: list[str] = field(default_factory=list)  # with trust anchors: subjects from the leaf to the anchor
    signed_at: str | None = None  # the time the chain was checked at (manifest.sig's, else "now")
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


def verify(bundle: Path, pubkey: Path | None = None, ca: Path | None = None) -> Verification:
    """Re-hash every member against the manifest: a missing, extra, changed or duplicated member, an unsafe name,
    an unreadable manifest and a bad signature are problems, one line each. With `pubkey` (a PEM public key or
    certificate) the bundle must be signed by that key; with `ca` (PEM trust anchors) it must be signed by the key
    of a certificate it carries that chains to one of them. Raises BundleError when `bundle` is no zip at all or
    the key or anchors cannot be read."""
    trusted = load_public(Path(pubkey).read_bytes(), str(pubkey)) if pubkey else None
    anchors = None
    if ca is not None:
        from .chain import load_anchors
        anchors = load_anchors(ca)
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
                given = "--pubkey"
                if anchors is not None:
                    leaf = _chained_key(sig_doc, manifest, anchors, result)
                    if leaf is None:
                        return result
                    trusted, given = leaf, "the certificate's key"
                problems += check_signature(sig_doc, data, trusted, given=given)
                try:
                    used = trusted or load_public(str(sig_doc.get("public_key", "")).encode(), SIGNATURE)
                    result.signer = fingerprint(used)
                except BundleError:
                    pass
                result.trusted = trusted is not None
        elif trusted is not None:
            problems.append(f"not signed (no {SIGNATURE}), but --pubkey asks for a signature")
        elif anchors is not None:
            problems.append(f"not signed (no {SIGNATURE}), but --ca asks for a signature by a certificate that chains "
                            "to the trust anchors")
        return result


def _chained_key(sig_doc: dict[str, Any], manifest: dict[str, Any], anchors: list[Any],
                 result: Verification) -> Any | None:
    """The public key of the bundle's signing certificate when that certificate chains to `anchors` at the signing
    time; None (with the reasons in `result.problems`) when it does not."""
    from .chain import check
    pem = sig_doc.get("certificate")
    if not pem:
        result.problems.append(f"{SIGNATURE}: carries no certificate, but --ca asks for one that chains to the trust "
                               "anchors (sign with `report bundle --cert` or `run --sign-cert`)")
        return None
    try:
        certs = load_certificates(str(pem).encode(), f"{SIGNATURE} certificate")
    except BundleError as exc:
        result.problems.append(str(exc))
        return None
    at = _signing_time(sig_doc, manifest, result)
    if at is None:
        return None
    checked = check(certs, anchors, at)
    result.problems += checked.problems
    result.chain = [c.subject.rfc4514_string() for c in checked.path]
    return certs[0].public_key() if checked.path and not checked.problems else None


def _signing_time(sig_doc: dict[str, Any], manifest: dict[str, Any],
                  result: Verification) -> datetime.datetime | None:
    """When the bundle was signed: manifest.sig's `signed_at` (the signer's own clock: no time-stamping
    authority vouches for it), which may not be earlier than the signed manifest's `created`; now for a signature
    that records none (made before vgitest recorded it)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    raw = sig_doc.get("signed_at")
    if raw is None:
        result.signed_at = f"{now:%Y-%m-%d %H:%M:%S} UTC (now: {SIGNATURE} records no signing time)"
        return now
    try:
        at = datetime.datetime.fromisoformat(str(raw))
        if at.tzinfo is None:
            raise ValueError("no time zone")
    except ValueError as exc:
        result.problems.append(f"{SIGNATURE}: signed_at {raw!r} is not an ISO 8601 time with its zone ({exc})")
        return None
    at = at.astimezone(datetime.timezone.utc)
    try:
        created = datetime.datetime.fromisoformat(str(manifest.get("created")))
    except ValueError:
        created = None
    if created is not None and created.tzinfo is not None and \
            at < created - datetime.timedelta(seconds=CLOCK_SLACK_S):
        result.problems.append(f"{SIGNATURE}: signed_at {raw} is before the manifest was created "
                               f"({manifest.get('created')}): the signing time was moved back")
        return None
    result.signed_at = f"{at:%Y-%m-%d %H:%M:%S} UTC"
    return at


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

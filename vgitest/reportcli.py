"""`vgitest report ...`: what a lab does with a finished run's reports. A group of subcommands (`bundle`,
`verify`) so that other views of a run (an HTML report) join it as siblings."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .evidence import runbundle
    path = Path(args.path)
    try:
        reports, runs = runbundle.find_runs(path)
        out = Path(args.output) if args.output else reports / runbundle.BUNDLES / (
            f"{runs[0].name}.zip" if (path.resolve() / "results.json").is_file() else "all-runs.zip")
        t0 = time.monotonic()
        manifest = runbundle.make(path, out, sign_key=Path(args.sign) if args.sign else None,
                                  cert=Path(args.cert) if args.cert else None,
                                  bundled_by=getattr(args, "argv", None))
    except (runbundle.BundleError, OSError) as exc:
        print(f"vgitest report bundle: {exc}", file=sys.stderr)
        return 2
    size = sum(f["size"] for f in manifest["files"])
    signed = f", signed ({args.sign})" if args.sign else ""
    print(f"vgitest report bundle: {out}: {len(manifest['runs'])} run(s) ({', '.join(r.name for r in runs)}), "
          f"{len(manifest['files'])} files, {size / 1e6:.1f} MB before compression, {out.stat().st_size / 1e6:.1f} MB "
          f"zipped{signed}, {time.monotonic() - t0:.1f} s")
    for r in manifest["runs"]:
        if r["profile"].get("problem"):
            print(f"vgitest report bundle: warning: run {r['name']}: {r['profile']['problem']} "
                  f"({r['profile'].get('path')})", file=sys.stderr)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .evidence import runbundle
    try:
        v = runbundle.verify(Path(args.bundle), Path(args.pubkey) if args.pubkey else None)
    except (runbundle.BundleError, OSError) as exc:
        print(f"vgitest report verify: {exc}", file=sys.stderr)
        return 2
    for problem in v.problems:
        print(f"{args.bundle}: {problem}")
    if not v.ok:
        print(f"{args.bundle}: REJECTED ({len(v.problems)} problem(s))")
        return 1
    if v.signed and v.trusted:
        how = f"signature valid for the given key {v.signer}"
    elif v.signed:
        how = (f"signature valid for the key the bundle carries ({v.signer}); pass --pubkey with the lab's key to "
               "check who signed")
    else:
        how = "not signed: the hashes show no member changed since the manifest was written, not who wrote it"
    for note in v.notes:
        print(f"{args.bundle}: note: {note}")
    runs = ", ".join(str(r.get("name")) for r in v.manifest.get("runs") or [])
    print(f"{args.bundle}: OK, {v.files} files match the manifest (runs: {runs or '-'}); {how}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rp = sub.add_parser("report", help="work with a finished run's reports: evidence bundle, verify a bundle",
                        description="Subcommands that work on the reports a `vgitest run` (or pytest with "
                        "--vgi-reports) left: `bundle` packs a run's evidence into one zip with a sha256 manifest, "
                        "`verify` checks one. docs/evidence.md describes the bundle.")
    rps = rp.add_subparsers(dest="report_command", required=True)
    b = rps.add_parser("bundle", help="pack a run's evidence (results, JUnit, Allure results, traces, pcapng, TLS "
                       "key logs, profile) into one zip with a sha256 manifest, optionally signed",
                       description="Write one zip: the run folder(s) (results.json, summary.md, junit.xml, every "
                       "test's frames, traces, pcapng and findings, TLS key logs), the run's Allure results and their "
                       "attachments, the DUT profile it used, and manifest.json: vgitest's version and git commit, "
                       "Python, platform, the pinned upstream schema wheels with their sha256, installed "
                       "dependency versions, each run's command line and DUT identity, and a sha256 and size per "
                       "file. `vgitest run` writes one per run into <reports>/bundles/ unless --no-bundle.")
    b.add_argument("path", nargs="?", default=os.environ.get("VGITEST_REPORTS", "reports"),
                   help="a run folder (reports/<run>, the folder with results.json) or a reports folder (every run "
                        "in it) (default %(default)s)")
    b.add_argument("-o", "--output", metavar="FILE.zip", help="the bundle to write (default: "
                   "<reports>/bundles/<run>.zip, or <reports>/bundles/all-runs.zip for a reports folder)")
    b.add_argument("--sign", metavar="KEY.pem", help="sign the manifest with this PEM private key (Ed25519 or ECDSA; "
                   "an encrypted key's passphrase in $VGITEST_SIGN_KEY_PASSWORD): writes manifest.sig")
    b.add_argument("--cert", metavar="CERT.pem", help="with --sign: the key's X.509 certificate, carried in "
                   "manifest.sig so a reader sees who signed (checked to match the key)")
    b.set_defaults(fn=_cmd_bundle)
    v = rps.add_parser("verify", help="check an evidence bundle: every member against the manifest's sha256, no "
                       "member missing or added, the signature; exit 0 accepted, 1 rejected, 2 unreadable",
                       description="Re-hash every member of the bundle and compare it with manifest.json; a "
                       "changed, missing, added or duplicated member and a bad signature are one line each. With "
                       "--pubkey the bundle must be signed by that key. Exit status 0: accepted; 1: rejected; 2: "
                       "the bundle or key cannot be read. A note (a profile edited after the run, a tool with "
                       "uncommitted changes) is printed but does not reject the bundle. docs/evidence.md says what "
                       "each line means.")
    v.add_argument("bundle", help="the bundle (.zip)")
    v.add_argument("--pubkey", "--cert", dest="pubkey", metavar="PEM",
                   help="the lab's public key or certificate (PEM) the signature must hold for; without it a "
                        "signature is checked against the key the bundle itself carries")
    v.set_defaults(fn=_cmd_verify)

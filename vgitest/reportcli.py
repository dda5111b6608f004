"""`vgitest report ...`: what a lab does with a finished run's reports. A group of subcommands (`bundle`,
`verify`, `html`), so that each view of a run is a sibling of the others."""

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
        signer = runbundle.Signer.load(Path(args.sign), Path(args.cert) if args.cert else None) if args.sign else None
        for warning in signer.warnings() if signer else []:
            print(f"vgitest report bundle: warning: {warning}", file=sys.stderr)
        manifest = runbundle.make(path, out, signer=signer, bundled_by=getattr(args, "argv", None))
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
        v = runbundle.verify(Path(args.bundle), Path(args.pubkey) if args.pubkey else None,
                             ca=Path(args.ca) if args.ca else None)
    except (runbundle.BundleError, OSError) as exc:
        print(f"vgitest report verify: {exc}", file=sys.stderr)
        return 2
    for problem in v.problems:
        print(f"{args.bundle}: {problem}")
    if not v.ok:
        print(f"{args.bundle}: REJECTED ({len(v.problems)} problem(s))")
        return 1
    if v.signed and v.chain:
        via = "".join(f" through '{s}'" for s in v.chain[1:-1])
        how = (f"signature valid for the key of '{v.chain[0]}' ({v.signer}), whose certificate chains{via} to the "
               f"trust anchor '{v.chain[-1]}' (--ca {args.ca}), every certificate valid at {v.signed_at}")
    elif v.signed and v.trusted:
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


def _cmd_html(args: argparse.Namespace) -> int:
    from .evidence import htmlreport
    try:
        rep = htmlreport.generate(Path(args.results), Path(args.output), name=args.name, offline=args.offline)
    except (htmlreport.HtmlReportError, OSError) as exc:
        print(f"vgitest report html: {exc}", file=sys.stderr)
        return 2
    print(f"vgitest report html: {rep.path} ({rep.path.stat().st_size / 1e6:.1f} MB, one file): \"{rep.name}\", "
          f"{rep.results} results of {len(rep.runs)} run(s) ({', '.join(rep.runs) or '-'}), {rep.seconds:.1f} s")
    if not rep.analytics_removed:
        print(f"vgitest report html: note: no analytics script found to take out ({htmlreport.ALLURE_NPM} changed "
              "its page?); the report may contact a server when opened", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rp = sub.add_parser("report", help="work with a finished run's reports: evidence bundle, verify a bundle, HTML "
                        "report", description="Subcommands that work on the reports a `vgitest run` (or pytest with "
                        "--vgi-reports) left: `bundle` packs a run's evidence into one zip with a sha256 manifest, "
                        "`verify` checks one, `html` renders the Allure results as one HTML file. docs/evidence.md "
                        "describes the bundle, docs/report.md the HTML report.")
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
    b.add_argument("--cert", metavar="CERT.pem", help="with --sign: the key's X.509 certificate, or a chain (the "
                   "key's certificate first, then the intermediates that issued it), carried in manifest.sig so a "
                   "reader sees who signed and `verify --ca` can check it (the first must be the key's)")
    b.set_defaults(fn=_cmd_bundle)
    v = rps.add_parser("verify", help="check an evidence bundle: every member against the manifest's sha256, no "
                       "member missing or added, the signature; exit 0 accepted, 1 rejected, 2 unreadable",
                       description="Re-hash every member of the bundle and compare it with manifest.json; a "
                       "changed, missing, added or duplicated member and a bad signature are one line each. With "
                       "--pubkey (or its alias --cert) the bundle must be signed by that one key: a certificate given "
                       "there only lends its public key, nothing else of it is checked. With --ca the bundle must be "
                       "signed and carry a certificate that chains to one of the trust anchors in that file (issuer "
                       "signatures, CA flags, key usage, validity at the signing time), and the signature must hold "
                       "for that certificate's key. Exit status 0: accepted; 1: rejected; 2: the bundle, key or "
                       "trust anchors cannot be read. A note (a profile edited after the run, a tool with "
                       "uncommitted changes) is printed but does not reject the bundle. docs/evidence.md says what "
                       "each line means.")
    v.add_argument("bundle", help="the bundle (.zip)")
    trust = v.add_mutually_exclusive_group()
    trust.add_argument("--pubkey", "--cert", dest="pubkey", metavar="PEM",
                       help="the lab's public key, or a certificate whose public key is taken (no chain, dates or "
                            "CA checked), that the signature must hold for; without --pubkey or --ca a signature is "
                            "checked against the key the bundle itself carries")
    trust.add_argument("--ca", metavar="CA.pem",
                       help="trust anchors: one or more PEM CA certificates; the bundle's signing certificate (and "
                            "the intermediates it carries) must chain to one of them and be valid at the signing "
                            "time, and the signature must hold for its key")
    v.set_defaults(fn=_cmd_verify)
    from .evidence.htmlreport import ALLURE_NPM
    h = rps.add_parser("html", help="render Allure results (one or more runs) as one self-contained HTML file with "
                       f"Allure 3 ({ALLURE_NPM}, through npx)",
                       description=f"Run Allure 3 ({ALLURE_NPM}, a Node.js program fetched by npx into the npm "
                       "cache on first use, about 54 MB, and taken from there afterwards) on an Allure results "
                       "folder and write its report as a single HTML file that opens from disk in any browser, "
                       "without a server. Its tree starts with each run and its DUT, so the runs of several DUTs "
                       "in one folder stay apart; the report's metadata lists each run's DUT, PICS and profile. "
                       "Needs Node.js and npx. Exit status 0: written; 2: not written (one line says why). "
                       "docs/report.md describes it.")
    h.add_argument("results", nargs="?", default=str(Path(os.environ.get("VGITEST_REPORTS", "reports"))
                                                     / "allure-results"),
                   help="the Allure results folder (default %(default)s)")
    h.add_argument("-o", "--output", required=True, metavar="FILE.html", help="the HTML file to write")
    h.add_argument("--name", help="the report's name, shown as its title (default: \"vgitest: <runs> (<date of the "
                   "last result>)\")")
    h.add_argument("--offline", action="store_true", help="take Allure only from the npm cache, never from the "
                   "registry (an error when it was never fetched)")
    h.set_defaults(fn=_cmd_html)

"""``vgitest replay FILE``: run a fuzz case again with the counterexample recorded in its evidence."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import replay


def _cmd_replay(args: argparse.Namespace) -> int:
    try:
        doc = replay.load(args.file)
    except ValueError as exc:
        print(f"vgitest replay: {exc}", file=sys.stderr)
        return 2
    if not Path(doc["test_file"]).is_file():
        print(f"vgitest replay: the case's test file {doc['test_file']} is not here (the file was written on "
              "another checkout: run it where the suites are, or edit test_file)", file=sys.stderr)
        return 2
    reports = str(Path(args.reports).resolve())
    cmd = replay.command(doc, reports=reports)
    if args.profile:
        cmd = [c if not c.startswith("--vgi-profile=") else f"--vgi-profile={args.profile}" for c in cmd]
    print(f"vgitest replay: {doc.get('case') or doc['test']} against {args.profile or doc['profile']}, "
          f"example: {doc.get('example_shown', '')[:200]}", flush=True)
    env = {**os.environ, replay.ENV: str(Path(args.file).resolve())}
    rc = subprocess.run(cmd, env=env).returncode
    results = Path(reports) / f"replay-{doc.get('run_name') or 'case'}" / "results.json"
    if results.is_file():
        for r in json.loads(results.read_text()).get("results", []):
            rules = sorted({f["rule"] for f in r.get("findings", []) if f.get("severity") in ("fail", "warn")})
            print(f"vgitest replay: {r['verdict']} {' '.join(rules)} (recorded: {doc.get('rule')})")
    return rc


def register(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("replay", help="run a fuzz case again with the counterexample in its evidence "
                        "(counterexample.json)",
                        description="Runs the one test case the file names, against the DUT profile it names "
                        "(and the faults injected into a reference device, if any), sending the recorded example "
                        "once instead of exploring; the case is judged as in any run and its verdict printed.")
    rp.add_argument("file", help="a counterexample.json from a fuzz case's evidence folder")
    rp.add_argument("--profile", help="another DUT profile (e.g. the same device after a firmware fix)")
    rp.add_argument("--reports", default="reports", help="report directory (default: reports)")
    rp.set_defaults(fn=_cmd_replay)

"""Decode every V2G test capture of a `vgitest run` with the capture analyser and list its findings.

Why: the evidence a lab keeps is the per-test pcapng; it must decode on its own (SDP, V2GTP, SAP, EXI with the
negotiated schema) and, for a session that charged normally, show no finding at all. Cases that provoke a
deviation on purpose (a sequence error, a silent peer) show it in their capture too; ``--clean`` names the cases
whose captures must be clean (a glob on the test name), and the exit status is 1 if one of them is not.

    python benchmarks/v2g_captures.py reports --clean '*CurrentDemand_001' --clean '*ChargingStatus_001'
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from vgitest.iso15118.analyze import analyze_capture
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", help="the report directory of a `vgitest run`")
    ap.add_argument("--clean", action="append", default=[], help="glob of test names whose capture must be clean")
    args = ap.parse_args()
    bad = 0
    rows = []
    for results in sorted(Path(args.reports).glob("*/results.json")):
        run = results.parent.name
        for r in json.loads(results.read_text())["results"]:
            cap = Path(r.get("evidence", {}).get("pcapng", ""))
            if not cap.is_file() or r.get("verdict") == "NOT_APPLICABLE":
                continue
            rep = analyze_capture(cap)
            if not rep.sessions:
                continue  # not a V2G capture (another protocol's run)
            rules = sorted({f.rule_id for f in rep.all_findings()})
            must = any(fnmatch.fnmatchcase(r["test"], g) for g in args.clean)
            exi = sum(s.exi_messages for s in rep.sessions)
            rows.append((run, r["test"], len(rep.sessions), exi, rules, must))
            if must and (rules or not exi):
                bad += 1
    for run, test, n, exi, rules, must in rows:
        flag = "MUST BE CLEAN" if must else ""
        print(f"{run:<20} {test:<52} sessions={n} exi={exi:<4} findings={','.join(rules) or 'none'} {flag}")
    clean = sum(1 for *_, rules, _ in rows if not rules)
    print(f"\n{len(rows)} V2G captures decoded; {clean} without findings; "
          f"{sum(1 for *_, m in rows if m)} required clean, {bad} of those not clean")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

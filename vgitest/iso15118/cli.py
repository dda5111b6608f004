"""``vgitest analyze CAPTURE ...``: the V2G capture analyser on the command line (text table or JSON).

Findings are the output, not an error: the exit status is 0 unless a capture cannot be read (2), a capture is
damaged (3: cut short or corrupt blocks, so the results are partial; read as far as was safe and reported), or
``--fail-on-findings`` is given and a finding of severity fail/warn was reported (1).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from typing import Any, TextIO

from .analyze import PROFILES, CaptureReport, SessionReport, analyze_capture, frame_dict
from .capfile import NotACapture

EXIT_UNREADABLE = 2
EXIT_DAMAGED = 3

PAYLOAD_SHORT = {0x8001: "EXI", 0x8002: "-20 common", 0x8003: "-20 AC", 0x8004: "-20 DC", 0x8005: "-20 ACDP",
                 0x8006: "-20 WPT"}


def summary(reports: list[CaptureReport]) -> dict[str, Any]:
    """Totals over all captures: sessions, TLS sessions, EXI messages, findings per rule id."""
    rules: collections.Counter[str] = collections.Counter()
    for r in reports:
        rules.update(f.rule_id for f in r.all_findings())
    sessions = [s for r in reports for s in r.sessions]
    return {"captures": len(reports), "sessions": len(sessions), "tls_sessions": sum(s.tls for s in sessions),
            "exi_messages": sum(s.exi_messages for s in sessions),
            "exchanges": sum(len(s.exchanges) for s in sessions),
            "findings": sum(rules.values()), "findings_by_rule": dict(sorted(rules.items())),
            "damaged_captures": sum(r.damaged for r in reports),
            "profile": reports[0].profile if reports else None}


def session_dict(s: SessionReport) -> dict[str, Any]:
    return {"connection": s.connection, "evcc": list(s.evcc), "secc": list(s.secc), "tls": s.tls,
            "start": s.start, "duration_s": round(s.end - s.start, 6), "negotiation": s.negotiation.to_dict(),
            "bytes": s.bytes_by_sender, "exi_messages": s.exi_messages, "exchanges": len(s.exchanges),
            "frames": [frame_dict(f, s.start) for f in s.frames],
            "findings": [f.to_dict() for f in s.findings]}


def report_dict(r: CaptureReport) -> dict[str, Any]:
    return {"file": str(r.path), "profile": r.profile, "packets": r.packets, "damaged": r.damaged,
            "read": r.file.to_dict() if r.file is not None else None,
            "sdp": [{"time": d.time, "src": list(d.src), "dst": list(d.dst), "payload_type": d.payload_type,
                     "fields": d.fields} for d in r.sdp],
            "skipped_tcp_connections": r.skipped_connections,
            "sessions": [session_dict(s) for s in r.sessions], "findings": [f.to_dict() for f in r.findings]}


def write_text(r: CaptureReport, out: TextIO) -> None:
    """A readable table per session: time, sender, message, sizes, response time, rule ids."""
    out.write(f"== {r.path.name}: {r.packets} packets, {len(r.sdp)} SDP datagrams, {len(r.sessions)} V2G "
              f"session(s); budget profile '{r.profile}'\n")
    if r.damaged and r.file is not None:
        out.write(f"   ! DAMAGED capture, results are partial: {r.file.summary()}\n")
        for d in r.file.damage:
            out.write(f"   ! DAMAGED {d}\n")
    for d in r.sdp:
        what = {0x9000: "SDP request", 0x9001: "SDP response"}.get(d.payload_type, f"UDP {d.payload_type:#06x}")
        out.write(f"   {what:<13} [{d.src[0]}]:{d.src[1]} {d.fields}\n")
    for f in r.findings:
        out.write(f"   ! {f.severity.value:<4} {f}\n")
    if r.skipped_connections:
        out.write(f"   ({r.skipped_connections} other TCP connection(s) carry no V2G and were skipped)\n")
    for n, s in enumerate(r.sessions, 1):
        neg = s.negotiation
        out.write(f"\n-- session {n}: EVCC [{s.evcc[0]}]:{s.evcc[1]} -> SECC [{s.secc[0]}]:{s.secc[1]}, "
                  f"{s.end - s.start:.3f} s\n")
        if s.tls:
            out.write(f"   TLS (encrypted application data, not decoded): EVCC sent {s.bytes_by_sender['EVCC']} B, "
                      f"SECC sent {s.bytes_by_sender['SECC']} B\n")
            continue
        out.write(f"   negotiated: {neg.namespace or 'nothing'} (SchemaID {neg.schema_id}, {neg.response_code}); "
                  f"{s.exi_messages} EXI messages, {len(s.exchanges)} exchanges\n")
        out.write(f"   {'#':>4} {'t [s]':>9} {'from':<5} {'message':<34} {'type':<10} {'bytes':>5} "
                  f"{'resp ms':>8}  findings\n")
        rules_at: dict[int, list[str]] = collections.defaultdict(list)
        for f in s.all_findings():
            if f.frame_index is not None:
                rules_at[f.frame_index].append(f.rule_id)
        for fr in s.frames:
            rt = fr.meta.get("response_time_ms")
            name = fr.name or fr.kind
            line = (f"   {fr.index:>4} {fr.wall - s.start:>9.3f} {fr.meta['sender']:<5} {name:<34} "
                    f"{PAYLOAD_SHORT.get(fr.meta['payload_type'], hex(fr.meta['payload_type'])):<10} "
                    f"{fr.size:>5} {'' if rt is None else f'{rt:8.1f}':>8}  {' '.join(rules_at[fr.index])}")
            out.write(line.rstrip() + "\n")
        for f in s.all_findings():
            out.write(f"   ! {f.severity.value:<4} {f}\n")


def cmd_analyze(args: argparse.Namespace) -> int:
    reports = []
    for path in args.captures:
        try:
            reports.append(analyze_capture(path, profile=args.budgets))
        except OSError as e:
            print(f"vgitest analyze: cannot read {path}: {e}", file=sys.stderr)
            return EXIT_UNREADABLE
        except NotACapture as e:
            print(f"vgitest analyze: {path} is not a pcap/pcapng capture: {e}", file=sys.stderr)
            return EXIT_UNREADABLE
    totals = summary(reports)
    if args.json:
        json.dump({"profile": args.budgets, "captures": [report_dict(r) for r in reports], "summary": totals},
                  sys.stdout, indent=None if args.compact else 1)
        sys.stdout.write("\n")
    else:
        for r in reports:
            write_text(r, sys.stdout)
            sys.stdout.write("\n")
        by_rule = ", ".join(f"{k}={v}" for k, v in totals["findings_by_rule"].items()) or "none"
        print(f"== summary ({args.budgets} budgets): {totals['sessions']} session(s) ({totals['tls_sessions']} TLS), "
              f"{totals['exi_messages']} EXI messages, {totals['exchanges']} exchanges; findings: {by_rule}"
              + (f"; DAMAGED captures: {totals['damaged_captures']} (results partial)" if totals["damaged_captures"]
                 else ""))
    for r in reports:
        if r.damaged and r.file is not None:  # on stderr too, so --json output does not hide it
            print(f"vgitest analyze: {r.path} is damaged: {r.file.summary()}", file=sys.stderr)
    if any(r.damaged for r in reports):
        return EXIT_DAMAGED
    if args.fail_on_findings and any(f.severity.value in ("fail", "warn") for r in reports
                                     for f in r.all_findings()):
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``analyze`` to the ``vgitest`` subcommands."""
    p = subparsers.add_parser(
        "analyze", help="analyse V2G captures (pcap/pcapng): sessions, decoded messages, timing, findings",
        description="Decode every V2G session of the captures (SDP, V2GTP, supportedAppProtocol, DIN/ISO 15118-2/"
                    "-20 EXI), pair requests with responses and check headers, sequence, SessionID and timing "
                    "against schemas/budgets/iso15118.toml. Findings are output; the exit status is non-zero only "
                    "for a usage or read error (2), a damaged capture (3: cut short or corrupt blocks; read as far "
                    "as was safe, every damaged place reported), or with --fail-on-findings (1).")
    p.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap or pcapng file(s)")
    p.add_argument("--json", action="store_true", help="JSON instead of the text tables")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.add_argument("--budgets", choices=PROFILES, default="strict",
                   help="strict: the standard's performance times are fail/warn findings; field: the peers' own "
                        "performance targets become info, what the other side enforces (timeouts) stays")
    p.add_argument("--fail-on-findings", action="store_true", help="exit 1 if any fail/warn finding was reported")
    p.set_defaults(fn=cmd_analyze)
    return p

"""docs/csip-aus.md: what the CACTUS engine implements (event, action and check types) and each installed client
procedure's status (executes, or NOT_APPLICABLE with the capability it needs), generated from the registries and
the pinned procedures by ``python -m vgitest.docs``."""

from __future__ import annotations

import collections

from . import actions, checks, procedures, support
from .gaps import REFERENCE_GAPS

INTRO = """# CSIP-AUS: the CACTUS client procedures

The CSIP-AUS client test procedures that BSGIP publishes as data (`cactus-test-definitions`, MIT, pinned in
`vgitest/upstream.py` with its sha256; never copied into this repository; `VGITEST_CACTUS_DEFINITIONS` points at a
folder of your own) run as the cases of `suites/csip_aus`, one per procedure, named by its id (`ALL-01` is
`test_ALL_01`; the case id in reports is the CACTUS id). `vgitest run --only csip-aus` runs them against the
reference DER client in CSIP-AUS mode (profile `reference-der-client-csip-aus`).

How a procedure runs (`vgitest/sep2/cactus/engine.py`): the server starts each procedure from its own data (the
programs other cases left and the client's EndDevice record are put aside, and back afterwards), applies the
procedure's initial actions, lets the client in (the DUT action `reregister`), waits for the precondition checks
(INCONCLUSIVE when they never hold) and listens for the first step. A request step fires when the client's request
matches its endpoint (before the server answers it, or after it with `serve_request_first`) while the step's own
checks hold; a wait step fires when its time has passed. The procedure ends at `finish-test`, when no step listens,
or when nothing fired for the PIXIT `message_wait` plus three pollRates (longer while a control of the procedure is
about to start or end, or a wait step is due). Its criteria are then judged: a broken one is a FAIL with
`SEP2-CACTUS-STEPS` (a step not reached) or `SEP2-CACTUS-CHECK` (another check). Each step that fires is noted in the
trace. CACTUS endpoints are the CACTUS server's paths; the engine maps them to this server's (`paths.py`): EndDevice
`1` is the client's, programs and groups are numbered in the order the procedure creates them.

## Time scale

CACTUS procedures are written in real time (60 s pollRates, waits of minutes, controls of hours). The PIXIT
`cactus_time_scale` runs every time a procedure sets at that factor: the pollRates and postRate of `set-comms-rate`,
the duration of `wait` events, control starts (`$(now + ...)`), durations and `randomizeStart`, the
`duration_seconds` and `Retry-After` of `force-response-status`, and the interval of `all-polls-at-correct-time`.
The reference run uses 1/30: a 60 s pollRate becomes 2 s, a 300 s control 10 s, a 120 s wait 4 s. A device under
test should be run at 1 (the procedures as written), or at a factor its own timers allow. What the server does not
serve is not shortened: `mup_post_seconds` (the server's MirrorUsagePoint has no postRate; the reference client posts
at its PIXIT `post_rate_s`).

Measured (2026-12-07, 2 shared cores): the reference run takes about 390-460 s in three shards, about 1050 s of
procedures in all. Per procedure, at 1/30: most take 0-10 s; the ones that wait for controls to start and end take
20-40 s (ALL-12, ALL-18, ALL-20, ALL-23, ALL-28, DRD-01, GEN/LOA-03, -04, -07, -08, -11, -12), the longest GEN-10
and LOA-10 (110 s each: ten controls, up to 840 s each, as written), GEN-03 (56 s) and ALL-21 (50 s).
"""


def markdown() -> str:
    procs = procedures.load_all()
    lines = [INTRO, "## Supported types", "", "| kind | type | what the engine does |", "|---|---|---|"]
    lines += [f"| event | `{name}` | {what} |" for name, what in support.EVENTS.items()]
    lines += [f"| action | `{name}` | {what} |" for name, what in actions.SUMMARY.items()]
    lines += [f"| check | `{name}` | {what} |" for name, what in checks.SUMMARY.items()]
    needs = {pid: support.missing(p) for pid, p in procs.items()}
    executing = [pid for pid, n in needs.items() if not n]
    by_reason = collections.Counter(r for n in needs.values() for r in n)
    lines += ["", "## Procedures", "",
              f"{len(procs)} client procedures in `cactus-test-definitions` "
              f"{procedures.upstream.UPSTREAMS['cactus'].version}: {len(executing)} execute, "
              f"{len(procs) - len(executing)} are NOT_APPLICABLE; {len(executing) - len(REFERENCE_GAPS)} run in the "
              f"reference run `csip-aus` (they PASS against the reference client; each is failed by a catalogued "
              f"fault of it, docs/faults.md), {len(REFERENCE_GAPS)} are left out of it because the reference client lacks "
              "what they need (the table says what). What the NOT_APPLICABLE ones need (procedures per capability; "
              "a procedure may need several):", ""]
    lines += [f"- {reason}: {n}" for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "| procedure | category | status |", "|---|---|---|"]
    for pid, proc in procs.items():
        status = "executes" if not needs[pid] else "NOT_APPLICABLE: needs " + ", ".join(needs[pid])
        if not needs[pid] and pid in REFERENCE_GAPS:
            status += f" (left out of the reference run: {REFERENCE_GAPS[pid]})"
        lines.append(f"| `{pid}` | {proc.category} | {status} |")
    return "\n".join(lines) + "\n"

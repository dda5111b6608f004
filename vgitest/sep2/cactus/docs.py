"""docs/csip-aus.md: what the CACTUS engine implements (event, action and check types) and each installed client
procedure's status (executes, or NOT_APPLICABLE with the capability it needs), generated from the registries and
the pinned procedures by ``python -m vgitest.docs``."""

from __future__ import annotations

import collections

from . import actions, checks, procedures, support, versions
from .gaps import REFERENCE_GAPS

INTRO = """# CSIP-AUS: the CACTUS client procedures

The CSIP-AUS client test procedures that BSGIP publishes as data (`cactus-test-definitions`, MIT, pinned in
`vgitest/upstream.py` with its sha256; never copied into this repository; `VGITEST_CACTUS_DEFINITIONS` points at a
folder of your own) run as the cases of `suites/csip_aus`, one per procedure, named by its id (`ALL-01` is
`test_ALL_01`; the case id in reports is the CACTUS id). `vgitest run --only csip-aus` runs them against the
reference DER client in CSIP-AUS mode (profile `reference-der-client-csip-aus`).

How a procedure runs (`vgitest/sep2/cactus/engine.py`): the server starts each procedure from its own data (the
programs, tariffs and routes other cases left and the client's EndDevice record are put aside, and back afterwards;
a pricing procedure starts with its groups linking their TariffProfileList, as CACTUS's server does), applies the
procedure's initial actions, lets the client in (the DUT action `reregister`), waits for the precondition checks
(INCONCLUSIVE when they never hold) and listens for the first step. A request step fires when the client's request
matches its endpoint (before the server answers it, or after it with `serve_request_first`) while the step's own
checks hold; a wait step fires when its time has passed. The procedure ends at `finish-test`, when no step listens,
or when nothing fired for the PIXIT `message_wait` plus three pollRates (longer while a control of the procedure is
about to start or end, or a wait step is due). Its criteria are then judged: a broken one is a FAIL with
`SEP2-CACTUS-STEPS` (a step not reached) or `SEP2-CACTUS-CHECK` (another check). Each step that fires is noted in the
trace. CACTUS endpoints are the CACTUS server's paths; the engine maps them to this server's (`paths.py`): EndDevice
`1` is the client's, programs, groups and TariffProfiles are numbered in the order the procedure creates them.
CACTUS's CombinedTimeTariffIntervalList of a TariffProfile (`tp/1/ctti`, CSIP-AUS v1.3) is this server's 2030.5
TimeTariffIntervalLists of that profile's RateComponents, and its price ResponseSet the server's one ResponseSet;
`$randuri_1`..`3` are random paths made for each run (`vgitest/sep2/cactus/pricing.py`).

## Time scale

CACTUS procedures are written in real time (60 s pollRates, waits of minutes, controls of hours). The PIXIT
`cactus_time_scale` runs every time a procedure sets at that factor: the pollRates and postRate of `set-comms-rate`,
the duration of `wait` events, control starts (`$(now + ...)`), durations and `randomizeStart`, the
`duration_seconds` and `Retry-After` of `force-response-status`, the interval of `all-polls-at-correct-time`, the
`timeout_seconds` of `proceed` steps, and
the pricing times: the TariffProfileList's pollRate (`tp_list_poll_seconds`, in 2030.5 the rate of everything below
it), TimeTariffInterval starts and durations; `now_hour` and `now_day` (the start of the current hour, and of the
day in AEST) are moments in the past whose distance from now is scaled, so an interval from `now_day` for 86400 s is
in force now at any scale.
The reference run uses 1/30: a 60 s pollRate becomes 2 s, a 300 s control 10 s, a 120 s wait 4 s. A device under
test should be run at 1 (the procedures as written), or at a factor its own timers allow. What the server does not
serve is not shortened: `tti_list_poll_seconds` (the 2030.5 TimeTariffIntervalList has no pollRate: a procedure
that counts interval-list requests at a rate other than the TariffProfileList's is NOT_APPLICABLE).
`mup_post_seconds` is the postRate served on the client's MirrorUsagePoints (scaled: 60 s becomes 2 s, so ALL-06's
six readings in about eight minutes are six in about 16 s), and so are the `window_seconds` of the readings checks. `setGradW` is served
as written (procedures check that the client echoes it in its DERSettings); the reference client's plant runs its
ramps at the same factor (it reads `cactus_time_scale` too: 6 %/s of procedure time is 180 %/s of run time).

## Readings

The `readings-*` checks (`vgitest/sep2/cactus/readings.py`) judge the MirrorMeterReadings the client posted since
the test began (preconditions: since the procedure's set-up began; its mirrors are put aside like its EndDevice, so
it mirrors anew as on a fresh CACTUS server).
A MirrorUsagePoint whose roleFlags set isPremisesAggregationPoint (bit 1) is the site's, one with isDER (bit 3)
and not bit 1 the DER's; the kind of reading is its ReadingType uom (38 W, 63 var, 29 V from either mirror, 72 Wh
the DER's stored energy). Site power is in the site's view (positive imports; a reading declared with
flowDirection 19, reverse, is negated), DER power in the DER's (positive delivers; flowDirection 1, forward, is
negated), as CACTUS's levels imply (GEN-01: the site between -105 % and -50 % of maxExportW while the DER delivers
50-105 %). Levels with no reading to judge fail. GEN-01 and LOA-01 gate on the DER delivering or drawing at least
half its rating: the engine asks the device for it through the adapter action `set_power` (the operator's set-up
of the instructions; a device without it is set up by hand) and asks it back to drawing at its rating afterwards.
The reference client in CSIP-AUS mode (`vgitest/sep2/client/plant.py`) posts a site mirror (its load, PIXIT
`site_load_w`, plus the EVSE) and a DER mirror (the EVSE, and its EV battery's stored energy) at the postRate
served, and keeps the site within the import and export limits at the connection point. At 1/30 the readings
procedures take 8-12 s (GEN-01, LOA-01, MUL-02, STO-01, STO-04) or 17-27 s (ALL-06, ALL-29, ALT-ALL-29, ALL-10: they
wait minutes of procedure time for enough postings); ALL-25-EXT (72 hours, 2.4 hours at 1/30) is left out.

Measured (2026-12-07, 2 shared cores): the reference run takes about 440 s in three shards (401, 401 and 440 s:
the longest procedures are dealt first to the least loaded shard, by their measured times in
`suites/csip_aus/test_procedures.py`), about 1240 s of procedures in all. Per procedure, at 1/30: most take 0-10 s; the ones that wait for controls to start and end take
20-40 s (ALL-12, ALL-18, ALL-20, ALL-23, ALL-28, DRD-01, GEN/LOA-03, -04, -07, -08, -11, -12), the longest GEN-10
and LOA-10 (110 s each: ten controls, up to 840 s each, as written), GEN-03 (56 s) and ALL-21 (50 s).

## Operator steps

CACTUS shows its operator instructions in a UI. Some steps wait for the client to report what the operator did on
site (ALL-07: disconnect the DER from the grid, then reconnect it; ALL-08: stop it, then let it run; MUL-01: power
off one DER, then the others; each step waits for the DERStatus that says so), and `proceed` steps wait for the
operator's go-ahead once the instructions were carried out or observed. The engine asks the DUT adapter instead
(`vgitest/sep2/cactus/operator.py`, actions in docs/adapters.md):

- an explicit map from procedure and step to an adapter action (never read from the instruction's words): ALL-07's
  steps to `der_grid` (connected false, then true), ALL-08's to `der_run`, MUL-01's to `der_units_off` (one, then
  all), ALL-30's power cycle to `reboot`. The action is performed when its step starts listening; the step still
  fires only on the client's request and checks. What an action left changed is put back at the end of the
  procedure (reconnected, running, units on);
- a `proceed` step: the action `cactus_proceed` gets the procedure, the step, its instructions (read from the
  installed procedure at run time), what there is to observe (energized, connected, control, default: the
  engine's words) and the timeout; the step fires when the action returns. With `timeout_seconds` (scaled) it also
  fires once that time has passed without a go-ahead, as CACTUS does; without one (ALL-30, PRC-02) the go-ahead is
  needed: the adapter failing to give it is INCONCLUSIVE.

A device whose adapter lacks an action a procedure cannot do without (the profile's `[adapter] unsupported`, a
command adapter without that command) makes the procedure NOT_APPLICABLE naming the action, decided before anything
runs; the `manual` adapter shows the action and the step's instructions to a person and waits for Enter.

What the harness judges is the client's wire behaviour only: the DERStatus it reports after the operator's action,
its requests and Responses. An adapter returning from `cactus_proceed` is no observation by a person: the
observation behind a proceed step (the DER ramping, following its default) is the lab's and is not part of the
verdict. The reference client (`vgitest/sep2/client/site.py`) does these actions to its simulated DER and reports
them in its DERStatus at once; its stand-in operator confirms a proceed step when its own DER shows what the step
names (a control coming into force, its default in force, energized, connected), and gives no go-ahead otherwise.
At 1/30 ALL-07, ALL-08 and MUL-01 take under 1 s, ALL-26 and ALL-27 about 7 s, P-03 about 6 s, or 16 s when its
second go-ahead does not come and that step fires at its timeout (an event of an earlier procedure the reference
client still holds in force can keep it from seeing its default; the evidence notes it).
"""


def markdown() -> str:
    procs = procedures.load_all()
    lines = [INTRO, versions.DOC, "## Supported types", "", "| kind | type | what the engine does |", "|---|---|---|"]
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

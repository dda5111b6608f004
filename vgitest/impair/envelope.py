"""FLOW D3.1 Table 6 applied to whole flows: what the application needs of the network, and whether a flow run
over an impaired link met it.

Latency. Table 6 gives each application a range (e.g. electrified transportation 2 s to 5 min): the strict end
is what the most demanding use case of the application needs, the loose end what the least demanding one
tolerates. An exchange (one request and its answer, at the device's edge: :mod:`vgitest.impair.exchanges`) is
*completed* when its answer arrived within the loose end plus tolerance; it *meets the strict end* when within
the strict end plus tolerance. Protocols judged by their own timers (ISO 15118: the EVCC's per-message timeout,
ISO 15118-2 Table 108, from ``schemas/budgets/iso15118.toml``) have one limit per message, both ends alike.

Reliability = completed exchanges / attempted exchanges over all repetitions of a cell. A repetition that did
not reach the flow's last message within its bounded wait adds one failed attempt (the exchange it was stuck on,
when that one got no answer at all, is already counted).

Verdict of a cell: FAIL when reliability is below the application's lower reliability figure (99 %); otherwise
PASS when at least that share of the attempts also met the strict end, else NON_STRICT (inside the application's
range, not at its demanding end). The upper reliability figure (99.99 %) is not judged: it needs ten thousand
attempts, a cell has a few hundred; the report gives the resolution (one attempt = 100 / attempts %).

Tolerance: each limit allows ``max(tolerance_s, tolerance_rel * limit)`` beyond it (``latency_tolerance_s`` and
``latency_tolerance_rel`` in ``flow_d31_table6.toml``, the ISO timers' own in ``iso15118.toml``): an exchange
exactly at the limit is not late, and the device's edge is measured at the relay, one loopback hop from it.

Inside the envelope: a column is inside an application's envelope when the link itself meets the application's
network figures: its rate at least the application's lower bandwidth figure, its worst round trip
(2 × (delay + jitter)) within the strict latency, its loss at most 100 % minus the lower reliability figure. A
FAIL outside the envelope says the link is too poor for the application, not that the device is wrong.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from ..budgets import Budgets
from .exchanges import Exchange
from .profile import Impairment


@dataclasses.dataclass(frozen=True)
class Envelope:
    application: str  # the Table 6 row (for ISO 15118: whose bandwidth and reliability apply)
    strict_s: float
    loose_s: float
    reliability_pct: float  # the lower reliability figure
    bandwidth_kbps: tuple[float, float]
    tolerance_s: float
    tolerance_rel: float
    timers: str = ""  # "" = Table 6 latency; else the own-timer budget judging each message
    per_message: dict[str, float] = dataclasses.field(default_factory=dict)
    default_timer_s: float | None = None

    def limits(self, name: str | None, own: float | None = None) -> tuple[float, float]:
        """(strict, loose) in seconds for an exchange, tolerance included; ``own``: a limit the message carried
        itself (a GOOSE's timeAllowedtoLive), which is its timer."""
        if own is not None:
            lim = own + self.tolerance(own)
            return lim, lim
        if self.timers:
            base = (name or "").removesuffix("Req").removesuffix("Res")
            limit = self.per_message.get(base, self.default_timer_s or self.loose_s)
            lim = limit + self.tolerance(limit)
            return lim, lim
        return self.strict_s + self.tolerance(self.strict_s), self.loose_s + self.tolerance(self.loose_s)

    def tolerance(self, limit: float) -> float:
        return max(self.tolerance_s, self.tolerance_rel * limit)

    def inside(self, imp: Impairment) -> bool:
        if imp.rate_kbps is not None and imp.rate_kbps < self.bandwidth_kbps[0]:
            return False
        strict = self.strict_s
        if self.timers:  # the tightest of the protocol's own limits (ISO 15118-2: CurrentDemand, 0.25 s)
            strict = min([*self.per_message.values(), self.default_timer_s or self.strict_s])
        if 2 * (imp.delay_ms + imp.jitter_ms) / 1000 > strict:
            return False
        return imp.loss_pct <= 100 - self.reliability_pct

    def describe(self) -> str:
        if self.timers:
            return f"{self.timers} (per message; default {self.default_timer_s:g} s)"
        return f"{self.application}: {self.strict_s:g}-{self.loose_s:g} s, ≥ {self.reliability_pct:g} %"


def for_protocol(protocol: str, budgets: Budgets | None = None, *, timers: str = "") -> Envelope:
    """The envelope of `protocol`'s flows: its Table 6 application (the budgets' [protocols] mapping), and for a
    protocol judged by its own timers, the timing budget `timers` (e.g. "iso2_evcc_msg_timeout")."""
    budgets = budgets or Budgets.load()
    found = budgets.application_for(protocol)
    if found is None:
        raise KeyError(f"no Table 6 application for protocol {protocol!r}")
    name, app = found
    lat = [float(x) for x in app["latency_s"]]
    env = Envelope(name, lat[0], lat[1], float(app["reliability_pct"][0]),
                   (float(app["bandwidth_kbps"][0]), float(app["bandwidth_kbps"][1])),
                   float(app.get("latency_tolerance_s", 0.01)), float(app.get("latency_tolerance_rel", 0.02)))
    if timers:
        t = budgets.timing(protocol, timers)
        env = dataclasses.replace(env, timers=timers, per_message={k: float(v) for k, v in
                                                                   t.extra.get("per_message", {}).items()},
                                  default_timer_s=t.value_s, tolerance_s=float(t.extra.get("tolerance_s", 0.01)),
                                  tolerance_rel=float(t.extra.get("tolerance_rel", 0.02)))
    return env


@dataclasses.dataclass
class Judgement:
    verdict: str  # PASS, NON_STRICT, FAIL
    attempts: int
    completed: int
    strict_met: int
    reliability_pct: float
    strict_pct: float
    median_s: float | None
    p95_s: float | None
    max_s: float | None
    reps: int
    reps_completed: int
    why: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def judge(env: Envelope, reps: list[tuple[list[Exchange], bool]]) -> Judgement:
    """Judge a cell: for each repetition its exchanges and whether it reached the flow's last message."""
    attempts = completed = strict_met = 0
    latencies: list[float] = []
    worst: tuple[float, str] | None = None
    for exchanges, finished in reps:
        for e in exchanges:
            attempts += 1
            strict, loose = env.limits(e.name, e.limit_s)
            lat = e.latency_s
            if lat is None:
                continue
            latencies.append(lat)
            if lat <= loose:
                completed += 1
            if lat <= strict:
                strict_met += 1
            over = lat - loose
            if worst is None or over > worst[0]:
                worst = (over, f"{e.name or 'an exchange'} took {lat:.3f} s (limit {loose:.3f} s)")
        if not finished and all(e.answered for e in exchanges):
            attempts += 1
    rel = 100.0 * completed / attempts if attempts else 0.0
    strict_pct = 100.0 * strict_met / attempts if attempts else 0.0
    n_done = sum(1 for _, f in reps if f)
    if attempts == 0:
        verdict, why = "FAIL", "no exchange was attempted"
    elif rel < env.reliability_pct:
        verdict = "FAIL"
        why = (f"reliability {rel:.2f} % < {env.reliability_pct:g} % ({attempts - completed} of {attempts} "
               f"exchanges late or unanswered; {len(reps) - n_done} of {len(reps)} runs unfinished)")
        if worst is not None and worst[0] > 0:
            why += f"; worst: {worst[1]}"
    elif strict_pct < env.reliability_pct:
        verdict = "NON_STRICT"
        why = f"only {strict_pct:.2f} % of exchanges within the strict end {env.strict_s:g} s"
    else:
        verdict, why = "PASS", ""
    return Judgement(verdict, attempts, completed, strict_met, rel, strict_pct,
                     statistics.median(latencies) if latencies else None,
                     percentile(latencies, 0.95) if latencies else None, max(latencies) if latencies else None,
                     len(reps), n_done, why)

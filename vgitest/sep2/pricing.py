"""The pricing function set of the fake 2030.5 server (CSIP-AUS tariffs): what it serves over HTTP.

A group (FunctionSetAssignments) links to its TariffProfileList once pricing is on (``state.aus.pricing``: a
test made a TariffProfile, or turned it on with :func:`.aus.enable_pricing`); existing CSIP suites, which make
none, see no change. The tree, under vgitest's own paths (a client follows links):

- ``/edev/{n}/fsa/{f}/tp`` TariffProfileList (subscribable, with a pollRate) → ``/tp/{t}`` TariffProfile
- ``/tp/{t}/rc`` RateComponentList → ``/tp/{t}/rc/{r}`` RateComponent → ``…/rt`` its ReadingType (what it
  prices: commodity, flow direction, unit…)
- ``…/rc/{r}/tti`` TimeTariffIntervalList (subscribable) and ``…/rc/{r}/acttti`` the active ones →
  ``…/tti/{k}`` TimeTariffInterval → ``…/tti/{k}/cti`` ConsumptionTariffIntervalList → ``…/cti/{b}`` one block
  (startValue, price).

A TimeTariffInterval is an event: its EventStatus is computed at each GET from its start, duration and the server's
clock exactly like a DERControl's (:class:`.resources.Control`): Scheduled, Active, Cancelled by the test
(:func:`.aus.cancel_time_tariff_intervals`), Superseded by a newer overlapping interval of the same RateComponent.
Its Responses (PriceResponse) go to the server's ResponseSet like a DERControl's. Over TLS a TariffProfile (and
everything below it) is served only to a client whose groups list it (else 404), as DERPrograms are.
"""

from __future__ import annotations

import re
from typing import Any

from .ausdata import READING_TYPE, RateComponent, TariffProfile, TimeTariffInterval
from .handlers import NON_CONDITIONAL, RESPONSES, Reply, Request, _own_fsa, route
from .resources import Sep2State, list_body, page


def tariff_visible(state: Sep2State, req: Request, number: str) -> TariffProfile | None:
    """The TariffProfile at that path, if this client may read it (see the module docstring)."""
    tp = next((t for t in state.aus.tariffs if t.number == int(number)), None)
    if tp is None or req.lfdi is None:
        return tp
    dev = state.devices.get(req.lfdi)
    return tp if dev is not None and tp.fsa in dev.fsas else None


def _component(state: Sep2State, req: Request, m: re.Match) -> tuple[TariffProfile, RateComponent] | None:
    tp = tariff_visible(state, req, m["t"])
    rc = next((r for r in tp.components if r.number == int(m["r"])), None) if tp is not None else None
    return None if tp is None or rc is None else (tp, rc)


def _interval(state: Sep2State, req: Request, m: re.Match) -> tuple[TariffProfile, RateComponent,
                                                                    TimeTariffInterval] | None:
    got = _component(state, req, m)
    tti = next((i for i in got[1].intervals if i.number == int(m["k"])), None) if got is not None else None
    return None if got is None or tti is None else (*got, tti)


# --- bodies (schema order) ------------------------------------------------------------------------------
def tariff_body(tp: TariffProfile) -> dict:
    out: dict[str, Any] = {"@href": f"/tp/{tp.number}", "mRID": tp.mrid}
    if tp.description:
        out["description"] = tp.description[:32]
    if tp.currency is not None:
        out["currency"] = str(tp.currency)
    out["pricePowerOfTenMultiplier"] = str(tp.price_pow10)
    out["primacy"] = str(tp.primacy)
    if tp.rate_code:
        out["rateCode"] = tp.rate_code[:20]
    out["RateComponentListLink"] = {"@href": f"/tp/{tp.number}/rc", "@all": str(len(tp.components))}
    out["serviceCategoryKind"] = str(tp.service_category)
    return out


def component_body(tp: TariffProfile, rc: RateComponent, now: int) -> dict:
    base = f"/tp/{tp.number}/rc/{rc.number}"
    out: dict[str, Any] = {"@href": base, "mRID": rc.mrid}
    if rc.description:
        out["description"] = rc.description[:32]
    active = sum(_active(rc, i, now) for i in rc.intervals)
    out["ActiveTimeTariffIntervalListLink"] = {"@href": f"{base}/acttti", "@all": str(active)}
    out["ReadingTypeLink"] = {"@href": f"{base}/rt"}
    out["roleFlags"] = f"{rc.role_flags & 0xFFFF:04X}"
    out["TimeTariffIntervalListLink"] = {"@href": f"{base}/tti", "@all": str(len(rc.intervals))}
    return out


def _events(rc: RateComponent) -> list[Any]:
    return [i.event for i in rc.intervals]


def _active(rc: RateComponent, tti: TimeTariffInterval, now: int) -> bool:
    return bool(tti.event.active(now, _events(rc)))


def interval_body(tp: TariffProfile, rc: RateComponent, tti: TimeTariffInterval, now: int) -> dict:
    ev = tti.event
    href = f"/tp/{tp.number}/rc/{rc.number}/tti/{tti.number}"
    out: dict[str, Any] = {"@href": href, "@replyTo": RESPONSES, "@responseRequired": ev.response_required,
                           "mRID": ev.mrid}
    if ev.description:
        out["description"] = ev.description[:32]
    out["creationTime"] = str(ev.creation)
    out["EventStatus"] = ev.event_status(now, _events(rc))
    out["interval"] = {"duration": str(ev.duration), "start": str(ev.start)}
    if ev.randomize_duration is not None:
        out["randomizeDuration"] = str(ev.randomize_duration)
    if ev.randomize_start is not None:
        out["randomizeStart"] = str(ev.randomize_start)
    out["ConsumptionTariffIntervalListLink"] = {"@href": f"{href}/cti", "@all": str(len(tti.blocks))}
    out["touTier"] = str(tti.tou_tier)
    return out


def block_body(href: str, n: int, start_value: int, price: int) -> dict:
    """One ConsumptionTariffInterval: block `n` (1-based consumptionBlock) from `start_value` at `price`."""
    return {"@href": href, "consumptionBlock": str(n), "price": str(price), "startValue": str(start_value)}


# --- handlers -------------------------------------------------------------------------------------------
def _tariffs(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _own_fsa(state, req, m)
    if isinstance(got, Reply):
        return got
    dev, fsa = got
    if not state.aus.pricing:
        return Reply(404)
    listed = sorted((t for t in state.aus.tariffs if t.fsa == fsa), key=lambda t: (t.primacy, t.number))
    items, total = page([tariff_body(t) for t in listed], req.query)
    href = f"/edev/{dev.number}/fsa/{fsa}/tp"
    return Reply(200, "TariffProfileList", list_body(href, "TariffProfile", items, total,
                                                     state.rate("TariffProfileList", href), NON_CONDITIONAL))


def _tariff(state: Sep2State, req: Request, m: re.Match) -> Reply:
    tp = tariff_visible(state, req, m["t"])
    return Reply(404) if tp is None else Reply(200, "TariffProfile", tariff_body(tp))


def _components(state: Sep2State, req: Request, m: re.Match) -> Reply:
    tp = tariff_visible(state, req, m["t"])
    if tp is None:
        return Reply(404)
    now = state.now()
    items, total = page([component_body(tp, rc, now) for rc in tp.components], req.query)
    return Reply(200, "RateComponentList", list_body(f"/tp/{tp.number}/rc", "RateComponent", items, total))


def _one_component(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _component(state, req, m)
    return Reply(404) if got is None else Reply(200, "RateComponent", component_body(*got, state.now()))


def _reading_type(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _component(state, req, m)
    if got is None:
        return Reply(404)
    rt = got[1].reading_type
    return Reply(200, "ReadingType", {"@href": req.path, **{k: str(rt[k]) for k in READING_TYPE if k in rt}})


def _intervals(state: Sep2State, req: Request, m: re.Match, *, active_only: bool = False) -> Reply:
    got = _component(state, req, m)
    if got is None:
        return Reply(404)
    tp, rc = got
    now = state.now()
    chosen = [i for i in rc.intervals if not active_only or _active(rc, i, now)]
    items, total = page([interval_body(tp, rc, i, now) for i in chosen], req.query)
    href = f"/tp/{tp.number}/rc/{rc.number}/{'acttti' if active_only else 'tti'}"
    return Reply(200, "TimeTariffIntervalList", list_body(href, "TimeTariffInterval", items, total,
                                                          subscribable=NON_CONDITIONAL))


def _one_interval(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _interval(state, req, m)
    return Reply(404) if got is None else Reply(200, "TimeTariffInterval", interval_body(*got, state.now()))


def _blocks(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _interval(state, req, m)
    if got is None:
        return Reply(404)
    href = req.path
    bodies = [block_body(f"{href}/{n}", n, start, price) for n, (start, price) in enumerate(got[2].blocks, 1)]
    items, total = page(bodies, req.query)
    return Reply(200, "ConsumptionTariffIntervalList", list_body(href, "ConsumptionTariffInterval", items, total))


def _one_block(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _interval(state, req, m)
    n = int(m["b"])
    if got is None or not 1 <= n <= len(got[2].blocks):
        return Reply(404)
    start, price = got[2].blocks[n - 1]
    return Reply(200, "ConsumptionTariffInterval", block_body(req.path, n, start, price))


_RC = r"/tp/(?P<t>\d+)/rc/(?P<r>\d+)"
route(r"/edev/(?P<i>\d+)/fsa/(?P<f>\d+)/tp", GET=_tariffs)
route(r"/tp/(?P<t>\d+)", GET=_tariff)
route(r"/tp/(?P<t>\d+)/rc", GET=_components)
route(_RC, GET=_one_component)
route(_RC + "/rt", GET=_reading_type)
route(_RC + "/tti", GET=_intervals)
route(_RC + "/acttti", GET=lambda s, r, m: _intervals(s, r, m, active_only=True))
route(_RC + r"/tti/(?P<k>\d+)", GET=_one_interval)
route(_RC + r"/tti/(?P<k>\d+)/cti", GET=_blocks)
route(_RC + r"/tti/(?P<k>\d+)/cti/(?P<b>\d+)", GET=_one_block)

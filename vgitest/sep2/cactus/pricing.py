"""The CACTUS types of the pricing function set and of service discovery (well-known and proxy routes), over the
fake server's CSIP-AUS state (:mod:`vgitest.sep2.aus`; HTTP side :mod:`vgitest.sep2.pricing`, :mod:`.routes`).

Importing this module registers its actions, its check and its variables with the engine's registries.

Time: the start of a TimeTariffInterval is a moment whose distance from now is scaled by the run's time scale
(``$(now + '300 seconds')`` is 10 s ahead at 1/30), and so is its duration; ``now_hour`` and ``now_day`` are the
start of the current hour and of the current day in AEST (UTC+10, the zone CACTUS's pricing instructions count days
in), moments in the past whose distance from now is scaled the same way, so that an interval from ``now_day`` for
86400 s is in force now whatever the scale. The pollRate of the TariffProfileList (``tp_list_poll_seconds``) is
scaled and served: in 2030.5 it is the rate of the whole function set below it. The TimeTariffIntervalList has no
pollRate of its own in the 2030.5-2018 schema (CACTUS serves one on its CSIP-AUS v1.3 CombinedTimeTariffIntervalList),
so ``tti_list_poll_seconds`` is kept and served nowhere; a procedure whose checks count interval-list requests at a
rate other than the TariffProfileList's cannot be judged here, nor one that expects a client to find a RateComponent
added while it runs through the combined list: both are NOT_APPLICABLE (:func:`needs`).

Routes: ``$randuri_1`` .. ``$randuri_3`` are random paths made for each run; ``create-wellknown-route`` lists them
in ``/.well-known/csipaus`` and ``add-proxy-route`` makes one answer as another path (e.g. ``/dcap``).
"""

from __future__ import annotations

import secrets
from typing import Any

from .. import aus
from ..ausdata import RateComponent, TariffProfile, TimeTariffInterval
from .actions import action
from .checks import Outcome, check
from .context import EXTRA_VARIABLES, Context, Unsupported
from .expressions import At
from .paths import ROUTE_VARIABLES
from .procedures import Procedure

AEST_S = 10 * 3600  # AEST is UTC+10
RESPONSE_REQUIRED = "03"  # a PriceResponse when received (bit 0) and for the interval's outcome, e.g. cancelled (bit 1)
READING_TYPE_PARAMETERS = ("commodity", "data_qualifier", "flow_direction", "kind", "phase",
                           "power_of_ten_multiplier", "uom")
COMBINED_LIST = ("a CombinedTimeTariffIntervalList (CACTUS's ctti, CSIP-AUS v1.3: every interval of a TariffProfile "
                 "in one list, polled at tti_list_poll_seconds; the server serves the 2030.5 per-RateComponent lists, "
                 "which carry no pollRate and are polled at the TariffProfileList's)")
INTERVAL_RESOURCES = ("TimeTariffIntervalList", "CombinedTimeTariffIntervalList", "TimeTariffInterval")


# --- what a run made ------------------------------------------------------------------------------------------
def _made(ctx: Context, kind: str) -> list[Any]:
    return ctx.extra.setdefault(kind, [])


def _tagged(ctx: Context, tag: Any, kind: type, what: str) -> Any:
    found = ctx.tags.get(str(tag))
    if not isinstance(found, kind):
        raise Unsupported(f"a {what} tagged {tag} that the procedure never made")
    return found


def _moment(ctx: Context, raw: Any) -> int:
    """A start on the server's clock (its distance from now scaled)."""
    value = ctx.value(raw)
    if not isinstance(value, At):
        raise Unsupported(f"a start that is not relative to now ({raw!r})")
    return ctx.server_time(value)


# --- variables ------------------------------------------------------------------------------------------------
def _since(period_s: int, offset_s: int = 0) -> Any:
    def since(ctx: Context) -> At:
        return At(-float((ctx.state.now() + offset_s) % period_s))
    return since


def _randuri(name: str) -> Any:
    def made(ctx: Context) -> str:
        uris = ctx.extra.setdefault("randuri", {})
        if name not in uris:
            uris[name] = f"/{secrets.token_hex(6)}"
        return str(uris[name])
    return made


EXTRA_VARIABLES.update({"now_hour": _since(3600), "now_day": _since(86400, AEST_S),
                        **{name: _randuri(name) for name in ROUTE_VARIABLES}})
VARIABLES = ("now_hour", "now_day", *ROUTE_VARIABLES)


# --- actions --------------------------------------------------------------------------------------------------
@action("create-tariff-profile", "a TariffProfile of that primacy and pricePowerOfTenMultiplier in group 1 (or the "
        "group fsa_id), numbered in creation order")
def _tariff(ctx: Context, p: dict[str, Any]) -> None:
    made: list[TariffProfile] = _made(ctx, "tariffs")
    tp = aus.add_tariff_profile(ctx.state, int(p["primacy"]), fsa=ctx.group(int(p.get("fsa_id", 1))),
                                price_pow10=int(p.get("price_pow_10_multiplier", 0)),
                                description=f"cactus tp{len(made) + 1}", tag=str(p.get("tag", "")))
    _keep(ctx, p, "tariffs", tp)


def _keep(ctx: Context, p: dict[str, Any], made_key: str, obj: Any) -> None:
    """Remember a resource the procedure made (in creation order, and by its tag when it has one)."""
    _made(ctx, made_key).append(obj)
    if p.get("tag"):
        ctx.tags[str(p["tag"])] = obj


def _parent(ctx: Context, p: dict[str, Any], tag_key: str, kind: type, made_key: str, child: str) -> Any:
    """The resource a new `child` belongs to: the one tagged `p[tag_key]`, else the newest the procedure made."""
    if p.get(tag_key):
        return _tagged(ctx, p[tag_key], kind, kind.__name__)
    made = _made(ctx, made_key)
    if made:
        return made[-1]
    raise Unsupported(f"{child} before any {kind.__name__} of the procedure")


@action("create-rate-component", "a RateComponent of the newest TariffProfile (or the tagged one) pricing the "
        "ReadingType given (commodity, flow direction, unit, power of ten ...)")
def _component(ctx: Context, p: dict[str, Any]) -> None:
    tp = _parent(ctx, p, "tariff_profile_tag", TariffProfile, "tariffs", "a RateComponent")
    reading = {k: int(p[k]) for k in READING_TYPE_PARAMETERS if k in p}
    rc = aus.add_rate_component(ctx.state, tp, role_flags=int(p.get("role_flags", 1)), tag=str(p.get("tag", "")),
                                **reading)
    _keep(ctx, p, "components", rc)


@action("create-time-tariff-interval", "a TimeTariffInterval of the newest RateComponent (or the tagged one): start "
        "and duration scaled, price block 0 (and block 1 from its startValue), asking for PriceResponses")
def _interval(ctx: Context, p: dict[str, Any]) -> None:
    rc = _parent(ctx, p, "rate_component_tag", RateComponent, "components", "a TimeTariffInterval")
    prices = [(0, int(p["price_pow10_encoded_block0"]))]
    if "price_pow10_encoded_block1" in p:
        if "price_start_pow10_block1" not in p:
            raise Unsupported("a second price block without its startValue")
        prices.append((int(p["price_start_pow10_block1"]), int(p["price_pow10_encoded_block1"])))
    tti = aus.add_time_tariff_interval(ctx.state, rc, start=_moment(ctx, p["start"]),
                                       duration_s=ctx.seconds(float(ctx.value(p["duration_seconds"]))), prices=prices,
                                       response_required=RESPONSE_REQUIRED, tag=str(p.get("tag", "")))
    _keep(ctx, p, "intervals", tti)


@action("cancel-time-tariff-intervals", "cancel the tagged TimeTariffInterval, or every one of the procedure not "
        "over yet (EventStatus 2)")
def _cancel(ctx: Context, p: dict[str, Any]) -> None:
    now = ctx.state.now()
    if p.get("tag"):
        chosen = [_tagged(ctx, p["tag"], TimeTariffInterval, "TimeTariffInterval")]
    else:
        chosen = [t for t in _made(ctx, "intervals") if t.event.status < 2 and now < t.event.latest_end]
    for tti in chosen:
        tti.event.status, tti.event.status_time = 2, now
    ctx.state.changed()


@action("delete-rate-component", "take the tagged RateComponent (and its intervals) off its TariffProfile")
def _delete(ctx: Context, p: dict[str, Any]) -> None:
    aus.remove_rate_component(ctx.state, _tagged(ctx, p["tag"], RateComponent, "RateComponent"))


@action("create-wellknown-route", "list the DeviceCapability paths given (e.g. $randuri_1) for that version in "
        "/.well-known/csipaus")
def _wellknown(ctx: Context, p: dict[str, Any]) -> None:
    aus.add_wellknown_route(ctx.state, str(p["version"]), [str(ctx.value(x)) for x in p.get("dcap_paths") or []])
    ctx.state.changed()


@action("add-proxy-route", "answer the route's path (e.g. $randuri_3) as the path proxy_to (e.g. /dcap)")
def _proxy(ctx: Context, p: dict[str, Any]) -> None:
    aus.add_proxy_route(ctx.state, str(ctx.value(p["route"])), str(ctx.value(p["proxy_to"])))


# --- the check ------------------------------------------------------------------------------------------------
@check("price-response-contents", "the PriceResponses the client posted in this procedure (the latest; for a tagged "
       "interval; with a status; for every interval) exist, or do not")
def _price_responses(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    intervals: list[TimeTariffInterval] = _made(ctx, "intervals")
    ours = {t.mrid.upper() for t in intervals}
    got = [r for r in ctx.state.responses[ctx.responses_start:] if str(r.get("subject", "")).upper() in ours]
    if p.get("subject_tag"):
        tti = ctx.tags.get(str(p["subject_tag"]))
        if not isinstance(tti, TimeTariffInterval):
            return False, f"no TimeTariffInterval tagged {p['subject_tag']} was created"
        got = [r for r in got if str(r.get("subject", "")).upper() == tti.mrid.upper()]
    if p.get("latest"):
        got = got[-1:]
    status = str(p["status"]) if "status" in p else None
    kind = "PriceResponse" + ("" if status is None else f" {status}")
    if p.get("all"):
        said = {str(r.get("subject", "")).upper() for r in got if status is None or str(r.get("status")) == status}
        missing = sorted(ours - said)
        found = not missing
        text = f"no {kind} for {', '.join(missing)}" if missing else f"a {kind} for every interval"
    else:
        match = [r for r in got if status is None or str(r.get("status")) == status]
        found = bool(match)
        text = f"{len(match)} matching PriceResponse(s) of {len(got)} considered"
    exists = bool(p.get("exists", True))
    return found == exists, text if found == exists else f"expected {'a' if exists else 'no'} {kind}: {text}"


# --- what the engine cannot judge, and the server's data around a run ----------------------------------------
def needs(proc: Procedure) -> list[str]:
    """What a procedure needs of the pricing function set beyond the 2030.5 one the server serves (see the module
    text): empty when it can be judged here."""
    rates: dict[str, float] = {}
    for a in proc.actions():
        if a.type == "set-comms-rate":
            rates.update({k: float(v) for k, v in a.parameters.items()
                          if k in ("tp_list_poll_seconds", "tti_list_poll_seconds", "dcap_poll_seconds")})
    tp_rate = rates.get("tp_list_poll_seconds", rates.get("dcap_poll_seconds"))
    counted = any(c.type == "resource-requests" and set(c.parameters.get("resources") or ()) & set(INTERVAL_RESOURCES)
                  for c in proc.criteria)
    if counted and "tti_list_poll_seconds" in rates and rates["tti_list_poll_seconds"] != tp_rate:
        return [COMBINED_LIST]
    if any(a.type == "create-rate-component" for s in proc.steps for a in s.actions):
        return [COMBINED_LIST]
    return []


def put_aside(state: Any, proc: Procedure) -> dict[str, Any]:
    """Each procedure starts without the tariffs and routes other cases left (put back by :func:`put_back`); a
    pricing procedure starts with the TariffProfileList linked, as CACTUS's server always links it."""
    a = state.aus
    saved = {"pricing": a.pricing, "tariffs": list(a.tariffs), "wellknown": a.wellknown,
             "proxy": dict(a.proxy_routes)}
    a.tariffs.clear()
    aus.clear_routes(state)
    a.pricing = any(x.type == "create-tariff-profile" for x in proc.actions())
    return saved


def put_back(state: Any, saved: dict[str, Any]) -> None:
    a = state.aus
    a.tariffs[:] = saved["tariffs"]
    a.pricing, a.wellknown = saved["pricing"], saved["wellknown"]
    a.proxy_routes.clear()
    a.proxy_routes.update(saved["proxy"])

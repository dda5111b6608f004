"""The state API of the fake 2030.5 server's CSIP-AUS features: what a test, or a procedure engine, calls to shape
them. Every function takes the server's :class:`~.resources.Sep2State` (``session.state``), changes it and tells
the notifier (subscribers hear of the change); the client sees it on its next GET.

- ConnectionPoint: :func:`set_connection_point`, :func:`connection_point` (what the client wrote is on its
  :class:`~.resources.Device` too: ``dev.connection_point``). HTTP side: :mod:`.connection_point`.
- Poll and post rates: :func:`set_poll_rate` (one list or resource by path, or every resource of a type by its
  name), :func:`set_post_rate`, :func:`set_comms_rates` (the rates by the CACTUS ``set-comms-rate`` parameter
  names of :data:`COMMS_RATES`). Whether a client kept to them: :mod:`.polling`.
- Events: :func:`cancel_active_controls` (and ``Sep2State.add_control``/``cancel``); the EventStatus of a
  DERControl or TimeTariffInterval is computed at each GET from its start, duration and the server's clock
  (:meth:`.resources.Control.event_status`), :func:`event_status_at` says what it is at a given time.
- Pricing: :func:`enable_pricing`, :func:`add_tariff_profile`, :func:`add_rate_component`,
  :func:`add_time_tariff_interval`, :func:`cancel_time_tariff_intervals`, :func:`remove_rate_component`,
  :func:`find_tagged`. HTTP side: :mod:`.pricing`.
- Routes: :func:`add_wellknown_route`, :func:`add_proxy_route`, :func:`clear_routes`. HTTP side: :mod:`.routes`.
"""

from __future__ import annotations

from typing import Any, Sequence

from . import identity
from .ausdata import READING_TYPE, RateComponent, TariffProfile, TimeTariffInterval, mup_post_rate
from .resources import Control, Device, Program, Sep2State

# CACTUS ``set-comms-rate`` parameter -> ("poll", resource name) or ("post", what posts at it)
COMMS_RATES: dict[str, tuple[str, str]] = {
    "dcap_poll_seconds": ("poll", "DeviceCapability"),
    "edev_list_poll_seconds": ("poll", "EndDeviceList"),
    "fsa_list_poll_seconds": ("poll", "FunctionSetAssignmentsList"),
    "derp_list_poll_seconds": ("poll", "DERProgramList"),
    "der_list_poll_seconds": ("poll", "DERList"),
    "mup_list_poll_seconds": ("poll", "MirrorUsagePointList"),
    "tp_list_poll_seconds": ("poll", "TariffProfileList"),
    # TimeTariffIntervalList has no pollRate attribute in the 2030.5-2018 schema: kept (``poll_rates``) but served
    # nowhere; a client polls it at its TariffProfileList's or DeviceCapability's rate
    "tti_list_poll_seconds": ("poll", "TimeTariffIntervalList"),
    "edev_post_seconds": ("post", "EndDevice"),
    "mup_post_seconds": ("post", "MirrorUsagePoint"),
}


def _positive(seconds: int, what: str) -> int:
    n = int(seconds)
    if n <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, not {seconds!r}")
    return n


# --- ConnectionPoint -----------------------------------------------------------------------------------------
def set_connection_point(state: Sep2State, device: Device | str, connection_point_id: str | None) -> None:
    """Give an EndDevice (the Device or its LFDI) a ConnectionPoint identifier out of band (e.g. the NMI a
    utility registered it with); None removes it (GET answers 404 until the client writes one)."""
    dev = device if isinstance(device, Device) else state.devices[str(identity.normalize_lfdi(device))]
    if connection_point_id is not None and not 0 < len(connection_point_id) <= 32:
        raise ValueError("a connectionPointId is 1 to 32 characters (String32)")
    dev.connection_point = connection_point_id
    state.changed()


def connection_point(state: Sep2State, device: Device | str) -> str | None:
    """The ConnectionPoint identifier held for an EndDevice (written by the client or set by the test)."""
    dev = device if isinstance(device, Device) else state.devices.get(str(identity.normalize_lfdi(device)))
    return None if dev is None else dev.connection_point


# --- poll and post rates -------------------------------------------------------------------------------------
def set_poll_rate(state: Sep2State, path_or_name: str, seconds: int | None) -> None:
    """The pollRate served on one list or resource (`path_or_name` a path such as ``/edev/1/fsa/1/derp``) or on
    every resource of a type (a name such as ``"DERProgramList"``); None removes it (the resource's type's rate,
    else ``poll_rate_s``, applies again). Only resources whose type has a pollRate attribute carry it (the
    2030.5-2018 schema gives one to DeviceCapability, Time, Registration and most lists; not to DERControlList or
    TimeTariffIntervalList)."""
    table = state.aus.path_rates if path_or_name.startswith("/") else state.poll_rates
    if seconds is None:
        table.pop(path_or_name, None)
    else:
        table[path_or_name] = _positive(seconds, "a pollRate")
    state.changed()


def poll_rate(state: Sep2State, name: str, path: str | None = None) -> int:
    """The pollRate the server serves for a resource of type `name` (at `path`)."""
    return state.rate(name, path)


def set_post_rate(state: Sep2State, what: str, seconds: int | None, *, device: Device | None = None) -> None:
    """The postRate the server gives: ``"EndDevice"`` (`device`'s own postRate, or without `device` that of every
    EndDevice without its own, registered now or later) or ``"MirrorUsagePoint"`` (served on every
    MirrorUsagePoint the clients created, and on those created later). None removes it."""
    value = None if seconds is None else _positive(seconds, "a postRate")
    if what == "EndDevice":
        if device is not None:
            device.post_rate = value
        else:
            state.aus.edev_post_rate = value
    elif what == "MirrorUsagePoint":
        state.aus.mup_post_rate = value
        for body in state.mirror_usage_points.values():
            mup_post_rate(body, value)
    else:
        raise ValueError(f"no postRate for {what!r} (EndDevice or MirrorUsagePoint)")
    state.changed()


def set_comms_rates(state: Sep2State, **seconds: int) -> None:
    """Several rates at once by the names of :data:`COMMS_RATES` (the CACTUS ``set-comms-rate`` parameters),
    e.g. ``set_comms_rates(state, dcap_poll_seconds=60, edev_post_seconds=60)``; an unknown name is a
    ValueError (nothing is changed)."""
    unknown = sorted(set(seconds) - set(COMMS_RATES))
    if unknown:
        raise ValueError(f"unknown comms rate(s) {', '.join(unknown)} (known: {', '.join(COMMS_RATES)})")
    for key, value in seconds.items():
        kind, name = COMMS_RATES[key]
        if kind == "poll":
            set_poll_rate(state, name, value)
        else:
            set_post_rate(state, name, value)


# --- events --------------------------------------------------------------------------------------------------
def cancel_active_controls(state: Sep2State, program: Program | None = None, *, status: int = 2) -> list[Control]:
    """Cancel (EventStatus `status`: 2, or 3 with randomization) every DERControl of `program` (None: of every
    program) that is Scheduled or Active now and not yet over; returns them."""
    now = state.now()
    done = []
    for prog in [program] if program is not None else list(state.programs):
        for ctl in prog.controls:
            current = int(ctl.event_status(now, prog.controls)["currentStatus"])
            if current in (0, 1) and now < ctl.latest_end:
                ctl.status, ctl.status_time = status, now
                done.append(ctl)
    state.changed()
    return done


def event_status_at(ctl: Control, at: int, others: Sequence[Control] = ()) -> int:
    """The EventStatus.currentStatus the server serves for `ctl` at server time `at` (0 Scheduled, 1 Active,
    2/3 Cancelled, 4 Superseded), `others` the events beside it (its program's controls, its RateComponent's
    intervals)."""
    return int(ctl.event_status(at, others)["currentStatus"])


# --- pricing -------------------------------------------------------------------------------------------------
def enable_pricing(state: Sep2State, on: bool = True) -> None:
    """Link every group (FunctionSetAssignments) to its TariffProfileList (even while it is empty), or not."""
    state.aus.pricing = on
    state.changed()


def add_tariff_profile(state: Sep2State, primacy: int, *, fsa: int = 1, price_pow10: int = 0,
                       currency: int | None = 36, description: str = "", rate_code: str = "",
                       tag: str = "") -> TariffProfile:
    """A TariffProfile listed in group `fsa` (pricing is turned on). `price_pow10` is its
    pricePowerOfTenMultiplier (prices are significands), `currency` an ISO 4217 number (36: AUD; None: left out),
    `tag` the test's name for it (:func:`find_tagged`)."""
    n = state.next_number()
    tp = TariffProfile(n, state.mrid(0x7A, n), int(primacy), fsa, description, currency, int(price_pow10),
                       rate_code, tag=tag)
    state.aus.tariffs.append(tp)
    state.aus.pricing = True
    state.changed()
    return tp


def add_rate_component(state: Sep2State, tariff: TariffProfile | None = None, *, role_flags: int = 1,
                       description: str = "", tag: str = "", **reading_type: int) -> RateComponent:
    """A RateComponent of `tariff` (None: the newest TariffProfile), pricing the ReadingType given by keyword
    (names of :data:`.ausdata.READING_TYPE`: ``commodity=1, flowDirection=1, uom=72, powerOfTenMultiplier=0``
    ...; the CACTUS parameter spellings ``flow_direction``, ``power_of_ten_multiplier``, ``data_qualifier`` are
    taken too)."""
    tp = tariff if tariff is not None else _newest_tariff(state)
    aliases = {"flow_direction": "flowDirection", "power_of_ten_multiplier": "powerOfTenMultiplier",
               "data_qualifier": "dataQualifier"}
    rt = {aliases.get(k, k): int(v) for k, v in reading_type.items() if v is not None}
    unknown = sorted(set(rt) - set(READING_TYPE))
    if unknown:
        raise ValueError(f"unknown ReadingType element(s) {', '.join(unknown)} (known: {', '.join(READING_TYPE)})")
    n = state.next_number()
    rc = RateComponent(n, state.mrid(0x7C, n), int(role_flags), rt, description, tag=tag)
    tp.components.append(rc)
    state.changed()
    return rc


def add_time_tariff_interval(state: Sep2State, component: RateComponent | None = None, *, start: int,
                             duration_s: int, prices: Sequence[int] | Sequence[tuple[int, int]],
                             tou_tier: int = 1, randomize_start: int | None = None,
                             response_required: str = "00", description: str = "", tag: str = "") -> \
        TimeTariffInterval:
    """A TimeTariffInterval of `component` (None: the newest RateComponent) from `start` (server epoch seconds)
    for `duration_s`. `prices`: one price per consumption block, as significands, or (startValue, price) pairs
    (a bare price list starts block 1 at 0 and block k at k-1 ... give pairs for real thresholds).
    `response_required` is its responseRequired bitmap (hex, e.g. "03")."""
    rc = component if component is not None else _newest_component(state)
    if not prices:
        raise ValueError("a TimeTariffInterval needs at least one price (ConsumptionTariffInterval)")
    blocks = [(int(p[0]), int(p[1])) if isinstance(p, tuple) else (i, int(p)) for i, p in enumerate(prices)]
    n = state.next_number()
    now = state.now()
    ev = Control(n, state.mrid(0x71, n), int(start), int(duration_s), {}, now, description=description,
                 randomize_start=randomize_start, response_required=response_required)
    tti = TimeTariffInterval(n, ev, blocks, int(tou_tier), tag)
    rc.intervals.append(tti)
    state.changed()
    return tti


def cancel_time_tariff_intervals(state: Sep2State, tag: str | None = None, *, status: int = 2) -> \
        list[TimeTariffInterval]:
    """Cancel the TimeTariffIntervals tagged `tag` (None: every one not yet over and not cancelled)."""
    now = state.now()
    done = []
    for tp in state.aus.tariffs:
        for rc in tp.components:
            for tti in rc.intervals:
                ev = tti.event
                if (tag is None and ev.status == 0 and now < ev.latest_end) or (tag is not None and tti.tag == tag):
                    ev.status, ev.status_time = status, now
                    done.append(tti)
    state.changed()
    return done


def remove_rate_component(state: Sep2State, component: RateComponent) -> None:
    """Take a RateComponent (and its intervals) out of its TariffProfile."""
    for tp in state.aus.tariffs:
        if component in tp.components:
            tp.components.remove(component)
    state.changed()


def find_tagged(state: Sep2State, tag: str) -> TariffProfile | RateComponent | TimeTariffInterval | None:
    """The pricing object a test tagged `tag` (the newest if several)."""
    found: Any = None
    for tp in state.aus.tariffs:
        found = tp if tp.tag == tag else found
        for rc in tp.components:
            found = rc if rc.tag == tag else found
            for tti in rc.intervals:
                found = tti if tti.tag == tag else found
    return found


def _newest_tariff(state: Sep2State) -> TariffProfile:
    if not state.aus.tariffs:
        raise ValueError("no TariffProfile yet: add_tariff_profile first")
    return state.aus.tariffs[-1]


def _newest_component(state: Sep2State) -> RateComponent:
    comps = [rc for tp in state.aus.tariffs for rc in tp.components]
    if not comps:
        raise ValueError("no RateComponent yet: add_rate_component first")
    return max(comps, key=lambda rc: rc.number)


# --- routes --------------------------------------------------------------------------------------------------
def add_wellknown_route(state: Sep2State, version: str, dcap_paths: Sequence[str]) -> None:
    """Serve /.well-known/csipaus, naming `dcap_paths` as the DeviceCapability of CSIP-AUS `version` (any text:
    a test may name an unsupported or malformed version). A path other than /dcap needs a proxy route to be
    answered (:func:`add_proxy_route`)."""
    if state.aus.wellknown is None:
        state.aus.wellknown = {}
    state.aus.wellknown[str(version)] = [str(p) for p in dcap_paths]


def add_proxy_route(state: Sep2State, route: str, proxy_to: str) -> None:
    """Answer `route` (a path, or a prefix: every path under it) as `proxy_to` (the same rest of the path)."""
    if not route.startswith("/") or not proxy_to.startswith("/"):
        raise ValueError("proxy routes are absolute paths (starting with /)")
    state.aus.proxy_routes[route] = proxy_to


def clear_routes(state: Sep2State) -> None:
    """No well-known document and no proxy routes (a test's routes do not outlive it)."""
    state.aus.wellknown = None
    state.aus.proxy_routes.clear()

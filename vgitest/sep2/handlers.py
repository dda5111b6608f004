"""What the fake 2030.5 server answers by default: the CSIP resource tree of :mod:`.resources` over HTTP.

A handler gets the request (method, path, query, decoded body) and the client's LFDI (from its TLS
certificate, None on plain HTTP) and returns a :class:`Reply`. Status codes follow 2030.5's HTTP usage:
201 with Location for a created resource, 204 for an accepted PUT/POST with nothing to return, 400 for a
body that is not valid, 403 for another client's resource, 404 for a path the server never gave out, 405
(with Allow) for a method the resource does not take.

Subscriptions: the lists a DER client follows (FunctionSetAssignmentsList, DERProgramList, DERControlList,
ActiveDERControlList) and the DefaultDERControl say ``subscribable="1"`` (non-conditional subscriptions).
A Subscription POSTed for a path this client cannot read is answered 404 (as its GET would be); one for a
resource that is not subscribable, or with a notificationURI that is not an absolute http(s) URI (the schema
requires one), 400 with a SEP2-SUBSCRIPTION finding; one with EXI encoding 400 (this server speaks XML
only). The 2030.5 text we could read names no status code for those refusals: 400 is HTTP's for a request
the server will not carry out as written. A second Subscription for the same resource and notificationURI
updates the first (204, as the standard's Subscription example answers a modified entry).
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from . import identity, rules as r
from .codec import as_list
from .ausdata import mup_post_rate
from .resources import (
    DEFAULT_SETTINGS,
    WHOLE,
    Device,
    Program,
    Sep2State,
    list_body,
    ordered_base,
    page,
)

DER_PARTS = {"dercap": "DERCapability", "derg": "DERSettings", "ders": "DERStatus", "dera": "DERAvailability"}
RESPONSES = "/rsps/1/rsp"
SUBSCRIBABLE = ("FunctionSetAssignmentsList", "DERProgramList", "DERControlList", "DefaultDERControl",
                "TariffProfileList", "TimeTariffIntervalList")  # the last two: CSIP-AUS pricing (pricing.py)
NON_CONDITIONAL = "1"  # SubscribableType: subscriptions without conditions are supported


@dataclasses.dataclass
class Reply:
    status: int
    name: str | None = None  # root element of the body; None: no body
    body: Any = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (rule id, text) on the request
    raw: bytes | None = None  # a body that is not 2030.5 XML (the JSON of /.well-known/csipaus): sent as it is


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    name: str | None  # root element of the body the client sent
    body: Any
    lfdi: str | None  # the client's LFDI, from its TLS certificate


Handler = Callable[[Sep2State, Request, re.Match], Reply]
_ROUTES: list[tuple[re.Pattern, dict[str, Handler]]] = []


def route(pattern: str, **methods: Handler) -> None:
    _ROUTES.append((re.compile(f"^{pattern}$"), methods))


def resolve(path: str) -> tuple[dict[str, Handler], re.Match] | None:
    for rx, methods in _ROUTES:
        m = rx.match(path)
        if m is not None:
            return methods, m
    return None


def allowed(path: str) -> list[str]:
    found = resolve(path)
    return sorted(found[0]) + (["HEAD"] if found and "GET" in found[0] else []) if found else []


# --- helpers ----------------------------------------------------------------------------------------------
def _own(state: Sep2State, req: Request, number: str) -> Device | Reply:
    dev = state.device_by_number(int(number))
    if dev is None:
        return Reply(404)
    if req.lfdi is not None and dev.lfdi != req.lfdi:
        return Reply(403)  # another client's EndDevice
    return dev


def _program(state: Sep2State, req: Request, number: str) -> Program | None:
    """The program at that path, if this client may read it: over TLS (the client known by its LFDI) only when
    one of its groups (FunctionSetAssignments) lists it; another client's program is a path it was never given."""
    prog = next((p for p in state.programs if p.number == int(number)), None)
    if prog is None or req.lfdi is None:
        return prog
    dev = state.devices.get(req.lfdi)
    return prog if dev is not None and prog.fsa in dev.fsas else None


def _visible(state: Sep2State, req: Request) -> list[Device]:
    return [d for d in state.devices.values() if req.lfdi is None or d.lfdi == req.lfdi]


# --- discovery ----------------------------------------------------------------------------------------------
def _dcap(state: Sep2State, req: Request, m: re.Match) -> Reply:
    return Reply(200, "DeviceCapability", {
        "@href": "/dcap", "@pollRate": str(state.rate("DeviceCapability")),
        "ResponseSetListLink": {"@href": "/rsps", "@all": "1"}, "TimeLink": {"@href": "/tm"},
        "EndDeviceListLink": {"@href": "/edev", "@all": str(len(_visible(state, req)))},
        "MirrorUsagePointListLink": {"@href": "/mup", "@all": str(len(state.mirror_usage_points))}})


def _time(state: Sep2State, req: Request, m: re.Match) -> Reply:
    now = state.now()
    return Reply(200, "Time", {"@href": "/tm", "@pollRate": str(state.rate("Time")), "currentTime": str(now),
                               "dstEndTime": "0", "dstOffset": "0", "dstStartTime": "0", "localTime": str(now),
                               "quality": "7", "tzOffset": "0"})


def end_device_body(state: Sep2State, dev: Device) -> dict:
    base = f"/edev/{dev.number}"
    out: dict[str, Any] = {"@href": base, "DERListLink": {"@href": f"{base}/der", "@all": "1"}}
    if dev.device_category is not None:
        out["deviceCategory"] = dev.device_category
    out.update({"lFDI": dev.lfdi, "LogEventListLink": {"@href": f"{base}/lel", "@all": str(
                               len(dev.log_events))},
                           "sFDI": str(dev.sfdi), "changedTime": str(dev.changed), "enabled": "true",
                "FunctionSetAssignmentsListLink": {"@href": f"{base}/fsa", "@all": str(len(dev.fsas))}})
    post_rate = dev.post_rate if dev.post_rate is not None else state.aus.edev_post_rate
    if post_rate is not None:
        out["postRate"] = str(post_rate)
    if state.registration_links:
        out["RegistrationLink"] = {"@href": f"{base}/rg"}
    out["SubscriptionListLink"] = {"@href": f"{base}/sub", "@all": str(len(dev.subscriptions))}
    if state.csip_aus is not None:  # the CSIP-AUS extension of EndDevice: where the client writes its NMI
        out["csipaus:ConnectionPointLink"] = {"@href": f"{base}/cp"}
    return out


def _edev_list(state: Sep2State, req: Request, m: re.Match) -> Reply:
    items, total = page([end_device_body(state, d) for d in _visible(state, req)], req.query)
    return Reply(200, "EndDeviceList", list_body("/edev", "EndDevice", items, total, state.rate("EndDeviceList")))


def _edev_register(state: Sep2State, req: Request, m: re.Match) -> Reply:
    """In-band registration: the client POSTs its EndDevice (sFDI, lFDI); 201 with its location."""
    if req.name != "EndDevice" or not isinstance(req.body, dict):
        return Reply(400)
    sent = identity.normalize_lfdi(str(req.body.get("lFDI", ""))) if req.body.get("lFDI") else None
    if req.lfdi is not None and sent is not None and sent != req.lfdi:
        return Reply(403)  # a direct client registers itself only (its LFDI is its certificate's: SEP2-LFDI)
    key = req.lfdi or sent
    if key is None:
        return Reply(400)
    dev = state.devices.get(key)
    if dev is None:
        if not state.allow_registration:
            return Reply(403)
        dev = state.register_device(key, pin=None)
    category = req.body.get("deviceCategory")
    if isinstance(category, str) and category.strip():
        dev.device_category = category.strip()  # what the device is (EV, charger, storage, ...): kept and served
    return Reply(201, headers={"Location": f"/edev/{dev.number}"})


def _edev(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    return dev if isinstance(dev, Reply) else Reply(200, "EndDevice", end_device_body(state, dev))


def _registration(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if dev.pin is None:
        return Reply(404)  # registered in band, without a PIN on record
    return Reply(200, "Registration", {"@href": f"/edev/{dev.number}/rg", "@pollRate": str(state.rate("Registration")),
                                       "dateTimeRegistered": str(dev.changed), "pIN": str(dev.pin)})


# --- function sets, programs, controls ----------------------------------------------------------------------
def _fsa_body(state: Sep2State, dev: Device, fsa: int) -> dict:
    base = f"/edev/{dev.number}/fsa/{fsa}"
    listed = str(len(_fsa_programs(state, fsa)))
    out: dict[str, Any] = {"@href": base, "DERProgramListLink": {"@href": f"{base}/derp", "@all": listed}}
    if state.aus.pricing:
        out["TariffProfileListLink"] = {"@href": f"{base}/tp",
                                        "@all": str(sum(t.fsa == fsa for t in state.aus.tariffs))}
    return {**out, "TimeLink": {"@href": "/tm"}, "mRID": state.mrid(0xF5, (fsa << 40) | dev.number),
            "description": state.fsa_names.get(fsa, "")[:32]}


def _fsa_programs(state: Sep2State, fsa: int) -> list[Program]:
    return sorted((p for p in state.programs if p.fsa == fsa), key=lambda p: p.primacy)


def _own_fsa(state: Sep2State, req: Request, m: re.Match) -> tuple[Device, int] | Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    fsa = int(m["f"])
    return (dev, fsa) if fsa in dev.fsas else Reply(404)


def _fsa_list(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    items, total = page([_fsa_body(state, dev, f) for f in dev.fsas], req.query)
    return Reply(200, "FunctionSetAssignmentsList", list_body(f"/edev/{dev.number}/fsa", "FunctionSetAssignments",
                                                              items, total, state.rate("FunctionSetAssignmentsList"), NON_CONDITIONAL))


def _fsa(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _own_fsa(state, req, m)
    return got if isinstance(got, Reply) else Reply(200, "FunctionSetAssignments", _fsa_body(state, *got))


def program_body(prog: Program, now: int) -> dict:
    base = f"/derp/{prog.number}"
    out: dict[str, Any] = {"@href": base, "mRID": prog.mrid}
    if prog.description:
        out["description"] = prog.description[:32]
    active = sum(c.active(now, prog.controls) for c in prog.controls)
    out["ActiveDERControlListLink"] = {"@href": f"{base}/actderc", "@all": str(active)}
    if prog.default_base is not None:
        out["DefaultDERControlLink"] = {"@href": f"{base}/dderc"}
    out["DERControlListLink"] = {"@href": f"{base}/derc", "@all": str(len(prog.controls))}
    out["DERCurveListLink"] = {"@href": f"{base}/dc", "@all": str(len(prog.curves))}
    out["primacy"] = str(prog.primacy)
    return out


def _programs(state: Sep2State, req: Request, m: re.Match) -> Reply:
    got = _own_fsa(state, req, m)
    if isinstance(got, Reply):
        return got
    dev, fsa = got
    items, total = page([program_body(p, state.now()) for p in _fsa_programs(state, fsa)], req.query)
    return Reply(200, "DERProgramList", list_body(f"/edev/{dev.number}/fsa/{fsa}/derp", "DERProgram", items, total,
                                                  state.rate("DERProgramList"), NON_CONDITIONAL))


def _one_program(state: Sep2State, req: Request, m: re.Match) -> Reply:
    prog = _program(state, req, m["p"])
    return Reply(404) if prog is None else Reply(200, "DERProgram", program_body(prog, state.now()))


def _default_control(state: Sep2State, req: Request, m: re.Match) -> Reply:
    prog = _program(state, req, m["p"])
    if prog is None or prog.default_base is None:
        return Reply(404)
    settings = {k: prog.default_settings[k] for k in DEFAULT_SETTINGS if k in prog.default_settings}  # schema order
    return Reply(200, "DefaultDERControl", {"@href": f"/derp/{prog.number}/dderc",
                                            "@subscribable": NON_CONDITIONAL, "mRID": prog.default_mrid,
                                            "DERControlBase": ordered_base(prog.default_base), **settings})


def _controls(state: Sep2State, req: Request, m: re.Match, *, active_only: bool = False) -> Reply:
    prog = _program(state, req, m["p"])
    if prog is None:
        return Reply(404)
    now = state.now()
    ctls = [c for c in prog.controls if not active_only or c.active(now, prog.controls)]
    bodies = [c.body(f"/derp/{prog.number}/derc/{c.number}", RESPONSES, now, prog.controls) for c in ctls]
    items, total = page(bodies, req.query)
    href = f"/derp/{prog.number}/{'actderc' if active_only else 'derc'}"
    return Reply(200, "DERControlList", list_body(href, "DERControl", items, total,  # no pollRate in its type
                                                  subscribable=NON_CONDITIONAL))


def _one_control(state: Sep2State, req: Request, m: re.Match) -> Reply:
    prog = _program(state, req, m["p"])
    ctl = next((c for c in prog.controls if c.number == int(m["c"])), None) if prog is not None else None
    if prog is None or ctl is None:
        return Reply(404)
    return Reply(200, "DERControl", ctl.body(f"/derp/{prog.number}/derc/{ctl.number}", RESPONSES, state.now(),
                                             prog.controls))


def _curves(state: Sep2State, req: Request, m: re.Match) -> Reply:
    prog = _program(state, req, m["p"])
    if prog is None:
        return Reply(404)
    items, total = page(list(prog.curves), req.query)
    return Reply(200, "DERCurveList", list_body(f"/derp/{prog.number}/dc", "DERCurve", items, total))


def _one_curve(state: Sep2State, req: Request, m: re.Match) -> Reply:
    """One DERCurve, where a DERControlBase's curve link (e.g. opModVoltVar) points."""
    prog = _program(state, req, m["p"])
    curve = next((c for c in prog.curves if c.get("@href") == req.path), None) if prog is not None else None
    return Reply(404) if curve is None else Reply(200, "DERCurve", dict(curve))


# --- the client's DER ----------------------------------------------------------------------------------------
def _der_list(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    items, total = page([_der_body(dev)], req.query)
    return Reply(200, "DERList", list_body(f"/edev/{dev.number}/der", "DER", items, total, state.rate("DERList")))


def _der_body(dev: Device) -> dict:
    base = f"/edev/{dev.number}/der/1"
    return {"@href": base, "DERAvailabilityLink": {"@href": f"{base}/dera"},
            "DERCapabilityLink": {"@href": f"{base}/dercap"}, "DERSettingsLink": {"@href": f"{base}/derg"},
            "DERStatusLink": {"@href": f"{base}/ders"}}


def _der(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    return dev if isinstance(dev, Reply) else Reply(200, "DER", _der_body(dev))


def _der_part_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    body = dev.der.get(m["part"])
    return Reply(404) if body is None else Reply(200, DER_PARTS[m["part"]], with_href(req.path, body))


def with_href(href: str, body: dict) -> dict:
    """What a client wrote, served back as a resource: with the href it has on this server (a resource in the
    answer to a GET carries its href, whatever the body that was PUT or POSTed said)."""
    return {"@href": href, **{k: v for k, v in body.items() if k != "@href"}}


def _der_part_put(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if req.name != DER_PARTS[m["part"]]:
        return Reply(400)
    dev.der[m["part"]] = req.body if isinstance(req.body, dict) else {}
    return Reply(204)


# --- what the client posts -----------------------------------------------------------------------------------
def _response_sets(state: Sep2State, req: Request, m: re.Match) -> Reply:
    rs = {"@href": "/rsps/1", "mRID": state.mrid(0xE1, 1), "description": "control responses",
          "ResponseListLink": {"@href": RESPONSES, "@all": str(len(state.responses))}}
    items, total = page([rs], req.query)
    return Reply(200, "ResponseSetList", list_body("/rsps", "ResponseSet", items, total, state.rate("ResponseSetList")))


def _responses_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    items, total = page([with_href(f"{RESPONSES}/{i}", b) for i, b in enumerate(state.responses, 1)], req.query)
    return Reply(200, "ResponseList", list_body(RESPONSES, "Response", items, total))


def _response_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    n = int(m["n"])
    if not 1 <= n <= len(state.responses):
        return Reply(404)
    return Reply(200, "Response", with_href(req.path, state.responses[n - 1]))


def _responses_post(state: Sep2State, req: Request, m: re.Match) -> Reply:
    if req.name not in ("Response", "DERControlResponse", "PriceResponse") or not isinstance(req.body, dict):
        return Reply(400)
    state.responses.append(req.body)
    return Reply(201, headers={"Location": f"{RESPONSES}/{len(state.responses)}"})


def _mup_mine(state: Sep2State, req: Request, number: int) -> Reply | None:
    """None when this client may use MirrorUsagePoint `number`; else the refusal (404 unknown, 403 another
    client's: over TLS a mirror belongs to the client that created it)."""
    if number not in state.mirror_usage_points:
        return Reply(404)
    owner = state.mup_owners.get(number)
    return Reply(403) if req.lfdi is not None and owner is not None and owner != req.lfdi else None


def _mup_list(state: Sep2State, req: Request, m: re.Match) -> Reply:
    mine = [b for n, b in state.mirror_usage_points.items() if _mup_mine(state, req, n) is None]
    items, total = page(mine, req.query)
    return Reply(200, "MirrorUsagePointList", list_body("/mup", "MirrorUsagePoint", items, total,
                                                        state.rate("MirrorUsagePointList")))


def _mrids(body: dict) -> set[str]:
    """The mRIDs of a MirrorUsagePoint and of its MirrorMeterReadings (upper case)."""
    out = {str(body.get("mRID", "")).upper()}
    out |= {str(r.get("mRID", "")).upper() for r in as_list(body.get("MirrorMeterReading")) if isinstance(r, dict)}
    return out - {""}


def _mup_create(state: Sep2State, req: Request, m: re.Match) -> Reply:
    """A MirrorUsagePoint is created, or updated when its mRID is one this client mirrors already; one that
    names a mirror or a MirrorMeterReading of another client is refused (403): mRIDs are unique, and a client
    writes only its own readings."""
    if req.name != "MirrorUsagePoint" or not isinstance(req.body, dict):
        return Reply(400)
    mrid = str(req.body.get("mRID", "")).upper()
    theirs = {x for n, b in state.mirror_usage_points.items() if _mup_mine(state, req, n) is not None
              for x in _mrids(b)}
    if _mrids(req.body) & theirs:
        return Reply(403)
    number = next((n for n, b in state.mirror_usage_points.items() if str(b.get("mRID", "")).upper() == mrid),
                  None)
    if number is None:
        number = state.next_number()
        state.mup_owners[number] = req.lfdi
    _store_mup(state, number, req.body)
    return Reply(201, headers={"Location": f"/mup/{number}"})


def _store_mup(state: Sep2State, number: int, body: dict) -> None:
    """Keep a MirrorUsagePoint as the client wrote it (with its href) and the readings it carries."""
    state.mirror_usage_points[number] = {"@href": f"/mup/{number}", **{k: v for k, v in body.items() if k != "@href"}}
    if state.aus.mup_post_rate is not None:  # the rate the utility set (aus.set_post_rate) is the one served
        mup_post_rate(state.mirror_usage_points[number], state.aus.mup_post_rate)
    for reading in as_list(body.get("MirrorMeterReading")):
        state.readings.append((number, reading, time.time() + state.time_offset_s))


def _mup_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    number = int(m["n"])
    refused = _mup_mine(state, req, number)
    return refused or Reply(200, "MirrorUsagePoint", state.mirror_usage_points[number])


def _mup_put(state: Sep2State, req: Request, m: re.Match) -> Reply:
    number = int(m["n"])
    refused = _mup_mine(state, req, number)
    if refused is not None:
        return refused
    if req.name != "MirrorUsagePoint" or not isinstance(req.body, dict):
        return Reply(400)
    _store_mup(state, number, req.body)
    return Reply(204)


def _mup_delete(state: Sep2State, req: Request, m: re.Match) -> Reply:
    number = int(m["n"])
    refused = _mup_mine(state, req, number)
    if refused is not None:
        return refused
    state.mirror_usage_points.pop(number, None)
    state.mup_owners.pop(number, None)
    return Reply(204)


def _mup_post(state: Sep2State, req: Request, m: re.Match) -> Reply:
    number = int(m["n"])
    refused = _mup_mine(state, req, number)
    if refused is not None:
        return refused
    if req.name not in ("MirrorMeterReading", "MirrorMeterReadingList", "MirrorUsagePoint"):
        return Reply(400)
    body = req.body if isinstance(req.body, dict) else {}
    readings = as_list(body.get("MirrorMeterReading")) if req.name != "MirrorMeterReading" else [body]
    for reading in readings:
        state.readings.append((number, reading, time.time() + state.time_offset_s))
    return Reply(204)


def _log_post(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if req.name != "LogEvent" or not isinstance(req.body, dict):
        return Reply(400)
    dev.log_events.append(req.body)
    return Reply(201, headers={"Location": f"/edev/{dev.number}/lel/{len(dev.log_events)}"})


def _log_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    base = f"/edev/{dev.number}/lel"
    items, total = page([with_href(f"{base}/{i}", b) for i, b in enumerate(dev.log_events, 1)], req.query)
    return Reply(200, "LogEventList", list_body(f"/edev/{dev.number}/lel", "LogEvent", items, total,
                                                state.rate("LogEventList")))


def _log_one(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    n = int(m["n"])
    return Reply(200, "LogEvent", with_href(req.path, dev.log_events[n - 1])) if 1 <= n <= len(dev.log_events) \
        else Reply(404)


def _sub_post(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if req.name != "Subscription" or not isinstance(req.body, dict):
        return Reply(400)
    body = req.body
    path = urlsplit(str(body.get("subscribedResource", ""))).path  # a query string is ignored, as the schema says
    served = answer(state, Request("GET", path, WHOLE, None, None, dev.lfdi)) if path.startswith("/") else Reply(404)
    if served.status != 200:
        return Reply(404)
    if served.name not in SUBSCRIBABLE:
        return Reply(400, problems=[(r.SUBSCRIPTION, f"Subscription to {path}, a {served.name} this server does "
                                     "not offer for subscription (no subscribable attribute)")])
    uri = urlsplit(str(body.get("notificationURI", "")))
    if uri.scheme not in ("http", "https") or not uri.netloc:
        return Reply(400, problems=[(r.SUBSCRIPTION, f"Subscription to {path} with notificationURI "
                                     f"{body.get('notificationURI')!r}, not an absolute http(s) URI")])
    if str(body.get("encoding", "0")).strip() != "0":
        return Reply(400)  # 1 is EXI: this server sends application/sep+xml only
    record = {"@href": "", **{k: v for k, v in body.items() if k != "@href"}, "subscribedResource": path}
    same = next((k for k, s in dev.subscriptions.items() if s.get("subscribedResource") == path
                 and s.get("notificationURI") == body.get("notificationURI")), None)
    n = same if same is not None else state.next_number()
    href = record["@href"] = f"/edev/{dev.number}/sub/{n}"
    dev.subscriptions[n] = record
    state.notified[href] = served_key(served)  # changes are judged from what the resource is now
    return Reply(204) if same is not None else Reply(201, headers={"Location": href})


def served_key(reply: Reply) -> Any:
    """What a notifier compares to tell whether a subscribed resource changed: its status and representation."""
    return (reply.status, reply.name, repr(reply.body))


def _sub_list(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    items, total = page(list(dev.subscriptions.values()), req.query)
    return Reply(200, "SubscriptionList", list_body(f"/edev/{dev.number}/sub", "Subscription", items, total,
                                                    state.rate("SubscriptionList")))


def _sub_get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    sub = dev.subscriptions.get(int(m["k"]))
    return Reply(404) if sub is None else Reply(200, "Subscription", sub)


def _sub_delete(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    sub = dev.subscriptions.pop(int(m["k"]), None)
    if sub is None:
        return Reply(404)
    state.notified.pop(sub["@href"], None)
    return Reply(204)


route("/dcap", GET=_dcap)
route("/tm", GET=_time)
route("/edev", GET=_edev_list, POST=_edev_register)
route(r"/edev/(?P<i>\d+)", GET=_edev)
route(r"/edev/(?P<i>\d+)/rg", GET=_registration)
route(r"/edev/(?P<i>\d+)/fsa", GET=_fsa_list)
route(r"/edev/(?P<i>\d+)/fsa/(?P<f>\d+)", GET=_fsa)
route(r"/edev/(?P<i>\d+)/fsa/(?P<f>\d+)/derp", GET=_programs)
route(r"/derp/(?P<p>\d+)", GET=_one_program)
route(r"/derp/(?P<p>\d+)/dderc", GET=_default_control)
route(r"/derp/(?P<p>\d+)/derc", GET=_controls)
route(r"/derp/(?P<p>\d+)/actderc", GET=lambda s, r, m: _controls(s, r, m, active_only=True))
route(r"/derp/(?P<p>\d+)/derc/(?P<c>\d+)", GET=_one_control)
route(r"/derp/(?P<p>\d+)/dc", GET=_curves)
route(r"/derp/(?P<p>\d+)/dc/(?P<c>\d+)", GET=_one_curve)
route(r"/edev/(?P<i>\d+)/der", GET=_der_list)
route(r"/edev/(?P<i>\d+)/der/1", GET=_der)
route(r"/edev/(?P<i>\d+)/der/1/(?P<part>dercap|derg|ders|dera)", GET=_der_part_get, PUT=_der_part_put)
route("/rsps", GET=_response_sets)
route(RESPONSES, GET=_responses_get, POST=_responses_post)
route(RESPONSES + r"/(?P<n>\d+)", GET=_response_get)  # where the Location of a POSTed Response points
route("/mup", GET=_mup_list, POST=_mup_create)
# MirrorUsagePoint: the 2030.5 WADL has POST (readings), PUT and DELETE mandatory for a server, GET and HEAD
# optional; a client that reads its mirror back (e.g. for the postRate) uses a method the resource has.
route(r"/mup/(?P<n>\d+)", GET=_mup_get, PUT=_mup_put, POST=_mup_post, DELETE=_mup_delete)
route(r"/edev/(?P<i>\d+)/lel", GET=_log_get, POST=_log_post)
route(r"/edev/(?P<i>\d+)/lel/(?P<n>\d+)", GET=_log_one)  # where the Location of a POSTed LogEvent points
route(r"/edev/(?P<i>\d+)/sub", GET=_sub_list, POST=_sub_post)
route(r"/edev/(?P<i>\d+)/sub/(?P<k>\d+)", GET=_sub_get, DELETE=_sub_delete)


def answer(state: Sep2State, req: Request) -> Reply:
    """The default answer to a request (never raises for what a client sends). A proxy route (see
    :func:`.aus.add_proxy_route`) answers as its target path; a pollRate set for the path (``aus.set_poll_rate``)
    replaces the one the resource's type has."""
    if req.lfdi is not None and req.lfdi in state.denied:
        return Reply(403)  # the utility revoked this client's access
    target = state.aus.proxied(req.path)
    if target is not None:
        req = dataclasses.replace(req, path=target)
    reply = _answer(state, req)
    if req.path in state.aus.path_rates and isinstance(reply.body, dict) and "@pollRate" in reply.body:
        reply.body = {**reply.body, "@pollRate": str(state.aus.path_rates[req.path])}  # (a copy: never the stored)
    return reply


def _answer(state: Sep2State, req: Request) -> Reply:
    found = resolve(req.path)
    if found is None:
        return Reply(404)
    methods, m = found
    method = "GET" if req.method == "HEAD" else req.method
    handler = methods.get(method)
    if handler is None:
        return Reply(405, headers={"Allow": ", ".join(allowed(req.path))})
    return handler(state, req, m)


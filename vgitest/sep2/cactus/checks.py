"""The CACTUS check types this harness implements, each a judgement of the fake server's records (what the client
wrote, requested and answered) through a :class:`~.context.Context`: ``(holds, what was found)``. A type missing
here, or a parameter an implementation refuses (``Unsupported``), makes the procedure NOT_APPLICABLE naming it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ...trace import Direction
from .. import identity
from ..server import path_matches
from . import paths
from .context import Context, Unsupported, quantity
from .versions import STORAGE as STORAGE_VERSION
from .readings import CHECKS as READINGS

Outcome = tuple[bool, str]
CheckFn = Callable[[Context, dict[str, Any], int], Outcome]  # (context, parameters, trace index of the start)
CHECKS: dict[str, CheckFn] = {}
SUMMARY: dict[str, str] = {}
NOT_SERVED: dict[str, str] = {}


def check(name: str, summary: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS[name], SUMMARY[name] = fn, summary
        return fn
    return register


STORAGE = ("CSIP-AUS v1.3-beta storage elements (vppModes, setMinWh) in a procedure that does not target "
           "v1.3-beta/storage")


def refused(params: dict[str, Any], storage: bool = False) -> list[str]:
    """The capabilities the given parameters need that the server lacks (`storage`: it speaks CSIP-AUS v1.3-beta
    storage, whose elements vppModes* and setMinWh v1.2 does not have)."""
    out = [NOT_SERVED[k] for k, v in params.items() if k in NOT_SERVED and v]
    return out + ([] if storage else [STORAGE for k in params if k.startswith("vppModes") or k == "setMinWh"][:1])


@check("all-steps-complete", "every step (but the ignored ones) was reached and is no longer listening")
def _steps(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    ignored = set(p.get("ignored_steps") or ())
    listening = sorted(s for s in ctx.steps.active if s not in ignored)
    never = sorted(s for s in ctx.all_steps if s not in ctx.steps.enabled and s not in ignored)
    parts = ([f"still waiting for {', '.join(listening)}"] if listening else []) + \
        ([f"never reached {', '.join(never)}"] if never else [])
    return not parts, "; ".join(parts) or "every step complete"


def _element(body: dict | None, key: str) -> Any:
    if body is None:
        return None
    return body.get(key, body.get(f"csipaus:{key}"))


def _bits(value: Any) -> int | None:
    raw = value.get("value") if isinstance(value, dict) else value
    try:
        return int(str(raw), 16)
    except ValueError:
        return None


def _contents(ctx: Context, part: str, what: str, p: dict[str, Any]) -> Outcome:
    """A DER description the client PUT (`part`), judged element by element: ``X_set``/``X_unset`` hex masks,
    ``X: true/false`` present or absent, ``X: $(this ...)`` a comparison, ``X: <number>`` equal."""
    body = ctx.der_part(part)
    if body is None:
        return False, f"the client has not sent its {what}"
    bad = []
    for key, want in p.items():
        name, _, mode = key.partition("_")
        if mode in ("set", "unset"):
            mask, got = int(str(want), 16), _bits(_element(body, name))
            ok = got is not None and (got & mask == mask if mode == "set" else got & mask == 0)
            if not ok:
                bad.append(f"{name} {got if got is None else format(got, 'X')} has not every bit of {want} "
                           f"{'set' if mode == 'set' else 'clear'}")
            continue
        value = _element(body, key)
        judged = ctx.value(want)
        if callable(judged):
            number = quantity(value)
            try:
                ok = number is not None and judged(number)
            except Exception as exc:  # a variable the client never described
                ok, number = False, f"{number} (not comparable: {exc})"
            if not ok:
                bad.append(f"{key} = {number} does not satisfy {want}")
        elif isinstance(judged, bool):
            if (value is not None) != judged:
                bad.append(f"{key} is {'absent' if value is None else 'present'}")
        else:
            number = quantity(value)
            if number is None or abs(number - float(judged)) > 1e-9:
                bad.append(f"{key} = {number}, expected {judged}")
    return not bad, "; ".join(bad) or f"{what} as expected"


@check("der-settings-contents", "the client sent its DERSettings, with the elements, bits and values asked")
def _settings(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    return _contents(ctx, "derg", "DERSettings", p)


@check("der-capability-contents", "the client sent its DERCapability, with the elements, bits and values asked")
def _capability(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    return _contents(ctx, "dercap", "DERCapability", p)


@check("der-status-contents", "the client sent its DERStatus, with the statuses (and genConnectStatus bits) asked")
def _status(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    body = ctx.der_part("ders")
    if body is None:
        return False, "the client has not sent its DERStatus"
    bad = []
    for key, want in p.items():
        m = re.fullmatch(r"(\w+?)_bit(\d)", key)
        name = m.group(1) if m else key
        element = _element(body, name)
        raw = element.get("value") if isinstance(element, dict) else element
        try:
            got = int(str(raw), 16) if name in ("genConnectStatus", "alarmStatus") else int(str(raw))
        except ValueError:
            bad.append(f"{name} is absent")
            continue
        if m:
            if bool(got >> int(m.group(2)) & 1) != bool(want):
                bad.append(f"{name} bit {m.group(2)} is {got >> int(m.group(2)) & 1}")
        elif got != int(want):
            bad.append(f"{name} = {got}, expected {want}")
    return not bad, "; ".join(bad) or "DERStatus as expected"


@check("end-device-contents", "the client's EndDevice is on the server (a ConnectionPoint identifier when "
       "has_connection_point_id; deviceCategory bits; LFDI and SFDI well-formed and consistent when check_lfdi)")
def _end_device(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    dev = ctx.device()
    if dev is None:
        return False, "the client's EndDevice is not registered"
    bad = []
    if p.get("has_connection_point_id") and not getattr(dev, "connection_point", None):
        bad.append("the EndDevice has no ConnectionPoint identifier")
    if "deviceCategory_anyset" in p:
        mask, got = int(str(p["deviceCategory_anyset"]), 16), _bits(dev.device_category or "")
        if got is None or not got & mask:
            bad.append(f"deviceCategory {dev.device_category} sets none of the bits {p['deviceCategory_anyset']}")
    if p.get("check_lfdi"):
        if not re.fullmatch(r"[0-9A-F]{40}", dev.lfdi) or dev.sfdi != identity.sfdi(dev.lfdi):
            bad.append(f"LFDI {dev.lfdi} / SFDI {dev.sfdi} are not a consistent pair")
    return not bad, "; ".join(bad) or "EndDevice as expected"


@check("end-device-count", "the number of EndDevices on the server is within the bounds")
def _count(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    n = len(ctx.state.devices)
    ok = n >= int(p.get("minimum_count", 0)) and ("maximum_count" not in p or n <= int(p["maximum_count"]))
    return ok, f"{n} EndDevice(s) registered"


@check("response-contents", "the Responses the client posted in this procedure (the latest; for a tagged control; "
       "with a status; for every control) exist, or do not")
def _responses(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    got = ctx.state.responses[ctx.responses_start:]
    if p.get("subject_tag"):
        ctl = ctx.tags.get(str(p["subject_tag"]))
        if ctl is None:
            return False, f"no control tagged {p['subject_tag']} was created"
        got = [r for r in got if str(r.get("subject", "")).upper() == ctl.mrid.upper()]
    if p.get("latest"):
        got = got[-1:]
    status = str(p["status"]) if "status" in p else None
    if p.get("all"):
        want = {c.mrid.upper() for _, c in ctx.controls}
        said = {str(r.get("subject", "")).upper() for r in got if status is None or str(r.get("status")) == status}
        missing = sorted(want - said)
        found = not missing
        text = f"no Response{'' if status is None else ' ' + status} for {', '.join(missing)}" if missing \
            else f"a Response{'' if status is None else ' ' + status} for every control"
    else:
        match = [r for r in got if status is None or str(r.get("status")) == status]
        found = bool(match)
        text = f"{len(match)} matching Response(s) of {len(got)} considered"
    exists = p.get("exists", True)
    return found == bool(exists), text if found == bool(exists) else \
        f"expected {'a' if exists else 'no'} Response{'' if status is None else ' with status ' + status}: {text}"


@check("subscription-contents", "the client holds a Subscription to the resource")
def _subscription(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    glob = ctx.glob(str(p["subscribed_resource"]))
    held = ctx.session.subscriptions(glob)
    return bool(held), f"{len(held)} Subscription(s) to {glob}"


@check("all-notifications-transmitted", "every Notification the server sent in this procedure was taken (2xx)")
def _notified(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    trace = ctx.session.server.trace
    sent = [f for f in trace.since(start) if f.direction is Direction.OUT and f.kind == "REQUEST"
            and f.meta.get("notification")]
    answers = {f.correlation: f for f in trace.since(start) if f.direction is Direction.IN and f.kind == "RESPONSE"}
    bad = [f for f in sent if not 200 <= int((answers.get(f.correlation) or f).meta.get("status") or 0) < 300]
    return not bad, f"{len(sent) - len(bad)} of {len(sent)} Notification(s) taken"


def _requests(ctx: Context, start: int, method: str | None = None) -> list[Any]:
    return [f for f in ctx.session.server.trace.since(start) if f.direction is Direction.IN and f.kind == "REQUEST"
            and (method is None or f.meta.get("method") == method)]


@check("resource-requests", "the client requested the resources a number of times within the bounds")
def _resource_requests(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    globs = []
    for name in p["resources"]:
        if name not in paths.RESOURCE_GLOBS:
            raise Unsupported(f"resource {name}")
        globs.append(paths.RESOURCE_GLOBS[name])
    n = sum(1 for f in _requests(ctx, start) if any(path_matches(g, str(f.meta.get("path"))) for g in globs))
    ok = n >= int(p.get("minimum_count", 0)) and ("maximum_count" not in p or n <= int(p["maximum_count"]))
    return ok, f"{n} request(s) to {', '.join(p['resources'])}"


@check("all-polls-at-correct-time", "each endpoint (each concrete path of a wildcard) was requested at the interval "
       "(scaled): a gap over 1.5 intervals is a miss, one miss per 5 intervals allowed, at most 4 requests in any "
       "3 intervals")
def _polls(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
    interval = ctx.seconds(float(p["poll_interval_seconds"]))
    frames = _requests(ctx, start, str(p["request_type_str"]).upper())
    bad = []
    for endpoint in p["endpoints"]:
        glob = ctx.glob(str(endpoint))
        by_path: dict[str, list[float]] = {}
        for f in frames:
            if path_matches(glob, str(f.meta.get("path"))):
                by_path.setdefault(str(f.meta.get("path")), []).append(f.t_ns / 1e9)
        if not by_path:
            bad.append(f"no {p['request_type_str']} of {endpoint}")
        for path, times in by_path.items():
            misses = [b for a, b in zip(times, times[1:]) if b - a > 1.5 * interval]
            crowded = [misses[i] for i in range(1, len(misses)) if misses[i] - misses[i - 1] < 5 * interval]
            over = [t for i, t in enumerate(times) if sum(1 for u in times[i:] if u - t < 3 * interval) > 4]
            if crowded:
                bad.append(f"{path}: two missed polls within {5 * interval} s")
            if over:
                bad.append(f"{path}: more than 4 requests within {3 * interval} s")
    return not bad, "; ".join(bad) or "polled on time"


def run(ctx: Context, check_: Any, start: int) -> Outcome:
    fn = CHECKS.get(check_.type)
    if fn is None:
        raise Unsupported(f"check {check_.type}")
    bad = refused(check_.parameters, storage=ctx.version == STORAGE_VERSION)
    if bad:
        raise Unsupported(", ".join(bad))
    return fn(ctx, check_.parameters, start)


for _name, (_summary, _fn) in READINGS.items():  # the readings-* checks (readings.py)
    check(_name, _summary)(_fn)

"""The CACTUS action types this harness implements, each over the fake server's state through a
:class:`~.context.Context`. A type missing here, or a parameter an implementation refuses (``Unsupported``), makes
the procedure NOT_APPLICABLE naming it. Times and durations are scaled by the run's time scale (docs/csip-aus.md).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..aus import set_post_rate
from ..server import Raw
from .context import Context, Failed, Unsupported
from .expressions import At
from .paths import STORAGE_CONTROL
from .versions import STORAGE

ActionFn = Callable[[Context, dict[str, Any]], None]
ACTIONS: dict[str, ActionFn] = {}
# What each type does here, in our words (docs/csip-aus.md lists them)
SUMMARY: dict[str, str] = {}

LIMITS = ("opModImpLimW", "opModExpLimW", "opModGenLimW", "opModLoadLimW")  # CSIP-AUS v1.2 (csipaus:)
RATES = {"dcap_poll_seconds": "DeviceCapability", "edev_list_poll_seconds": "EndDeviceList",
         "fsa_list_poll_seconds": "FunctionSetAssignmentsList", "derp_list_poll_seconds": "DERProgramList",
         "der_list_poll_seconds": "DERList", "mup_list_poll_seconds": "MirrorUsagePointList",
         # the pricing lists' (the TariffProfileList's pollRate covers the resources below it; the
         # TimeTariffIntervalList has no pollRate in the schema: kept, served nowhere, see .pricing)
         "tp_list_poll_seconds": "TariffProfileList", "tti_list_poll_seconds": "TimeTariffIntervalList"}
PRICING_RATES = ("TariffProfileList", "TimeTariffIntervalList")  # never the default of other resources
NOT_SERVED = {"end_device_indexes": "several EndDevices (aggregator)", "nmi": "ConnectionPoint resource (NMI)"}


def action(name: str, summary: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name], SUMMARY[name] = fn, summary
        return fn
    return register


def refused(params: dict[str, Any]) -> list[str]:
    """The capabilities the given parameters need that the server lacks."""
    return [NOT_SERVED[k] for k in params if k in NOT_SERVED]


def watts(w: float, multiplier: int | None = None) -> dict[str, str]:
    """An ActivePower: the smallest power-of-ten multiplier whose value fits an Int16 (or the one given)."""
    m = multiplier if multiplier is not None else 0
    while multiplier is None and abs(round(w / 10 ** m)) > 32767:
        m += 1
    return {"multiplier": str(m), "value": str(int(round(w / 10 ** m)))}


def _base(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    mult = p.get("pow_10_multipliers")
    base: dict[str, Any] = {}
    for key in ("opModConnect", "opModEnergize"):
        if key in p:
            base[key] = "true" if ctx.value(p[key]) else "false"
    if "opModFixedW" in p:
        base["opModFixedW"] = str(int(round(float(ctx.value(p["opModFixedW"])) * 100)))  # SignedPerCent
    if "ramp_time_seconds" in p:
        base["rampTms"] = str(int(round(float(ctx.value(p["ramp_time_seconds"])) * 100)))
    for key in LIMITS:
        if key in p:
            base[f"csipaus:{key}"] = watts(float(ctx.value(p[key])), None if mult is None else int(mult))
    if "opModStorageTargetW" in p:  # CSIP-AUS v1.3-beta storage: served only while the server speaks it
        if ctx.version != STORAGE:
            raise Unsupported(STORAGE_CONTROL)
        base["csipaus:opModStorageTargetW"] = watts(float(ctx.value(p["opModStorageTargetW"])),
                                                    None if mult is None else int(mult))
    return base


@action("enable-steps", "start listening for the named steps' events")
def _enable(ctx: Context, p: dict[str, Any]) -> None:
    ctx.steps.enable(list(p.get("steps") or []))


@action("remove-steps", "stop listening for the named steps (a step is complete once removed)")
def _remove(ctx: Context, p: dict[str, Any]) -> None:
    ctx.steps.remove(list(p.get("steps") or []))


@action("finish-test", "end the procedure now and judge its criteria (a fail message fails it)")
def _finish(ctx: Context, p: dict[str, Any]) -> None:
    ctx.steps.finished = True
    if p.get("fail_message"):
        ctx.fail_message = str(p["fail_message"])
        raise Failed(ctx.fail_message)


@action("create-der-program", "a DERProgram of that primacy in group 1 (or the group fsa_id), numbered in "
        "creation order, with an empty DefaultDERControl")
def _program(ctx: Context, p: dict[str, Any]) -> None:
    ctx.removed_groups.discard(int(p.get("fsa_id", 1)))  # a program in a group taken away brings it back
    fsa = ctx.group(int(p.get("fsa_id", 1)))
    # with a DefaultDERControl that sets nothing yet, as CACTUS serves one for every program (a client may subscribe
    # to it before set-default-der-control fills it)
    prog = ctx.state.add_program(int(p["primacy"]), description=f"cactus p{len(ctx.programs) + 1}", fsa=fsa,
                                 default={})
    ctx.programs.append(prog)
    if p.get("tag"):
        ctx.tags[str(p["tag"])] = prog


def _program_for(ctx: Context, p: dict[str, Any]) -> Any:
    if p.get("der_program_tag"):
        prog = ctx.tags.get(str(p["der_program_tag"]))
        if prog is None:
            raise Unsupported(f"a DERProgram tagged {p['der_program_tag']} that the procedure never made")
        return prog
    if "primacy" in p or "fsa_id" in p:
        fsa = ctx.group(int(p.get("fsa_id", 1)))
        found = [g for g in ctx.programs if g.fsa == fsa and ("primacy" not in p or g.primacy == int(p["primacy"]))]
        if found:
            return found[0]
        _program(ctx, {"primacy": int(p.get("primacy", 0)), "fsa_id": int(p.get("fsa_id", 1))})
        return ctx.programs[-1]
    if not ctx.programs:
        _program(ctx, {"primacy": 0})
    return ctx.programs[0]


@action("set-default-der-control", "set (or, with cancelled, replace) the DefaultDERControl of program 1 (or "
        "derp_id): CSIP-AUS limits and setGradW")
def _default(ctx: Context, p: dict[str, Any]) -> None:
    prog = ctx.program(str(p.get("derp_id", 1))) if ctx.programs or "derp_id" in p else _program_for(ctx, {})
    base = _base(ctx, p)
    if p.get("cancelled"):
        prog.default_base, prog.default_settings = base, {}
    else:
        prog.default_base = {**(prog.default_base or {}), **base}
    if "setGradW" in p:
        prog.default_settings = {**prog.default_settings, "setGradW": str(int(ctx.value(p["setGradW"])))}
    if not prog.default_mrid:
        prog.default_mrid = ctx.state.mrid(0xD1, prog.number)
    ctx.state.changed()


@action("create-der-control", "a DERControl in program 1 (or by tag, primacy, group): start and duration scaled, "
        "randomizeStart scaled, rampTms, opModConnect/Energize/FixedW, the CSIP-AUS limits and (v1.3-beta/storage) "
        "opModStorageTargetW")
def _control(ctx: Context, p: dict[str, Any]) -> None:
    prog = _program_for(ctx, p)
    start = ctx.value(p["start"])
    if not isinstance(start, At):
        raise Unsupported(f"a control start that is not relative to now ({p['start']!r})")
    kwargs: dict[str, Any] = {}
    if "randomizeStart_seconds" in p:
        kwargs["randomize_start"] = ctx.seconds(float(ctx.value(p["randomizeStart_seconds"])))
    ctl = ctx.state.add_control(prog, _base(ctx, p), start_in_s=ctx.seconds(start.offset),
                                duration_s=ctx.seconds(float(ctx.value(p["duration_seconds"]))), **kwargs)
    ctx.controls.append((prog, ctl))
    if p.get("tag"):
        ctx.tags[str(p["tag"])] = ctl


@action("cancel-active-der-controls", "cancel every control of the procedure that has not ended (EventStatus 2)")
def _cancel(ctx: Context, p: dict[str, Any]) -> None:
    now = ctx.state.now()
    for _, ctl in ctx.controls:
        if ctl.status < 2 and now < ctl.latest_end:
            ctx.state.cancel(ctl)


@action("set-comms-rate", "the pollRates of DeviceCapability and the lists (scaled; the DeviceCapability's, else the "
        "shortest given, is also the default of every other resource), the EndDevice postRate and the postRate "
        "served on the client's MirrorUsagePoints (scaled)")
def _rates(ctx: Context, p: dict[str, Any]) -> None:
    given = {RATES[k]: ctx.seconds(float(ctx.value(v))) for k, v in p.items() if k in RATES}
    ctx.state.poll_rates.update(given)
    basic = {k: v for k, v in given.items() if k not in PRICING_RATES}
    if basic:  # the default of the resources without a rate of their own: the DeviceCapability's, which a client
        # falls back to for them
        ctx.state.poll_rate_s = basic.get("DeviceCapability", min(basic.values()))
    if "edev_post_seconds" in p:
        ctx.post_rate = ctx.seconds(float(ctx.value(p["edev_post_seconds"])))
        dev = ctx.device()
        if dev is not None:
            dev.post_rate = ctx.post_rate
    if "mup_post_seconds" in p:
        set_post_rate(ctx.state, "MirrorUsagePoint", ctx.seconds(float(ctx.value(p["mup_post_seconds"]))))
    ctx.state.changed()


@action("communications-status", "enabled false: every request is answered HTTP 500 until enabled again")
def _comms(ctx: Context, p: dict[str, Any]) -> None:
    if ctx.value(p["enabled"]):
        ctx.session.server.outage_until = 0.0
    else:
        ctx.session.outage(1e9, 500)


@action("edev-registration-links", "EndDevices link their Registration, or (enabled false) do not")
def _registration_links(ctx: Context, p: dict[str, Any]) -> None:
    ctx.state.registration_links = bool(ctx.value(p["enabled"]))
    ctx.state.changed()


@action("register-end-device", "out-of-band registration of the client's LFDI with the PIN given (its check digit "
        "appended); the aggregator fields apply to aggregator certificates only")
def _register(ctx: Context, p: dict[str, Any]) -> None:
    if ctx.lfdi is None:
        raise Unsupported("out-of-band registration without the client's LFDI (TLS)")
    pin = None
    if "registration_pin" in p:
        digits = str(int(ctx.value(p["registration_pin"])))
        pin = int(digits + str((10 - sum(map(int, digits)) % 10) % 10))
    ctx.state.devices.pop(ctx.lfdi, None)
    dev = ctx.state.register_device(ctx.lfdi, pin=pin)
    if ctx.post_rate is not None:
        dev.post_rate = ctx.post_rate
    ctx.assign_groups()


@action("remove-function-set-assignment", "take group fsa_id off the client's FunctionSetAssignmentsList with the "
        "programs it holds (a program created in that group later brings the group back, at a new href: a "
        "relocated program)")
def _ungroup(ctx: Context, p: dict[str, Any]) -> None:
    fsa_id = int(p["fsa_id"])
    ctx.removed_groups.add(fsa_id)
    number = ctx.groups.get(fsa_id)
    for prog in [g for g in ctx.state.programs if g.fsa == number]:
        ctx.state.programs.remove(prog)  # still the procedure's (ctx.programs): taken away at its end anyway
    ctx.assign_groups()


@action("force-response-status", "answer the endpoint with that HTTP status (and Retry-After, scaled) for "
        "duration_seconds (scaled) or until the procedure ends")
def _force(ctx: Context, p: dict[str, Any]) -> None:
    glob = ctx.glob(str(p["endpoint"]))
    headers = {}
    if "retry_after_seconds" in p:
        headers["Retry-After"] = str(ctx.seconds(float(ctx.value(p["retry_after_seconds"]))))
    answer = Raw(int(p["status"]), b"", headers)
    for method in ("GET", "HEAD", "POST", "PUT", "DELETE"):
        ctx.session.override(method, glob, answer)
    if "duration_seconds" in p:
        until = ctx.seconds(float(ctx.value(p["duration_seconds"])))

        def undo() -> None:
            for method in ("GET", "HEAD", "POST", "PUT", "DELETE"):
                ctx.session.clear_override(method, glob)
        ctx.timers.append((time.monotonic() + until, undo))


USES_PROGRAM = ("create-der-control", "set-default-der-control")


def ordered(actions: list[Any]) -> list[Any]:
    """A list of actions with each program creation moved before the first control or default it follows: a
    procedure may name a control before the program it goes into (CACTUS creates both at once). Nothing else moves:
    P-04 takes a group away and then creates a program in it (the group comes back with the relocated program);
    putting every creation first removed the new program with the group."""
    out: list[Any] = []
    for a in actions:
        at = next((i for i, b in enumerate(out) if b.type in USES_PROGRAM), len(out)) \
            if a.type == "create-der-program" else len(out)
        out.insert(at, a)
    return out


def run(ctx: Context, actions: list[Any]) -> None:
    for a in ordered(actions):
        fn = ACTIONS.get(a.type)
        if fn is None:
            raise Unsupported(f"action {a.type}")
        bad = refused(a.parameters)
        if bad:
            raise Unsupported(", ".join(bad))
        fn(ctx, a.parameters)



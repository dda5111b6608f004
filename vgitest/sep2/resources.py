"""What the fake IEEE 2030.5 server holds and serves: a CSIP resource tree a test shapes, in dict form.

The tree follows the CSIP walk a DER client makes: ``/dcap`` → ``/tm`` and ``/edev`` → its EndDevice →
Registration, FunctionSetAssignments → DERProgramList → each program's DefaultDERControl, DERControlList and
DERCurveList; the client writes its DER description (``PUT`` DERCapability, DERSettings, DERStatus,
DERAvailability), readings (``POST`` MirrorUsagePoint), Responses, LogEvents and Subscriptions. Bodies are
built in schema order (the codec keeps dict order). Times are the server's own clock (plus the offset a test
sets), so a test can give the client a wrong clock on purpose.

Paths are vgitest's own (a client must follow links, never guess them): a client that requests a path it
was never given is told 404, and the trace shows it.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from typing import Any, Callable

from . import identity

DEFAULT_POLL_S = 900  # the schema's default pollRate
# DefaultDERControl's own elements after its DERControlBase, in schema order (each updates the DERSettings
# element of the same name)
DEFAULT_SETTINGS = ("setESDelay", "setESHighFreq", "setESHighVolt", "setESLowFreq", "setESLowVolt", "setESRampTms",
                    "setESRandomDelay", "setGradW", "setSoftGradW")
# DERControlBase's elements in schema order: the server writes a test's base in this order, whatever order the
# test gave (elements it does not know, e.g. CSIP-AUS extensions, follow in the test's order)
DER_CONTROL_BASE = ("opModConnect", "opModEnergize", "opModFixedPFAbsorbW", "opModFixedPFInjectW", "opModFixedVar",
                    "opModFixedW", "opModFreqDroop", "opModFreqWatt", "opModHFRTMayTrip", "opModHFRTMustTrip",
                    "opModHVRTMayTrip", "opModHVRTMomentaryCessation", "opModHVRTMustTrip", "opModLFRTMayTrip",
                    "opModLFRTMustTrip", "opModLVRTMayTrip", "opModLVRTMomentaryCessation", "opModLVRTMustTrip",
                    "opModMaxLimW", "opModTargetVar", "opModTargetW", "opModVoltVar", "opModVoltWatt", "opModWattPF",
                    "opModWattVar", "rampTms")
CurvePoint = tuple[int, int] | tuple[int, int, bool]  # (xvalue, yvalue[, excitation]) before the multipliers


def ordered_base(base: dict) -> dict:
    """A DERControlBase with its elements in schema order."""
    rank = {name: i for i, name in enumerate(DER_CONTROL_BASE)}
    return dict(sorted(base.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _mrid(n: int, kind: int) -> str:
    """A 128-bit mRID in hex, unique per kind and number (kind in the top byte keeps them apart)."""
    return f"{kind:02X}{n:030X}"


@dataclasses.dataclass
class Control:
    """One DERControl event of a program."""

    number: int  # in its path (/derp/{p}/derc/{number}); never reused
    mrid: str
    start: int  # epoch seconds
    duration: int
    base: dict  # DERControlBase, in schema order (e.g. {"opModMaxLimW": "5000"})
    creation: int
    description: str = ""
    randomize_start: int | None = None
    randomize_duration: int | None = None
    response_required: str = "03"  # bit 0: received, bit 1: specific responses (started, completed, ...)
    status: int = 0  # EventStatus currentStatus: 0 scheduled, 1 active, 2 cancelled, 3 cancelled with randomization, 4 superseded

    def body(self, href: str, reply_to: str) -> dict:
        out: dict[str, Any] = {"@href": href, "@replyTo": reply_to, "@responseRequired": self.response_required,
                               "mRID": self.mrid}
        if self.description:
            out["description"] = self.description[:32]
        out["creationTime"] = str(self.creation)
        out["EventStatus"] = {"currentStatus": str(self.status), "dateTime": str(self.creation),
                              "potentiallySuperseded": "false"}
        out["interval"] = {"duration": str(self.duration), "start": str(self.start)}
        if self.randomize_duration is not None:
            out["randomizeDuration"] = str(self.randomize_duration)
        if self.randomize_start is not None:
            out["randomizeStart"] = str(self.randomize_start)
        out["DERControlBase"] = ordered_base(self.base)
        return out


@dataclasses.dataclass
class Program:
    """One DERProgram: its primacy (lower wins), default control and events."""

    number: int
    mrid: str
    primacy: int
    description: str = ""
    default_base: dict | None = None  # DefaultDERControl's DERControlBase
    default_mrid: str = ""
    controls: list[Control] = dataclasses.field(default_factory=list)
    curves: list[dict] = dataclasses.field(default_factory=list)  # DERCurve bodies (schema order, with @href)
    default_settings: dict[str, str] = dataclasses.field(default_factory=dict)  # e.g. {"setGradW": "2000"}
    fsa: int = 1  # the FunctionSetAssignments (group) that lists it


@dataclasses.dataclass
class Device:
    """An EndDevice the server knows: registered out of band (by the test) or in band (POSTed by the client)."""

    number: int
    lfdi: str
    sfdi: int
    pin: int | None = None
    changed: int = 0
    der: dict[str, dict] = dataclasses.field(default_factory=dict)  # "dercap"/"derg"/"ders"/"dera" -> body PUT
    log_events: list[dict] = dataclasses.field(default_factory=list)
    subscriptions: dict[int, dict] = dataclasses.field(default_factory=dict)
    post_rate: int | None = None
    fsas: list[int] = dataclasses.field(default_factory=lambda: [1])  # the groups assigned to it, in list order


@dataclasses.dataclass
class Sep2State:
    """The server's data. Tests change it through the session; the client sees it on its next GET."""

    poll_rate_s: int = DEFAULT_POLL_S
    time_offset_s: int = 0  # added to the server's clock in /tm (a wrong clock for a test)
    programs: list[Program] = dataclasses.field(default_factory=list)
    devices: dict[str, Device] = dataclasses.field(default_factory=dict)  # LFDI -> device
    allow_registration: bool = True  # accept an EndDevice POSTed by an unknown client (in-band registration)
    mirror_usage_points: dict[int, dict] = dataclasses.field(default_factory=dict)
    # (mup number, MirrorMeterReading, arrival on the server's clock in seconds)
    readings: list[tuple[int, dict, float]] = dataclasses.field(default_factory=list)
    responses: list[dict] = dataclasses.field(default_factory=list)  # Response bodies, in arrival order
    fsa_names: dict[int, str] = dataclasses.field(default_factory=lambda: {1: "vgitest programs"})
    # what the server last told each subscription (its href -> the resource as then served); the notifier
    # compares against it to know what changed
    notified: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    # called (without arguments) after a change a subscriber may need to hear of: the server's notifier
    listeners: list[Callable[[], None]] = dataclasses.field(default_factory=list, repr=False, compare=False)
    _numbers: Any = dataclasses.field(default_factory=lambda: itertools.count(1))

    def now(self) -> int:
        return int(time.time()) + self.time_offset_s

    def next_number(self) -> int:
        return next(self._numbers)

    def changed(self) -> None:
        """Tell the listeners (the notifier) that subscribed resources may have changed. The helpers below call
        it; a test that edits the data directly (``ctl.status = 2``) is heard at the notifier's next sweep
        (a fraction of a second), or at once if it calls this."""
        for listener in list(self.listeners):
            listener()

    # --- shaping (the session's helpers call these) --------------------------------------------------
    def register_device(self, lfdi: str, *, pin: int | None = 111115) -> Device:
        """Out-of-band registration: the utility knows the device's LFDI (and its PIN) before it connects."""
        key = identity.normalize_lfdi(lfdi)
        if key is None:
            raise ValueError(f"not an LFDI: {lfdi!r}")
        dev = self.devices.get(key)
        if dev is None:
            dev = self.devices[key] = Device(self.next_number(), key, identity.sfdi(key), pin, self.now())
        return dev

    def add_fsa(self, description: str) -> int:
        """A new FunctionSetAssignments (a group, e.g. a feeder or a transformer); assign it to devices by
        appending its number to their `fsas`."""
        n = self.next_number()
        self.fsa_names[n] = description
        self.changed()
        return n

    def add_program(self, primacy: int, *, description: str = "", default: dict | None = None,
                    default_settings: dict[str, str] | None = None, fsa: int = 1) -> Program:
        """A DERProgram listed in group `fsa`; `default` is its DefaultDERControl's DERControlBase (None: no
        default; {} is a default that sets no mode), `default_settings` that DefaultDERControl's
        setES*/setGradW elements."""
        unknown = sorted(set(default_settings or {}) - set(DEFAULT_SETTINGS))
        if unknown or (default_settings and default is None):
            raise ValueError(f"DefaultDERControl settings {unknown or sorted(default_settings or {})}: known are "
                             f"{', '.join(DEFAULT_SETTINGS)}, and they need a default (DERControlBase)")
        n = self.next_number()  # paths and mRIDs are never reused, also after a test removed a program
        settings = {k: str((default_settings or {})[k]) for k in DEFAULT_SETTINGS if k in (default_settings or {})}
        prog = Program(n, _mrid(n, 0xA1), primacy, description, default,
                       _mrid(n, 0xD1) if default is not None else "", default_settings=settings, fsa=fsa)
        self.programs.append(prog)
        self.changed()
        return prog

    def add_curve(self, program: Program, curve_type: int, points: Sequence[CurvePoint], *, x_multiplier: int = 0,
                  y_multiplier: int = 0, y_ref_type: int = 0, open_loop_tms: int | None = None,
                  description: str = "") -> str:
        """A DERCurve in the program's DERCurveList; returns its href, which a DERControlBase names as e.g.
        ``{"opModVoltVar": {"@href": href}}``. A point's third member is the excitation flag (power-factor
        y values only: true absorbs reactive power). Values are significands: x * 10**x_multiplier."""
        if not 1 <= len(points) <= 10:
            raise ValueError("a DERCurve has 1 to 10 points (CurveData)")
        n = self.next_number()
        href = f"/derp/{program.number}/dc/{n}"
        body: dict[str, Any] = {"@href": href, "mRID": _mrid(n, 0xDC)}
        if description:
            body["description"] = description[:32]
        body["creationTime"] = str(self.now())
        body["CurveData"] = [{**({"excitation": "true" if p[2] else "false"} if len(p) > 2 else {}),
                              "xvalue": str(int(p[0])), "yvalue": str(int(p[1]))} for p in points]
        body["curveType"] = str(curve_type)
        if open_loop_tms is not None:
            body["openLoopTms"] = str(open_loop_tms)
        body.update(xMultiplier=str(x_multiplier), yMultiplier=str(y_multiplier), yRefType=str(y_ref_type))
        program.curves.append(body)
        return href

    def add_control(self, program: Program, base: dict, *, start_in_s: int = 60, duration_s: int = 300,
                    **kwargs: Any) -> Control:
        n = self.next_number()
        ctl = Control(n, _mrid(n, 0xC1), self.now() + start_in_s, duration_s, dict(base), self.now(), **kwargs)
        program.controls.append(ctl)
        self.changed()
        return ctl

    def cancel(self, ctl: Control, status: int = 2) -> None:
        """Cancel an event (EventStatus 2, or 3 for cancelled with randomization) and notify its subscribers."""
        ctl.status = status
        self.changed()

    def device_by_number(self, number: int) -> Device | None:
        return next((d for d in self.devices.values() if d.number == number), None)


def page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], int]:
    """The slice a list query asks for (``s`` start index, ``l`` limit), and the total."""
    try:
        start = max(0, int(query.get("s", "0")))
        limit = int(query.get("l", "255"))
    except ValueError:
        start, limit = 0, 255
    limit = max(0, min(limit, 255))
    return items[start:start + limit], len(items)


def list_body(href: str, key: str, items: list[dict], total: int, poll_rate: int | None = None,
              subscribable: str | None = None) -> dict:
    out: dict[str, Any] = {"@href": href, "@all": str(total), "@results": str(len(items))}
    if subscribable is not None:
        out["@subscribable"] = subscribable
    if poll_rate is not None:
        out["@pollRate"] = str(poll_rate)
    if items:
        out[key] = items
    return out

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
from .ausdata import AusData
from .namespaces import CSIPAUS_NS

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
                    "opModWattVar", "rampTms",
                    # CSIP-AUS v1.2 appends its limits (csipaus-core.xsd redefines DERControlBase) in this order
                    "csipaus:opModImpLimW", "csipaus:opModExpLimW", "csipaus:opModGenLimW", "csipaus:opModLoadLimW")
CurvePoint = tuple[int, int] | tuple[int, int, bool]  # (xvalue, yvalue[, excitation]) before the multipliers


def ordered_base(base: dict) -> dict:
    """A DERControlBase with its elements in schema order."""
    rank = {name: i for i, name in enumerate(DER_CONTROL_BASE)}
    return dict(sorted(base.items(), key=lambda kv: rank.get(kv[0], len(rank))))


DOCUMENTATION_PEN = 32473  # the IANA Private Enterprise Number set aside for documentation (RFC 5612)


def make_mrid(pen: int, kind: int, n: int) -> str:
    """A 128-bit mRID in hex: the IANA PEN of its creator in bits 0-31 (the least significant bits, as the
    2030.5 mRIDType says), and an id unique per creator in the 96 bits above: here the kind of object in the top
    byte and its number below it."""
    if not 0 <= pen <= 0xFFFFFFFF:
        raise ValueError(f"a PEN is a 32-bit number, not {pen}")
    return f"{((kind & 0xFF) << 120) | ((n & ((1 << 88) - 1)) << 32) | pen:032X}"


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
    status: int = 0  # set by the test: 2 cancelled, 3 cancelled with randomization, 4 superseded (0: as time says)
    status_time: int | None = None  # when the test set `status`

    # EventStatus (IEEE 2030.5 EventStatus.currentStatus): 0 Scheduled until the event's earliest effective start
    # (its start, or earlier by a negative randomizeStart), 1 Active from then on (an event made with its start
    # already past is Active at once, never Scheduled), 2/3 Cancelled (with randomization) when the server cancels
    # it, 4 Superseded at the earliest effective start of a newer event of the same program that overlaps it and
    # sets exactly the same control modes. There is no status for an event that has ended: it stays Active.
    # EventStatus.dateTime is when the current status began.
    @property
    def earliest_start(self) -> int:
        return self.start + min(0, self.randomize_start or 0)

    @property
    def latest_end(self) -> int:
        return self.start + max(0, self.randomize_start or 0) + self.duration + max(0, self.randomize_duration or 0)

    @property
    def modes(self) -> frozenset[str]:
        """The control modes it sets (opMod*, CSIP-AUS extensions included; rampTms is not a mode)."""
        return frozenset(k for k in self.base if k.split(":")[-1].startswith("opMod"))

    def cancelled_at(self) -> int | None:
        return (self.status_time if self.status_time is not None else self.creation) if self.status in (2, 3) \
            else None

    def overlaps(self, other: "Control") -> bool:
        return self.earliest_start < other.latest_end and other.earliest_start < self.latest_end

    def event_status(self, now: int, others: Sequence["Control"] = ()) -> dict:
        """EventStatus as served at `now`; `others` are the other events of its program."""
        status, at = self._current(now, others)
        out: dict[str, Any] = {"currentStatus": str(status), "dateTime": str(at)}
        partial = [o for o in others if o is not self and o.cancelled_at() is None and o.overlaps(self)
                   and o.modes & self.modes and o.modes != self.modes]
        out["potentiallySuperseded"] = "true" if partial else "false"
        if partial:
            out["potentiallySupersededTime"] = str(max(max(o.creation for o in partial), self.creation))
        return out

    def _current(self, now: int, others: Sequence["Control"]) -> tuple[int, int]:
        if self.status in (2, 3, 4):  # the test's word
            return self.status, self.status_time if self.status_time is not None else self.creation
        taken = [max(o.earliest_start, o.creation) for o in others
                 if o is not self and (o.creation, o.number) > (self.creation, self.number) and o.modes == self.modes
                 and o.overlaps(self) and o.earliest_start <= now
                 and (o.cancelled_at() is None or o.cancelled_at() > o.earliest_start)]  # type: ignore[operator]
        if taken:
            return 4, min(taken)
        if now >= self.earliest_start:
            return 1, max(self.earliest_start, self.creation)
        return 0, self.creation

    def active(self, now: int, others: Sequence["Control"] = ()) -> bool:
        """In the ActiveDERControlList: Active (status 1) and not yet over."""
        return self._current(now, others)[0] == 1 and now < self.latest_end

    def body(self, href: str, reply_to: str, now: int | None = None, others: Sequence["Control"] = ()) -> dict:
        out: dict[str, Any] = {"@href": href, "@replyTo": reply_to, "@responseRequired": self.response_required,
                               "mRID": self.mrid}
        if self.description:
            out["description"] = self.description[:32]
        out["creationTime"] = str(self.creation)
        out["EventStatus"] = self.event_status(int(time.time()) if now is None else now, others)
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
    device_category: str | None = None  # DeviceCategoryType (hexBinary32) the client gave in its EndDevice
    fsas: list[int] = dataclasses.field(default_factory=lambda: [1])  # the groups assigned to it, in list order
    connection_point: str | None = None  # CSIP-AUS ConnectionPoint connectionPointId (e.g. the NMI), see .aus


@dataclasses.dataclass
class Sep2State:
    """The server's data. Tests change it through the session; the client sees it on its next GET."""

    poll_rate_s: int = DEFAULT_POLL_S
    poll_rates: dict[str, int] = dataclasses.field(default_factory=dict)  # resource name -> its own pollRate
    # the IANA PEN in the mRIDs the server makes (PIXIT server_pen): a utility's own number in a real deployment
    pen: int = DOCUMENTATION_PEN
    time_offset_s: int = 0  # added to the server's clock in /tm (a wrong clock for a test)
    programs: list[Program] = dataclasses.field(default_factory=list)
    devices: dict[str, Device] = dataclasses.field(default_factory=dict)  # LFDI -> device
    denied: set[str] = dataclasses.field(default_factory=set)  # LFDIs whose access the utility revoked (403)
    allow_registration: bool = True  # accept an EndDevice POSTed by an unknown client (in-band registration)
    registration_links: bool = True  # EndDevices link their Registration (CACTUS edev-registration-links)
    mirror_usage_points: dict[int, dict] = dataclasses.field(default_factory=dict)
    mup_owners: dict[int, str | None] = dataclasses.field(default_factory=dict)  # mup number -> creator's LFDI
    # (mup number, MirrorMeterReading, arrival on the server's clock in seconds)
    readings: list[tuple[int, dict, float]] = dataclasses.field(default_factory=list)
    responses: list[dict] = dataclasses.field(default_factory=list)  # Response bodies, in arrival order
    fsa_names: dict[int, str] = dataclasses.field(default_factory=lambda: {1: "vgitest programs"})
    # the CSIP-AUS version the server speaks ("v1.2", "v1.3-beta/storage"; None: plain CSIP), set by the server
    csip_aus: str | None = None
    aus: AusData = dataclasses.field(default_factory=AusData)  # CSIP-AUS features (shaped through .aus)
    # what the server last told each subscription (its href -> the resource as then served); the notifier
    # compares against it to know what changed
    notified: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    # called (without arguments) after a change a subscriber may need to hear of: the server's notifier
    listeners: list[Callable[[], None]] = dataclasses.field(default_factory=list, repr=False, compare=False)
    _numbers: Any = dataclasses.field(default_factory=lambda: itertools.count(1))

    def now(self) -> int:
        return int(time.time()) + self.time_offset_s

    def rate(self, resource: str, path: str | None = None) -> int:
        """The pollRate the server gives a resource (its name, e.g. "EndDeviceList"): the one set for its `path`
        (``aus.path_rates``, see :func:`.aus.set_poll_rate`), else its name's own, else the default."""
        if path is not None and path in self.aus.path_rates:
            return self.aus.path_rates[path]
        return self.poll_rates.get(resource, self.poll_rate_s)

    def wire_ns(self) -> dict[str, str] | None:
        """The prefix rebinding of the codec for this server's CSIP-AUS version (None: the codec's own)."""
        return {"csipaus": CSIPAUS_NS[self.csip_aus]} if self.csip_aus not in (None, "v1.2") else None

    def mrid(self, kind: int, n: int) -> str:
        """An mRID of an object this server creates, under its PEN (see `make_mrid`)."""
        return make_mrid(self.pen, kind, n)

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
        prog = Program(n, self.mrid(0xA1, n), primacy, description, default,
                       self.mrid(0xD1, n) if default is not None else "", default_settings=settings, fsa=fsa)
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
        body: dict[str, Any] = {"@href": href, "mRID": self.mrid(0xDC, n)}
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
        ctl = Control(n, self.mrid(0xC1, n), self.now() + start_in_s, duration_s, dict(base), self.now(), **kwargs)
        program.controls.append(ctl)
        self.changed()
        return ctl

    def cancel(self, ctl: Control, status: int = 2) -> None:
        """Cancel an event (EventStatus 2, or 3 for cancelled with randomization; 4 marks it superseded by hand)
        and notify its subscribers."""
        ctl.status = status
        ctl.status_time = self.now()
        self.changed()

    def device_by_number(self, number: int) -> Device | None:
        return next((d for d in self.devices.values() if d.number == number), None)


DEFAULT_PAGE = 1  # IEEE 2030.5 list query: without ``l`` a list answer holds one item
MAX_PAGE = 255  # the most items this server puts in one answer (a server may return fewer than asked)
WHOLE = {"l": str(MAX_PAGE)}  # the query that reads a whole list of this server (the notifier compares those)


def page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], int]:
    """The slice a list query asks for, and the total (the list's ``all``).

    IEEE 2030.5 list queries: ``s`` is the index of the first item (default 0), ``l`` the most items to return
    (default 1; 0 asks for the count alone). A value that is not a non-negative integer counts as absent; ``l`` is
    capped at MAX_PAGE (``results`` tells the client how many it got, so it pages on)."""
    start, limit = _count(query.get("s"), 0), _count(query.get("l"), DEFAULT_PAGE)
    return items[start:start + min(limit, MAX_PAGE)], len(items)


def _count(value: str | None, default: int) -> int:
    try:
        n = int(str(value))
    except ValueError:
        return default
    return n if n >= 0 else default


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

"""The CACTUS ``readings-*`` checks: judgements of the readings the client mirrored on the fake server
(MirrorUsagePoints it POSTed, their MirrorMeterReadings) since the procedure began: a precondition sees those of
the set-up too, the steps and criteria only those since the test started (the first step listens; the operator's
set-up is not part of the test, as in CACTUS, where the test starts once the preconditions hold).

Which mirror is the site's and which the DER's comes from its ``roleFlags`` (2030.5 RoleFlagsType): bit 1
(isPremisesAggregationPoint) marks the site's connection point; a mirror without it and with bit 3 (isDER) is the
DER's; others (a submeter of something else) are not judged. The kind of reading comes from its ReadingType
``uom``: 38 W, 63 var, 29 V, 72 Wh (stored energy).

Signs, as CACTUS's level parameters imply (GEN-01 wants the site between -105 % and -50 % of maxExportW while
the DER generates between 50 % and 105 %):

- site power is in the site's view: positive imports from the grid, negative exports. 2030.5 flowDirection 1
  (forward, delivered to the customer) or none keeps the posted sign, 19 (reverse, received from the customer)
  negates it;
- DER power is in the DER's view: positive delivers (generates, discharges), negative consumes. flowDirection 19
  or none keeps the posted sign, 1 (forward: into the DER) negates it;
- volts and watt-hours are taken as posted (voltage from either mirror).

Parameters (the upstream schema): ``minimum_count``; ``minimum_level``/``maximum_level`` (expressions such as
``$(-1.05 * maxExportW)``: every reading judged must lie within; with no reading at all they fail, never pass
vacuously); ``window_seconds`` (only readings that arrived in that many procedure seconds before now, scaled);
``latest_reading_only`` (only the latest reading of each MirrorMeterReading).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from ..readings import entries
from .context import Context
from .expressions import Unresolved

Outcome = tuple[bool, str]

SITE, DER = "site", "DER"
W, VAR, VOLT, WH = "38", "63", "29", "72"  # ReadingType uom
FORWARD, REVERSE = "1", "19"  # ReadingType flowDirection
PREMISES, IS_DER = 1 << 1, 1 << 3  # RoleFlagsType bits
UNIT = {W: "W", VAR: "var", VOLT: "V", WH: "Wh"}


class Reading(NamedTuple):
    mirror: int  # the MirrorUsagePoint's number on the server
    mrid: str  # its MirrorMeterReading's mRID
    at: float  # arrival, server clock (s)
    value: float  # in the view of its role (module text)


def role(mup: dict | None) -> str | None:
    """SITE, DER or None (not judged) from a MirrorUsagePoint's roleFlags."""
    raw = (mup or {}).get("roleFlags")
    raw = raw.get("value") if isinstance(raw, dict) else raw
    try:
        flags = int(str(raw), 16)
    except ValueError:
        return None
    return SITE if flags & PREMISES else DER if flags & IS_DER else None


def _viewed(value: float, who: str, uom: str, flow: str) -> float:
    if uom not in (W, VAR):
        return value
    if who == SITE:
        return -value if flow == REVERSE else value
    return -value if flow == FORWARD else value


def collected(ctx: Context, who: str | None, uom: str) -> list[Reading]:
    """The readings of that role (None: site or DER) and uom mirrored since the procedure began, in order."""
    out = []
    mups = ctx.state.mirror_usage_points
    for number, mrid, rt, at, value in entries(ctx.state, ctx.readings_start):
        mine = role(mups.get(number))
        if mine is None or (who is not None and mine != who) or str(rt.get("uom")) != uom:
            continue
        out.append(Reading(number, mrid, at, _viewed(value, mine, uom, str(rt.get("flowDirection", "0")))))
    return out


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at * 10) % 10}Z"


def judge(ctx: Context, p: dict[str, Any], who: str | None, uom: str, what: str) -> Outcome:
    """The readings of `what` against the parameters; the message says what was seen (counts, the first
    offending value and its time)."""
    got = collected(ctx, who, uom)
    scope = "since the test began"
    if p.get("window_seconds") is not None:
        window = ctx.seconds(float(ctx.value(p["window_seconds"])))
        now = time.time() + ctx.state.time_offset_s
        got = [r for r in got if r.at >= now - window]
        scope = f"in the last {window} s"
    if p.get("latest_reading_only"):
        latest: dict[tuple[int, str], Reading] = {}
        for r in got:
            latest[(r.mirror, r.mrid)] = r
        got = sorted(latest.values(), key=lambda r: r.at)
        scope += " (the latest of each MirrorMeterReading)"
    unit = UNIT[uom]
    seen = f"{len(got)} {what} reading(s) {scope}"
    bad: list[str] = []
    if "minimum_count" in p and len(got) < int(ctx.value(p["minimum_count"])):
        bad.append(f"{seen}, fewer than {int(ctx.value(p['minimum_count']))}")
    bounds: dict[str, float] = {}
    for key in ("minimum_level", "maximum_level"):
        if p.get(key) is not None:
            try:
                bounds[key] = float(ctx.value(p[key]))
            except Unresolved as exc:
                bad.append(f"{key} {p[key]} cannot be evaluated: {exc}")
    if bounds and not got and not bad:
        bad.append(f"{seen}: no level to judge against {_range(bounds, unit)}")
    low, high = bounds.get("minimum_level"), bounds.get("maximum_level")
    outside = [r for r in got if (low is not None and r.value < low) or (high is not None and r.value > high)]
    if outside:
        first = outside[0]
        bad.append(f"{len(outside)} of {seen} outside {_range(bounds, unit)}, the first {first.value:g} {unit} at "
                   f"{_clock(first.at)} (mirror /mup/{first.mirror})")
    if bad:
        return False, "; ".join(bad)
    return True, f"{seen}" + (f", all within {_range(bounds, unit)}" if bounds else "")


def _range(bounds: dict[str, float], unit: str) -> str:
    low, high = bounds.get("minimum_level"), bounds.get("maximum_level")
    return f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}] {unit}"


VIEW = {SITE: "site view: positive imports", DER: "DER view: positive delivers"}


# check type -> (what it does, for the docs; the check): registered by checks.py
CHECKS: dict[str, tuple[str, Any]] = {}


def _register(name: str, who: str | None, uom: str, what: str) -> None:
    summary = (f"the client mirrored {what} readings ({UNIT[uom]}"
               + (f", {VIEW[who]}" if who is not None and uom in (W, VAR) else "")
               + ") in the count and the levels asked (of every reading, those of a window or the latest)")

    def _fn(ctx: Context, p: dict[str, Any], start: int) -> Outcome:
        return judge(ctx, p, who, uom, what)
    CHECKS[name] = (summary, _fn)


for _name, _who, _uom, _what in (
        ("readings-site-active-power", SITE, W, "site active power"),
        ("readings-site-reactive-power", SITE, VAR, "site reactive power"),
        ("readings-der-active-power", DER, W, "DER active power"),
        ("readings-der-reactive-power", DER, VAR, "DER reactive power"),
        ("readings-voltage", None, VOLT, "voltage"),
        ("readings-der-stored-energy", DER, WH, "DER stored energy")):
    _register(_name, _who, _uom, _what)


class OperatorSetup:
    """The operator's set-up a procedure's preconditions gate on: GEN-01 cannot start until the DER delivers at
    least half its rating, LOA-01 until it draws that much (its instructions tell the operator to make it so).
    When a precondition ``readings-der-active-power`` asks for a level that only a delivering (minimum above 0) or
    a drawing (maximum below 0) DER meets, the engine asks the device, through the adapter action ``set_power``
    (negative: deliver), to run at its rating in that direction; afterwards it asks it back to drawing at its
    rating (the reference client's default demand). A device whose adapter lacks ``set_power`` is set up by its
    operator from the instructions; the precondition then waits for it as before."""

    def __init__(self, proc: Any, dut: Any) -> None:
        self.dut = dut
        self.gates = [c.parameters for c in proc.preconditions.checks if c.type == "readings-der-active-power"]
        self.done = not self.gates
        self.performed = False

    def _can(self) -> bool:
        supports = getattr(self.dut, "supports", None)
        return supports is not None and bool(supports("set_power"))

    def step(self, ctx: Context) -> None:
        """Once the levels can be evaluated (the client described its DER), set the device up (once)."""
        if self.done:
            return
        try:
            lows = [float(ctx.value(p["minimum_level"])) for p in self.gates if p.get("minimum_level") is not None]
            highs = [float(ctx.value(p["maximum_level"])) for p in self.gates if p.get("maximum_level") is not None]
            variables = ctx.variables()
            export_w, import_w = float(variables["maxExportW"]()), float(variables["maxImportW"]())
        except Unresolved:
            return
        self.done = True
        want = -export_w if any(v > 0 for v in lows) else import_w if any(v < 0 for v in highs) else None
        if want is None or not self._can():
            return
        self.dut.perform("set_power", w=want)
        self.performed = True
        text = (f"operator set-up: set_power w={want:g} (the DER {'delivers' if want < 0 else 'draws'} at its "
                "rating, as the preconditions ask)")
        ctx.notes.append(text)
        note = getattr(ctx.session.server, "note", None)
        if note is not None:
            note(text)

    def undo(self, ctx: Context) -> None:
        if not self.performed:
            return
        self.performed = False
        try:
            self.dut.perform("set_power", w=float(ctx.variables()["maxImportW"]()))
        except Unresolved:
            return

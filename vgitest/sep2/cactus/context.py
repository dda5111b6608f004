"""What one procedure run holds: the fake server's state it shapes, what it created there (programs, groups and
controls by the procedure's numbers and tags), its time scale, and its steps' bookkeeping. Actions and checks
read and change the server through this object only, and it undoes the procedure's changes when the run ends."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Mapping

from ..resources import Control, Device, Program, Sep2State
from . import paths
from .expressions import At, Span, Unresolved, evaluate


# name -> value of a variable the engine's other modules give (e.g. :mod:`.pricing`'s now_day, randuri_1): each
# takes the run's Context
EXTRA_VARIABLES: dict[str, Callable[[Context], Any]] = {}


class Unsupported(Exception):
    """A parameter or value the harness does not implement: the procedure is NOT_APPLICABLE, naming it."""


class Failed(Exception):
    """A `finish-test` with a fail message: the procedure fails with it."""


@dataclasses.dataclass
class Steps:
    """Which steps listen and since when (monotonic), which ever did, and which fired (with the frame)."""

    active: dict[str, float] = dataclasses.field(default_factory=dict)
    enabled: set[str] = dataclasses.field(default_factory=set)
    fired: dict[str, int | None] = dataclasses.field(default_factory=dict)  # step -> trace index of its request
    finished: bool = False

    def enable(self, names: list[str]) -> None:
        for name in names:
            if name not in self.active:
                self.active[name] = time.monotonic()
            self.enabled.add(name)

    def remove(self, names: list[str]) -> None:
        for name in names:
            self.active.pop(name, None)


def quantity(value: Any) -> float | None:
    """An ActivePower-like {multiplier, value}, a PowerFactor {displacement, multiplier} (or a plain number) in
    its unit."""
    if isinstance(value, dict):
        try:
            raw = value["value"] if "value" in value else value["displacement"]
            return float(raw) * 10 ** int(str(value.get("multiplier", "0")))
        except (KeyError, ValueError):
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Context:
    """One procedure's run on the fake 2030.5 server (see the module text)."""

    def __init__(self, session: Any, *, scale: float, lfdi: str | None, steps: tuple[str, ...] = (),
                 version: str = "v1.2") -> None:
        self.session = session
        self.version = version  # the CSIP-AUS version the procedure runs in (versions.py)
        self.all_steps = steps
        self.state: Sep2State = session.state
        self.scale = scale
        self.lfdi = lfdi
        self.steps = Steps()
        self.programs: list[Program] = []  # in creation order: CACTUS derp 1 is programs[0]
        self.groups: dict[int, int] = {1: 1}  # CACTUS fsa_id -> the server's FunctionSetAssignments number
        self.controls: list[tuple[Program, Control]] = []
        self.tags: dict[str, Any] = {}  # tag -> Control or Program
        self.removed_groups: set[int] = set()  # CACTUS fsa ids taken off the device's list
        self.timers: list[tuple[float, Callable[[], None]]] = []  # (monotonic deadline, undo) of timed actions
        self.fail_message: str | None = None
        self.post_rate: int | None = None  # the EndDevice postRate the procedure set (scaled)
        self.responses_start = len(session.state.responses)  # the Responses of this procedure come after
        # the readings of this procedure come after (the engine moves it to the test's start once it listens)
        self.readings_start = len(session.state.readings)
        self.notes: list[str] = []  # what the run did that a reader of the evidence needs (shown in the log)
        self.extra: dict[str, Any] = {}  # what the types of other modules (e.g. :mod:`.pricing`) keep per run

    # --- time -----------------------------------------------------------------------------------------------
    def seconds(self, value: Any) -> int:
        """Procedure seconds (a number or a Span) as run seconds (scaled; at least 1 for a non-zero value)."""
        s = value.seconds if isinstance(value, Span) else float(value)
        return 0 if s == 0 else max(1, round(s * self.scale)) if s > 0 else min(-1, round(s * self.scale))

    def server_time(self, value: Any) -> int:
        """A moment of the procedure (At, or epoch seconds) on the server's clock, its distance from now scaled."""
        if isinstance(value, At):
            return self.state.now() + self.seconds(value.offset)
        raise Unsupported(f"a start that is not relative to now ({value!r})")

    # --- the client's records -------------------------------------------------------------------------------
    def device(self) -> Device | None:
        """The client's EndDevice on the server (by its LFDI; without TLS the one device there is)."""
        if self.lfdi is not None and self.lfdi in self.state.devices:
            return self.state.devices[self.lfdi]
        devices = list(self.state.devices.values())
        return devices[-1] if self.lfdi is None and devices else None

    def der_part(self, part: str) -> dict | None:
        dev = self.device()
        body = dev.der.get(part) if dev is not None else None
        return body if isinstance(body, dict) else None

    def _der_value(self, part: str, key: str) -> float:
        value = quantity((self.der_part(part) or {}).get(key))
        if value is None:
            raise Unresolved(f"the client has not described {key}")
        return value

    def variables(self) -> Mapping[str, Callable[[], Any]]:
        settings = {k: (lambda k=k: self._der_value("derg", k)) for k in (
            "setMaxW", "setMaxVA", "setMaxVar", "setMaxVarNeg", "setMaxChargeRateW", "setMaxDischargeRateW",
            "setMinPFOverExcited", "setMinPFUnderExcited", "setMaxWh", "setMinWh")}
        ratings = {k: (lambda k=k: self._der_value("dercap", k)) for k in (
            "rtgMaxW", "rtgMaxVA", "rtgMaxVar", "rtgMaxVarNeg", "rtgMaxChargeRateW", "rtgMaxDischargeRateW",
            "rtgMinPFOverExcited", "rtgMinPFUnderExcited", "rtgMaxWh")}

        def directional(key: str) -> float:
            try:
                return self._der_value("derg", key)
            except Unresolved:
                return self._der_value("derg", "setMaxW")

        extra = {k: (lambda fn=fn: fn(self)) for k, fn in EXTRA_VARIABLES.items()}
        return {"now": lambda: At(0), **settings, **ratings, **extra,
                "maxImportW": lambda: directional("setMaxChargeRateW"),
                "maxExportW": lambda: directional("setMaxDischargeRateW")}

    def value(self, raw: Any) -> Any:
        return evaluate(raw, self.variables())

    # --- what the procedure created -------------------------------------------------------------------------
    def group(self, fsa_id: int) -> int:
        """The server's group for CACTUS fsa_id (made, and assigned to the client, on first use)."""
        if fsa_id not in self.groups:
            self.groups[fsa_id] = self.state.add_fsa(f"cactus group {fsa_id}")
        self.assign_groups()
        return self.groups[fsa_id]

    def assign_groups(self) -> None:
        """Keep the client's group list as the procedure wants it (a device registered in band starts with
        group 1 only)."""
        dev = self.device()
        if dev is None:
            return
        want = [n for fid, n in sorted(self.groups.items()) if fid not in self.removed_groups]
        if self.post_rate is not None and dev.post_rate != self.post_rate:
            dev.post_rate = self.post_rate
        if dev.fsas != want:
            dev.fsas[:] = want
            self.state.changed()

    def program(self, index: str) -> Program:
        if not index.isdigit() or not 1 <= int(index) <= len(self.programs):
            raise Unsupported(f"DERProgram {index} of the procedure does not exist")
        return self.programs[int(index) - 1]

    def glob(self, endpoint: str) -> str:
        """The server's path glob for a CACTUS endpoint (a program not created yet: a path never served); an
        endpoint that is a variable (``$randuri_1``) is the path it holds."""
        if endpoint.startswith("$"):
            return str(self.value(endpoint))
        def prog(i: str) -> str:
            return "*" if i == "*" else str(self.programs[int(i) - 1].number) \
                if i.isdigit() and 1 <= int(i) <= len(self.programs) else f"none-{i}"

        def grp(i: str) -> str:
            return "*" if i == "*" else str(self.groups.get(int(i), f"none-{i}")) if i.isdigit() else i

        def tariff(i: str) -> str:
            made = self.extra.get("tariffs", [])
            return "*" if i == "*" else str(made[int(i) - 1].number) \
                if i.isdigit() and 1 <= int(i) <= len(made) else f"none-{i}"

        return paths.to_glob(endpoint, prog, grp, tariff)

"""Reference IEEE 2030.5 (CSIP) DER client, EVSE-flavoured, with injectable named faults.

It is the default DUT of `vgitest run` for sep2 and the proof that the CSIP suites can fail: correct by
default, and every fault of :mod:`.faults` bends one behaviour a suite must notice. It runs on its own
asyncio thread with its own aiohttp client, so its work never counts as harness latency.

This module only composes it; each concern is a module of its own, sharing a :class:`.core.Core` (faults, log,
server clock, HTTP, side jobs):

- :mod:`.reading`: only well-formed, schema-valid answers are used (the rest is ignored; robustness faults);
- :mod:`.walk`: the schedule of resources (href -> next poll), the first pass being the CSIP walk in order
  (DeviceCapability → Time → EndDeviceList → EndDevice → Registration → FunctionSetAssignments →
  DERProgramList → DefaultDERControl, DERControlList, DERCurveList, each DERCurve a control links to; then the
  DER writes and the MirrorUsagePoint), every answer handed to the handler of its resource type;
- :mod:`.registration` (discovery, in-band registration, the PIN), :mod:`.programs` (groups, programs, their
  defaults, controls and curves), :mod:`.events` (the DERControls by mRID) and :mod:`.responses`;
- :mod:`.control` (the event state machine on server time and the control in force), :mod:`.output` (the
  simulated EVSE on a grid a test sets with ``set_grid``; arithmetic in :mod:`.modes`), :mod:`.der` (what it
  declares of its DER), :mod:`.metering` (its MirrorUsagePoint), :mod:`.alarms` (LogEvents);
- :mod:`.aus`: CSIP-AUS: its ConnectionPoint (PIXIT ``connection_point_id``) and the tariffs it reads
  (:mod:`.pricing`: its PriceResponses and the pricing pollRate); :mod:`.discovery`: where its DeviceCapability
  is (``/.well-known/csipaus``);
- :mod:`.demand`: the demand response modes (DRMs) it reports, and its DER status re-reported at its post rate;
- :mod:`.subscriptions`: subscription mode (PIXIT ``subscribe = true``), its Subscriptions and its
  notification listener; :mod:`.config`: PIXIT settings, TLS and identity.

Nothing raises out of a task: errors go to ``self.log`` and the client keeps going on its cached schedule.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any
from urllib.parse import urlsplit

from ...simulator import LoopSimulator
from ..namespaces import MEDIA_TYPE
from . import config, modes, site
from .alarms import Alarms
from .aus import Aus, chain
from .control import Control
from .core import Core, Handler
from .demand import Reporter
from .der import MODES_SUPPORTED, Der
from .discovery import dcap_href
from .events import Events
from .faults import check_names
from .metering import Metering
from .output import Output
from .plant import AusMetering
from .programs import Programs
from .registration import Registration
from .responses import Responses
from .storage import Storage
from .subscriptions import Subscriber
from .transport import Transport
from .walk import Walk

__all__ = ["MODES_SUPPORTED", "ReferenceDerClient"]


class ReferenceDerClient(LoopSimulator):
    """The adapter-facing object: `start()`, `stop()` and `perform(action, **params)`."""

    kind = "DER client"

    def __init__(self, dcap_url: str, name: str = "vgitest-ref-der", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        check_names(faults)
        self.faults = frozenset(faults)
        self.name = name
        self.params = dict(params or {})
        parts = urlsplit(dcap_url)
        ssl_context = config.client_context(self.params, self.faults) if parts.scheme == "https" else None
        self.lfdi = config.own_lfdi(self.params, ssl_context is not None)
        self.settings = s = config.Settings.from_params(self.params)
        self.log: list[str] = []  # what the client did and what went wrong, for humans debugging a run
        content_type = "application/xml" if "wrong_content_type" in self.faults else MEDIA_TYPE
        http = Transport(f"{parts.scheme}://{parts.netloc}", ssl_context, self.log, content_type=content_type)
        self.core = core = Core(self.faults, self.lfdi, http, self.log)
        self.configured_dcap = parts.path or "/dcap"
        self.walk = Walk(core, self.configured_dcap, self._read, self._missing, csip_aus=s.csip_aus,
                         discover=self._discover if s.csip_aus else None)
        self.registration = Registration(core, s, self.walk)
        self.output = Output(core, s)
        self.output.site.units = max(1, int(self.params.get("der_units", 1)))  # DER units behind its DER (MUL-01)
        self.responses = Responses(core, s.late_s)
        self.events = Events(core, self.responses, random.Random(s.random_seed))
        self.programs = Programs(core, self.walk, self.events, self._settings_changed)
        # CSIP-AUS: the site and DER mirrors of its plant (a site load and the EV battery); else its one mirror
        self.metering = (AusMetering if s.csip_aus else Metering)(core, s, self.output, self.registration)
        self.der = Der(core, s, self.output, self.programs, self.metering)
        self.control = Control(core, s, self.events, self.programs, self.responses, self.output, self.der)
        self.storage = Storage(core, s, self.params)  # CSIP-AUS v1.3-beta storage (idle in v1.2)
        self.der.storage = self.control.storage = self.storage
        if isinstance(self.metering, AusMetering):
            self.metering.plant.storage = self.storage  # the stored energy it reports
        self.storage.speak(self.storage.version, http, self.walk.reader)
        self.der.control_base = lambda: self.control.base
        self.reporter = Reporter(core, self.metering.post_rate, self.der.report)  # CSIP-AUS: DER status kept current
        self.aus = Aus(core, self.walk, self.params)  # CSIP-AUS: ConnectionPoint, pricing (idle without links)
        self.handlers: dict[str, Handler] = {**self.registration.handlers(), **self.programs.handlers(),
                                             **self.der.handlers(), **self.aus.handlers()}
        if isinstance(self.metering, AusMetering):
            self.handlers.update(self.metering.handlers())
        self.handlers["EndDevice"] = chain(self.handlers["EndDevice"], self.aus.on_end_device)
        self.handlers["FunctionSetAssignments"] = chain(self.handlers["FunctionSetAssignments"], self.aus.on_fsa)
        self.subscriber = Subscriber(core, self.params, s.notify_port, self.walk, self.registration, self.programs,
                                     self.handlers)
        self.alarms = Alarms(core, self.registration)

    # --- what tests observe -------------------------------------------------------------------------------
    @property
    def applied(self) -> tuple[str, float | None]:
        """The control in force: (mRIDs or 'default:<program>' or 'none', its power limit in W or None)."""
        return self.control.applied

    @property
    def power_w(self) -> float:
        return self.output.power_w

    @property
    def reactive_var(self) -> float:
        return self.output.reactive_var

    @property
    def tripped(self) -> bool:
        return self.output.tripped

    @property
    def curve_cache(self) -> dict[str, modes.Curve]:
        return self.programs.curve_cache

    @property
    def subscriptions(self) -> dict[str, str]:
        return self.subscriber.subscriptions

    @property
    def ended_subscriptions(self) -> set[str]:
        return self.subscriber.ended

    @property
    def notification_uri(self) -> str:
        return self.subscriber.uri

    # --- composition --------------------------------------------------------------------------------------
    async def _read(self, href: str, name: str, body: dict) -> None:
        """A resource the walk read: handled by its type, then subscribed to in subscription mode."""
        handler = self.handlers.get(name)
        if handler is not None:
            await handler(href, body)
        if self.settings.subscribe:
            await self.subscriber.subscribe(href, name, body)

    async def _missing(self, href: str, status: int) -> None:
        if status == 404 and href == self.walk.dcap_href and self.settings.csip_aus:
            # its DeviceCapability is gone: it asks where it is now at the next poll (never in a tight loop)
            self.walk.restart()
            self.walk.due[self.walk.dcap_href] = time.monotonic() + self.walk.dcap_rate
            return
        await self.registration.on_missing(href, status)

    async def _discover(self) -> str:
        return await dcap_href(self.core, self.configured_dcap, self.settings.csip_aus, self.storage.version)

    def _settings_changed(self) -> None:
        self.der.settings_changed()

    def _forget_discovery(self, keep_defaults: bool = False) -> None:
        """What a reboot or reregister forgets: the schedule, the EndDevice and the programs found below it. The
        events, its output, its mirror and its subscriptions stay (a real device keeps them in flash); a reboot
        keeps the programs' DefaultDERControls in force too, until it reads them again."""
        self.walk.forget()
        self.registration.forget()
        self.aus.forget()
        self.programs.forget(keep_defaults)
        self.der.forget()

    # --- life cycle ------------------------------------------------------------------------------------
    async def _power_on(self) -> None:
        if self.core.tasks:
            return
        self.core.http.open()
        self.walk.open()
        self.responses.open()
        if self.settings.subscribe:
            await self.subscriber.start()
        self.walk.restart()
        loop = asyncio.get_running_loop()
        self.core.tasks = [loop.create_task(fn()) for fn in (self.walk.loop, self.control.loop, self.responses.loop,
                                                              self.metering.loop)]
        if self.settings.csip_aus:
            self.core.tasks.append(loop.create_task(self.reporter.loop()))

    async def _power_off(self) -> None:
        await self.core.stop_jobs()
        await self.subscriber.stop()
        await self.core.http.close()

    # --- DUT actions -----------------------------------------------------------------------------------
    async def do_reboot(self) -> None:
        """A restart: walk again from /dcap; the events it already answered stay remembered, and its
        DefaultDERControl stays in force, also while the server cannot be reached (CACTUS ALL-30)."""
        await self._power_off()
        self._forget_discovery(keep_defaults=True)
        await self._power_on()

    async def do_reregister(self) -> None:
        """Forget the EndDevice location and everything found below it, then walk from /dcap. A walk under way (the
        one of its power on, when the run reregisters it at once) is abandoned, not finished first: finishing it
        read every resource twice within a second or two, which a poll judge rightly calls polling too often."""
        assert self.walk.io is not None
        self.output.latched_off = False
        self.walk.abandoned = True
        try:
            async with self.walk.io:
                self._forget_discovery()
                self.walk.restart()
        finally:
            self.walk.abandoned = False

    async def do_csip_aus_version(self, version: str) -> None:
        """Speak CSIP-AUS `version` from now on (v1.2, or v1.3-beta/storage: a storage DER, :mod:`.storage`);
        what it declared is written again in that version when it next walks (a reregister follows)."""
        assert self.walk.io is not None
        async with self.walk.io:
            self.storage.speak(version, self.core.http, self.walk.reader)
            self.der.forget()

    async def do_poll_now(self) -> None:
        """One immediate walk: every resource on the schedule, in walk order, now."""
        await self.walk.poll_now()

    async def do_set_power(self, w: float) -> None:
        """The EV's demand changed (W; negative: the EV offers to discharge); the applied limit still caps it."""
        self.output.demand_w = float(w)
        self.control.update_power()
        await self.der.put_status()

    async def do_set_grid(self, v: float | None = None, hz: float | None = None) -> None:
        """The grid at its point of connection stepped to `v` volts and/or `hz` hertz (a grid simulator)."""
        self.output.set_grid(v, hz)
        self.control.update_power()

    async def do_alarm(self, code: int = 0, details: str = "vgitest alarm") -> None:
        """Post a LogEvent to its EndDevice's LogEventList."""
        await self.alarms.post(code, details)

    # --- a CACTUS operator's hand (:mod:`.site`); procedure, step and instructions are for a person to read ------
    async def _on_site(self) -> None:
        self.control.update_power()
        await self.der.put_status()  # a real device reports the change by itself

    async def do_der_grid(self, connected: bool | str, **_: str) -> None:
        """Disconnected from the grid by hand (connected false), or reconnected."""
        self.output.site.grid_connected = site.flag(connected)
        await self._on_site()

    async def do_der_run(self, running: bool | str, **_: str) -> None:
        """Stopped by hand (running false: no import or export), or let run again."""
        self.output.site.running = site.flag(running)
        await self._on_site()

    async def do_der_units_off(self, which: str, **_: str) -> None:
        """One of its units, all of them, or none (all on again) powered off by hand."""
        self.output.site.power_off(which)
        await self._on_site()

    async def do_cactus_proceed(self, observe: str = "", timeout_s: float | str = 0, procedure: str = "",
                                step: str = "", **_: str) -> None:
        """A lab operator's go-ahead, simulated: it looks at its own DER for what the step says to observe and
        returns once it sees it. What it cannot look for (an empty or unknown `observe`: instructions only a
        person reads) or does not see in time, it does not confirm (an error: the step waits for its timeout)."""
        before = self.applied[0]  # "control": one that comes into force while it watches (not one already there)
        seen = {"energized": lambda: not self.output.ceased,
                "connected": lambda: not (self.output.ceased or self.output.disconnected),
                "control": lambda: self.applied[0] not in ("none", before)
                and not self.applied[0].startswith("default:"),
                "default": lambda: self.applied[0].startswith("default:"),
                "prices": self.aus.prices_read}.get(observe)
        if seen is None:
            raise site.NotSeen(f"the reference client's operator cannot observe {observe!r} ({procedure} {step})")
        if not await site.watch(seen, float(timeout_s) or site.OBSERVE_MAX_S):
            raise site.NotSeen(f"the reference client's operator did not see '{observe}' ({procedure} {step}; in "
                               f"force: {self.applied[0]})")

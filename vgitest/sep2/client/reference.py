"""Reference IEEE 2030.5 (CSIP) DER client, EVSE-flavoured, with injectable named faults.

It is the default DUT of `vgitest run` for sep2 and the proof that the CSIP suites can fail: correct by
default, and every fault of :mod:`.faults` bends one behaviour a suite must notice. It runs on its own
asyncio thread with its own aiohttp client, so its work never counts as harness latency.

Life cycle: one schedule of resources (href -> next poll). The walk puts ``/dcap`` on it; every answer is
handled by resource type, and links not yet on the schedule are fetched right away, so the first pass is
the CSIP walk in order (DeviceCapability → Time → EndDeviceList → EndDevice → Registration →
FunctionSetAssignments → DERProgramList → DefaultDERControl, DERControlList, DERCurveList, and each DERCurve
a control links to; then the DER writes and the MirrorUsagePoint). Afterwards each resource is re-polled at
the pollRate its own answer carried, else the DeviceCapability's. Separate tasks run the event state machine
(on server time) and the output, post the Responses in order (bounded retries), and post meter readings at
the post rate. Nothing raises out of a task: errors go to ``self.log`` and the client keeps going on its
cached schedule.

The EVSE is bidirectional (the EV may offer to discharge) and sits on a simulated grid connection whose
voltage and frequency a test sets (action ``set_grid``); the control modes turn the control in force and
the grid into its active and reactive power (the arithmetic is in :mod:`.modes`).

Subscription mode (PIXIT ``subscribe = true``): the client also listens for Notifications (loopback, CSIP TLS
with its device certificate, the server's certificate checked against its SERCA; PIXIT ``notify_port``, 0
for any, kept across restarts), subscribes to every subscribable list it follows and to the DefaultDERControls,
answers a Notification 201 and acts on it at once (a partial list, or one without items, is read in full
first). A Notification it cannot read is refused with 400. It keeps polling: CSIP asks DER clients to poll
whatever else they do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import ssl
import time
from typing import Any, Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import web

from ...simulator import LoopSimulator
from .. import codec, identity
from ..codec import as_list, find
from ..namespaces import MEDIA_TYPE
from . import modes
from .faults import check_names

log = logging.getLogger("vgitest.sep2.client")

DEFAULT_POLL_S = 900.0  # the schema's default pollRate
DEFAULT_PIN = 111115
PEN = 32473  # RFC 5612 documentation enterprise number: never a real vendor's
MARGIN_S = 0.05  # polls leave a little after their due time, never before it
TICK_S = 0.2  # resolution of the event state machine
CONN_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ssl.SSLError)
# Response status codes (IEEE 2030.5 Response.status)
RECEIVED, STARTED, COMPLETED, CANCELLED, SUPERSEDED = 1, 2, 3, 6, 7
SPECIFIC = {STARTED, COMPLETED, CANCELLED, SUPERSEDED}  # sent when responseRequired bit 1 is set
NO_RESPONSE_FAULT = {RECEIVED: "no_received_response", STARTED: "no_started_response",
                     COMPLETED: "no_completed_response", CANCELLED: "no_cancelled_response",
                     SUPERSEDED: "no_superseded_response"}
# DERControlType bit positions of the modes it carries out (charge and discharge: a bidirectional EVSE)
MODE_BITS = {"charge": 0, "discharge": 1, "opModConnect": 2, "opModEnergize": 3, "opModFixedPFAbsorbW": 4,
             "opModFixedPFInjectW": 5, "opModFixedVar": 6, "opModFixedW": 7, "opModFreqWatt": 9,
             "opModHFRTMustTrip": 11, "opModHVRTMustTrip": 14, "opModLFRTMustTrip": 16, "opModLVRTMustTrip": 19,
             "opModMaxLimW": 20, "opModTargetW": 22, "opModVoltVar": 23, "opModVoltWatt": 24, "opModWattPF": 25,
             "opModWattVar": 26}
MODES_SUPPORTED = sum(1 << bit for bit in MODE_BITS.values())
DER_TYPE_EVSE = 82
IGNORED_BY_FAULT = {  # fault -> the DERControlBase elements it makes the client ignore
    "ignores_volt_var": ("opModVoltVar",), "ignores_volt_watt": ("opModVoltWatt",),
    "ignores_freq_watt": ("opModFreqWatt",), "ignores_fixed_pf": ("opModFixedPFInjectW", "opModFixedPFAbsorbW"),
    "ignores_watt_pf": ("opModWattPF",), "ignores_voltage_trip": ("opModLVRTMustTrip", "opModHVRTMustTrip"),
    "ignores_frequency_trip": ("opModLFRTMustTrip", "opModHFRTMustTrip"), "ignores_fixed_var": ("opModFixedVar",),
    "ignores_watt_var": ("opModWattVar",), "ignores_connect": ("opModConnect",), "ignores_energize": ("opModEnergize",)}
# its mirrored meters: (mRID kind, description, uom, kind, flowDirection, powerOfTenMultiplier); power and
# var in the meter's view (flowDirection 1: positive while the site takes them from the grid)
METERS = ((0x3B, "EVSE real power", 38, 37, 1, 0), (0x3C, "EVSE reactive power", 63, 37, 1, 0),
          (0x3D, "grid voltage", 29, 0, 0, -1), (0x3E, "grid frequency", 33, 0, 0, -2))
SUBSCRIBED = ("FunctionSetAssignmentsList", "DERProgramList", "DERControlList", "DefaultDERControl")
SUB_LIMIT = 255  # list items a Notification may carry (the most a list page holds)
PAGE = 255  # list items it asks for in one GET
MAX_PAGES = 20  # a list that keeps growing while it is read is read no further
NOTIFY_PATH = "/ntfy"


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


@dataclasses.dataclass
class Event:
    """One DERControl as the client tracks it, across polls, by mRID."""

    mrid: str
    program: str  # href of its DERProgram
    primacy: int
    creation: int
    start: int
    duration: int
    base: dict
    reply_to: str | None
    response_required: int
    server_status: int
    start_offset: float  # randomizeStart draw, kept for the event's life
    duration_offset: float
    seq: int  # order of first sight (breaks creationTime ties)
    state: str = "scheduled"  # scheduled -> active -> done
    sent: list[int] = dataclasses.field(default_factory=list)
    held_received: bool = False  # wrong_response_status_order: 1 waits until after 2

    @property
    def eff_start(self) -> float:
        return self.start + self.start_offset

    @property
    def eff_end(self) -> float:
        return self.eff_start + self.duration + self.duration_offset


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
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.dcap_href = parts.path or "/dcap"
        self.ssl_context = self._tls() if parts.scheme == "https" else None
        self.lfdi = self._own_lfdi()
        self.sfdi = identity.sfdi(self.lfdi)
        p = self.params
        pin = p.get("pin", DEFAULT_PIN)  # PIXIT pin None/"": the utility gave no PIN, there is nothing to check
        self.pin: int | None = None if pin in (None, "") else _int(pin, DEFAULT_PIN)
        # in band: POST its EndDevice when the server does not list it (always so with registration = in_band;
        # with out-of-band registration only if the PIXIT says the device also can register itself)
        self.in_band = (str(p.get("registration", "out_of_band")).lower().replace("-", "_") == "in_band"
                        or str(p.get("register_when_unlisted", "false")).lower() == "true")
        self.max_w = float(p.get("rtg_max_w", 7000))
        self.demand_w = float(p.get("demand_w", self.max_w))
        self.late_s = float(p.get("late_response_s", 60))
        self.nominal_v = float(p.get("nominal_v", 240))  # its setVRef (and setVNom)
        self.grid_v, self.grid_hz = self.nominal_v, float(p.get("nominal_hz", 60))
        self.grid_since = time.monotonic()  # when the grid last changed: the start of an excursion
        self.own_grad = _int(p.get("set_grad_w", 0))  # its own setGradW (0.01 %/s of setMaxW); 0: no ramp limit
        self._ignored = frozenset(e for f, elements in IGNORED_BY_FAULT.items() if f in self.faults for e in elements)
        self.subscribe = str(p.get("subscribe", False)).lower() in ("true", "1", "yes")
        self.notify_port = int(p.get("notify_port", 0))
        self.rng = random.Random(p.get("random_seed"))
        self.log: list[str] = []  # what the client did and what went wrong, for humans debugging a run
        # discovery state (forgotten by reboot/reregister)
        self._due: dict[str, float] = {}  # href -> monotonic time of its next poll, in first-fetch order
        self._inflight: set[str] = set()  # GETs on their way: a walk that starts meanwhile must not repeat them
        self._lists: set[str] = set()  # hrefs that answered with a list: read page by page from then on
        self._failures: dict[str, int] = {}
        self.dcap_rate = DEFAULT_POLL_S
        self.clock_offset = -300.0 if self.has("skip_time_sync") else 0.0
        self.mup_list: str | None = None
        self.edev_href: str | None = None
        self.edev_links: dict[str, str] = {}
        self.registered = False
        self.registered_in_band = False
        self.end_device_post_rate: int | None = None
        self.programs: dict[str, dict] = {}  # program href -> primacy, links
        self._owner: dict[str, str] = {}  # DefaultDERControl/DERControlList/DERCurveList href -> program href
        self.defaults: dict[str, dict] = {}  # program href -> DefaultDERControl's DERControlBase
        self.default_settings: dict[str, dict] = {}  # program href -> its DefaultDERControl's setGradW
        self.curves: dict[str, list] = {}
        self._fsa_lists: dict[str, str] = {}  # FunctionSetAssignments href -> its DERProgramList href
        self._list_programs: dict[str, set[str]] = {}  # DERProgramList href -> the program hrefs it listed
        self.curve_cache: dict[str, modes.Curve] = {}  # DERCurve href -> curve (hrefs are never reused)
        self._declared_grad: int | None = None  # the setGradW of its last DERSettings PUT
        self.der_links: dict[str, str] = {}
        self.der_written = False
        # what survives a reboot (a real device keeps it in flash)
        self.events: dict[str, Event] = {}
        self.mup_href: str | None = None
        self.applied: tuple[str, float | None] = ("none", None)  # (mRID or 'default:<program>', limit W)
        self.latched_off = False  # stays_disconnected: off since a disconnect, until reregistered
        self.base: dict = {}  # the DERControlBase in force
        self.power_w = min(self.demand_w, self.max_w)  # the meter's view: positive charging, negative discharging
        self.reactive_var = 0.0  # the meter's view: positive absorbing (under-excited)
        self.tripped = False  # ceased to energize on a must-trip curve
        self._stepped = time.monotonic()
        self.readings_posted = 0
        self.stopped_polling = False
        self._seq = 0
        self._log_ids = 0
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task] = []
        self._side: set[asyncio.Future] = set()
        self._io: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._outbox: asyncio.Queue | None = None
        # subscriptions (kept across restarts, like the events): resource href -> the Subscription's location
        # ("" while being made or when the server refused it), and the ones the server ended
        self.subscriptions: dict[str, str] = {}
        self.ended_subscriptions: set[str] = set()
        self.notifications_heard = 0
        self._listener: web.AppRunner | None = None
        self._listening: Any = None  # its listening server (asyncio)

    def has(self, fault: str) -> bool:
        return fault in self.faults

    # --- configuration ----------------------------------------------------------------------------------
    def _tls(self) -> ssl.SSLContext:
        """CSIP TLS from the PIXIT files; the strict context also checks the chain against the CSIP profile."""
        from ..security import client_context_files
        p = self.params
        if "tls_ca" not in p:
            raise ValueError("an https DCAP URL needs PIXIT tls_ca (and tls_cert, tls_key)")
        strict = not (self.has("accepts_bad_chain") or self.has("accepts_any_server"))
        ciphers = {"ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"} if self.has("offers_only_other_suite") else {}
        ctx = client_context_files(p["tls_ca"], p.get("tls_cert"), p.get("tls_key"), strict=strict, **ciphers)
        if self.has("accepts_any_server"):
            ctx.verify_mode = ssl.CERT_NONE
        if self.has("refuses_deep_chains") or self.has("requires_mica"):
            from ...tlsutil import add_handshake_check, peer_chain
            deep, needs = self.has("refuses_deep_chains"), self.has("requires_mica")

            def depth_check(conn: ssl.SSLObject | ssl.SSLSocket) -> None:
                chain = peer_chain(conn, verified=True) or peer_chain(conn) or []
                if (deep and len(chain) > 2) or (needs and len(chain) < 3):
                    raise ssl.SSLCertVerificationError(f"chain of depth {len(chain)} refused (fault)")

            add_handshake_check(ctx, depth_check)
        return ctx

    def _own_lfdi(self) -> str:
        """Over TLS the LFDI is its certificate's; on plain HTTP it is the PIXIT's `lfdi`."""
        cert = self.params.get("tls_cert")
        if self.ssl_context is not None and cert:
            from cryptography import x509
            with open(cert, "rb") as fh:
                return identity.lfdi(x509.load_pem_x509_certificates(fh.read())[0])
        lfdi = identity.normalize_lfdi(str(self.params.get("lfdi", "")))
        if lfdi is None:
            raise ValueError("the reference DER client needs PIXIT lfdi (40 hex digits) on plain HTTP")
        return lfdi

    # --- life cycle ------------------------------------------------------------------------------------
    async def _power_on(self) -> None:
        if self._tasks:
            return
        connector = aiohttp.TCPConnector(ssl=self.ssl_context if self.ssl_context is not None else False)
        self._http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10, connect=5))
        self._io = asyncio.Lock()
        self._wake = asyncio.Event()
        self._outbox = asyncio.Queue()
        self.stopped_polling = False
        if self.subscribe:
            await self._start_listener()
        self._walk()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(fn()) for fn in (self._poll_loop, self._event_loop, self._send_loop,
                                                         self._meter_loop)]

    def _spawn(self, coro: Awaitable[None]) -> None:
        """A short side job (a DERStatus PUT, a delayed Response), cancelled at power off."""
        task = asyncio.ensure_future(coro)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _power_off(self) -> None:
        tasks = [*self._tasks, *self._side]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks = []
        self._side.clear()
        await self._stop_listener()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _forget_discovery(self) -> None:
        self._due.clear()
        self._failures.clear()
        self.edev_href = None
        self.edev_links = {}
        self.registered = self.registered_in_band = False
        self.programs.clear()
        self._owner.clear()
        self._fsa_lists.clear()
        self._list_programs.clear()
        self.der_written = False

    def _walk(self) -> None:
        """Start over from the DeviceCapability (the poll loop fetches it at once)."""
        self._due = {self.dcap_href: 0.0}
        if self._wake is not None:
            self._wake.set()

    # --- DUT actions -----------------------------------------------------------------------------------
    async def do_reboot(self) -> None:
        """A restart: walk again from /dcap; the events it already answered stay remembered."""
        await self._power_off()
        self._forget_discovery()
        await self._power_on()

    async def do_reregister(self) -> None:
        """Forget the EndDevice location and everything found below it, then walk from /dcap."""
        assert self._io is not None
        self.latched_off = False
        async with self._io:
            self._forget_discovery()
            self._walk()

    async def do_poll_now(self) -> None:
        """One immediate walk: every resource on the schedule, in walk order, now."""
        assert self._io is not None
        async with self._io:
            for href in list(self._due):
                if href in self._due:
                    await self._fetch(href)

    async def do_set_power(self, w: float) -> None:
        """The EV's demand changed (W; negative: the EV offers to discharge); the applied limit still caps it."""
        self.demand_w = float(w)
        self._update_power()
        await self._put_der_status()

    async def do_set_grid(self, v: float | None = None, hz: float | None = None) -> None:
        """The grid at its point of connection stepped to `v` volts and/or `hz` hertz (a grid simulator)."""
        grid = (self.grid_v if v is None else float(v), self.grid_hz if hz is None else float(hz))
        if grid != (self.grid_v, self.grid_hz):
            self.grid_v, self.grid_hz = grid
            self.grid_since = time.monotonic()
        self._update_power()

    async def do_alarm(self, code: int = 0, details: str = "vgitest alarm") -> None:
        """Post a LogEvent to its EndDevice's LogEventList."""
        href = None if self.has("no_log_events") else self.edev_links.get("LogEventListLink")
        if href is None:
            self.log.append("alarm: no LogEventList known yet")
            return
        self._log_ids += 1
        body = {"createdDateTime": str(self._server_now_int()), "details": str(details)[:32], "functionSet": "0",
                "logEventCode": str(int(code)), "logEventID": str(self._log_ids), "logEventPEN": str(PEN),
                "profileID": "2"}
        await self._write("POST", href, "LogEvent", body)

    # --- HTTP --------------------------------------------------------------------------------------------
    def _url(self, href: str) -> str:
        return urljoin(self.base_url + "/", href)

    async def _request(self, method: str, href: str, name: str | None = None,
                       body: dict | None = None) -> tuple[int, codec.Decoded | None, dict[str, str]]:
        """One exchange; raises the CONN_ERRORS on transport failure, never for what the server answers."""
        assert self._http is not None, "client not powered on"
        headers = {"Accept": MEDIA_TYPE}
        data = None
        if name is not None:
            data = self._encode(name, body or {})
            headers["Content-Type"] = "application/xml" if self.has("wrong_content_type") else MEDIA_TYPE
        async with self._http.request(method, self._url(href), data=data, headers=headers) as resp:
            raw = await resp.read()
            decoded = codec.decode(raw) if raw else None
            return resp.status, decoded, dict(resp.headers)

    def _encode(self, name: str, body: dict) -> bytes:
        return codec.encode(name, body)

    async def _write(self, method: str, href: str, name: str, body: dict) -> tuple[int, dict[str, str]] | None:
        """PUT/POST with the outcome logged; None on transport failure."""
        try:
            status, _, headers = await self._request(method, href, name, body)
        except CONN_ERRORS as exc:
            self.log.append(f"{method} {href} ({name}): {exc!r}")
            return None
        if status >= 300:
            self.log.append(f"{method} {href} ({name}): HTTP {status}")
        return status, headers

    # --- polling -----------------------------------------------------------------------------------------
    def _rate_factor(self) -> float:
        return 0.3 if self.has("poll_too_fast") else 2.5 if self.has("poll_too_slow") else 1.0

    async def _poll_loop(self) -> None:
        assert self._io is not None and self._wake is not None
        while True:
            try:
                if self.stopped_polling:
                    return
                async with self._io:
                    for href in [h for h, t in list(self._due.items()) if t <= time.monotonic()]:
                        if href in self._due and self._due[href] <= time.monotonic() and not self.stopped_polling:
                            await self._fetch(href)
                nxt = min(self._due.values(), default=time.monotonic() + 1.0)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.02, min(1.0, nxt - time.monotonic())))
                except asyncio.TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never die silently: note it and keep polling
                log.exception("reference DER client poll cycle")
                self.log.append(f"poll cycle: {exc!r}")
                await asyncio.sleep(1.0)

    async def _follow(self, href: str | None) -> None:
        """Fetch a link once; after that it is polled on its own schedule."""
        if href and href not in self._due and href not in self._inflight:
            await self._fetch(href)

    async def _fetch(self, href: str) -> None:
        """GET one resource, schedule its next poll, and handle the answer by resource type."""
        sent = time.monotonic()
        self._due[href] = sent + 3600  # being fetched: not due, and not followed twice
        self._inflight.add(href)
        try:
            status, doc = await self._get(href)
        except Exception as exc:  # transport failure (or anything else): never leave the path unscheduled
            self._retry(href, repr(exc))
            return
        finally:
            self._inflight.discard(href)
        if status >= 500:
            self._retry(href, f"HTTP {status}")
            if self.has("stops_during_outage"):
                self.stopped_polling = True
                self.log.append("stopped polling after a server error")
            return
        if status != 200 or doc is None or doc.name is None or not isinstance(doc.body, dict):
            self._due.pop(href, None)
            self.log.append(f"GET {href}: HTTP {status}" + (f" {doc.problems}" if doc and doc.problems else ""))
            if status == 404 and href == self.edev_links.get("RegistrationLink") and (self.registered_in_band
                                                                                     or self.pin is None):
                self.registered = True  # registered in band, or no PIN configured: nothing to compare
                await self._proceed()
            return
        self._failures.pop(href, None)
        rate = self.dcap_rate
        if "@pollRate" in doc.body:
            rate = float(_int(doc.body["@pollRate"], int(self.dcap_rate)))
        if doc.name == "DeviceCapability":
            self.dcap_rate = rate = float(_int(doc.body.get("@pollRate"), int(DEFAULT_POLL_S)))
        if href in self._due:  # still wanted (a handler may have dropped it)
            self._due[href] = sent + rate * self._rate_factor() + MARGIN_S
        handler = self._handlers().get(doc.name)
        if handler is not None:
            await handler(href, doc.body)
        if self.subscribe:
            await self._subscribe(href, doc.name, doc.body)

    async def _get(self, href: str) -> tuple[int, codec.Decoded | None]:
        """GET a resource; a list is read whole, page by page (``s``, ``l``: a server answers one item when no
        ``l`` is given), and handed on as one body. The first read of an href asks without a query (it is not
        yet known to be a list), later ones ask for PAGE items at once."""
        status, doc, _ = await self._request("GET", f"{href}?s=0&l={PAGE}" if href in self._lists else href)
        body = doc.body if doc is not None else None
        if status != 200 or not isinstance(body, dict) or "@all" not in body or "@results" not in body:
            return status, doc
        self._lists.add(href)
        key = next((k for k in body if not k.startswith("@")), None)
        items = as_list(body.get(key)) if key else []
        for _ in range(MAX_PAGES):
            if len(items) >= _int(body["@all"]):
                break
            more_status, more, _ = await self._request("GET", f"{href}?s={len(items)}&l={PAGE}")
            got = more.body if more_status == 200 and more is not None and isinstance(more.body, dict) else {}
            key = key or next((k for k in got if not k.startswith("@")), None)
            page = as_list(got.get(key)) if key else []
            if not page:
                break
            items += page
        if key:
            body[key] = items
        body["@results"] = str(len(items))
        return status, doc

    def _retry(self, href: str, why: str) -> None:
        """Transport failure or 5xx: try again with a growing delay, never later than the pollRate."""
        n = self._failures[href] = self._failures.get(href, 0) + 1
        delay = min(0.5 * 2 ** (n - 1), max(1.0, self.dcap_rate), 30.0)
        self._due[href] = time.monotonic() + delay
        self.log.append(f"GET {href}: {why}; retry in {delay:g} s")

    def _handlers(self) -> dict[str, Callable[[str, dict], Awaitable[None]]]:
        return {"DeviceCapability": self._on_dcap, "Time": self._on_time, "EndDeviceList": self._on_edev_list,
                "EndDevice": self._on_edev, "Registration": self._on_registration,
                "FunctionSetAssignmentsList": self._on_fsa_list, "FunctionSetAssignments": self._on_fsa,
                "DERProgramList": self._on_programs, "DefaultDERControl": self._on_default,
                "DERControlList": self._on_controls, "DERCurveList": self._on_curves, "DERCurve": self._on_curve,
                "DERList": self._on_der_list}

    # --- resource handlers (the walk) -------------------------------------------------------------------
    async def _on_dcap(self, href: str, body: dict) -> None:
        self.mup_list = find(body, "MirrorUsagePointListLink/@href")
        if self.has("guesses_paths"):
            await self._follow("/derp")  # a path it was never given
        if not self.has("skip_time_sync"):
            await self._follow(find(body, "TimeLink/@href"))
        await self._follow(find(body, "EndDeviceListLink/@href"))

    async def _on_time(self, href: str, body: dict) -> None:
        """Server time = local clock + offset; within the resource's 1 s resolution the clocks agree."""
        diff = _int(body.get("currentTime"), int(time.time())) - time.time()
        self.clock_offset = 0.0 if abs(diff) < 1.0 else float(round(diff))

    async def _on_edev_list(self, href: str, body: dict) -> None:
        if self.edev_href is None:
            mine = next((d for d in as_list(body.get("EndDevice")) if isinstance(d, dict)
                         and identity.normalize_lfdi(str(d.get("lFDI", ""))) == self.lfdi), None)
            if mine is not None and not self.has("registers_in_band_always"):
                self.edev_href = mine.get("@href")
            elif self.in_band or self.has("registers_in_band_always"):
                await self._register_in_band(href)
            elif "not registered" not in (self.log[-1] if self.log else ""):
                self.log.append("not registered: no EndDevice with my LFDI (waiting for out-of-band registration)")
        await self._follow(self.edev_href)

    async def _register_in_band(self, href: str) -> None:
        lfdi = self.lfdi
        if self.has("wrong_lfdi_in_end_device"):
            lfdi = lfdi[:-1] + ("0" if lfdi[-1] != "0" else "1")
        sfdi = self.sfdi
        if self.has("wrong_sfdi_check_digit"):
            sfdi = sfdi // 10 * 10 + (sfdi % 10 + 1) % 10
        body = {"lFDI": lfdi, "sFDI": str(sfdi), "changedTime": str(self._server_now_int())}
        out = await self._write("POST", href, "EndDevice", body)
        if out is not None and out[0] == 201 and out[1].get("Location"):
            self.edev_href = out[1]["Location"]
            self.registered_in_band = True
            self.log.append(f"registered in band at {self.edev_href}")

    async def _on_edev(self, href: str, body: dict) -> None:
        self.edev_links = {k: v["@href"] for k, v in body.items() if k.endswith("Link") and isinstance(v, dict)
                           and "@href" in v}
        if "postRate" in body:
            self.end_device_post_rate = _int(body["postRate"]) or None
        rg = self.edev_links.get("RegistrationLink")
        if self.registered or (rg is None and self.registered_in_band):
            self.registered = True
            await self._proceed()
        elif rg is not None:
            await self._follow(rg)
        else:
            self.log.append("EndDevice without a RegistrationLink: cannot check the PIN; not proceeding")

    async def _on_registration(self, href: str, body: dict) -> None:
        pin = _int(body.get("pIN"), -1)
        if self.pin is not None and pin != self.pin and not self.has("skip_registration_check"):
            if self.registered or not any("PIN mismatch" in line for line in self.log[-5:]):
                self.log.append(f"PIN mismatch: the server says {pin}, mine is {self.pin}; not proceeding")
            self.registered = False
            return
        self.registered = True
        await self._proceed()

    async def _proceed(self) -> None:
        """Registered: the function sets, then its DER."""
        await self._follow(self.edev_links.get("FunctionSetAssignmentsListLink"))
        await self._follow(self.edev_links.get("DERListLink"))

    async def _on_fsa_list(self, href: str, body: dict) -> None:
        """Follow every group assigned to the device; forget the programs of a group no longer listed."""
        fsas = [f["@href"] for f in as_list(body.get("FunctionSetAssignments")) if isinstance(f, dict) and "@href" in f]
        if self.has("reads_first_fsa_only"):
            fsas = fsas[:1]
        if not self.has("keeps_removed_fsa"):
            for gone in set(self._fsa_lists) - set(fsas):
                self._due.pop(gone, None)
                self._drop_list(self._fsa_lists.pop(gone))
        for fsa in fsas:
            await self._follow(fsa)

    async def _on_fsa(self, href: str, body: dict) -> None:
        link = find(body, "DERProgramListLink/@href")
        if link:
            self._fsa_lists[href] = str(link)
        await self._follow(link)

    def _drop_list(self, href: str) -> None:
        """A program list no group links to any more: stop polling it and forget its programs."""
        if href in self._fsa_lists.values():
            return
        self._due.pop(href, None)
        for prog in self._list_programs.pop(href, set()):
            if not any(prog in progs for progs in self._list_programs.values()):
                self._drop_program(prog)

    def _drop_program(self, p_href: str) -> None:
        """Forget a program that is no longer listed: its defaults, curves and events (none of them applies)."""
        prog = self.programs.pop(p_href, None) or {}
        self.defaults.pop(p_href, None)
        self.default_settings.pop(p_href, None)
        self.curves.pop(p_href, None)
        for key in ("DefaultDERControlLink", "DERControlListLink", "DERCurveListLink"):
            link = prog.get(key)
            if link:
                self._owner.pop(link, None)
                self._due.pop(link, None)
        for ev in self.events.values():
            if ev.program == p_href and ev.state != "done":
                ev.state = "done"
                self.log.append(f"event {ev.mrid}: its program {p_href} is gone")

    async def _on_programs(self, href: str, body: dict) -> None:
        seen: set[str] = set()
        progs = as_list(body.get("DERProgram"))
        for prog in progs[:1] if self.has("first_program_only") else progs:
            if not isinstance(prog, dict) or "@href" not in prog:
                continue
            p_href = prog["@href"]
            seen.add(p_href)
            primacy = _int(prog.get("primacy"))
            links = {k: find(prog, f"{k}/@href") for k in ("DefaultDERControlLink", "DERControlListLink",
                                                             "DERCurveListLink")}
            self.programs[p_href] = {"primacy": primacy, "mRID": prog.get("mRID"), **links}
            for ev in self.events.values():
                if ev.program == p_href:
                    ev.primacy = primacy
            for link in links.values():
                if link:
                    self._owner[link] = p_href
            for link in links.values():
                await self._follow(link)
        before = self._list_programs.get(href, set())
        self._list_programs[href] = seen
        for gone in before - seen:
            if not any(gone in progs for progs in self._list_programs.values()):
                self._drop_program(gone)
        self._settings_changed()

    async def _on_default(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is not None:
            self.defaults[prog] = dict(body.get("DERControlBase") or {})
            self.default_settings[prog] = {k: body[k] for k in ("setGradW",) if k in body}
            self._settings_changed()
            await self._fetch_curves(self.defaults[prog])

    async def _on_curves(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is not None:
            self.curves[prog] = as_list(body.get("DERCurve"))
            for curve in self.curves[prog]:
                if isinstance(curve, dict) and curve.get("@href"):
                    await self._on_curve(curve["@href"], curve)

    async def _on_curve(self, href: str, body: dict) -> None:
        curve = modes.parse_curve(body)
        if curve is None:
            self.log.append(f"DERCurve {href}: not usable")
        else:
            self.curve_cache[href] = curve

    async def _fetch_curves(self, base: dict) -> None:
        """Fetch the curves a control links to that it does not know yet (DERCurveList may come later)."""
        for link in modes.curve_links(base).values():
            if link not in self.curve_cache:
                await self._follow(link)

    async def _on_controls(self, href: str, body: dict) -> None:
        prog = self._owner.get(href)
        if prog is None:
            return
        for ctl in as_list(body.get("DERControl")):
            if isinstance(ctl, dict) and ctl.get("mRID"):
                self._see_control(prog, ctl)
                if self.events[str(ctl["mRID"])].state != "done":
                    await self._fetch_curves(self.events[str(ctl["mRID"])].base)

    async def _on_der_list(self, href: str, body: dict) -> None:
        der = next((d for d in as_list(body.get("DER")) if isinstance(d, dict)), None)
        if der is None:
            return
        self.der_links = {k: v["@href"] for k, v in der.items() if k.endswith("Link") and isinstance(v, dict)
                          and "@href" in v}
        if not self.der_written:
            self.der_written = True
            await self._write_der()
        if self.mup_href is None and self.mup_list:
            await self._create_mirror()

    # --- subscriptions and notifications ------------------------------------------------------------------
    @property
    def notification_uri(self) -> str:
        return f"{'https' if self.ssl_context is not None else 'http'}://127.0.0.1:{self.notify_port}{NOTIFY_PATH}"

    async def _start_listener(self) -> None:
        """Listen for Notifications on loopback; the port found the first time is kept for later restarts (the
        server holds Subscriptions naming it)."""
        if self._listener is not None:
            return
        ctx = None
        if self.ssl_context is not None:
            from ..security import server_context_files
            p = self.params
            ctx = server_context_files(p["tls_cert"], p["tls_key"], p["tls_ca"])  # CSIP TLS, the server checked
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(NOTIFY_PATH, self._on_notification)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.notify_port, ssl_context=ctx, reuse_address=True)
        await site.start()
        server = self._listening = site._server  # aiohttp keeps the listening socket here
        if server is not None and getattr(server, "sockets", None):
            self.notify_port = int(server.sockets[0].getsockname()[1])
        self._listener = runner

    async def _stop_listener(self) -> None:
        runner, self._listener = self._listener, None
        if runner is not None:
            await runner.cleanup()

    async def _subscribe(self, href: str, name: str, body: dict) -> None:
        """Subscribe once to a resource it follows that the server offers for subscription."""
        if (self.has("no_subscription") or name not in SUBSCRIBED or href in self.subscriptions
                or href in self.ended_subscriptions or str(body.get("@subscribable", "0")) not in ("1", "3")):
            return
        link = self.edev_links.get("SubscriptionListLink")
        if not link:
            return
        target = href
        if self.has("subscribes_to_wrong_resource") and name == "DERControlList":
            target = self._owner.get(href, href)  # the DERProgram, not its control list
        self.subscriptions[href] = ""
        sub = {"subscribedResource": target, "encoding": "0", "level": "+S1", "limit": str(SUB_LIMIT),
               "notificationURI": self.notification_uri}
        out = await self._write("POST", link, "Subscription", sub)
        if out is None:
            self.subscriptions.pop(href, None)  # the server was not reached: try again at the next read
        elif out[0] == 201:
            self.subscriptions[href] = out[1].get("Location", "")

    async def _on_notification(self, request: web.Request) -> web.Response:
        """201 for a Notification it takes (acted on in the background), 400 for one it cannot read."""
        raw = await request.read()
        self.notifications_heard += 1
        doc = codec.decode(raw) if raw else None
        body = doc.body if doc is not None and doc.name == "Notification" and not doc.problems else None
        taken = 200 if self.has("notification_wrong_status") else 201
        if self.has("accepts_malformed_notification") and not isinstance(body, dict):
            return web.Response(status=taken)
        if not isinstance(body, dict) or not all(body.get(k) for k in ("subscribedResource", "status",
                                                                         "subscriptionURI")):
            self.log.append(f"notification refused: {raw[:80]!r}")
            if self.has("listener_dies_on_bad_notification") and self._listening is not None:
                self._listening.close()  # no new connection from now on; this answer still leaves
                self._spawn(self._die_later())
            return web.Response(status=400)
        href = urlsplit(str(body["subscribedResource"])).path
        resource = body.get("Resource")
        if _int(body["status"], -1) != 0:  # the server ended this subscription
            if self.has("rejects_cancel_notification") and resource is None:
                return web.Response(status=400)
            self.subscriptions.pop(href, None)
            self.ended_subscriptions.add(href)
            self.log.append(f"subscription to {href} ended by the server (status {body['status']})")
            return web.Response(status=taken)
        if not self.has("ignores_notifications"):
            self._spawn(self._act_on(href, resource if isinstance(resource, dict) else None))
        return web.Response(status=taken)

    async def _die_later(self) -> None:
        await asyncio.sleep(0.1)  # the 400 leaves first
        await self._stop_listener()

    async def _act_on(self, href: str, resource: dict | None) -> None:
        """A notified change, handled now: the resource as carried, or read in full when the Notification holds
        only part of a list (or no representation at all)."""
        if self._io is None or href not in self._due:
            return  # not (or no longer) followed
        async with self._io:
            kind = str(resource.get("@xsi:type", "")).rsplit(":", 1)[-1] if resource is not None else ""
            partial = resource is None or ("@all" in resource and _int(resource.get("@all"))
                                           > _int(resource.get("@results")))
            handler = self._handlers().get(kind)
            if handler is not None and resource is not None and (not partial
                                                                  or self.has("trusts_partial_notification")):
                await handler(href, resource)
            elif partial and href in self._due:
                await self._fetch(href)

    # --- what the client writes ----------------------------------------------------------------------------
    def _power(self, w: float) -> dict:
        return {"multiplier": "0", "value": str(int(round(w)))}

    async def _write_der(self) -> None:
        """Its DER as a bidirectional EVSE: capability, settings, status, availability (bodies in schema order;
        its var rating, setMaxVar and statVarAvail are its rated power, its nominal voltage its setVRef)."""
        links = self.der_links
        rated, volts = self._power(self.max_w), self._power(self.nominal_v)
        cap = {"modesSupported": f"{MODES_SUPPORTED:08X}", "rtgMaxChargeRateW": rated, "rtgMaxDischargeRateW": rated,
               "rtgMaxVar": rated, "rtgMaxW": rated, "rtgVNom": volts, "type": str(DER_TYPE_EVSE)}
        if self.has("der_capability_schema_violation"):
            cap = {"type": cap.pop("type"), **cap}
        if "DERCapabilityLink" in links:
            await self._write("PUT", links["DERCapabilityLink"], "DERCapability", cap)
        await self._put_settings()
        await self._put_der_status()
        if "DERAvailabilityLink" in links:
            avail = {"readingTime": str(self._server_now_int()), "statVarAvail": self._power(self.max_w),
                     "statWAvail": self._power(self.max_w)}
            await self._write("PUT", links["DERAvailabilityLink"], "DERAvailability", avail)

    async def _put_settings(self) -> None:
        href = self.der_links.get("DERSettingsLink")
        if href is None or self.has("no_der_settings"):
            return
        rated, volts = self._power(self.max_w), self._power(self.nominal_v)
        self._declared_grad = self._set_grad_w()
        settings = {"modesEnabled": f"{MODES_SUPPORTED:08X}", "setGradW": str(self._declared_grad),
                    "setMaxChargeRateW": rated, "setMaxDischargeRateW": rated, "setMaxVar": rated, "setMaxW": rated,
                    "setVNom": volts, "setVRef": volts, "updatedTime": str(self._server_now_int())}
        await self._write("PUT", href, "DERSettings", settings)

    async def _put_der_status(self) -> None:
        href = self.der_links.get("DERStatusLink")
        if href is None or self.has("no_der_status"):
            return
        now = str(self._server_now_int())
        mode = "0" if self.power_w > 0 else "1" if self.power_w < 0 else "2"  # charging, discharging, holding
        status = {"operationalModeStatus": {"dateTime": now, "value": "2"}, "readingTime": now,
                  "storageModeStatus": {"dateTime": now, "value": mode},
                  "storConnectStatus": {"dateTime": now, "value": "07" if self.power_w else "03"}}
        await self._write("PUT", href, "DERStatus", status)

    def _mrid(self, kind: int) -> str:
        return f"{kind:02X}{self.lfdi[:30]}"

    def _mirror_readings(self, creating: bool) -> list[dict]:
        """One MirrorMeterReading per meter of METERS with its present value; ReadingTypes when creating."""
        now = self._server_now_int()
        values = (self.power_w, self.reactive_var, self.grid_v, self.grid_hz)
        out = []
        for (kind, description, uom, rkind, flow, mult), value in zip(METERS, values):
            mmr: dict[str, Any] = {"mRID": self._mrid(kind)}
            if creating:
                mmr["description"] = description
            else:
                mmr.update(lastUpdateTime=str(now), nextUpdateTime=str(now + int(self._post_rate())))
            mmr["Reading"] = {"value": str(round(value / 10.0 ** mult))}
            if creating and not self.has("readings_without_reading_type"):
                mmr["ReadingType"] = {"accumulationBehaviour": "12", "commodity": "1", "dataQualifier": "2",
                                      "flowDirection": str(flow), "kind": str(rkind), "phase": "0",
                                      "powerOfTenMultiplier": str(mult),
                                      "uom": "72" if uom == 38 and self.has("wrong_reading_type") else str(uom)}
            out.append(mmr)
        return out

    def _mirror(self, readings: list[dict], **extra: str) -> dict:
        return {"mRID": self._mrid(0x3A), "description": "EVSE", "roleFlags": "0049", "serviceCategoryKind": "0",
                "status": "1", "deviceLFDI": self.lfdi, "MirrorMeterReading": readings, **extra}

    async def _create_mirror(self) -> None:
        """Its metering: one MirrorUsagePoint with a MirrorMeterReading per meter (W, var, V, Hz)."""
        assert self.mup_list is not None
        body = self._mirror(self._mirror_readings(creating=True), postRate=str(int(self._post_rate())))
        out = await self._write("POST", self.mup_list, "MirrorUsagePoint", body)
        if out is not None and out[0] in (200, 201, 204) and out[1].get("Location"):
            self.mup_href = out[1]["Location"]

    def _post_rate(self) -> float:
        if "post_rate_s" in self.params:
            return max(0.1, float(self.params["post_rate_s"]))
        return float(self.end_device_post_rate or 60)

    async def _meter_loop(self) -> None:
        while True:
            try:
                await asyncio.sleep(self._post_rate())
                if self.mup_href is None:
                    continue
                body = self._mirror(self._mirror_readings(creating=False))  # all meters in one POST
                out = await self._write("POST", self.mup_href, "MirrorUsagePoint", body)
                if out is not None and out[0] < 300:
                    self.readings_posted += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("reference DER client metering")
                self.log.append(f"metering: {exc!r}")

    # --- events ---------------------------------------------------------------------------------------------
    def _server_now(self) -> float:
        return time.time() + self.clock_offset

    def _server_now_int(self) -> int:
        return int(self._server_now())

    def _draw(self, bound: int | None) -> float:
        """A randomization offset within [0, bound] (keeping the bound's sign), drawn once per event."""
        if not bound or self.has("ignores_randomization"):
            return 0.0
        if self.has("randomizes_beyond_bound"):
            return 2.0 * bound
        return self.rng.uniform(0, bound)

    def _see_control(self, prog: str, ctl: dict) -> None:
        mrid = str(ctl["mRID"])
        status = _int(find(ctl, "EventStatus/currentStatus"))
        ev = self.events.get(mrid)
        if ev is not None:
            ev.server_status = status
            return
        rs = ctl.get("randomizeStart")
        rd = ctl.get("randomizeDuration")
        self._seq += 1
        ev = Event(mrid, prog, self.programs.get(prog, {}).get("primacy", 0), _int(ctl.get("creationTime")),
                   _int(find(ctl, "interval/start")), _int(find(ctl, "interval/duration")),
                   dict(ctl.get("DERControlBase") or {}), ctl.get("@replyTo"),
                   _int_hex(ctl.get("@responseRequired", "00")), status,
                   self._draw(_int(rs) if rs is not None else None), self._draw(_int(rd) if rd is not None else None),
                   self._seq)
        self.events[mrid] = ev
        if ev.eff_end <= self._server_now():
            ev.state = "done"  # history: nothing to do, nothing to say
            return
        if self.has("keeps_only_next_event") and self._drop_all_but_next(ev):
            return
        self.log.append(f"event {mrid}: start {ev.start}+{ev.start_offset:.1f}, {ev.duration} s, {ev.base}")
        if self.has("wrong_response_status_order"):
            ev.held_received = True
        else:
            self._respond(ev, RECEIVED)

    def _drop_all_but_next(self, ev: Event) -> bool:
        """The fault keeps_only_next_event: one slot for the next event; a later-starting one is dropped
        unheard (True when `ev` itself was dropped)."""
        pending = [e for e in self.events.values() if e.state == "scheduled" and e is not ev]
        if any(e.eff_start <= ev.eff_start for e in pending):
            ev.state = "done"
            return True
        for e in pending:
            e.state = "done"
        return False

    def _rank(self, ev: Event) -> tuple:
        primacy = -ev.primacy if self.has("ignores_primacy") else ev.primacy
        newer = (ev.creation, ev.seq) if self.has("applies_superseded") else (-ev.creation, -ev.seq)
        return (primacy, *newer)

    async def _event_loop(self) -> None:
        while True:
            try:
                self._tick()
                self._update_power()  # the grid, the curves and the ramp move on between control changes
            except Exception as exc:
                log.exception("reference DER client events")
                self.log.append(f"events: {exc!r}")
            await asyncio.sleep(TICK_S)

    def _tick(self) -> None:
        """Advance every event on server time, then apply the winners over the default control.

        Control modes are independent: a live event loses (superseded, 7) only to a better-ranked live event
        that sets one of its modes; events with disjoint modes are in force together, and a mode no live
        event sets keeps the DefaultDERControl's value."""
        now = self._server_now()
        for ev in self.events.values():
            if ev.state == "done":
                continue
            if ev.server_status in (2, 3) and not self.has("ignores_cancellation"):
                ev.state = "done"
                self._respond(ev, CANCELLED)
            elif ev.server_status == 4 and not self.has("applies_superseded"):  # that fault keeps the older one
                ev.state = "done"
                self._respond(ev, SUPERSEDED)
            elif now >= ev.eff_end:
                if ev.state == "active":
                    self._respond(ev, COMPLETED)
                ev.state = "done"
        live = sorted((ev for ev in self.events.values() if ev.state != "done" and ev.eff_start <= now < ev.eff_end),
                      key=self._rank)
        winners: list[Event] = []
        for ev in live:
            if not any(self._conflict(ev, w) for w in winners):
                winners.append(ev)
            elif self.has("resumes_superseded"):
                if SUPERSEDED not in ev.sent:  # says superseded, but keeps the event for later
                    self._respond(ev, SUPERSEDED)
            else:
                ev.state = "done"
                self._respond(ev, SUPERSEDED)
        if not winners:
            self._apply_default()
            return
        default = self._default()
        merged: dict = dict(default[1]) if default else {}  # modes no event sets keep their default
        for ev in reversed(winners):  # the best-ranked event's modes are written last
            if ev.state == "scheduled":
                ev.state = "active"
                self._respond(ev, STARTED)
            merged.update(ev.base)
        if self.has("default_over_event") and default is not None:
            merged.update(default[1])  # the default's modes written over the events'
        self._apply("+".join(ev.mrid for ev in winners), merged)

    def _conflict(self, ev: Event, other: Event) -> bool:
        """Two events conflict when they set a control mode in common (opMod…; rampTms is not a mode)."""
        if self.has("supersedes_independent"):
            return True
        return bool(_modes(ev.base) & _modes(other.base))

    def _default(self) -> tuple[str, dict] | None:
        """The DefaultDERControl in force: that of the best-ranked (lowest primacy) program that has one."""
        progs = [(p["primacy"], href) for href, p in self.programs.items() if href in self.defaults]
        if not progs or self.has("ignores_default_control"):
            return None
        _, href = max(progs) if self.has("ignores_primacy") else min(progs)
        return f"default:{href}", self.defaults[href]

    def _apply_default(self) -> None:
        self._apply(*(self._default() or ("none", {})))

    def _limit_of(self, base: dict) -> float | None:
        """The power limit a DERControlBase sets for a charger (W); None: no limit."""
        if modes.deenergized({k: v for k, v in base.items() if k not in self._ignored}):
            return 0.0
        if "opModFixedW" in base and not self.has("ignores_fixed_w"):
            return abs(_int(base["opModFixedW"])) / 10000 * self.max_w
        if isinstance(base.get("opModTargetW"), dict) and not self.has("ignores_target_w"):
            t = base["opModTargetW"]
            return abs(_int(t.get("value")) * 10.0 ** _int(t.get("multiplier")))
        if "opModMaxLimW" in base and not self.has("ignores_max_limit"):
            return _int(base["opModMaxLimW"]) / 10000 * self.max_w
        return None

    def _apply(self, source: str, base: dict) -> None:
        self.base = base
        applied = (source, self._limit_of(base))
        if applied == self.applied:
            return
        self.applied = applied
        self.log.append(f"applying {source}: limit {applied[1]} W")
        self._update_power()
        if self._tasks:
            self._spawn(self._put_der_status())

    def _update_power(self) -> None:
        """Its output now: the EV's demand within the limit in force and the modes of the DERControlBase in force
        (curves at the present grid values, power factor), reached at its ramp rate; a must-trip curve or a
        disconnect ceases to energize at once."""
        now = time.monotonic()
        dt, self._stepped = now - self._stepped, now
        base = {k: v for k, v in self.base.items() if k not in self._ignored}
        curves = modes.linked_curves(base, self.curve_cache)
        grid = modes.Grid(v_pct=100.0 * self.grid_v / self.nominal_v, hz=self.grid_hz)
        self.tripped = modes.tripped(curves, grid, now - self.grid_since, self.tripped)
        limit = self.applied[1]
        cap = min(self.max_w, limit if limit is not None else self.max_w)
        out = -max(-cap, min(self.demand_w, cap))  # the DER's view: positive injects
        pct = modes.active_limit_pct(curves, grid)
        if pct is not None and out > 0:
            out = min(out, max(0.0, pct) / 100.0 * self.max_w)
        if self.tripped or (limit == 0.0 and modes.deenergized(base)):
            self.power_w = self.reactive_var = 0.0
            self.latched_off = self.has("stays_disconnected")
            return
        if self.latched_off:  # the fault stays_disconnected: never enters service again on its own
            self.power_w = self.reactive_var = 0.0
            return
        grad = 0.0 if self.has("ignores_ramp_rate") else self._set_grad_w() / 10000.0 * self.max_w
        self.power_w = modes.ramp(self.power_w, -out, grad, dt) + 0.0  # (+ 0.0: no -0.0)
        self.reactive_var = -modes.reactive_var(base, curves, grid, -self.power_w, self.max_w, self.max_w) + 0.0

    def _set_grad_w(self) -> int:
        """Its setGradW: a DefaultDERControl's, while one of its programs' carries it (the lowest primacy's),
        else its own. A server's value updates the setting (DERSettings is PUT again), and the client goes back
        to its own when no program gives one any more, so one program's ramp does not outlive it."""
        given = [(p["primacy"], _int(self.default_settings[h]["setGradW"])) for h, p in self.programs.items()
                 if "setGradW" in self.default_settings.get(h, {})]
        return min(given)[1] if given else self.own_grad

    def _settings_changed(self) -> None:
        """PUT DERSettings again when the setGradW in force is no longer the one it declared."""
        if self._declared_grad is not None and self._set_grad_w() != self._declared_grad and self._tasks:
            self._declared_grad = self._set_grad_w()
            self._spawn(self._put_settings())

    # --- Responses ------------------------------------------------------------------------------------------
    def _respond(self, ev: Event, status: int) -> None:
        """Queue a Response if the event asks for this kind (bit 0: received; bit 1: the specific ones)."""
        wanted = ev.response_required & (1 if status == RECEIVED else 2 if status in SPECIFIC else 0)
        if not wanted or self.has(NO_RESPONSE_FAULT.get(status, "")) or (status == CANCELLED
                                                                        and self.has("ignores_cancellation")):
            return
        ev.sent.append(status)
        if status == STARTED and self.has("late_started_response"):
            self._spawn(self._later(self.late_s, ev, status))
        else:
            self._queue(ev, status)
        if ev.held_received and status != RECEIVED:
            ev.held_received = False
            self._respond(ev, RECEIVED)

    async def _later(self, delay: float, ev: Event, status: int) -> None:
        await asyncio.sleep(delay)
        self._queue(ev, status)

    def _queue(self, ev: Event, status: int) -> None:
        if ev.reply_to is None:
            self.log.append(f"event {ev.mrid}: no replyTo, Response {status} not sent")
            return
        lfdi = self.lfdi
        if self.has("response_wrong_lfdi"):
            lfdi = ("0" if lfdi[0] != "0" else "1") + lfdi[1:]
        subject = ev.mrid
        if self.has("response_wrong_subject"):
            subject = subject[:-1] + ("F" if subject[-1] != "F" else "E")
        body = {"createdDateTime": str(self._server_now_int()), "endDeviceLFDI": lfdi, "status": str(status),
                "subject": subject}
        assert self._outbox is not None
        self._outbox.put_nowait((ev.reply_to, body))

    async def _send_loop(self) -> None:
        """Responses leave one at a time, in order; a failed one is retried a few times, then dropped."""
        assert self._outbox is not None
        while True:
            href, body = await self._outbox.get()
            for attempt in range(6):
                try:
                    out = await self._write("POST", href, "DERControlResponse", body)
                except Exception as exc:
                    self.log.append(f"Response: {exc!r}")
                    out = None
                if out is not None and out[0] < 500:
                    break
                await asyncio.sleep(min(8.0, 0.5 * 2 ** attempt))
            else:
                self.log.append(f"Response {body['status']} for {body['subject']} dropped after 6 attempts")


def _modes(base: dict) -> frozenset[str]:
    return frozenset(k for k in base if k.startswith("opMod"))


def _int_hex(value: Any) -> int:
    try:
        return int(str(value), 16)
    except ValueError:
        return 0

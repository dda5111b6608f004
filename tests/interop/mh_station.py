"""An independent OCPP 1.6 / 2.0.1 / 2.1 charging station whose RPC layer is the `ocpp` library (mobilityhouse).

Everything OCPP-J lives in the library: framing, message ids, schema validation of what is sent and
received, `@on`/`@after` routing and `ChargePoint.call()`. This module only adds a WebSocket transport
(websockets) and the station's behaviour, written from the OCPP 1.6 and 2.0.1 specifications. It shares no
code with vgitest's reference station or codec, so running the vgitest suites against it shows that the
suites judge a station the harness did not write.

The classes fit the harness's `simulated` DUT adapter: ``Cls(csms_url, identity, *, password, connectors,
faults, params)``, ``start()``, ``stop()`` and ``perform(action, **params)``.
"""

from __future__ import annotations

import asyncio
import inspect
import base64
import dataclasses
import datetime as _dt
import json
import logging
import ssl
import time
import urllib.parse
from typing import Any, Awaitable, Callable

from ocpp.exceptions import OCPPError, SecurityError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as LibChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as LibChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as result21
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from vgitest.loop import BackgroundLoop

log = logging.getLogger("tests.interop.mh_station")

VENDOR = "MH-interop"  # CiString20
MODEL = "MH-OCPP-LIB"
METER_STEP_WH = 125  # energy added to the register per meter sample while charging
REPORT_BYTES = 1500  # reportData bytes per NotifyReport, so that each message stays under 2 kB


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Wire:
    """The transport the library reads from and writes to; it notes every frame's time for the heartbeat."""

    def __init__(self, ws: ClientConnection, station: "_MhStationBase") -> None:
        self.ws = ws
        self.station = station

    async def recv(self) -> str | bytes:
        data = await self.ws.recv()
        self.station.last_traffic = time.monotonic()
        return data

    async def send(self, data: str) -> None:
        self.station.last_traffic = time.monotonic()
        await self.ws.send(data)


@dataclasses.dataclass
class Connector:
    """One connector (in 2.0.1: EVSE n with its connector 1) and what happens on it."""

    id: int
    plugged: bool = False
    faulted: bool = False
    operative: bool = True
    inoperative_pending: bool = False  # ChangeAvailability(Inoperative) answered Scheduled
    auth_token: str | None = None  # token authorized for the next transaction
    auth_remote_id: int | None = None  # 2.0.1 remoteStartId of a RequestStartTransaction
    auth_id_token: dict | None = None  # 2.0.1 the IdTokenType of that token
    auth_deadline_task: asyncio.Task | None = None
    tx: dict[str, Any] | None = None  # running transaction
    finishing: bool = False  # 1.6: transaction ended, EV still plugged
    reported: str | None = None  # last status sent
    energy_wh: int = 0  # the meter register (survives reboots: it is hardware)


class _MhStationBase:
    """Version-independent life cycle: power, (re)connection, boot, heartbeat and the adapter's actions."""

    version = ""
    subprotocol = ""

    def __init__(self, csms_url: str, identity: str, *, password: str | None = None, connectors: int = 1,
                 faults: tuple[str, ...] | list[str] = (), params: dict[str, Any] | None = None) -> None:
        if faults:
            raise ValueError(f"the mobilityhouse interop station injects no faults (asked for {list(faults)})")
        self.csms_url = csms_url.rstrip("/")
        self.identity = identity
        self.password = password
        self.params = dict(params or {})
        self.connectors = {i: Connector(i) for i in range(1, int(connectors) + 1)}
        self.call_timeout = float(self.params.get("station_call_timeout", self.params.get("call_timeout", 5)))
        self.reboot_delay = float(self.params.get("reboot_delay", 0.2))
        self.reconnect_delay = float(self.params.get("reconnect_delay", 0.3))
        self.default_retry = float(self.params.get("boot_retry_interval", 5))
        self.heartbeat_interval = float(self.params.get("heartbeat_interval", 60))
        self.boot_reason = "PowerUp"
        self.registration = "unknown"  # status of the last BootNotification answer in this power cycle
        self.powered = False
        self.loop: BackgroundLoop | None = None
        self.cp: Any = None  # the library ChargePoint of the live connection
        self.last_traffic = time.monotonic()
        self.events: list[str] = []  # what the station did, for debugging
        self._life: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._boot_now: asyncio.Event | None = None
        self._accepted: asyncio.Event | None = None
        self._hb_wake: asyncio.Event | None = None
        self._settled: asyncio.Event | None = None  # the first BootNotification of this power cycle is done
        self.boot_idle = asyncio.Event()  # no BootNotification is waiting for its answer
        self.boot_idle.set()

    # --- version hooks ----------------------------------------------------------------------------------------
    def make_charge_point(self, wire: _Wire) -> Any:
        raise NotImplementedError

    async def send_boot(self) -> Any:
        """Send BootNotification; return the library's result dataclass (or None)."""
        raise NotImplementedError

    async def send_heartbeat(self) -> None:
        raise NotImplementedError

    async def report_status(self, c: Connector, force: bool = False) -> None:
        """Send the connector's status if it changed (or always, when `force`)."""
        raise NotImplementedError

    async def on_token(self, c: Connector, token: str) -> None:
        raise NotImplementedError

    async def on_plug(self, c: Connector) -> None:
        raise NotImplementedError

    async def on_unplug(self, c: Connector) -> None:
        raise NotImplementedError

    async def before_power_loss(self) -> None:
        """Version hook: forget volatile state (a running transaction is lost with the power)."""
        for c in self.connectors.values():
            self._cancel_auth(c)
            c.tx, c.finishing, c.reported = None, False, None
            c.auth_token, c.auth_remote_id = None, None

    # --- public API (any thread) ------------------------------------------------------------------------------
    def start(self) -> "_MhStationBase":
        if self.loop is None:
            self.loop = BackgroundLoop(f"mh-station-{self.identity}")
        self.loop.run(self._power_on(), timeout=10)
        self.loop.run(self._wait_settled(float(self.params.get("connect_timeout", 10))), timeout=30)
        return self

    async def _wait_settled(self, timeout: float) -> None:
        """Let the first boot finish (answered, and connector states sent when Accepted), at most `timeout` s:
        a harness that starts the station sees no half-done boot when its first test begins."""
        assert self._settled is not None
        try:
            await asyncio.wait_for(self._settled.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def stop(self) -> None:
        if self.loop is None:
            return
        try:
            self.loop.run(self._power_off(), timeout=10)
        except Exception:  # stopping must never mask a test's result
            log.exception("stopping the interop station")
        self.loop.stop()
        self.loop = None

    def perform(self, action: str, **params: Any) -> None:
        """The `simulated` adapter's entry point: a physical action on the station."""
        fn = getattr(self, f"do_{action}", None)
        if fn is None:
            raise ValueError(f"the interop station cannot perform {action!r}")
        if self.loop is None:
            raise RuntimeError("station not started")
        self.loop.run(fn(**params), timeout=30)

    async def do_power_on(self) -> None:
        await self._power_on()

    async def do_power_off(self) -> None:
        await self._power_off()

    async def do_reboot(self, reason: str = "PowerUp") -> None:
        await self.reboot(reason)

    async def do_plug_in(self, connector: int = 1) -> None:
        c = self._connector(connector)
        if not c.plugged:
            c.plugged = True
            await self.on_plug(c)

    async def do_unplug(self, connector: int = 1) -> None:
        c = self._connector(connector)
        if c.plugged:
            c.plugged = False
            await self.on_unplug(c)

    async def do_present_token(self, id_token: str, connector: int = 1) -> None:
        await self.on_token(self._connector(connector), str(id_token))

    async def do_fault_connector(self, connector: int = 1) -> None:
        c = self._connector(connector)
        c.faulted = True
        await self.report_status(c)

    async def do_clear_fault(self, connector: int = 1) -> None:
        c = self._connector(connector)
        c.faulted = False
        await self.report_status(c)

    # --- life cycle (loop thread) -----------------------------------------------------------------------------
    def _connector(self, connector: int) -> Connector:
        try:
            return self.connectors[int(connector)]
        except (KeyError, ValueError, TypeError):
            raise ValueError(f"the station has no connector {connector!r}") from None

    async def _power_on(self) -> None:
        if self.powered:
            return
        self.powered = True
        self.registration = "unknown"
        self._boot_now = asyncio.Event()
        self._accepted = asyncio.Event()
        self._hb_wake = asyncio.Event()
        self._settled = asyncio.Event()
        self._life = asyncio.get_running_loop().create_task(self._run())
        self.events.append("power on")

    async def _power_off(self) -> None:
        if not self.powered:
            return
        self.powered = False
        self.events.append("power off")
        me = asyncio.current_task()
        tasks = [t for t in (self._life, *self._tasks) if t is not None and t is not me and not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self._tasks.clear()
        cp, self.cp = self.cp, None
        if cp is not None:
            try:
                await asyncio.wait_for(cp._connection.ws.close(), 2)
            except Exception:
                pass
        await self.before_power_loss()

    async def reboot(self, reason: str) -> None:
        """Power-cycle: drop the connection, wait, come back and boot with `reason`."""
        await self._power_off()
        await asyncio.sleep(self.reboot_delay)
        self.boot_reason = reason
        await self._power_on()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        """Run `coro` as a task owned by the current power cycle."""
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if inspect.iscoroutine(coro):  # cancelled before it ran: close it, so it is not left un-awaited
            task.add_done_callback(lambda t: coro.close() if t.cancelled() else None)
        return task

    @staticmethod
    async def _guard(coro: Awaitable[Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("interop station task failed")

    def _url(self) -> str:
        return f"{self.csms_url}/{urllib.parse.quote(self.identity, safe='')}"

    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        token = base64.b64encode(f"{self.identity}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _tls(self) -> ssl.SSLContext:
        """Security profiles 2 and 3 with the standard library's TLS client and nothing else: TLS 1.2 or later, the
        CSMS certificate checked against the CSMS root the station was given (PIXIT/run material `tls_ca`), host
        name included; profile 3 adds the station's own certificate (`tls_cert`, `tls_key`). What it does not do
        (security events about a refused CSMS, the OCPP cipher-suite list) is in the expected tables."""
        ctx = ssl.create_default_context(cafile=self.params.get("tls_ca"))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if int(self.params.get("security_profile", 1)) >= 3 and self.params.get("tls_cert"):
            ctx.load_cert_chain(str(self.params["tls_cert"]), str(self.params["tls_key"]))
        return ctx

    async def _run(self) -> None:
        """Connect, boot once per power cycle, heartbeat; reconnect whenever the connection drops."""
        while self.powered:
            try:
                ws = await connect(self._url(), subprotocols=[self.subprotocol],  # type: ignore[list-item]
                                   additional_headers=self._headers(), open_timeout=5, ping_interval=None,
                                   close_timeout=1, max_size=2 ** 22,
                                   ssl=self._tls() if self.csms_url.startswith("wss:") else None)
            except (OSError, InvalidHandshake, InvalidURI, asyncio.TimeoutError) as exc:
                self.events.append(f"connect failed: {exc!r}")
                await asyncio.sleep(max(self.reconnect_delay, 0.5))
                continue
            if ws.subprotocol != self.subprotocol:
                await ws.close()
                await asyncio.sleep(max(self.reconnect_delay, 0.5))
                continue
            self.events.append("connected")
            self.cp = cp = self.make_charge_point(_Wire(ws, self))
            reader = asyncio.get_running_loop().create_task(cp.start())
            worker = asyncio.get_running_loop().create_task(self._session())
            try:
                await asyncio.wait({reader, worker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in (reader, worker):
                    t.cancel()
                await asyncio.gather(reader, worker, return_exceptions=True)
                if self.cp is cp:
                    self.cp = None
                await ws.close()
            self.events.append("disconnected")
            if self.powered:
                await asyncio.sleep(self.reconnect_delay)

    async def _session(self) -> None:
        """One connection: boot (unless already accepted in this power cycle), then keep the link alive."""
        assert self._accepted is not None and self._boot_now is not None
        if self.registration != "Accepted":
            await self._boot()
        aligned = asyncio.get_running_loop().create_task(self._guard(self._clock_aligned_loop()))
        try:
            await self._heartbeat_loop()
        finally:
            aligned.cancel()

    def aligned_interval(self) -> int:
        """The clock-aligned data interval in seconds (0 = off)."""
        return 0

    async def send_aligned(self) -> None:
        """Send one set of clock-aligned readings."""

    async def _clock_aligned_loop(self) -> None:
        """Readings at every multiple of the aligned-data interval past midnight (UTC), while it is not 0."""
        while True:
            interval = self.aligned_interval()
            if interval <= 0:
                await asyncio.sleep(0.2)
                continue
            now = time.time()
            boundary = (int(now // interval) + 1) * interval
            await asyncio.sleep(min(boundary - now, 0.5))
            if time.time() >= boundary and self.aligned_interval() == interval:
                await self.send_aligned()

    async def _boot(self) -> None:
        assert self._accepted is not None and self._boot_now is not None
        while True:
            self._boot_now.clear()
            self.boot_idle.clear()
            try:
                res = await self.send_boot()
                if res is not None:
                    self.registration = str(res.status)
            finally:
                self.boot_idle.set()
            if res is None:  # no answer or a CALLERROR: try again after the default interval
                wait = self.default_retry
            else:
                interval = int(res.interval or 0)
                if self.registration == "Accepted":
                    if interval > 0:
                        self.set_heartbeat_interval(interval)
                    break
                assert self._settled is not None
                self._settled.set()
                wait = float(interval) if interval > 0 else self.default_retry
            try:  # a TriggerMessage(BootNotification) cuts the wait short
                await asyncio.wait_for(self._boot_now.wait(), wait)
            except asyncio.TimeoutError:
                pass
        self.events.append("boot accepted")
        self._accepted.set()
        await self.after_accepted()
        assert self._settled is not None
        self._settled.set()

    async def after_accepted(self) -> None:
        """Report every connector's state after the boot was accepted."""
        for c in self.connectors.values():
            await self.report_status(c, force=True)

    async def _heartbeat_loop(self) -> None:
        """HeartbeatInterval is an inactivity timer: send a Heartbeat when the link was idle that long."""
        assert self._hb_wake is not None
        while True:
            interval = self.heartbeat_interval
            if interval <= 0:
                self._hb_wake.clear()
                await self._hb_wake.wait()
                continue
            idle = time.monotonic() - self.last_traffic
            if idle >= interval:
                await self.send_heartbeat()
                continue
            self._hb_wake.clear()
            try:
                await asyncio.wait_for(self._hb_wake.wait(), interval - idle)
            except asyncio.TimeoutError:
                pass

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Take a new interval into use (version classes also store it in their configuration)."""
        self.heartbeat_interval = float(seconds)
        if self._hb_wake is not None:
            self._hb_wake.set()

    @property
    def accepted(self) -> bool:
        return self.registration == "Accepted" and self.cp is not None

    async def send(self, payload: Any) -> Any:
        """`ChargePoint.call()` on the live connection; None when offline, on a CALLERROR or without answer."""
        cp = self.cp
        if cp is None:
            return None
        try:
            return await cp.call(payload, suppress=False)
        except OCPPError as exc:
            self.events.append(f"{type(payload).__name__}: CALLERROR {exc.code}")
        except asyncio.TimeoutError:
            self.events.append(f"{type(payload).__name__}: no answer within {self.call_timeout:g} s")
        except ConnectionClosed:
            self.events.append(f"{type(payload).__name__}: connection closed")
        return None

    def _cancel_auth(self, c: Connector) -> None:
        if c.auth_deadline_task is not None and not c.auth_deadline_task.done():
            if c.auth_deadline_task is not asyncio.current_task():
                c.auth_deadline_task.cancel()
        c.auth_deadline_task = None

    def start_auth_timeout(self, c: Connector, seconds: float, on_expiry: Callable[[], Awaitable[None]]) -> None:
        """Forget an authorization when no EV is plugged within `seconds` (ConnectionTimeOut)."""
        self._cancel_auth(c)

        async def expire() -> None:
            await asyncio.sleep(seconds)
            if c.tx is None and not c.plugged and (c.auth_token is not None):
                c.auth_token, c.auth_remote_id = None, None
                c.auth_deadline_task = None
                await on_expiry()

        c.auth_deadline_task = self.spawn(expire())


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool | None:
    text = str(value).strip().lower()
    return True if text == "true" else False if text == "false" else None


# =====================================================================================================
# OCPP 1.6
# =====================================================================================================
@dataclasses.dataclass
class ConfigKey:
    value: str
    readonly: bool = False
    kind: str = "str"  # int, bool, csl (comma separated list) or str


class _Cp16(LibChargePoint16):
    """The library's 1.6 ChargePoint with this station's answers to Central System requests."""

    def __init__(self, station: "MhStation16", wire: _Wire) -> None:
        super().__init__(station.identity, wire, response_timeout=station.call_timeout)
        self.st = station

    @on(Action16.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        cfg = self.st.config
        names = list(cfg) if not key else key
        known = [{"key": k, "readonly": cfg[k].readonly, "value": cfg[k].value} for k in names if k in cfg]
        unknown = [k for k in names if k not in cfg]
        return result16.GetConfiguration(configuration_key=known or None, unknown_key=unknown or None)

    @on(Action16.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        return result16.ChangeConfiguration(status=self.st.change_config(key, value))

    @after(Action16.change_configuration)
    def after_change_configuration(self, key: str, value: str, **_: Any) -> None:
        self.st.config_applied(key)

    @on(Action16.reset)
    def on_reset(self, type: str, **_: Any) -> Any:
        return result16.Reset(status="Accepted")

    @after(Action16.reset)
    async def after_reset(self, type: str, **_: Any) -> None:
        self.st.spawn(self.st.remote_reset(type))

    @on(Action16.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> Any:
        if not self.st.boot_idle.is_set():  # judged by the registration the queued boot answer gives
            try:
                await asyncio.wait_for(self.st.boot_idle.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
        return result16.RemoteStartTransaction(status="Accepted" if self.st.remote_start_target(connector_id)
                                               else "Rejected")

    @after(Action16.remote_start_transaction)
    async def after_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> None:
        c = self.st.remote_start_target(connector_id)
        if c is not None:
            self.st.spawn(self.st.remote_start(c, id_tag))

    @on(Action16.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        return result16.RemoteStopTransaction(status="Accepted" if self.st.by_tx(transaction_id) else "Rejected")

    @after(Action16.remote_stop_transaction)
    async def after_remote_stop(self, transaction_id: int, **_: Any) -> None:
        c = self.st.by_tx(transaction_id)
        if c is not None:
            self.st.spawn(self.st.stop_tx(c, "Remote"))

    @on(Action16.unlock_connector)
    def on_unlock(self, connector_id: int, **_: Any) -> Any:
        return result16.UnlockConnector(status="Unlocked" if connector_id in self.st.connectors else "NotSupported")

    @after(Action16.unlock_connector)
    async def after_unlock(self, connector_id: int, **_: Any) -> None:
        c = self.st.connectors.get(connector_id)
        if c is not None and c.tx is not None:  # unlocking ends the transaction (§5.18)
            self.st.spawn(self.st.stop_tx(c, "UnlockCommand"))

    @on(Action16.change_availability)
    def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        return result16.ChangeAvailability(status=self.st.change_availability(connector_id, type))

    @after(Action16.change_availability)
    async def after_change_availability(self, connector_id: int, type: str, **_: Any) -> None:
        self.st.spawn(self.st.report_all())

    @on(Action16.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        self.st.auth_cache.clear()
        return result16.ClearCache(status="Accepted")

    @on(Action16.data_transfer)
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None,
                         **_: Any) -> Any:
        status, out = self.st.data_transfer(vendor_id, message_id, data)
        return result16.DataTransfer(status=status, data=out)

    @on(Action16.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        return result16.GetLocalListVersion(list_version=-1)  # -1: no local authorization list (§5.10)

    @on(Action16.trigger_message)
    def on_trigger(self, requested_message: str, connector_id: int | None = None, **_: Any) -> Any:
        return result16.TriggerMessage(status=self.st.trigger_status(requested_message, connector_id))

    @after(Action16.trigger_message)
    async def after_trigger(self, requested_message: str, connector_id: int | None = None, **_: Any) -> None:
        if self.st.trigger_status(requested_message, connector_id) == "Accepted":
            self.st.spawn(self.st.triggered(requested_message, connector_id))


class MhStation16(_MhStationBase):
    """OCPP 1.6J station (Core and RemoteTrigger) on the `ocpp` library's v16 ChargePoint."""

    version = "1.6"
    subprotocol = "ocpp1.6"

    def __init__(self, csms_url: str, identity: str, *, password: str | None = None, connectors: int = 1,
                 faults: tuple[str, ...] | list[str] = (), params: dict[str, Any] | None = None) -> None:
        super().__init__(csms_url, identity, password=password, connectors=connectors, faults=faults,
                         params=params)
        p = self.params
        n = len(self.connectors)
        self.config: dict[str, ConfigKey] = {
            "AuthorizeRemoteTxRequests": ConfigKey("false", False, "bool"),
            "AuthorizationCacheEnabled": ConfigKey("true", False, "bool"),
            "ClockAlignedDataInterval": ConfigKey(str(int(p.get("clock_aligned_interval", 0))), False, "int"),
            "ConnectionTimeOut": ConfigKey(str(int(p.get("connection_timeout", 60))), False, "int"),
            "ConnectorPhaseRotation": ConfigKey(",".join(f"{i}.RST" for i in range(n + 1)), False, "csl"),
            "GetConfigurationMaxKeys": ConfigKey("50", True, "int"),
            "HeartbeatInterval": ConfigKey(str(int(self.heartbeat_interval)), False, "int"),
            "LocalAuthorizeOffline": ConfigKey("false", False, "bool"),
            "LocalPreAuthorize": ConfigKey("false", False, "bool"),
            "MeterValuesAlignedData": ConfigKey("Energy.Active.Import.Register", False, "csl"),
            "MeterValuesSampledData": ConfigKey("Energy.Active.Import.Register", False, "csl"),
            "MeterValueSampleInterval": ConfigKey(str(int(p.get("meter_sample_interval", 60))), False, "int"),
            "NumberOfConnectors": ConfigKey(str(n), True, "int"),
            "ResetRetries": ConfigKey("1", False, "int"),
            "StopTransactionOnEVSideDisconnect": ConfigKey("true", False, "bool"),
            "StopTransactionOnInvalidId": ConfigKey("true", False, "bool"),
            "StopTxnAlignedData": ConfigKey("", False, "csl"),
            "StopTxnSampledData": ConfigKey("", False, "csl"),
            "SupportedFeatureProfiles": ConfigKey("Core,RemoteTrigger", True, "csl"),
            "TransactionMessageAttempts": ConfigKey("3", False, "int"),
            "TransactionMessageRetryInterval": ConfigKey("5", False, "int"),
            "UnlockConnectorOnEVSideDisconnect": ConfigKey("true", False, "bool"),
            "WebSocketPingInterval": ConfigKey("0", False, "int"),
        }
        self.auth_cache: dict[str, str] = {}
        self.dt_vendor = str(p.get("data_transfer_vendor_id", p.get("data_transfer_vendor", "org.vgitest")))
        self.dt_message = str(p.get("data_transfer_message_id", "echo"))

    def make_charge_point(self, wire: _Wire) -> Any:
        return _Cp16(self, wire)

    # --- configuration -------------------------------------------------------------------------------------
    def cfg_int(self, key: str) -> int:
        return _int(self.config[key].value) or 0

    def cfg_bool(self, key: str) -> bool:
        return bool(_bool(self.config[key].value))

    def change_config(self, key: str, value: str) -> str:
        entry = self.config.get(key)
        if entry is None:
            return "NotSupported"
        if entry.readonly:
            return "Rejected"
        if entry.kind == "int" and (_int(value) is None or _int(value) < 0):  # type: ignore[operator]
            return "Rejected"
        if entry.kind == "bool" and _bool(value) is None:
            return "Rejected"
        if key == "WebSocketPingInterval" and _int(value) != 0:
            return "Rejected"  # this station does not send WebSocket pings
        entry.value = str(_int(value)) if entry.kind == "int" else value.strip().lower() if entry.kind == "bool" \
            else value
        return "Accepted"

    def config_applied(self, key: str) -> None:
        if key == "HeartbeatInterval":
            self.set_heartbeat_interval(self.cfg_int("HeartbeatInterval"))

    def set_heartbeat_interval(self, seconds: float) -> None:
        self.config["HeartbeatInterval"].value = str(int(seconds))
        super().set_heartbeat_interval(seconds)

    # --- outgoing messages ---------------------------------------------------------------------------------
    async def send_boot(self) -> Any:
        return await self.send(call16.BootNotification(charge_point_model=MODEL, charge_point_vendor=VENDOR,
                                                       charge_point_serial_number=self.identity,
                                                       firmware_version="ocpp-2.1.0"))

    async def send_heartbeat(self) -> None:
        await self.send(call16.Heartbeat())

    def status_of(self, c: Connector) -> str:
        if c.faulted:
            return "Faulted"
        if c.tx is not None:
            return "Charging" if c.plugged else "SuspendedEV"
        if not c.operative:
            return "Unavailable"
        if c.finishing and c.plugged:
            return "Finishing"
        if c.plugged or c.auth_token is not None:
            return "Preparing"
        return "Available"

    async def report_status(self, c: Connector, force: bool = False) -> None:
        status = self.status_of(c)
        if not self.accepted or (status == c.reported and not force):
            return
        c.reported = status
        await self.send(call16.StatusNotification(
            connector_id=c.id, error_code="OtherError" if c.faulted else "NoError", status=status,
            timestamp=utcnow(), info="simulated fault" if c.faulted else None))

    async def report_all(self) -> None:
        for c in self.connectors.values():
            await self.report_status(c)

    def station_status(self) -> str:
        """Status of connector 0, the Charge Point as a whole."""
        return "Available" if any(c.operative for c in self.connectors.values()) else "Unavailable"

    # --- authorization and transactions ----------------------------------------------------------------------
    async def authorize(self, token: str) -> bool:
        """Authorize.req, or the authorization cache when LocalPreAuthorize allows it (§3.5.1)."""
        caching = self.cfg_bool("AuthorizationCacheEnabled")
        if caching and self.cfg_bool("LocalPreAuthorize") and self.auth_cache.get(token) == "Accepted":
            return True
        res = await self.send(call16.Authorize(id_tag=token))
        status = (res.id_tag_info or {}).get("status") if res is not None else None
        if status is not None and caching:
            self.auth_cache[token] = status
        return status == "Accepted"

    async def on_token(self, c: Connector, token: str) -> None:
        if c.tx is not None:
            if token == c.tx["idTag"]:
                await self.stop_tx(c, "Local", id_tag=token)
            return
        if c.faulted or not c.operative or not self.accepted:
            return
        if not await self.authorize(token):
            return
        c.auth_token = token
        await self._authorized(c)

    async def _authorized(self, c: Connector) -> None:
        if c.plugged:
            await self.start_tx(c)
        else:
            await self.report_status(c)
            self.start_auth_timeout(c, self.cfg_int("ConnectionTimeOut"), lambda: self.report_status(c))

    async def on_plug(self, c: Connector) -> None:
        c.finishing = False
        if c.auth_token is not None and c.tx is None:
            await self.start_tx(c)
        else:
            await self.report_status(c)

    async def on_unplug(self, c: Connector) -> None:
        if c.tx is not None and self.cfg_bool("StopTransactionOnEVSideDisconnect"):
            await self.stop_tx(c, "EVDisconnected")
            return
        c.finishing = False
        await self.report_status(c)

    async def start_tx(self, c: Connector) -> None:
        token = c.auth_token
        assert token is not None
        self._cancel_auth(c)
        c.auth_token = None
        c.finishing = False
        c.tx = {"idTag": token, "id": None}
        res = await self.send(call16.StartTransaction(connector_id=c.id, id_tag=token, meter_start=c.energy_wh,
                                                      timestamp=utcnow()))
        if res is None:  # the Central System did not confirm: no transaction
            c.tx = None
            await self.report_status(c)
            return
        c.tx["id"] = int(res.transaction_id)
        await self.report_status(c)
        if (res.id_tag_info or {}).get("status") != "Accepted" and self.cfg_bool("StopTransactionOnInvalidId"):
            await self.stop_tx(c, "DeAuthorized")
            return
        c.tx["meter"] = self.spawn(self._sample(c, c.tx))

    async def _sample(self, c: Connector, tx: dict) -> None:
        """MeterValues at MeterValueSampleInterval while the transaction runs."""
        while c.tx is tx:
            interval = self.cfg_int("MeterValueSampleInterval")
            if interval <= 0:
                await asyncio.sleep(0.5)
                continue
            await asyncio.sleep(interval)
            if c.tx is not tx:
                return
            c.energy_wh += METER_STEP_WH
            await self.send(call16.MeterValues(connector_id=c.id, transaction_id=tx["id"],
                                               meter_value=self._values(c, "Sample.Periodic")))

    def _values(self, c: Connector, context: str) -> list[dict]:
        measurands = [m for m in self.config["MeterValuesSampledData"].value.split(",") if m.strip()]
        sampled = [{"value": str(c.energy_wh), "context": context, "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh", "location": "Outlet"}]
        if "Power.Active.Import" in measurands:
            sampled.append({"value": "7400" if c.tx else "0", "context": context, "measurand": "Power.Active.Import",
                            "unit": "W", "location": "Outlet"})
        return [{"timestamp": utcnow(), "sampled_value": sampled}]

    def aligned_interval(self) -> int:
        return self.cfg_int("ClockAlignedDataInterval")

    async def send_aligned(self) -> None:
        wanted = [m.strip() for m in self.config["MeterValuesAlignedData"].value.split(",") if m.strip()]
        for c in self.connectors.values():
            sampled = [{"value": str(c.energy_wh), "context": "Sample.Clock", "measurand":
                        "Energy.Active.Import.Register", "unit": "Wh", "location": "Outlet"}]
            if "Power.Active.Import" in wanted:
                sampled.append({"value": "7400" if c.tx else "0", "context": "Sample.Clock",
                                "measurand": "Power.Active.Import", "unit": "W", "location": "Outlet"})
            await self.send(call16.MeterValues(connector_id=c.id, transaction_id=c.tx.get("id") if c.tx else None,
                                               meter_value=[{"timestamp": utcnow(), "sampled_value": sampled}]))

    async def stop_tx(self, c: Connector, reason: str, id_tag: str | None = None) -> None:
        tx = c.tx
        if tx is None:
            return
        c.tx = None
        # the sampler ends by itself (it checks c.tx); cancelling it mid-send would lose a message or a seqNo
        c.finishing = c.plugged
        if tx.get("id") is not None:
            await self.send(call16.StopTransaction(meter_stop=c.energy_wh, timestamp=utcnow(),
                                                   transaction_id=tx["id"], reason=reason, id_tag=id_tag))
        if c.inoperative_pending:
            c.inoperative_pending, c.operative = False, False
        await self.report_status(c)

    def by_tx(self, transaction_id: int) -> Connector | None:
        return next((c for c in self.connectors.values() if c.tx and c.tx.get("id") == transaction_id), None)

    def remote_start_target(self, connector_id: int | None) -> Connector | None:
        """The connector a RemoteStartTransaction would use; None to reject it (also while not Accepted)."""
        if self.registration != "Accepted":
            return None
        if connector_id is not None:
            c = self.connectors.get(connector_id)
            candidates = [c] if c is not None else []
        else:
            candidates = list(self.connectors.values())
        for c in candidates:
            if c.tx is None and c.operative and not c.faulted and c.auth_token is None:
                return c
        return None

    async def remote_start(self, c: Connector, token: str) -> None:
        if self.cfg_bool("AuthorizeRemoteTxRequests") and not await self.authorize(token):
            return
        c.auth_token = token
        await self._authorized(c)

    async def remote_reset(self, kind: str) -> None:
        for c in self.connectors.values():
            await self.stop_tx(c, "HardReset" if kind == "Hard" else "SoftReset")
        await self.reboot("RemoteReset")

    def change_availability(self, connector_id: int, kind: str) -> str:
        if connector_id != 0 and connector_id not in self.connectors:
            return "Rejected"
        targets = list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        scheduled = False
        for c in targets:
            if kind == "Inoperative" and c.tx is not None:
                c.inoperative_pending, scheduled = True, True
            else:
                c.inoperative_pending = False
                c.operative = kind == "Operative"
        return "Scheduled" if scheduled else "Accepted"

    def data_transfer(self, vendor_id: str, message_id: str | None, data: str | None) -> tuple[str, str | None]:
        if vendor_id != self.dt_vendor:
            return "UnknownVendorId", None
        if message_id != self.dt_message:
            return "UnknownMessageId", None
        return "Accepted", data

    # --- TriggerMessage ------------------------------------------------------------------------------------
    TRIGGERABLE = ("BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
                   "MeterValues", "StatusNotification")

    def trigger_status(self, message: str, connector_id: int | None) -> str:
        if message not in self.TRIGGERABLE:
            return "NotImplemented"
        if connector_id is not None and connector_id not in self.connectors:
            return "Rejected"
        return "Accepted"

    async def triggered(self, message: str, connector_id: int | None) -> None:
        assert self._boot_now is not None
        targets = [self.connectors[connector_id]] if connector_id is not None else list(self.connectors.values())
        if message == "BootNotification":
            if self.registration == "Accepted":
                res = await self.send_boot()
                if res is not None and res.status == "Accepted" and int(res.interval or 0) > 0:
                    self.set_heartbeat_interval(int(res.interval))
            else:
                self._boot_now.set()
        elif message == "Heartbeat":
            await self.send_heartbeat()
        elif message == "StatusNotification":
            if connector_id is None:  # the whole Charge Point: connector 0 and every connector
                await self.send(call16.StatusNotification(connector_id=0, error_code="NoError",
                                                          status=self.station_status(), timestamp=utcnow()))
            for c in targets:
                await self._status_now(c)
        elif message == "MeterValues":
            for c in targets:
                await self.send(call16.MeterValues(connector_id=c.id, transaction_id=c.tx.get("id") if c.tx else None,
                                                   meter_value=self._values(c, "Trigger")))
        elif message == "DiagnosticsStatusNotification":
            await self.send(call16.DiagnosticsStatusNotification(status="Idle"))
        elif message == "FirmwareStatusNotification":
            await self.send(call16.FirmwareStatusNotification(status="Idle"))

    async def _status_now(self, c: Connector) -> None:
        """A triggered StatusNotification is sent whatever the registration state."""
        status = self.status_of(c)
        c.reported = status
        await self.send(call16.StatusNotification(connector_id=c.id, error_code="OtherError" if c.faulted
                                                  else "NoError", status=status, timestamp=utcnow()))


# =====================================================================================================
# OCPP 2.0.1
# =====================================================================================================
@dataclasses.dataclass
class Variable:
    """One variable of the device model (attribute Actual only)."""

    component: str
    name: str
    value: str
    mutability: str = "ReadWrite"  # ReadOnly, ReadWrite
    data_type: str = "string"  # integer, boolean, string, MemberList, SequenceList, OptionList, decimal, dateTime
    evse: int | None = None
    instance: str | None = None
    values_list: str | None = None
    unit: str | None = None

    def key(self) -> tuple[str, str | None, int | None, str, str | None]:
        return (self.component, None, self.evse, self.name, self.instance)


class _Cp201(LibChargePoint201):
    """The library's 2.0.1 ChargePoint with this station's answers to CSMS requests."""

    def __init__(self, station: "MhStation201", wire: _Wire) -> None:
        super().__init__(station.identity, wire, response_timeout=station.call_timeout)
        self.st = station

    async def refuse_when_rejected(self) -> None:
        """While registration is Rejected every CSMS request gets CALLERROR SecurityError (B03.FR.07).

        A request that arrives right behind the answer to a BootNotification is judged by that answer: the
        boot coroutine gets up to a second to take it in (the answer is already queued by then)."""
        if not self.st.boot_idle.is_set():
            try:
                await asyncio.wait_for(self.st.boot_idle.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
        if self.st.registration == "Rejected":
            raise SecurityError(description="registration Rejected: requests are not served")

    @on(Action201.get_variables)
    async def on_get_variables(self, get_variable_data: list[dict], **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.GetVariables(get_variable_result=[self.st.get_variable(d) for d in get_variable_data])

    @on(Action201.set_variables)
    async def on_set_variables(self, set_variable_data: list[dict], **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.SetVariables(set_variable_result=[self.st.set_variable(d) for d in set_variable_data])

    @after(Action201.set_variables)
    def after_set_variables(self, set_variable_data: list[dict], **_: Any) -> None:
        self.st.variables_applied()

    @on(Action201.get_base_report)
    async def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.GetBaseReport(status=self.st.report_status_for(report_base))

    @after(Action201.get_base_report)
    async def after_get_base_report(self, request_id: int, report_base: str, **_: Any) -> None:
        if self.st.report_status_for(report_base) == "Accepted":
            self.st.spawn(self.st.notify_report(request_id, report_base))

    @on(Action201.reset)
    async def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.Reset(status=self.st.reset_status(type, evse_id))

    @after(Action201.reset)
    async def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        status = self.st.reset_status(type, evse_id)
        if status == "Accepted":
            self.st.spawn(self.st.remote_reset(type))
        elif status == "Scheduled":
            self.st.reset_on_idle = True

    @on(Action201.request_start_transaction)
    async def on_request_start(self, id_token: dict, remote_start_id: int, evse_id: int | None = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        c = self.st.remote_start_target(evse_id)
        return result201.RequestStartTransaction(status="Accepted" if c is not None else "Rejected",
                                                 transaction_id=c.tx["id"] if c is not None and c.tx else None)

    @after(Action201.request_start_transaction)
    async def after_request_start(self, id_token: dict, remote_start_id: int, evse_id: int | None = None,
                                  **_: Any) -> None:
        c = self.st.remote_start_target(evse_id)
        if c is not None:
            self.st.spawn(self.st.remote_start(c, id_token, remote_start_id))

    @on(Action201.request_stop_transaction)
    async def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.RequestStopTransaction(status="Accepted" if self.st.by_tx(transaction_id) else "Rejected")

    @after(Action201.request_stop_transaction)
    async def after_request_stop(self, transaction_id: str, **_: Any) -> None:
        c = self.st.by_tx(transaction_id)
        if c is not None:
            self.st.spawn(self.st.end_tx(c, "RemoteStop", "Remote"))

    @on(Action201.get_transaction_status)
    async def on_get_transaction_status(self, transaction_id: str | None = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        ongoing = self.st.by_tx(transaction_id) is not None if transaction_id is not None else None
        return result201.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on(Action201.unlock_connector)
    async def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        await self.refuse_when_rejected()
        c = self.st.connectors.get(evse_id)
        if c is None or connector_id != 1:
            return result201.UnlockConnector(status="UnknownConnector")
        if c.tx is not None:
            return result201.UnlockConnector(status="OngoingAuthorizedTransaction")
        return result201.UnlockConnector(status="Unlocked")

    @on(Action201.change_availability)
    async def on_change_availability(self, operational_status: str, evse: dict | None = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.ChangeAvailability(status=self.st.change_availability(operational_status, evse))

    @after(Action201.change_availability)
    async def after_change_availability(self, operational_status: str, evse: dict | None = None, **_: Any) -> None:
        self.st.spawn(self.st.report_all())

    @on(Action201.clear_cache)
    async def on_clear_cache(self, **_: Any) -> Any:
        await self.refuse_when_rejected()
        if not self.st.var_bool("AuthCacheCtrlr", "Enabled"):
            return result201.ClearCache(status="Rejected")
        self.st.auth_cache.clear()
        return result201.ClearCache(status="Accepted")

    @on(Action201.data_transfer)
    async def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        status, out = self.st.data_transfer(vendor_id, message_id, data)
        return result201.DataTransfer(status=status, data=out)

    @on(Action201.trigger_message)
    async def on_trigger(self, requested_message: str, evse: dict | None = None, **_: Any) -> Any:
        await self.refuse_when_rejected()
        return result201.TriggerMessage(status=self.st.trigger_status(requested_message, evse))

    @after(Action201.trigger_message)
    async def after_trigger(self, requested_message: str, evse: dict | None = None, **_: Any) -> None:
        if self.st.trigger_status(requested_message, evse) == "Accepted":
            self.st.spawn(self.st.triggered(requested_message, evse))


class MhStation201(_MhStationBase):
    """OCPP 2.0.1 station (Core: provisioning, authorization, transactions, remote control, device model) on the
    `ocpp` library's v201 ChargePoint. One connector per EVSE; a transaction starts at plug-in or authorization,
    whichever comes first, and ends when either goes (TxStartPoint = TxStopPoint = EVConnected,Authorized)."""

    version = "2.0.1"
    subprotocol = "ocpp2.0.1"
    ITEMS_PER_MESSAGE = 50
    REPORT_ITEMS_PER_MESSAGE = 12

    def __init__(self, csms_url: str, identity: str, *, password: str | None = None, connectors: int = 1,
                 faults: tuple[str, ...] | list[str] = (), params: dict[str, Any] | None = None) -> None:
        super().__init__(csms_url, identity, password=password, connectors=connectors, faults=faults,
                         params=params)
        p = self.params
        V = Variable
        self.variables: list[Variable] = [
            V("OCPPCommCtrlr", "HeartbeatInterval", str(int(self.heartbeat_interval)), data_type="integer",
              unit="s"),
            V("OCPPCommCtrlr", "MessageTimeout", str(int(self.call_timeout)), "ReadOnly", "integer",
              instance="Default", unit="s"),
            V("OCPPCommCtrlr", "MessageAttempts", "3", data_type="integer", instance="TransactionEvent"),
            V("OCPPCommCtrlr", "MessageAttemptInterval", "5", data_type="integer", instance="TransactionEvent",
              unit="s"),
            V("OCPPCommCtrlr", "NetworkConfigurationPriority", "0", data_type="SequenceList"),
            V("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "3", data_type="integer"),
            V("OCPPCommCtrlr", "OfflineThreshold", "60", data_type="integer", unit="s"),
            V("OCPPCommCtrlr", "ResetRetries", "1", data_type="integer"),
            V("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "true", "ReadOnly", "boolean"),
            V("DeviceDataCtrlr", "ItemsPerMessage", str(self.ITEMS_PER_MESSAGE), "ReadOnly", "integer",
              instance="GetVariables"),
            V("DeviceDataCtrlr", "ItemsPerMessage", str(self.ITEMS_PER_MESSAGE), "ReadOnly", "integer",
              instance="SetVariables"),
            V("DeviceDataCtrlr", "ItemsPerMessage", str(self.REPORT_ITEMS_PER_MESSAGE), "ReadOnly", "integer",
              instance="GetReport"),
            V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="GetVariables"),
            V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="SetVariables"),
            V("DeviceDataCtrlr", "BytesPerMessage", "65000", "ReadOnly", "integer", instance="GetReport"),
            V("SampledDataCtrlr", "TxUpdatedInterval", str(int(p.get("meter_sample_interval", 60))), data_type="integer",
              unit="s"),
            V("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register", data_type="MemberList",
              values_list="Energy.Active.Import.Register,Power.Active.Import"),
            V("SampledDataCtrlr", "TxStartedMeasurands", "Energy.Active.Import.Register", data_type="MemberList",
              values_list="Energy.Active.Import.Register,Power.Active.Import"),
            V("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", data_type="MemberList",
              values_list="Energy.Active.Import.Register,Power.Active.Import"),
            V("SampledDataCtrlr", "TxEndedInterval", "0", data_type="integer", unit="s"),
            V("AlignedDataCtrlr", "Interval", "0", data_type="integer", unit="s"),
            V("AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register", data_type="MemberList",
              values_list="Energy.Active.Import.Register,Power.Active.Import"),
            V("AlignedDataCtrlr", "TxEndedInterval", "0", data_type="integer", unit="s"),
            V("AlignedDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", data_type="MemberList",
              values_list="Energy.Active.Import.Register,Power.Active.Import"),
            V("TxCtrlr", "EVConnectionTimeOut", str(int(p.get("connection_timeout", 60))), data_type="integer",
              unit="s"),
            V("TxCtrlr", "StopTxOnEVSideDisconnect", "true", "ReadOnly", "boolean"),
            V("TxCtrlr", "StopTxOnInvalidId", "true", data_type="boolean"),
            V("TxCtrlr", "TxStartPoint", "EVConnected,Authorized", "ReadOnly", "MemberList",
              values_list="EVConnected,Authorized"),
            V("TxCtrlr", "TxStopPoint", "EVConnected,Authorized", "ReadOnly", "MemberList",
              values_list="EVConnected,Authorized"),
            V("AuthCtrlr", "AuthorizeRemoteStart", "false", data_type="boolean"),
            V("AuthCtrlr", "LocalAuthorizeOffline", "false", data_type="boolean"),
            V("AuthCtrlr", "LocalPreAuthorize", "false", data_type="boolean"),
            V("AuthCacheCtrlr", "Enabled", "true", data_type="boolean"),
            V("ClockCtrlr", "DateTime", "", "ReadOnly", "dateTime"),
            V("ClockCtrlr", "TimeSource", "Heartbeat", data_type="SequenceList", values_list="Heartbeat,RealTimeClock"),
            V("SecurityCtrlr", "SecurityProfile", str(1 if password else 0), "ReadOnly", "integer"),
            V("SecurityCtrlr", "Identity", identity, "ReadOnly"),
            V("ChargingStation", "AvailabilityState", "Available", "ReadOnly", "OptionList"),
            V("ChargingStation", "Available", "true", "ReadOnly", "boolean"),
            V("ChargingStation", "Model", MODEL, "ReadOnly"),
            V("ChargingStation", "VendorName", VENDOR, "ReadOnly"),
        ]
        for i in self.connectors:
            self.variables += [V("EVSE", "AvailabilityState", "Available", "ReadOnly", "OptionList", evse=i),
                               V("EVSE", "Power", "22000", "ReadOnly", "decimal", evse=i, unit="W"),
                               V("Connector", "AvailabilityState", "Available", "ReadOnly", "OptionList", evse=i),
                               V("Connector", "ConnectorType", "cType2", "ReadOnly", evse=i)]
        self.station_operative = True
        self.reset_on_idle = False
        self.auth_cache: dict[str, str] = {}
        self.dt_vendor = str(p.get("data_transfer_vendor", p.get("data_transfer_vendor_id", "org.vgitest")))
        self.dt_message = str(p.get("data_transfer_message_id", "echo"))
        self.token_type = str(p.get("id_token_type", "ISO14443"))
        self._tx_counter = 0

    def make_charge_point(self, wire: _Wire) -> Any:
        return _Cp201(self, wire)

    # --- device model -------------------------------------------------------------------------------------
    def find(self, component: dict, variable: dict) -> tuple[str | None, Variable | None]:
        """(failure status, variable): UnknownComponent / UnknownVariable, or the variable."""
        cname = component.get("name")
        evse = (component.get("evse") or {}).get("id")
        same_component = [v for v in self.variables if v.component == cname and v.evse == evse]
        if not same_component:
            return "UnknownComponent", None
        for v in same_component:
            if v.name == variable.get("name") and v.instance == variable.get("instance"):
                return None, v
        return "UnknownVariable", None

    def value_of(self, v: Variable) -> str:
        if (v.component, v.name) == ("ClockCtrlr", "DateTime"):
            return utcnow()
        if v.name == "AvailabilityState":
            if v.component == "ChargingStation":
                return "Available" if self.station_operative else "Unavailable"
            c = self.connectors[v.evse] if v.evse is not None else None
            if c is not None:
                return self.status_of(c)
        return v.value

    def var(self, component: str, name: str) -> str:
        return next(v.value for v in self.variables if v.component == component and v.name == name)

    def var_int(self, component: str, name: str) -> int:
        return _int(self.var(component, name)) or 0

    def var_bool(self, component: str, name: str) -> bool:
        return bool(_bool(self.var(component, name)))

    def get_variable(self, d: dict) -> dict:
        out: dict[str, Any] = {"component": d["component"], "variable": d["variable"]}
        attr = d.get("attribute_type", "Actual")
        if attr != "Actual":
            out["attribute_type"] = attr
        problem, v = self.find(d["component"], d["variable"])
        if v is None:
            out["attribute_status"] = problem
        elif attr != "Actual":
            out["attribute_status"] = "NotSupportedAttributeType"
        else:
            out["attribute_status"] = "Accepted"
            out["attribute_value"] = self.value_of(v)
        return out

    def set_variable(self, d: dict) -> dict:
        out: dict[str, Any] = {"component": d["component"], "variable": d["variable"]}
        attr = d.get("attribute_type", "Actual")
        if attr != "Actual":
            out["attribute_type"] = attr
        problem, v = self.find(d["component"], d["variable"])
        if v is None:
            out["attribute_status"] = problem
        elif attr != "Actual":
            out["attribute_status"] = "NotSupportedAttributeType"
        elif v.mutability == "ReadOnly" or not self._valid(v, str(d["attribute_value"])):
            out["attribute_status"] = "Rejected"
        else:
            v.value = self._normal(v, str(d["attribute_value"]))
            out["attribute_status"] = "Accepted"
        return out

    @staticmethod
    def _valid(v: Variable, value: str) -> bool:
        if v.data_type == "integer":
            return _int(value) is not None and _int(value) >= 0  # type: ignore[operator]
        if v.data_type == "boolean":
            return _bool(value) is not None
        if v.data_type in ("MemberList", "SequenceList", "OptionList") and v.values_list:
            allowed = set(v.values_list.split(","))
            items = [x.strip() for x in value.split(",")] if value else []
            return all(x in allowed for x in items) and (v.data_type != "OptionList" or len(items) == 1)
        return True

    @staticmethod
    def _normal(v: Variable, value: str) -> str:
        if v.data_type == "integer":
            return str(_int(value))
        if v.data_type == "boolean":
            return value.strip().lower()
        return value

    def variables_applied(self) -> None:
        if self.var_int("OCPPCommCtrlr", "HeartbeatInterval") != int(self.heartbeat_interval):
            self.set_heartbeat_interval(self.var_int("OCPPCommCtrlr", "HeartbeatInterval"))

    def set_heartbeat_interval(self, seconds: float) -> None:
        next(v for v in self.variables if v.name == "HeartbeatInterval").value = str(int(seconds))
        super().set_heartbeat_interval(seconds)

    def report_status_for(self, base: str) -> str:
        return "Accepted" if base in ("ConfigurationInventory", "FullInventory") else "NotSupported"

    def _report_item(self, v: Variable) -> dict:
        component: dict[str, Any] = {"name": v.component}
        if v.evse is not None:
            component["evse"] = {"id": v.evse}
        variable: dict[str, Any] = {"name": v.name}
        if v.instance is not None:
            variable["instance"] = v.instance
        characteristics: dict[str, Any] = {"data_type": v.data_type, "supports_monitoring": False}
        if v.values_list:
            characteristics["values_list"] = v.values_list
        if v.unit:
            characteristics["unit"] = v.unit
        return {"component": component, "variable": variable,
                "variable_attribute": [{"type": "Actual", "value": self.value_of(v), "mutability": v.mutability}],
                "variable_characteristics": characteristics}

    async def notify_report(self, request_id: int, base: str) -> None:
        items = [self._report_item(v) for v in self.variables
                 if base == "FullInventory" or v.mutability != "ReadOnly"]
        chunks: list[list[dict]] = [[]]
        size = 0
        for item in items:  # at most ItemsPerMessage items, and messages that fit in 2 kB (OCPP 2.1 Part 4 §5.2)
            n = len(json.dumps(item))
            if chunks[-1] and (len(chunks[-1]) >= self.REPORT_ITEMS_PER_MESSAGE or size + n > REPORT_BYTES):
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += n
        for seq, chunk in enumerate(chunks):
            await self.send(call201.NotifyReport(request_id=request_id, generated_at=utcnow(), seq_no=seq,
                                                 report_data=chunk or None, tbc=seq < len(chunks) - 1))

    # --- outgoing messages ---------------------------------------------------------------------------------
    async def send_boot(self) -> Any:
        return await self.send(call201.BootNotification(
            charging_station={"model": MODEL, "vendor_name": VENDOR, "serial_number": self.identity[:25],
                              "firmware_version": "ocpp-2.1.0"},
            reason=self.boot_reason))

    async def send_heartbeat(self) -> None:
        await self.send(call201.Heartbeat())

    def status_of(self, c: Connector) -> str:
        if c.faulted:
            return "Faulted"
        if c.tx is None and (not c.operative or not self.station_operative):
            return "Unavailable"
        return "Occupied" if c.plugged or c.tx is not None else "Available"

    async def report_status(self, c: Connector, force: bool = False) -> None:
        status = self.status_of(c)
        if not self.accepted or (status == c.reported and not force):
            return
        c.reported = status
        await self.send(call201.StatusNotification(timestamp=utcnow(), connector_status=status, evse_id=c.id,
                                                   connector_id=1))

    async def report_all(self) -> None:
        for c in self.connectors.values():
            await self.report_status(c)

    def _meter(self, c: Connector, context: str) -> list[dict]:
        measurands = {"Transaction.Begin": "TxStartedMeasurands", "Sample.Periodic": "TxUpdatedMeasurands",
                      "Transaction.End": "TxEndedMeasurands"}.get(context, "TxUpdatedMeasurands")
        wanted = self.var("SampledDataCtrlr", measurands).split(",")
        sampled: list[dict] = [{"value": c.energy_wh, "context": context, "measurand": "Energy.Active.Import.Register",
                                "location": "Outlet", "unit_of_measure": {"unit": "Wh"}}]
        if "Power.Active.Import" in wanted:
            sampled.append({"value": 7400 if c.tx else 0, "context": context, "measurand": "Power.Active.Import",
                            "location": "Outlet", "unit_of_measure": {"unit": "W"}})
        return [{"timestamp": utcnow(), "sampled_value": sampled}]

    # --- authorization and transactions ----------------------------------------------------------------------
    # TxStartPoint = TxStopPoint = "EVConnected,Authorized": a transaction starts at whichever comes first,
    # plug-in or authorization, and ends when the EV leaves or the driver stops it (E01-E07).
    def _token(self, token: str, kind: str | None = None) -> dict:
        return {"id_token": token, "type": kind or self.token_type}

    async def authorize(self, token: dict) -> bool:
        """AuthorizeRequest, or the authorization cache when LocalPreAuthorize allows it (C10-C12)."""
        caching = self.var_bool("AuthCacheCtrlr", "Enabled")
        if caching and self.var_bool("AuthCtrlr", "LocalPreAuthorize") and \
                self.auth_cache.get(token["id_token"]) == "Accepted":
            return True
        res = await self.send(call201.Authorize(id_token=token))
        status = (res.id_token_info or {}).get("status") if res is not None else None
        if status is not None and caching:
            self.auth_cache[token["id_token"]] = status
        return status == "Accepted"

    @staticmethod
    def charging_state(c: Connector, tx: dict) -> str:
        if c.plugged:
            return "Charging" if tx["authorized"] else "EVConnected"
        return "Idle"

    def _info(self, c: Connector, tx: dict, **extra: Any) -> dict:
        return {"transaction_id": tx["id"], "charging_state": self.charging_state(c, tx), **extra}

    async def on_token(self, c: Connector, token: str) -> None:
        tx = c.tx
        if tx is not None and tx["authorized"]:
            if (tx.get("token") or {}).get("id_token") == token:
                await self.end_tx(c, "StopAuthorized", "Local", id_token=self._token(token))
            return
        if c.faulted or not c.operative or not self.station_operative or not self.accepted:
            return
        tok = self._token(token)
        if not await self.authorize(tok):
            return
        await self._authorize_tx(c, tok, "Authorized")

    async def _authorize_tx(self, c: Connector, tok: dict, trigger: str, remote_id: int | None = None) -> None:
        """Start an authorized transaction, or authorize the one the EV started."""
        if c.tx is None:
            await self.start_tx(c, trigger, token=tok, remote_id=remote_id)
            return
        tx = c.tx
        tx["authorized"], tx["token"] = True, tok
        extra = {"remote_start_id": remote_id} if remote_id is not None else {}
        await self._event(c, tx, "Updated", trigger, self._info(c, tx, **extra), id_token=tok)

    async def on_plug(self, c: Connector) -> None:
        await self.report_status(c)
        tx = c.tx
        if tx is None:
            if self.accepted and c.operative and self.station_operative and not c.faulted:
                await self.start_tx(c, "CablePluggedIn")
            return
        self._cancel_timeout(tx)
        await self._event(c, tx, "Updated", "CablePluggedIn", self._info(c, tx), evse={"id": c.id, "connector_id": 1})

    async def on_unplug(self, c: Connector) -> None:
        if c.tx is not None:
            await self.end_tx(c, "EVCommunicationLost", "EVDisconnected")
            return
        await self.report_status(c)

    async def start_tx(self, c: Connector, trigger: str, token: dict | None = None, remote_id: int | None = None) -> None:
        self._tx_counter += 1
        tx: dict[str, Any] = {"id": f"{self.identity[:20]}-{int(time.time())}-{self._tx_counter}", "seq": 0,
                              "token": token, "authorized": token is not None}
        c.tx = tx
        extra = {"remote_start_id": remote_id} if remote_id is not None else {}
        res = await self._event(c, tx, "Started", trigger, self._info(c, tx, **extra),
                                meter=self._meter(c, "Transaction.Begin"), id_token=token,
                                evse={"id": c.id, "connector_id": 1})
        status = (res.id_token_info or {}).get("status") if res is not None and res.id_token_info else None
        if status is not None and status != "Accepted" and self.var_bool("TxCtrlr", "StopTxOnInvalidId"):
            await self.end_tx(c, "Deauthorized", "DeAuthorized")
            return
        if c.tx is tx:
            tx["meter"] = self.spawn(self._sample(c, tx))
            if not c.plugged:
                tx["timeout"] = self.spawn(self._connect_timeout(c, tx))

    def _cancel_timeout(self, tx: dict) -> None:
        task = tx.pop("timeout", None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _connect_timeout(self, c: Connector, tx: dict) -> None:
        """No EV within EVConnectionTimeOut after authorization: the transaction ends (E03.FR.05)."""
        await asyncio.sleep(self.var_int("TxCtrlr", "EVConnectionTimeOut"))
        if c.tx is tx and not c.plugged:
            tx.pop("timeout", None)
            await self.end_tx(c, "EVConnectTimeout", "Timeout")

    async def _event(self, c: Connector, tx: dict, event: str, trigger: str, info: dict, *,
                     meter: list[dict] | None = None, id_token: dict | None = None, evse: dict | None = None) -> Any:
        seq = tx["seq"]
        tx["seq"] += 1
        return await self.send(call201.TransactionEvent(event_type=event, timestamp=utcnow(), trigger_reason=trigger,
                                                        seq_no=seq, transaction_info=info, meter_value=meter,
                                                        id_token=id_token, evse=evse))

    async def _sample(self, c: Connector, tx: dict) -> None:
        """TransactionEvent(Updated, MeterValuePeriodic) every TxUpdatedInterval while the transaction runs."""
        while c.tx is tx:
            interval = self.var_int("SampledDataCtrlr", "TxUpdatedInterval")
            if interval <= 0:
                await asyncio.sleep(0.5)
                continue
            await asyncio.sleep(interval)
            if c.tx is not tx:
                return
            if self.charging_state(c, tx) == "Charging":
                c.energy_wh += METER_STEP_WH
            await self._event(c, tx, "Updated", "MeterValuePeriodic", self._info(c, tx),
                              meter=self._meter(c, "Sample.Periodic"))

    def aligned_interval(self) -> int:
        return self.var_int("AlignedDataCtrlr", "Interval")

    async def send_aligned(self) -> None:
        wanted = self.var("AlignedDataCtrlr", "Measurands").split(",")
        for c in self.connectors.values():
            sampled: list[dict] = [{"value": c.energy_wh, "context": "Sample.Clock", "measurand":
                                    "Energy.Active.Import.Register", "location": "Outlet",
                                    "unit_of_measure": {"unit": "Wh"}}]
            if "Power.Active.Import" in wanted:
                sampled.append({"value": 7400 if c.tx else 0, "context": "Sample.Clock", "measurand":
                                "Power.Active.Import", "location": "Outlet", "unit_of_measure": {"unit": "W"}})
            values = [{"timestamp": utcnow(), "sampled_value": sampled}]
            if c.tx is not None:  # during a transaction the readings travel in TransactionEvent (J01.FR.14)
                await self._event(c, c.tx, "Updated", "MeterValueClock",
                                  {"transaction_id": c.tx["id"], "charging_state": "Charging"}, meter=values)
            else:
                await self.send(call201.MeterValues(evse_id=c.id, meter_value=values))

    async def end_tx(self, c: Connector, trigger: str, reason: str, id_token: dict | None = None) -> None:
        tx = c.tx
        if tx is None:
            return
        c.tx = None
        # the sampler ends by itself (it checks c.tx); cancelling it mid-send would lose a message or a seqNo
        self._cancel_timeout(tx)
        info = {"transaction_id": tx["id"], "charging_state": "EVConnected" if c.plugged else "Idle",
                "stopped_reason": reason}
        await self._event(c, tx, "Ended", trigger, info, meter=self._meter(c, "Transaction.End"), id_token=id_token)
        if c.inoperative_pending:
            c.inoperative_pending, c.operative = False, False
        await self.report_status(c)
        if self.reset_on_idle and all(x.tx is None for x in self.connectors.values()):
            self.reset_on_idle = False
            self.spawn(self.reboot("RemoteReset"))

    def by_tx(self, transaction_id: str | None) -> Connector | None:
        return next((c for c in self.connectors.values() if c.tx and c.tx.get("id") == transaction_id), None)

    def remote_start_target(self, evse_id: int | None) -> Connector | None:
        """The EVSE a RequestStartTransaction would use; None to reject it (also while not Accepted)."""
        if not self.station_operative or self.registration != "Accepted":
            return None
        candidates = [self.connectors[evse_id]] if evse_id in self.connectors else [] if evse_id is not None \
            else list(self.connectors.values())
        for c in candidates:
            if (c.tx is None or not c.tx["authorized"]) and c.operative and not c.faulted:
                return c
        return None

    async def remote_start(self, c: Connector, id_token: dict, remote_start_id: int) -> None:
        tok = {"id_token": id_token["id_token"], "type": id_token["type"]}
        if self.var_bool("AuthCtrlr", "AuthorizeRemoteStart") and not await self.authorize(tok):
            return
        await self._authorize_tx(c, tok, "RemoteStart", remote_start_id)

    def reset_status(self, kind: str, evse_id: int | None) -> str:
        if evse_id is not None:
            return "Rejected"  # this station resets only as a whole
        busy = any(c.tx is not None for c in self.connectors.values())
        return "Scheduled" if kind == "OnIdle" and busy else "Accepted"

    async def remote_reset(self, kind: str) -> None:
        for c in self.connectors.values():
            await self.end_tx(c, "ResetCommand", "ImmediateReset")
        await self.reboot("RemoteReset")

    def change_availability(self, status: str, evse: dict | None) -> str:
        operative = status == "Operative"
        if evse is None:
            scheduled = any(c.tx is not None for c in self.connectors.values()) and not operative
            self.station_operative = operative
            for c in self.connectors.values():
                c.inoperative_pending = not operative and c.tx is not None
                c.operative = operative if c.tx is None else c.operative
            return "Scheduled" if scheduled else "Accepted"
        c = self.connectors.get(evse.get("id"))  # type: ignore[arg-type]
        if c is None or evse.get("connector_id", 1) != 1:
            return "Rejected"
        if not operative and c.tx is not None:
            c.inoperative_pending = True
            return "Scheduled"
        c.inoperative_pending, c.operative = False, operative
        return "Accepted"

    def data_transfer(self, vendor_id: str, message_id: str | None, data: Any) -> tuple[str, Any]:
        if vendor_id != self.dt_vendor:
            return "UnknownVendorId", None
        if message_id != self.dt_message:
            return "UnknownMessageId", None
        return "Accepted", data

    # --- TriggerMessage ------------------------------------------------------------------------------------
    TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent",
                   "FirmwareStatusNotification", "LogStatusNotification")

    def _trigger_targets(self, evse: dict | None) -> list[Connector] | None:
        if evse is None:
            return list(self.connectors.values())
        c = self.connectors.get(evse.get("id"))  # type: ignore[arg-type]
        if c is None or evse.get("connector_id", 1) != 1:
            return None
        return [c]

    def trigger_status(self, message: str, evse: dict | None) -> str:
        if message not in self.TRIGGERABLE:
            return "NotImplemented"
        targets = self._trigger_targets(evse)
        if targets is None:
            return "Rejected"
        if message == "BootNotification" and self.registration == "Accepted":
            return "Rejected"  # F06.FR.17
        if message == "TransactionEvent" and not any(c.tx for c in targets):
            return "Rejected"
        return "Accepted"

    async def triggered(self, message: str, evse: dict | None) -> None:
        assert self._boot_now is not None
        targets = self._trigger_targets(evse) or []
        if message == "BootNotification":
            self._boot_now.set()
        elif message == "Heartbeat":
            await self.send_heartbeat()
        elif message == "StatusNotification":
            for c in targets:
                c.reported = self.status_of(c)
                await self.send(call201.StatusNotification(timestamp=utcnow(), connector_status=c.reported,
                                                           evse_id=c.id, connector_id=1))
        elif message == "MeterValues":
            for c in targets:
                await self.send(call201.MeterValues(evse_id=c.id, meter_value=self._meter(c, "Trigger")))
        elif message == "TransactionEvent":
            for c in targets:
                if c.tx is not None:
                    await self._event(c, c.tx, "Updated", "Trigger",
                                      {"transaction_id": c.tx["id"], "charging_state": "Charging"},
                                      meter=self._meter(c, "Trigger"))
        elif message == "FirmwareStatusNotification":
            await self.send(call201.FirmwareStatusNotification(status="Idle"))
        elif message == "LogStatusNotification":
            await self.send(call201.LogStatusNotification(status="Idle"))


class _Cp21(_Cp201):
    """The 2.0.1 handlers on the library's 2.1 message classes and schemas (2.1 keeps 2.0.1's messages, with
    optional fields added): the library frames, validates and routes as its v21 ChargePoint does."""

    _call = call21
    _call_result = result21
    _ocpp_version = "2.1"


class MhStation21(MhStation201):
    """OCPP 2.1 station: the 2.0.1 station's behaviour over the `ocpp2.1` subprotocol and the library's 2.1 schemas.
    It reports connector states by StatusNotification (2.1 still has it) and implements none of what 2.1 adds; the
    library ignores every frame whose message type it does not know (CALLRESULTERROR and SEND included), which is
    what 2.1 asks of a station."""

    version = "2.1"
    subprotocol = "ocpp2.1"

    def make_charge_point(self, wire: _Wire) -> Any:
        return _Cp21(self, wire)

"""OCPP 1.6J reference charging station: correct Core + RemoteTrigger behaviour, with named faults.

Physical events (plug in, present a card, unplug, fault) arrive through `perform()` from the DUT adapter and
run as tasks on the station's loop, one at a time, so a test sees the same asynchronous behaviour as with a
real charger. Each behaviour fault is a single `self.has(...)` branch next to the correct behaviour it breaks;
the catalog (catalog_v16.py) says which suite test catches it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from typing import Any, Awaitable, Callable

from . import catalog_v16, catalog_v16_extra, catalog_v16_offline, catalog_v16_reservation  # noqa: F401  (faults)
from . import certs, renewal, security_profiles
from .base import NoAnswer, ReferenceStation, Reply, utcnow
from .config_v16 import Config16
from .v16_files import Files16
from .v16_local_list import LocalListMixin
from .v16_offline import QUEUED, TxQueue16, offline_authorization
from .v16_reservation import ReservationMixin
from .v16_smart import SmartCharging16

TRIGGERABLE = ("BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
               "MeterValues", "StatusNotification")
POWER_W = 7400.0  # the simulated EV charges at a constant power
FEATURE_PROFILES = "Core,FirmwareManagement,RemoteTrigger,LocalAuthListManagement,Reservation"  # PIXIT feature_profiles overrides


@dataclasses.dataclass
class Tx16:
    id: int
    connector: int
    id_tag: str
    parent: str | None
    meter_start: int
    started: float = dataclasses.field(default_factory=time.monotonic)
    started_at: float = dataclasses.field(default_factory=time.time)  # wall clock: origin of Relative profiles
    meter_task: asyncio.Task | None = None
    suspended: bool = False  # energy stopped (an offline start the CSMS refused, StopTransactionOnInvalidId false)


class Station16(SmartCharging16, ReservationMixin, LocalListMixin, ReferenceStation):
    version = "1.6"
    subprotocol = "ocpp1.6"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call_timeout = float(self.params.get("call_timeout", self.call_timeout))
        features = str(self.params.get("feature_profiles", FEATURE_PROFILES))
        self.config = Config16(self.params, len(self.connectors), features)
        profiles = {f.strip() for f in features.split(",")}
        self.init_reservations("Reservation" in profiles)
        self.init_local_list("LocalAuthListManagement" in profiles)
        self.config.keys["SecurityProfile"] = security_profiles.config_key(self)
        self.energy_wh = {c: 0.0 for c in self.connectors}  # energy registers survive reboots
        self.inoperative: set[int] = set()  # availability survives reboots
        self.faulted: set[int] = set()
        self.lock_broken: set[int] = set()  # connectors whose cable lock fails (adapter action fail_lock)
        self.lock_fault: set[int] = set()  # of those, the ones that reported the failure (Faulted)
        self.cache: dict[str, dict] = {}  # authorization cache: idTag -> idTagInfo
        self.pending_auth: dict[int, tuple[str, str | None, asyncio.Task | None]] = {}
        self.interrupted: list[Tx16] = []  # transactions cut by a power loss, stopped after the next boot
        self._deferred: dict[int, Callable[[], Awaitable[Any]]] = {}
        self._events: asyncio.Lock | None = None
        self._clock_task: asyncio.Task | None = None
        self._previous_tx_id: int | None = None  # lifecycle faults: what a session leaves behind
        self._stopped_by_unplug = False
        self._skip_next_boot = False
        self.smart_init("SmartCharging" in profiles)
        self.files = Files16(self)  # Firmware Management: UpdateFirmware, GetDiagnostics (v16_files.py)
        if "FirmwareManagement" in profiles:
            self.files.register()
        self.txq = TxQueue16(self)  # transaction messages while offline, delivered in order (v16_offline.py)

    # --- base hooks ------------------------------------------------------------------------------------------
    def register_handlers(self) -> None:
        h = self.handlers
        h["ChangeAvailability"] = self._change_availability
        h["ChangeConfiguration"] = self._change_configuration
        h["ClearCache"] = self._clear_cache
        h["DataTransfer"] = self._data_transfer
        h["GetConfiguration"] = self._get_configuration
        h["RemoteStartTransaction"] = self._remote_start
        h["RemoteStopTransaction"] = self._remote_stop
        h["Reset"] = self._reset
        h["TriggerMessage"] = self._trigger
        h["UnlockConnector"] = self._unlock
        h["GetLocalListVersion"] = self._get_local_list_version
        h["SendLocalList"] = self._send_local_list
        store = certs.CertStore(self)  # 1.6 security extension: the certificate store and its renewal
        h.update(store.handlers())
        self.renewal = renewal.Renewal(self, store)
        h["ExtendedTriggerMessage"] = lambda p: self.renewal.trigger(p, self._not_supported)
        h["CertificateSigned"] = self.renewal.certificate_signed
        h["ChangeConfiguration"] = security_profiles.authorization_key_setter(self, h["ChangeConfiguration"])
        h["ReserveNow"] = self._reserve_now
        h["CancelReservation"] = self._cancel_reservation
        for action in ("UpdateFirmware", "GetDiagnostics"):
            h[action] = self._not_supported
        self.smart_register(h)

    def boot_payload(self) -> dict:
        return {"chargePointVendor": "vgitest", "chargePointModel": "Reference-1.6",
                "chargePointSerialNumber": self.identity[:25],
                "firmwareVersion": self.files.firmware_version}

    async def report_connector_states(self) -> None:
        for cid in [0, *self.connectors]:
            await self.send_status(cid, self.idle_status(cid) if cid else self.station_status())

    async def after_boot(self) -> None:
        self.config.keys["HeartbeatInterval"].value = str(int(self.heartbeat_interval))
        for tx in self.interrupted:  # OCPP 1.6: end transactions a power loss interrupted, after the boot
            await self.txq.send("StopTransaction", self._stop_payload(tx, "PowerLoss", None))
        self.interrupted.clear()
        self.txq.start()
        await self.files.after_boot()
        if self._clock_task is None or self._clock_task.done():
            self._clock_task = self.spawn(self._clock_aligned())

    async def on_power_loss(self) -> None:
        for conn in self.connectors.values():
            tx = conn.transaction
            if tx is not None:
                if not self.has("power_loss_tx_forgotten"):
                    self.interrupted.append(tx)
                conn.transaction = None
        self.pending_auth.clear()
        self.forget_reservations()
        self._clock_task = None
        if self.has("availability_not_persistent"):
            self.inoperative.clear()

    async def _power_on(self) -> None:
        await super()._power_on()
        self._events = asyncio.Lock()
        if self._skip_next_boot:  # fault no_boot_after_reboot: behave as if the boot had been accepted
            self._skip_next_boot = False
            self._booted_this_power_cycle = True
            self.registration = "Accepted"

    async def _wait_for_boot_trigger(self, seconds: float) -> None:
        if self.has("rejected_boot_traffic") and self.registration == "Rejected":
            await self.report_connector_states()
        await super()._wait_for_boot_trigger(seconds)

    async def after_answer(self, action: str, payload: dict, result: Any) -> None:
        follow_up = self._deferred.pop(id(payload), None)
        if follow_up is not None:
            if action == "Reset":  # the reset ends this loop's tasks, so it must not be one of them
                asyncio.get_running_loop().create_task(follow_up())
            else:
                self.spawn(follow_up())

    def later(self, payload: dict, fn: Callable[[], Awaitable[Any]]) -> None:
        """Run `fn` once the answer to the CSMS request carrying `payload` has been sent."""
        self._deferred[id(payload)] = fn

    async def _dispatch(self, data: str | bytes) -> None:
        if self.has("answers_unknown_message_type"):
            try:
                msg = json.loads(data)
                if isinstance(msg, list) and len(msg) >= 2 and msg[0] not in (2, 3, 4):
                    await self.send_error(str(msg[1]), "MessageTypeNotSupported", f"type {msg[0]}")
                    return
            except ValueError:
                pass
        await super()._dispatch(data)

    async def send_error(self, mid: str, code: str, description: str = "", details: Any = None) -> None:
        if self.has("unknown_action_generic_error") and code == "NotImplemented":
            code = "GenericError"
        await super().send_error(mid, code, description, details)

    def validate_request(self, action: str, payload: dict) -> tuple[str, str] | None:
        if self.has("invalid_payload_accepted"):
            return None
        return super().validate_request(action, payload)

    def _next_id(self) -> str:
        if self.has("long_message_id"):
            return "m" + uuid.uuid4().hex + "-toolong"  # 41 characters; 36 is the maximum
        return super()._next_id()

    # --- helpers ----------------------------------------------------------------------------------------------
    async def safe_call(self, action: str, payload: dict) -> dict | None:
        """A station-initiated CALL whose failure (timeout, CALLERROR, offline) the station survives."""
        try:
            return await self.call(action, payload)
        except Exception as exc:
            self.events.append(f"{action} failed: {type(exc).__name__} {exc}")
            return None

    def station_status(self) -> str:
        return "Unavailable" if 0 in self.inoperative else "Available"

    def idle_status(self, cid: int) -> str:
        """The state of a connector without a transaction."""
        conn = self.connectors[cid]
        if cid in self.faulted or cid in self.lock_fault:
            return "Faulted"
        if cid in self.inoperative or 0 in self.inoperative:
            return "Unavailable"
        if conn.transaction is not None:
            if conn.transaction.suspended:
                return "SuspendedEVSE"
            return "Charging" if conn.plugged else "SuspendedEV"
        if cid in self.pending_auth or conn.plugged:
            return "Preparing"
        if self.shows_reserved(cid) and not self.has("reservation_no_reserved_status"):
            return "Reserved"
        return "Available"

    async def send_status(self, cid: int, status: str) -> None:
        if cid in self.connectors:
            self.connectors[cid].status = status
        payload: dict[str, Any] = {"connectorId": cid, "errorCode": "NoError", "status": status,
                                   "timestamp": utcnow()}
        if cid in self.faulted and status == "Faulted":
            payload["errorCode"] = "OtherError"
        if cid in self.lock_fault and status == "Faulted":
            payload["errorCode"] = "ConnectorLockFailure"
        if self.has("missing_mandatory_field"):
            del payload["errorCode"]
        if self.registration != "Accepted" and not self.has("traffic_before_boot") \
                and not self.has("rejected_boot_traffic"):
            return  # 1.6 §4.2: nothing but BootNotification before the boot is accepted
        await self.safe_call("StatusNotification", payload)
        if cid and self.zero_reserved():  # the station-wide reservation may now hold another connector
            await self.refresh_idle(skip=cid)

    async def refresh_status(self, cid: int) -> None:
        status = self.idle_status(cid)
        if self.connectors[cid].status != status:
            await self.send_status(cid, status)

    def physical(self, coro: Awaitable[Any]) -> None:
        """Queue a physical event: events run in order, each after the previous one finished."""
        async def run() -> None:
            assert self._events is not None
            async with self._events:
                await coro
        self.spawn(run())

    # --- physical actions (DUT adapter) -----------------------------------------------------------------------
    async def do_plug_in(self, connector: int = 1) -> None:
        self.physical(self._plug_in(int(connector)))

    async def do_unplug(self, connector: int = 1) -> None:
        self.physical(self._unplug(int(connector)))

    async def do_present_token(self, id_token: str, connector: int = 1) -> None:
        self.physical(self._present_token(str(id_token), int(connector)))

    async def do_fault_connector(self, connector: int = 1) -> None:
        self.faulted.add(int(connector))
        self.physical(self.refresh_status(int(connector)))

    async def do_clear_fault(self, connector: int = 1) -> None:
        self.faulted.discard(int(connector))
        self.physical(self.refresh_status(int(connector)))

    async def do_fail_lock(self, connector: int = 1) -> None:
        self.lock_broken.add(int(connector))

    async def do_clear_lock_failure(self, connector: int = 1) -> None:
        self.lock_broken.discard(int(connector))
        self.lock_fault.discard(int(connector))
        self.physical(self.refresh_status(int(connector)))

    async def do_reboot(self, reason: str = "PowerUp") -> None:
        if self.has("no_boot_after_reboot"):
            self._skip_next_boot = True
        if reason == "PowerUp":  # a power cut (the adapter's reboot), not a reset or a firmware install
            await self._stop_before_going_down()
        await super().do_reboot(reason)

    async def do_power_off(self) -> None:
        await self._stop_before_going_down()
        await super().do_power_off()

    async def _stop_before_going_down(self) -> None:
        """With param stop_before_power_loss (a station with the energy to do it, PICS StopTxBeforePowerLoss):
        end every transaction with reason PowerLoss before the power goes (OCPP 1.6 TC_032_1_CS)."""
        if not self.params.get("stop_before_power_loss") or self.has("power_loss_stop_after_boot"):
            return
        for conn in self.connectors.values():
            if conn.transaction is not None:
                await self.stop_transaction(conn.transaction, "PowerLoss", None)

    async def _plug_in(self, cid: int) -> None:
        conn = self.connectors[cid]
        conn.plugged = True
        if conn.transaction is not None:
            await self.refresh_status(cid)
            return
        pending = self.pending_auth.pop(cid, None)
        if pending is not None:
            tag, parent, timer = pending
            if timer is not None:
                timer.cancel()
            await self.start_transaction(cid, tag, parent)
        else:
            await self.refresh_status(cid)

    async def _unplug(self, cid: int) -> None:
        conn = self.connectors[cid]
        conn.plugged = False
        tx = conn.transaction
        if tx is not None:
            stop = self.config.flag("StopTransactionOnEVSideDisconnect")
            if self.has("no_stop_on_ev_disconnect"):
                stop = False
            if self.has("stop_on_ev_disconnect_always"):
                stop = True
            if self.has("no_stop_when_unlock_off") and not self.config.flag("UnlockConnectorOnEVSideDisconnect"):
                stop = False
            if stop:
                await self.stop_transaction(tx, "EVDisconnected", None)
                return
        await self.refresh_status(cid)

    async def _present_token(self, tag: str, cid: int) -> None:
        conn = self.connectors[cid]
        tx = conn.transaction
        if tx is not None:
            if tag == tx.id_tag or self.has("stop_by_any_token"):
                await self.stop_transaction(tx, "Local", tag)
                return
            info = await self.authorize(tag)  # another card may stop it if it shares the parent id
            if info.get("status") == "Accepted" and tx.parent and info.get("parentIdTag") == tx.parent \
                    and not self.has("parent_id_ignored"):
                await self.stop_transaction(tx, "Local", tag)
            return
        if cid in self.inoperative or cid in self.faulted:
            return
        info = await self.authorize(tag)
        if info.get("status") != "Accepted" and not self.has("start_tx_when_invalid"):
            return
        if self.reservation_blocks(cid, tag, info.get("parentIdTag")):
            return  # the connector is held for another idTag
        if conn.plugged:
            await self.start_transaction(cid, tag, info.get("parentIdTag"))
        else:
            self.await_cable(cid, tag, info.get("parentIdTag"))
            await self.refresh_status(cid)

    def await_cable(self, cid: int, tag: str, parent: str | None) -> None:
        """Authorized without a cable: wait ConnectionTimeOut seconds for the EV, then give up."""
        old = self.pending_auth.pop(cid, None)
        if old is not None and old[2] is not None:
            old[2].cancel()
        timer = None if self.has("connection_timeout_ignored") else self.spawn(self._connection_timeout(cid))
        self.pending_auth[cid] = (tag, parent, timer)

    async def _connection_timeout(self, cid: int) -> None:
        await asyncio.sleep(self.config.number("ConnectionTimeOut"))
        assert self._events is not None
        async with self._events:
            if self.pending_auth.pop(cid, None) is not None:
                self.remote_profiles.pop(cid, None)
                self.events.append(f"connector {cid}: ConnectionTimeOut expired")
                await self.refresh_status(cid)

    async def authorize(self, tag: str) -> dict:
        """idTagInfo for `tag`: from the local list or the cache when LocalPreAuthorize allows it, else from the
        CSMS (OCPP 1.6 Local Authorization List: the list goes before the cache)."""
        listed = self.local_entry(tag)
        if listed is not None and listed.get("status") == "Accepted" and self.config.flag("LocalPreAuthorize"):
            return listed
        cached = self.cache.get(tag)
        if cached is not None and cached.get("status") == "Accepted" and self.config.flag("LocalPreAuthorize") \
                and self.config.flag("AuthorizationCacheEnabled") and not self.has("cache_ignored"):
            return cached
        if not self.txq.online():  # the CSMS cannot be reached: decide locally (v16_offline.py)
            return offline_authorization(self, tag)
        res = await self.safe_call("Authorize", {"idTag": tag})
        info = (res or {}).get("idTagInfo", {"status": "Invalid"})
        if self.config.flag("AuthorizationCacheEnabled"):
            self.cache[tag] = info
        return info

    # --- transactions -----------------------------------------------------------------------------------------
    async def start_transaction(self, cid: int, tag: str, parent: str | None) -> None:
        conn = self.connectors[cid]
        if cid in self.lock_broken and not self.has("lock_failure_ignored"):  # no charging without a locked cable
            self.lock_fault.add(cid)
            await self.refresh_status(cid)
            return
        payload: dict[str, Any] = {"connectorId": cid, "idTag": tag, "meterStart": int(self.energy_wh[cid]),
                                   "timestamp": utcnow()}
        reservation = self.take_reservation(cid, tag, parent)
        if reservation is not None:
            payload["reservationId"] = reservation
        if self.has("null_optional_field"):
            payload["reservationId"] = None
        started: list[Tx16] = []
        res = await self.txq.send("StartTransaction", payload, lambda late: self._late_start(started, late))
        if res is QUEUED:  # offline: the transaction runs under a provisional id until the CSMS grants one
            tx_id, info = self.txq.provisional_id(), {"status": "Accepted"}
        elif res is None or "transactionId" not in res:
            await self.refresh_status(cid)
            return
        else:
            tx_id, info = int(res["transactionId"]), res.get("idTagInfo", {})
        tx = Tx16(tx_id, cid, tag, parent, payload["meterStart"])
        started.append(tx)
        conn.transaction = tx
        self.smart_tx_started(tx)
        if res is QUEUED:
            await self.send_status(cid, "Charging" if conn.plugged else "SuspendedEV")
            if not self.has("no_sampled_meter_values"):
                tx.meter_task = self.spawn(self._sample_meter(tx))
            return
        if self.config.flag("AuthorizationCacheEnabled"):
            self.cache[tag] = info
        if info.get("status") != "Accepted" and self.config.flag("StopTransactionOnInvalidId"):
            await self.stop_transaction(tx, "DeAuthorized", None)
            return
        await self.send_status(cid, "Charging" if conn.plugged else "SuspendedEV")
        if reservation is not None:  # connectors the used reservation held are free again
            await self.refresh_idle(skip=cid)
        if not self.has("no_sampled_meter_values"):
            tx.meter_task = self.spawn(self._sample_meter(tx))

    async def _late_start(self, started: list[Tx16], res: dict | None) -> None:
        """The CSMS's answer to a StartTransaction delivered from the queue: its transaction id replaces the
        provisional one, and an idTag it does not accept ends the transaction (StopTransactionOnInvalidId) or stops
        the energy (OCPP 1.6 §9.1 StopTransactionOnInvalidId)."""
        if not started or not res or "transactionId" not in res:
            return
        tx = started[0]
        self.txq.ids[tx.id] = int(res["transactionId"])
        tx.id = int(res["transactionId"])
        info = res.get("idTagInfo", {})
        if self.config.flag("AuthorizationCacheEnabled"):
            self.cache[tx.id_tag] = info
        if info.get("status") == "Accepted" or self.connectors[tx.connector].transaction is not tx:
            return
        if self.config.flag("StopTransactionOnInvalidId"):
            if not self.has("offline_invalid_not_stopped"):
                await self._events_run(self.stop_transaction(tx, "DeAuthorized", None))
        elif self.has("offline_invalid_stopped_anyway"):
            await self._events_run(self.stop_transaction(tx, "DeAuthorized", None))
        else:  # the transaction goes on; this station stops the energy meanwhile
            self.charge(tx)
            tx.suspended = True
            await self.refresh_status(tx.connector)

    def _stop_payload(self, tx: Tx16, reason: str, tag: str | None) -> dict:
        payload: dict[str, Any] = {"transactionId": tx.id, "meterStop": int(self.energy_wh[tx.connector]),
                                   "timestamp": utcnow(), "reason": reason}
        if tag is not None:
            payload["idTag"] = tag
        return payload

    async def stop_transaction(self, tx: Tx16, reason: str, tag: str | None) -> None:
        conn = self.connectors[tx.connector]
        if tx.meter_task is not None:
            tx.meter_task.cancel()
        self.charge(tx)
        conn.transaction = None
        self.smart_tx_ended(tx)
        self._previous_tx_id = tx.id
        self._stopped_by_unplug = reason == "EVDisconnected"
        await self.txq.send("StopTransaction", self._stop_payload(tx, reason, tag))
        await self.send_status(tx.connector, "Finishing" if conn.plugged else self.idle_status(tx.connector))
        if tx.connector in self.inoperative:  # a Scheduled availability change takes effect now
            await self.refresh_status(tx.connector)

    def charge(self, tx: Tx16) -> None:
        """Advance the connector's energy register by what the EV drew since the last reading."""
        now = time.monotonic()
        if self.connectors[tx.connector].plugged and not tx.suspended:
            self.energy_wh[tx.connector] += self.ev_power_w(tx.connector, POWER_W) * (now - tx.started) / 3600.0
        tx.started = now

    def sampled_values(self, cid: int, context: str, measurands_key: str) -> list[dict]:
        out = []
        for m in [x.strip() for x in self.config.get(measurands_key).split(",") if x.strip()]:
            power = self.ev_power_w(cid, POWER_W)  # a single-phase EV at 230 V, within the limit in force
            value, unit = {"Energy.Active.Import.Register": (self.energy_wh[cid], "Wh"),
                           "Power.Active.Import": (power, "W"), "Current.Import": (power / 230.0, "A"),
                           "Voltage": (230.0, "V")}[m]
            # whole Wh, like meterStart/meterStop, so a reading never exceeds the final meterStop
            sv: dict[str, Any] = {"value": str(int(value)), "context": context, "measurand": m, "unit": unit}
            if self.has("schema_violation"):
                sv["value"] = int(value)
            out.append(sv)
        return out

    def meter_payload(self, cid: int, context: str, measurands_key: str, tx: Tx16 | None) -> dict:
        payload: dict[str, Any] = {"connectorId": cid, "meterValue": [
            {"timestamp": utcnow(), "sampledValue": self.sampled_values(cid, context, measurands_key)}]}
        if tx is not None:
            payload["transactionId"] = tx.id + 1 if self.has("wrong_transaction_id") else tx.id
            if self.has("meter_id_of_previous_tx") and self._previous_tx_id is not None:
                payload["transactionId"] = self._previous_tx_id  # state of the last session leaks into this one
        return payload

    async def _sample_meter(self, tx: Tx16) -> None:
        readings = 0
        while True:
            interval = self.config.number("MeterValueSampleInterval")
            await asyncio.sleep(interval if interval > 0 else 0.5)
            if interval <= 0 or self.connectors[tx.connector].transaction is not tx:
                continue
            self.charge(tx)
            readings += 1
            payload = self.meter_payload(tx.connector, "Sample.Periodic", "MeterValuesSampledData", tx)
            if self.has("meter_values_out_of_order") and readings % 2 == 0:
                for sv in payload["meterValue"][0]["sampledValue"]:
                    if sv["measurand"] == "Energy.Active.Import.Register":
                        sv["value"] = str(int(max(0.0, self.energy_wh[tx.connector] - 50)))
            # shielded: stopping the transaction cancels this task, and a cancelled CALL in flight would let
            # StopTransaction go out before its answer came (two CALLs outstanding)
            await asyncio.shield(self.txq.send("MeterValues", payload))

    async def _clock_aligned(self) -> None:
        """Clock-aligned readings at every multiple of ClockAlignedDataInterval (wall clock)."""
        while True:
            interval = self.config.number("ClockAlignedDataInterval")
            if interval <= 0 or self.has("clock_aligned_ignored"):
                await asyncio.sleep(0.25)
                continue
            now = time.time()
            await asyncio.sleep(interval - (now % interval))
            if self.config.number("ClockAlignedDataInterval") != interval or self.registration != "Accepted":
                continue
            for cid, conn in self.connectors.items():
                tx = conn.transaction
                if tx is not None:
                    self.charge(tx)
                payload = self.meter_payload(cid, "Sample.Clock", "MeterValuesAlignedData", tx)
                if tx is not None:  # a transaction's readings are transaction messages (1.6 §3.7): queued offline
                    await self.txq.send("MeterValues", payload)
                else:
                    await self.safe_call("MeterValues", payload)

    def find_tx(self, tx_id: Any) -> Tx16 | None:
        for conn in self.connectors.values():
            if conn.transaction is not None and conn.transaction.id == tx_id:
                return conn.transaction
        return None

    # --- CSMS requests ----------------------------------------------------------------------------------------
    async def _not_supported(self, p: dict) -> dict:
        raise Reply("NotSupported", "feature profile not supported by this station")

    async def _remote_start(self, p: dict) -> dict:
        rejected = {"status": "Rejected"}
        if self.registration != "Accepted":  # the CSMS must not ask while Pending (1.6 §4.2); refuse if it does
            return rejected
        cid = p.get("connectorId")
        if cid == 0 and not self.has("remote_start_on_connector_zero"):
            return rejected
        if cid is None or cid == 0:
            free = [c for c, conn in self.connectors.items() if conn.transaction is None
                    and c not in self.inoperative and c not in self.faulted]
            if not free:
                return rejected
            cid = free[0]
        conn = self.connectors.get(cid)
        if conn is None or cid in self.inoperative or cid in self.faulted or 0 in self.inoperative:
            return rejected
        if conn.transaction is not None and not self.has("remote_start_when_busy"):
            return rejected
        if not self.remote_start_profile(p, cid):  # a chargingProfile must be a usable TxProfile (1.6 §5.11)
            return rejected
        stale = self.has("remote_start_stale_after_unplug") and self._stopped_by_unplug  # a flag never cleared
        if not self.has("remote_start_ignored") and not stale and conn.transaction is None:
            tag = p["idTag"]
            self.later(p, lambda: self._events_run(self._remote_start_flow(cid, tag)))
        return {"status": "Accepted"}

    async def _events_run(self, coro: Awaitable[Any]) -> None:
        assert self._events is not None
        async with self._events:
            await coro

    async def _remote_start_flow(self, cid: int, tag: str) -> None:
        parent = None
        if self.config.flag("AuthorizeRemoteTxRequests") and not self.has("remote_start_skips_authorize"):
            info = await self.authorize(tag)
            if info.get("status") != "Accepted":
                self.remote_profiles.pop(cid, None)
                return
            parent = info.get("parentIdTag")
        conn = self.connectors[cid]
        if conn.transaction is not None:
            return
        if self.reservation_blocks(cid, tag, parent) and parent is None:  # learn the parent id: it may match
            parent = (await self.authorize(tag)).get("parentIdTag")
        if self.reservation_blocks(cid, tag, parent):
            await self.refresh_status(cid)
            return
        if conn.plugged:
            await self.start_transaction(cid, tag, parent)
        else:
            self.await_cable(cid, tag, parent)
            await self.refresh_status(cid)

    async def _remote_stop(self, p: dict) -> dict:
        tx = self.find_tx(p["transactionId"])
        if self.has("remote_stop_rejected") or (tx is None and not self.has("remote_stop_unknown_accepted")):
            return {"status": "Rejected"}
        if tx is not None:
            self.later(p, lambda: self._events_run(self.stop_transaction(tx, "Remote", None)))
        return {"status": "Accepted"}

    async def _reset(self, p: dict) -> dict:
        if not self.has("ignore_reset"):
            self.later(p, lambda: self._reset_flow(p["type"]))
        return {"status": "Accepted"}

    async def _reset_flow(self, kind: str) -> None:
        if not self.has("reset_without_stop"):
            for conn in self.connectors.values():
                if conn.transaction is not None:
                    await self.stop_transaction(conn.transaction, "HardReset" if kind == "Hard" else "SoftReset",
                                                None)
        else:
            for conn in self.connectors.values():
                conn.transaction = None  # dropped silently: the defect
        await self.do_reboot("RemoteReset")

    async def _get_configuration(self, p: dict) -> dict:
        if self.registration == "Pending" and self.has("pending_hides_configuration"):
            return {"configurationKey": [], "unknownKey": list(p.get("key") or [])}
        skip = ("HeartbeatInterval",) if self.has("config_key_missing") else ()
        return self.config.report(p.get("key"), skip)

    async def _change_configuration(self, p: dict) -> dict:
        key, value = p["key"], p["value"]
        if key not in self.config.keys and self.has("unknown_config_key_accepted"):
            return {"status": "Accepted"}
        store = not self.has("config_not_applied")
        status = self.config.change(key, value, store=store)
        if status == "Rejected" and self.has("invalid_config_value_accepted") \
                and not self.config.keys[key].readonly:
            return {"status": "Accepted"}
        if status == "Accepted" and store and key == "HeartbeatInterval":
            self.heartbeat_interval = float(value)
        return {"status": status}

    async def _clear_cache(self, p: dict) -> dict:
        if self.has("clear_cache_rejected"):
            return {"status": "Rejected"}
        if not self.has("clear_cache_ignored"):
            self.cache.clear()
        return {"status": "Accepted"}

    async def _data_transfer(self, p: dict) -> dict:
        vendor = str(self.params.get("data_transfer_vendor_id", "org.vgitest"))
        if p["vendorId"] != vendor:
            return {"status": "Accepted" if self.has("data_transfer_unknown_vendor_accepted") else "UnknownVendorId"}
        if p.get("messageId") != self.params.get("data_transfer_message_id", "echo"):
            return {"status": "UnknownMessageId"}
        out: dict[str, Any] = {"status": "Accepted"}
        if "data" in p:
            out["data"] = p["data"]
        return out

    async def _change_availability(self, p: dict) -> dict:
        cid, kind = p["connectorId"], p["type"]
        if cid != 0 and cid not in self.connectors:
            return {"status": "Rejected"}
        if self.has("availability_ignored"):
            return {"status": "Accepted"}
        targets = list(self.connectors) if cid == 0 else [cid]
        busy = any(self.connectors[c].transaction is not None for c in targets)
        if kind == "Inoperative":
            self.inoperative.update(targets + ([0] if cid == 0 else []))
        else:
            self.inoperative.difference_update(targets + ([0] if cid == 0 else []))

        async def apply() -> None:
            if cid == 0:
                await self.send_status(0, self.station_status())
            for c in targets:
                if self.connectors[c].transaction is None:
                    await self.refresh_status(c)
        self.later(p, lambda: self._events_run(apply()))
        return {"status": "Scheduled" if busy and kind == "Inoperative" else "Accepted"}

    async def _unlock(self, p: dict) -> dict:
        cid = p["connectorId"]
        conn = self.connectors.get(cid)
        if conn is None:
            return {"status": "Unlocked" if self.has("unlock_unknown_connector") else "NotSupported"}
        if str(self.params.get("fixed_cable", False)).lower() == "true" and not self.has("fixed_cable_unlocked"):
            return {"status": "NotSupported"}  # a permanently attached cable has no lock to release
        if self.has("unlock_fails") or (cid in self.lock_broken and not self.has("unlock_failure_hidden")):
            return {"status": "UnlockFailed"}
        tx = conn.transaction
        if tx is not None:
            if self.has("unlock_keeps_transaction"):
                return {"status": "Unlocked"}
            await self.stop_transaction(tx, "UnlockCommand", None)
        conn.locked = False
        return {"status": "Unlocked"}

    async def _trigger(self, p: dict) -> dict:
        what, cid = p["requestedMessage"], p.get("connectorId")
        if what not in TRIGGERABLE:
            return {"status": "NotImplemented"}
        if cid is not None and cid != 0 and cid not in self.connectors \
                and not self.has("trigger_unknown_connector_accepted"):
            return {"status": "Rejected"}
        if not self.has("trigger_ignored"):
            self.later(p, lambda: self._send_triggered(what, cid))
        return {"status": "Accepted"}

    async def _send_triggered(self, what: str, cid: int | None) -> None:
        if cid is not None and cid != 0 and cid not in self.connectors:
            return
        if what == "BootNotification":
            if self.registration != "Accepted":
                self.trigger_boot()
                return
            res = await self.safe_call("BootNotification", self.boot_payload())
            if res and res.get("status") == "Accepted" and res.get("interval"):
                self.heartbeat_interval = float(res["interval"])
        elif what == "Heartbeat":
            await self.safe_call("Heartbeat", {})
        elif what == "StatusNotification":
            ids = [cid] if cid is not None else [0, *self.connectors]
            sends = [self.send_status(c, self.station_status() if c == 0 else self.connectors[c].status)
                     for c in ids]
            if self.has("concurrent_call"):  # fire them all at once instead of one after the other
                await asyncio.gather(*sends)
            else:
                for send in sends:
                    await send
        elif what == "MeterValues":
            for c in ([cid] if cid else list(self.connectors)):
                await self.safe_call("MeterValues", self.meter_payload(c, "Trigger", "MeterValuesSampledData",
                                                                       self.connectors[c].transaction))
        elif what == "DiagnosticsStatusNotification":
            await self.safe_call("DiagnosticsStatusNotification", {"status": self.files.diagnostics_status})
        elif what == "FirmwareStatusNotification":
            await self.safe_call("FirmwareStatusNotification", {"status": self.files.firmware_status})


__all__ = ["Station16", "Tx16", "NoAnswer"]

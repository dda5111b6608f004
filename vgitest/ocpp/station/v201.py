"""OCPP 2.0.1 reference charging station: correct by default, with the 2.0.1 faults of `catalog_v201`.

Model: every PIXIT connector is one EVSE with one connector (evseId = n, connectorId = 1). Transactions
follow TxStartPoint / TxStopPoint (default "EVConnected,Authorized": a transaction starts at whichever
comes first and ends when either goes away), with TransactionEvent Started/Updated/Ended, a per-transaction
seqNo from 0, and periodic meter values every SampledDataCtrlr.TxUpdatedInterval while charging.

Physical actions (`do_plug_in`, `do_present_token`, ...) return at once and run in order in the
background, as a real station reacts after the cable is in; tests wait for the messages instead. What it
answers to each CSMS request, and does after the answer, is the table of :mod:`.requests_v201`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from typing import Any, Awaitable

from . import catalog_v201  # noqa: F401  (registers this version's faults before the base checks names)
from . import (auth_v201, certs, core_v201, network_v201, offline_v201, renewal, security_profiles, signed_v201,
               tx_points_v201)
from .firmware_v201 import Firmware201
from .base import Connector, Handler, NoAnswer, ReferenceStation, Reply, utcnow
from .device_model_v201 import DeviceModel, reference_model
from .logs_v201 import LogUploads
from .requests_v201 import REQUESTS, Answer


@dataclasses.dataclass
class Tx:
    """One transaction as the station keeps it."""

    id: str
    evse: int
    seq: int = 0
    id_token: dict | None = None
    remote_start_id: int | None = None
    charging: bool = False
    evse_reported: bool = False
    meter_task: asyncio.Task | None = None
    timeout_task: asyncio.Task | None = None
    last_sample: str = ""
    aligned: list[dict] = dataclasses.field(default_factory=list)  # AlignedDataCtrlr.TxEndedInterval readings
    ended: bool = False  # its Ended event has gone out: nothing may follow it

    @property
    def authorized(self) -> bool:
        return self.id_token is not None


@dataclasses.dataclass
class Evse(Connector):
    """An EVSE with its single connector; `transaction` holds a :class:`Tx`."""

    faulted: bool = False
    inoperative_scheduled: bool = False
    energy_wh: float = 0.0
    remote_stopped_id: str | None = None  # the last transaction a remote stop ended (fault tx_id_reused_after_remote_stop)


class Station201(ReferenceStation):
    version = "2.0.1"
    subprotocol = "ocpp2.0.1"

    def __init__(self, csms_url: str, identity: str = "VGI-REF-201", **kw: Any) -> None:
        params = dict(kw.get("params") or {})
        kw.setdefault("call_timeout", float(params.get("call_timeout", 10.0)))
        kw.setdefault("reboot_delay", float(params.get("reboot_delay", 0.2)))
        kw.setdefault("reconnect_delay", float(params.get("reconnect_delay", 0.5)))
        super().__init__(csms_url, identity, **kw)
        self.connectors = {i: Evse(i) for i in self.connectors}  # type: ignore[misc]
        self.station_operative = True
        self.auth = auth_v201.Authorizer(self)  # cache, groups, master pass (block C)
        self.auth_cache = self.auth.cache
        self.network_profiles: dict[int, dict] = {}  # SetNetworkProfile's connection data per configuration slot
        self.lost: list[Tx] = []  # transactions cut by a power loss, ended after the next boot
        self.reset_scheduled = False
        self._skip_boot_once = False
        self._serial: asyncio.Lock | None = None
        self._tx_lock: asyncio.Lock | None = None
        self.written_heartbeat = str(int(self.heartbeat_interval))  # last HeartbeatInterval SetVariables wrote
        self.model: DeviceModel = reference_model(
            identity=identity, evses=len(self.connectors), heartbeat=self._heartbeat_variable,
            now=utcnow, availability=self._availability_state, params=self.params)
        self.power_w = float(self.params.get("power_w", 11000))
        self.vendor = str(self.params.get("data_transfer_vendor_id", "org.vgitest"))
        self.log_uploads = LogUploads()  # block N: the log upload in progress (GetLog)
        self.firmware = Firmware201(self)  # block L: survives reboots, as firmware does
        self.txq = offline_v201.TxQueue201(self)  # every TransactionEvent goes through it (E11-E14)
        self.reported: dict[int, str] = {}  # the last connector status the CSMS acknowledged, per EVSE (B04)
        self.slot_in_use, self.slot_failures = 1, {}  # B10: the network profile slot of the connection, failures
        # A05: the security profile it runs is reported as it changes; restore_network_profile goes back to these
        self.model.find("SecurityCtrlr", "SecurityProfile").value = lambda: str(security_profiles.current(self))
        self.started_with = (security_profiles.current(self), self.var("OCPPCommCtrlr", "NetworkConfigurationPriority"))

    # --- small helpers --------------------------------------------------------------------------------------
    def var(self, component: str, name: str, instance: str | None = None) -> str:
        return self.model.get(component, name, instance)

    def flag(self, component: str, name: str) -> bool:
        return self.var(component, name) == "true"

    def points(self, name: str) -> set[str]:
        return set(self.var("TxCtrlr", name).split(","))

    def _heartbeat_variable(self) -> str:
        """OCPPCommCtrlr.HeartbeatInterval is the interval in effect, whether the boot answer or SetVariables set
        it; under boot_interval_not_stored only SetVariables reaches the variable, so the boot's interval is lost."""
        if self.has("boot_interval_not_stored"):
            return self.written_heartbeat
        return str(int(self.heartbeat_interval))

    def evse(self, evse_id: int) -> Evse:
        return self.connectors[int(evse_id)]  # type: ignore[return-value]

    def evses(self) -> list[Evse]:
        return list(self.connectors.values())  # type: ignore[arg-type]

    def locks(self) -> tuple[asyncio.Lock, asyncio.Lock]:
        if self._serial is None or self._tx_lock is None:
            self._serial, self._tx_lock = asyncio.Lock(), asyncio.Lock()
        return self._serial, self._tx_lock

    async def safe_call(self, action: str, payload: dict) -> dict | None:
        """A CALL whose failure (CALLERROR, timeout, no connection) is logged, never fatal to the station."""
        try:
            return await self.call(action, payload)
        except (Reply, ConnectionError, asyncio.TimeoutError, OSError) as exc:
            self.events.append(f"{action} failed: {type(exc).__name__} {exc}")
            return None

    def _act(self, coro: Awaitable[Any]) -> None:
        """Run a physical action in the background, strictly after the previous one."""
        serial, _ = self.locks()

        async def run() -> None:
            async with serial:
                await coro

        self.spawn(run())

    def detached(self, coro: Awaitable[Any]) -> None:
        """A task that survives the power-off it causes (reset): not cancelled with the station's tasks."""
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._detached_task = task

    # --- boot and state reports -------------------------------------------------------------------------------
    def boot_payload(self) -> dict:
        return {"reason": self.boot_reason,
                "chargingStation": {"model": str(self.params.get("model", "VGI-REF-201")),
                                    "vendorName": str(self.params.get("vendor", "vgitest")),
                                    "serialNumber": self.identity, "firmwareVersion": self.firmware.version}}

    async def _power_on(self) -> None:
        await super()._power_on()
        if self._skip_boot_once:  # fault no_boot_after_reboot: behave as if this were a mere reconnect
            self._skip_boot_once = False
            self._booted_this_power_cycle = True
            self.registration = "Accepted"

    def _status_of(self, e: Evse) -> str:
        if e.faulted:
            return "Faulted"
        if (not e.available or not self.station_operative) and e.transaction is None:
            return "Unavailable"
        return "Occupied" if e.plugged else "Available"

    def _availability_state(self, evse_id: int | None) -> str:
        if evse_id is None:
            return "Available" if self.station_operative else "Unavailable"
        return self._status_of(self.evse(evse_id))

    async def report_status(self, e: Evse, *, force: bool = False) -> None:
        status, previous = self._status_of(e), e.status
        if status == e.status and not force:
            return
        e.status = status
        if (previous, status) == ("Occupied", "Available") and self.has("no_available_after_unplug"):
            return  # the station believes it reported the free connector; the CSMS still sees it Occupied
        if self.registration != "Accepted" and not self.has("traffic_before_boot"):
            return  # reported after the boot is accepted
        if status == "Occupied" and self.has("no_occupied_status"):
            return
        payload: dict[str, Any] = {"timestamp": utcnow(), "connectorStatus": status, "evseId": e.id,
                                   "connectorId": 1}
        if self.has("missing_mandatory_field"):
            del payload["timestamp"]
        if await self.send_status(payload):
            self.reported[e.id] = status

    async def send_status(self, payload: dict) -> bool:
        """Report one connector's state (a 2.1 station may report it by NotifyEvent instead: status_v21); True when
        the CSMS answered."""
        return await self.safe_call("StatusNotification", payload) is not None

    async def report_connector_states(self) -> None:
        for e in self.evses():
            e.status = ""
            await self.report_status(e, force=True)

    def connection_url(self) -> str:
        return network_v201.connection_url(self)

    def connection_security_profile(self) -> int:
        return network_v201.connection_security_profile(self)

    def connection_opened(self) -> None:
        network_v201.adopt_profile(self)

    def reconnect_wait(self, failures: int) -> float:
        if failures:
            network_v201.attempt_failed(self)
        return offline_v201.backoff(self, failures)

    async def after_reconnect(self, offline_s: float) -> None:
        network_v201.connected(self)
        await offline_v201.after_reconnect(self, offline_s)

    async def after_boot(self) -> None:
        network_v201.connected(self)
        await core_v201.startup_event(self)
        self.txq.start()
        self.spawn(core_v201.aligned_loop(self))
        await self.firmware.after_boot()
        lost, self.lost = self.lost, []
        for tx in lost:  # a power loss cut these: end them now, as the station learned it restarted
            await self.send_event(tx, "Ended", "AbnormalCondition", stopped_reason="PowerLoss",
                                  charging_state="Idle", meter="Transaction.End")

    async def on_power_loss(self) -> None:
        for e in self.evses():
            tx: Tx | None = e.transaction
            if tx is not None:
                self._cancel_tx_tasks(tx)
                self.lost.append(tx)
                e.transaction = None
            e.status = ""
            if self.has("availability_not_persistent"):
                e.available, e.inoperative_scheduled = True, False
        if self.has("availability_not_persistent"):
            self.station_operative = True
        self.reset_scheduled = False
        self.auth.power_loss()
        self._serial = self._tx_lock = None

    async def reboot_after_answer(self, reason: str) -> None:
        await asyncio.sleep(0.05)  # let the answer leave before the socket closes
        self._skip_boot_once = self.has("no_boot_after_reboot")
        await self.do_reboot("PowerUp" if self.has("wrong_boot_reason") else reason)

    async def boot_when_triggered(self) -> None:
        """TriggerMessage(BootNotification): boot again now (when Accepted), or end the wait of a Pending boot."""
        self.boot_reason = "Triggered"
        if self.registration == "Accepted":
            self._booted_this_power_cycle = False
            await self.safe_call("BootNotification", self.boot_payload())
        else:
            self.trigger_boot()

    # --- transactions ---------------------------------------------------------------------------------------
    def meter_value(self, e: Evse, context: str, *, energy: float | None = None, ts: str | None = None) -> dict:
        value: Any = round(e.energy_wh if energy is None else energy, 1)
        if self.has("schema_violation"):
            value = str(value)
        return signed_v201.sign(self, e.id, {
            "timestamp": ts or utcnow(), "sampledValue": [{"value": value, "context": context,
                                                           "measurand": "Energy.Active.Import.Register",
                                                           "unitOfMeasure": {"unit": "Wh"}}]})

    async def send_event(self, tx: Tx, event_type: str, trigger: str, *, charging_state: str | None = None,
                         stopped_reason: str | None = None, with_evse: bool = False, id_token: dict | None = None,
                         meter: str | None = None, meter_value: dict | None = None) -> dict | None:
        """Build and send one TransactionEvent; the tx lock keeps seqNo order equal to sending order."""
        _, lock = self.locks()
        e = self.evse(tx.evse)
        async with lock:
            if tx.ended:  # an event queued behind the Ended one (a periodic or clock-aligned reading) is dropped
                return None
            tx.ended = event_type == "Ended"
            if event_type == "Updated" and e.transaction is not tx:
                return None  # it ended while this event waited for the lock (a periodic sample racing the end)
            info: dict[str, Any] = {"transactionId": tx.id}
            if event_type == "Ended" and self.has("wrong_transaction_id"):
                info["transactionId"] = str(uuid.uuid4())
            if charging_state:
                info["chargingState"] = charging_state
            if stopped_reason:
                info["stoppedReason"] = stopped_reason
            info.update(self.tx_info_extra(tx))
            if tx.remote_start_id is not None and trigger == "RemoteStart" \
                    and not self.has("remote_start_no_remote_start_id"):
                info["remoteStartId"] = tx.remote_start_id
            sent_type = "Updated" if event_type == "Started" and self.has("first_event_not_started") else event_type
            payload: dict[str, Any] = {"eventType": sent_type, "timestamp": utcnow(), "triggerReason": trigger,
                                       "seqNo": tx.seq, "transactionInfo": info}
            tx.seq += 2 if self.has("seqno_gap") else 1
            if with_evse or not tx.evse_reported:
                payload["evse"] = {"id": e.id, "connectorId": 1}
                tx.evse_reported = True
            if id_token is not None:
                payload["idToken"] = id_token
            if meter_value is not None:
                payload["meterValue"] = [meter_value]
            elif meter is not None:
                payload["meterValue"] = [self.meter_value(e, meter)]
            if event_type == "Ended" and tx.aligned:  # the clock-aligned readings collected for the end (J01)
                payload["meterValue"] = tx.aligned + payload.get("meterValue", [])
            if self.has("null_optional_field"):
                payload["numberOfPhasesUsed"] = None
            res = await self.txq.send(payload)  # queued while offline, retried as E13 says
            if id_token is not None:  # C10: the answer about the token goes into the cache too
                self.auth.remember(id_token["idToken"], (res or {}).get("idTokenInfo"), from_tx=True)
            return res

    def tx_info_extra(self, tx: Tx) -> dict:
        """transactionInfo fields a later version adds (2.1: the operationMode of a V2X transaction)."""
        return {}

    def import_power(self, e: Evse) -> float:
        """The power (W) the EVSE draws now; the 2.1 station's V2X control changes it."""
        return self.power_w

    def _cancel_tx_tasks(self, tx: Tx) -> None:
        for t in (tx.meter_task, tx.timeout_task):
            if t is not None and t is not asyncio.current_task():
                t.cancel()
        tx.meter_task = tx.timeout_task = None

    async def start_tx(self, e: Evse, trigger: str, *, id_token: dict | None = None,
                       remote_start_id: int | None = None) -> Tx:
        reused = e.remote_stopped_id if self.has("tx_id_reused_after_remote_stop") else None
        tx = Tx(reused or str(uuid.uuid4()), e.id, id_token=id_token, remote_start_id=remote_start_id)
        e.transaction = tx
        charging = e.plugged and tx.authorized
        state = "Charging" if charging else ("EVConnected" if e.plugged else "Idle")
        show_evse = not (trigger == "CablePluggedIn" and self.has("no_evse_in_first_event"))
        tx.evse_reported = not show_evse
        token = id_token if not self.has("no_idtoken_after_authorize") else None
        begin = None if self.has("no_begin_meter_value") else "Transaction.Begin"
        answer = await self.send_event(tx, "Started", trigger, charging_state=state, with_evse=show_evse,
                                       id_token=token, meter=begin)
        if token is not None and (refused := tx_points_v201.refused(answer)):
            await tx_points_v201.deauthorize(self, e, tx, refused)
            return tx
        if charging:
            self._begin_charging(tx)
        elif not e.plugged and not self.has("ev_connect_timeout_ignored") \
                and not (trigger == "RemoteStart" and self.has("remote_start_timeout_ignored")):
            tx.timeout_task = self.spawn(self._ev_connect_timeout(tx))
        return tx

    async def authorize_tx(self, e: Evse, tx: Tx, id_token: dict, trigger: str,
                           remote_start_id: int | None = None) -> None:
        tx.id_token = id_token
        if remote_start_id is not None:
            tx.remote_start_id = remote_start_id
        token = id_token if not self.has("no_idtoken_after_authorize") else None
        answer = await self.send_event(tx, "Updated", trigger, charging_state="Charging" if e.plugged else None,
                                       id_token=token)
        if token is not None and (refused := tx_points_v201.refused(answer)):
            await tx_points_v201.deauthorize(self, e, tx, refused)
            return
        if e.plugged:
            self._begin_charging(tx)

    def _begin_charging(self, tx: Tx) -> None:
        tx.charging = True
        if tx.timeout_task is not None:
            tx.timeout_task.cancel()
            tx.timeout_task = None
        if not self.has("no_meter_values"):
            tx.meter_task = self.spawn(self._sample(tx))

    async def _sample(self, tx: Tx) -> None:
        """Periodic TransactionEvent(Updated, MeterValuePeriodic) while charging."""
        e = self.evse(tx.evse)
        last = time.monotonic()
        n = 0
        while tx.charging and e.transaction is tx:
            interval = max(0.2, float(self.var("SampledDataCtrlr", "TxUpdatedInterval") or 0) or 60.0)
            await asyncio.sleep(interval)
            now = time.monotonic()
            e.energy_wh += self.import_power(e) * (now - last) / 3600.0
            last = now
            n += 1
            mv = self.meter_value(e, "Sample.Periodic")
            if self.has("meter_values_out_of_order") and n >= 2:
                mv = self.meter_value(e, "Sample.Periodic", energy=max(0.0, e.energy_wh - 500.0),
                                      ts="2000-01-01T00:00:00.000Z")
            # shielded: ending the transaction cancels this task, and a cancelled CALL in flight would let the
            # Ended event go out before its answer came (two CALLs outstanding, seen once in TC_VGI_FUZZ_06_CS)
            await asyncio.shield(self.send_event(tx, "Updated", "MeterValuePeriodic", meter_value=mv))

    async def _ev_connect_timeout(self, tx: Tx) -> None:
        await asyncio.sleep(float(self.var("TxCtrlr", "EVConnectionTimeOut")))
        e = self.evse(tx.evse)
        if e.transaction is tx and not e.plugged:
            tx.timeout_task = None
            reason = "Local" if self.has("connect_timeout_reason_wrong") else "Timeout"
            await self.end_tx(e, "EVConnectTimeout", reason)

    async def end_tx(self, e: Evse, trigger: str, reason: str) -> None:
        tx: Tx | None = e.transaction
        if tx is None:
            return
        tx.charging = False
        self._cancel_tx_tasks(tx)
        e.transaction = None
        if trigger == "RemoteStop":
            e.remote_stopped_id = tx.id
        end = "Sample.Periodic" if self.has("end_meter_value_wrong_context") else "Transaction.End"
        await self.send_event(tx, "Ended", trigger, stopped_reason=reason,
                              charging_state="EVConnected" if e.plugged else "Idle", meter=end)
        if e.inoperative_scheduled and self.has("scheduled_inoperative_forgotten"):
            e.inoperative_scheduled, e.available, self.station_operative = False, True, True
        if e.inoperative_scheduled:
            e.inoperative_scheduled = False
            e.available = False
        await self.report_status(e)
        if self.reset_scheduled and not any(x.transaction for x in self.evses()):
            self.reset_scheduled = False
            self.detached(self.reboot_after_answer("RemoteReset"))

    async def authorize(self, id_token: dict) -> str:
        """The status the station acts on for a token: its cache or the CSMS; offline, the cache alone (C01,
        AuthCtrlr.LocalAuthorizeOffline; :mod:`.auth_v201`)."""
        return str((await self.auth.authorize(id_token)).get("status", "Invalid"))

    # --- physical actions (the simulated DUT adapter calls these) ----------------------------------------------
    async def do_restore_network_profile(self) -> None:
        """The installer puts the station back on the connection it was started with (after TC_A_19_CS raised
        its security profile, which the station must not lower over OCPP)."""
        network_v201.restore(self, *self.started_with)
        if self.ws is not None:
            await self.ws.close()

    async def do_plug_in(self, connector: int = 1) -> None:
        self._act(self._plug_in(self.evse(connector)))

    async def do_unplug(self, connector: int = 1) -> None:
        self._act(self._unplug(self.evse(connector)))

    async def do_present_token(self, id_token: str, connector: int = 1, type: str = "ISO14443") -> None:
        self._act(self._present_token(self.evse(connector), {"idToken": str(id_token), "type": type}))

    async def do_fault_connector(self, connector: int = 1) -> None:
        self._act(self._set_fault(self.evse(connector), True))

    async def do_clear_fault(self, connector: int = 1) -> None:
        self._act(self._set_fault(self.evse(connector), False))

    async def _plug_in(self, e: Evse) -> None:
        if e.plugged:
            return
        e.plugged = True
        await self.report_status(e)
        tx: Tx | None = e.transaction
        if tx is None:
            if tx_points_v201.starts_on_plug_in(self):
                await self.start_tx(e, "Authorized" if self.has("plugin_start_trigger_wrong") else "CablePluggedIn")
        else:
            show_evse = not self.has("no_evse_in_first_event")
            await self.send_event(tx, "Updated", "CablePluggedIn", with_evse=show_evse,
                                  charging_state="Charging" if tx.authorized else "EVConnected")
            if tx.authorized:
                self._begin_charging(tx)

    async def _unplug(self, e: Evse) -> None:
        if not e.plugged:
            return
        e.plugged = False
        tx: Tx | None = e.transaction
        if tx is not None and tx_points_v201.ends_on_unplug(self):
            reason = "Local" if self.has("unplug_stopped_reason_wrong") else "EVDisconnected"
            await self.end_tx(e, "EVCommunicationLost", reason)
        elif tx is not None:
            tx.charging = False
            self._cancel_tx_tasks(tx)
            await self.send_event(tx, "Updated", "EVCommunicationLost", charging_state="Idle")
        e.locked = False
        if self.has("meter_restarts_after_unplug"):
            e.energy_wh = 0.0
        await self.report_status(e)

    async def _local_stop(self, e: Evse, tx: Tx, reason: str = "Local") -> None:
        trigger = "Authorized" if self.has("local_stop_trigger_wrong") else "StopAuthorized"
        if tx_points_v201.ends_on_deauthorize(self):  # Authorized, or a power path / energy the stop ends
            await self.end_tx(e, trigger, reason)
        else:
            tx.charging = False
            self._cancel_tx_tasks(tx)
            await self.send_event(tx, "Updated", trigger, charging_state="EVConnected")

    async def _master_pass(self) -> None:
        """C16 (a station without a user interface): a master pass ends every transaction."""
        for other in self.evses():
            if other.transaction is not None:
                await self.end_tx(other, "StopAuthorized", "MasterPass")

    async def _present_token(self, e: Evse, id_token: dict) -> None:
        tx: Tx | None = e.transaction
        if tx is not None and tx.authorized:
            same = (tx.id_token or {}).get("idToken") == id_token["idToken"]
            if same and not self.has("local_stop_ignored"):  # the faulty station only re-authorizes (below)
                await self._local_stop(e, tx)
                return
            info = await self.auth.authorize(id_token)
            if self.auth.master_pass(info) and not self.has("master_pass_ignored"):
                await self._master_pass()
            elif not same and self.auth.may_stop(tx, id_token, info):  # same group (C09)
                await self._local_stop(e, tx)
            return
        info = await self.auth.authorize(id_token)
        if self.auth.master_pass(info) and not self.has("master_pass_starts_tx"):
            self.events.append(f"token {id_token['idToken']} is a master pass: no transaction")
            if not self.has("master_pass_ignored"):
                await self._master_pass()
            return
        status = str(info.get("status", "Invalid"))
        if status != "Accepted" and not self.has("start_tx_when_invalid"):
            self.events.append(f"token {id_token['idToken']} not accepted: {status}")
            return
        if not self.station_operative or not e.available or e.faulted:
            return
        if tx is not None:
            await self.authorize_tx(e, tx, id_token, "Authorized")
        elif tx_points_v201.starts_on_authorize(self, e):
            await self.start_tx(e, tx_points_v201.start_trigger(self), id_token=id_token)

    async def _set_fault(self, e: Evse, faulted: bool) -> None:
        e.faulted = faulted
        await self.report_status(e)

    # --- CSMS requests ----------------------------------------------------------------------------------------
    def register_handlers(self) -> None:
        self.handlers = {action: self._guarded(row.answer) for action, row in REQUESTS.items()}
        self.network_profiles: dict[int, dict] = {}  # SetNetworkProfile slots accepted (not switched to)
        self.handlers["SetNetworkProfile"] = self._guarded(
            security_profiles.guard_network_profile(network_v201.set_network_profile))
        self.handlers["SetVariables"] = security_profiles.password_setter(self, self.handlers["SetVariables"])
        store = certs.CertStore(self)  # block M: the certificate store
        self.handlers.update({action: self._guarded(lambda _station, p, f=f: f(p))
                              for action, f in store.handlers().items()})
        self.renewal = renewal.Renewal(self, store)
        trigger = self.handlers["TriggerMessage"]
        self.handlers["TriggerMessage"] = lambda p: self.renewal.trigger(p, trigger)
        self.handlers["CertificateSigned"] = self._guarded(lambda _station, p: self.renewal.certificate_signed(p))

    def _guarded(self, answer: Answer) -> Handler:
        """While boot is Rejected, every CSMS request is refused with SecurityError (B03, TC_B_30_CS)."""
        async def handler(payload: dict) -> Any:
            if self.registration == "Rejected" and not self.has("rejected_answers_requests"):
                raise Reply("SecurityError", "registration was rejected by the CSMS")
            return await answer(self, payload)
        return handler

    async def _dispatch(self, data: str | bytes) -> None:
        if self.has("unknown_type_ignored") or self.has("unknown_action_wrong_code"):
            try:
                msg = json.loads(data)
            except ValueError:
                msg = None
            if isinstance(msg, list) and len(msg) >= 3:
                if self.has("unknown_type_ignored") and msg[0] not in (2, 3, 4):
                    return
                if self.has("unknown_action_wrong_code") and msg[0] == 2 and len(msg) == 4 \
                        and msg[2] not in self.handlers:
                    await self.send_error(msg[1], "NotSupported", f"{msg[2]} is not supported")
                    return
        await super()._dispatch(data)

    async def after_answer(self, action: str, payload: dict, result: Any) -> None:
        row = REQUESTS.get(action)
        if row is not None and row.after is not None:
            self.spawn(row.after(self, payload, result))


__all__ = ["Station201", "Tx", "Evse", "NoAnswer"]

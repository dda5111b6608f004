"""What the OCPP 2.0.1 reference station answers to each CSMS request, and what it does once the answer has
left (a reset reboots, a remote start starts, a trigger sends): one row per action in :data:`REQUESTS`, the
station's side of what :mod:`vgitest.ocpp.handlers` is for the fake CSMS.

An answer is a function of the station and the request payload; a follow-up also gets the answer, and the
station runs it in the background once the answer is sent. The station guards every answer (while its boot is
Rejected it refuses them all)."""

from __future__ import annotations

import dataclasses
from typing import Any, Awaitable, Callable

from . import customer_v201, firmware_v201, logs_v201
from . import model_requests_v201 as model
from . import network_v201

# The station, its EVSEs and transactions (vgitest.ocpp.station.v201): typed loosely so that the table does not
# import its owner back (tests/test_import_graph.py).
Station201 = Evse = Tx = Any

Answer = Callable[["Station201", dict], Awaitable[dict]]
FollowUp = Callable[["Station201", dict, dict], Awaitable[None]]

KNOWN_TRIGGERS = {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent",
                  "FirmwareStatusNotification", "LogStatusNotification"}


@dataclasses.dataclass(frozen=True)
class Request:
    answer: Answer
    after: FollowUp | None = None  # run once the answer has left


# reset ------------------------------------------------------------------------------------------------------------
async def reset(st: Station201, p: dict) -> dict:
    if "evseId" in p and not st.has("evse_reset_accepted"):  # C-13: only the whole station resets
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedRequest"}}
    busy = any(e.transaction for e in st.evses())
    if p["type"] == "OnIdle" and busy and not st.has("reset_onidle_immediate"):
        st.reset_scheduled = True
        return {"status": "Scheduled"}
    return {"status": "Accepted"}


async def after_reset(st: Station201, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted" or st.has("ignore_reset"):
        return
    if p["type"] == "Immediate" and not st.has("reset_keeps_transaction"):
        for e in st.evses():
            if e.transaction is not None:
                await st.end_tx(e, "ResetCommand", "ImmediateReset")
    st.detached(st.reboot_after_answer("RemoteReset"))


# remote start / stop ------------------------------------------------------------------------------------------------
def _free_evse(st: Station201, evse_id: int | None) -> Evse | None:
    if evse_id is not None:
        return st.connectors.get(evse_id)  # type: ignore[return-value]
    for e in st.evses():
        tx: Tx | None = e.transaction
        if (tx is None or not tx.authorized) and e.available and not e.faulted:
            return e
    return None


async def request_start(st: Station201, p: dict) -> dict:
    e = _free_evse(st, p.get("evseId"))
    tx: Tx | None = e.transaction if e is not None else None
    if st.registration != "Accepted" and not st.has("pending_accepts_remote_start"):
        return {"status": "Rejected"}
    if e is None or e.faulted or not e.available or not st.station_operative or (tx is not None and tx.authorized):
        return {"status": "Rejected"}
    out: dict[str, Any] = {"status": "Accepted"}
    if tx is not None:
        out["transactionId"] = tx.id
    return out


async def after_request_start(st: Station201, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted" or st.has("remote_start_ignored"):
        return
    e = _free_evse(st, p.get("evseId"))
    if e is None:
        return
    serial, _ = st.locks()
    async with serial:
        if st.flag("AuthCtrlr", "AuthorizeRemoteStart") and not st.has("authorize_remote_start_ignored"):
            if await st.authorize(p["idToken"]) != "Accepted":
                return
        tx: Tx | None = e.transaction
        if tx is not None:
            await st.authorize_tx(e, tx, p["idToken"], "RemoteStart", p["remoteStartId"])
        else:
            await st.start_tx(e, "RemoteStart", id_token=p["idToken"], remote_start_id=p["remoteStartId"])


def _find_tx(st: Station201, tx_id: str | None) -> Evse | None:
    for e in st.evses():
        if e.transaction is not None and e.transaction.id == tx_id:
            return e
    return None


async def request_stop(st: Station201, p: dict) -> dict:
    known = _find_tx(st, p["transactionId"]) is not None
    if st.has("remote_stop_rejected") or (not known and not st.has("remote_stop_accepts_unknown")):
        return {"status": "Rejected"}
    return {"status": "Accepted"}


async def after_request_stop(st: Station201, p: dict, result: dict) -> None:
    e = _find_tx(st, p["transactionId"])
    if result.get("status") == "Accepted" and e is not None:
        serial, _ = st.locks()
        async with serial:
            await st.end_tx(e, "RemoteStop", "Remote")


async def get_transaction_status(st: Station201, p: dict) -> dict:
    out: dict[str, Any] = {"messagesInQueue": st.has("tx_status_claims_queued")}  # nothing is ever queued
    if "transactionId" in p:
        ongoing = _find_tx(st, p["transactionId"]) is not None
        if ongoing or not st.has("tx_status_indicator_missing"):  # false must be said, not left out
            out["ongoingIndicator"] = ongoing and not st.has("tx_status_wrong")
    return out


# trigger --------------------------------------------------------------------------------------------------------------
async def trigger(st: Station201, p: dict) -> dict:
    what = p["requestedMessage"]
    if what not in KNOWN_TRIGGERS:
        return {"status": "Rejected" if st.has("trigger_unsupported_rejected") else "NotImplemented"}
    evse = p.get("evse")
    if evse is not None and evse.get("id") not in st.connectors and evse.get("id") != 0:
        return {"status": "Rejected"}
    if what == "BootNotification" and st.registration == "Accepted" and not st.has("trigger_boot_when_accepted"):
        return {"status": "Rejected"}
    return {"status": "Accepted"}


async def after_trigger(st: Station201, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted" or st.has("trigger_ignored"):
        return
    what = p["requestedMessage"]
    evse_id = (p.get("evse") or {}).get("id")
    targets = [e for e in st.evses() if evse_id in (None, 0, e.id)]
    if what == "BootNotification":
        await st.boot_when_triggered()
    elif what == "Heartbeat":
        await st.safe_call("Heartbeat", {})
    elif what == "StatusNotification":
        for e in targets:  # sent even when nothing changed: the CSMS asked for it
            await st.report_status(e, force=not st.has("trigger_status_only_on_change"))
    elif what == "MeterValues":
        for e in targets:
            meter_of = 0 if st.has("trigger_meter_values_main_meter") else e.id  # 0: the grid meter
            await st.safe_call("MeterValues", {"evseId": meter_of, "meterValue": [st.meter_value(e, "Trigger")]})
    elif what == "TransactionEvent":
        for e in targets:
            tx: Tx | None = e.transaction
            if tx is not None:
                reason = "MeterValuePeriodic" if st.has("trigger_tx_event_wrong_reason") else "Trigger"
                await st.send_event(tx, "Updated", reason, charging_state="Charging" if tx.charging
                                    else "EVConnected" if e.plugged else "Idle", meter="Trigger")
    elif what == "FirmwareStatusNotification":
        await st.safe_call("FirmwareStatusNotification", {"status": "Idle"})
    elif what == "LogStatusNotification":
        await st.safe_call("LogStatusNotification", {"status": "Idle"})


# connector, cache, data transfer, availability ------------------------------------------------------------------------
async def unlock(st: Station201, p: dict) -> dict:
    e = st.connectors.get(p["evseId"])
    if e is None or p["connectorId"] != 1:
        return {"status": "Unlocked" if st.has("unlock_unknown_connector") else "UnknownConnector"}
    tx: Tx | None = e.transaction
    if tx is not None and tx.authorized and not st.has("unlock_during_tx"):
        return {"status": "OngoingAuthorizedTransaction"}
    if st.has("unlock_fails"):
        return {"status": "UnlockFailed"}
    e.locked = False
    return {"status": "Unlocked"}


async def clear_cache(st: Station201, p: dict) -> dict:
    disabled = not st.flag("AuthCacheCtrlr", "Enabled") and not st.has("clear_cache_when_disabled")
    if disabled or st.has("clear_cache_rejected"):
        return {"status": "Rejected"}
    st.auth_cache.clear()
    return {"status": "Accepted"}


async def data_transfer(st: Station201, p: dict) -> dict:
    if p["vendorId"] != st.vendor:
        return {"status": "Accepted" if st.has("data_transfer_accepted") else "UnknownVendorId"}
    if p.get("messageId") != "echo":
        return {"status": "UnknownMessageId"}
    out: dict[str, Any] = {"status": "Accepted"}
    if "data" in p:
        out["data"] = p["data"]
    return out


async def change_availability(st: Station201, p: dict) -> dict:
    target = p.get("evse")
    if target is not None and target.get("id") not in (0, *st.connectors):
        return {"status": "Rejected"}
    if target is not None and target.get("connectorId", 1) != 1:
        return {"status": "Rejected"}
    operative = p["operationalStatus"] == "Operative"
    whole = target is None or target.get("id") == 0
    connector = target is not None and "connectorId" in target
    ignored = (operative and not whole and st.has("evse_operative_ignored")) \
        or (not operative and whole and st.has("station_inoperative_ignored")) \
        or (operative and whole and st.has("station_operative_ignored")) \
        or (connector and st.has("connector_operative_ignored" if operative else "connector_inoperative_ignored"))
    if st.has("availability_ignored") or ignored:
        return {"status": "Accepted"}
    now = st.station_operative if whole else st.evse(target["id"]).available
    if now == operative and st.has("availability_same_state_rejected"):
        return {"status": "Rejected"}
    evses = st.evses() if target is None or target.get("id") == 0 else [st.evse(target["id"])]
    status = "Accepted"
    if target is None or target.get("id") == 0:
        st.station_operative = operative
    for e in evses:
        if not operative and e.transaction is not None:
            e.inoperative_scheduled = True
            status = "Scheduled"
            if target is None:
                e.available = False  # applied when the transaction ends (status stays while it runs)
        else:
            e.inoperative_scheduled = False
            e.available = operative
    if status == "Scheduled" and st.has("availability_during_tx_accepted"):
        status = "Accepted"
    return {"status": status}


async def after_change_availability(st: Station201, p: dict, result: dict) -> None:
    for e in st.evses():  # only a state that changed is reported (TC_G_09: nothing else is)
        await st.report_status(e, force=st.has("availability_always_reported"))


REQUESTS: dict[str, Request] = {
    "GetVariables": Request(model.get_variables), "SetVariables": Request(model.set_variables),
    "GetBaseReport": Request(model.get_base_report, model.send_report),
    "Reset": Request(reset, after_reset),
    "RequestStartTransaction": Request(request_start, after_request_start),
    "RequestStopTransaction": Request(request_stop, after_request_stop),
    "GetTransactionStatus": Request(get_transaction_status),
    "TriggerMessage": Request(trigger, after_trigger),
    "UnlockConnector": Request(unlock), "ClearCache": Request(clear_cache), "DataTransfer": Request(data_transfer),
    "ChangeAvailability": Request(change_availability, after_change_availability),
    "SetNetworkProfile": Request(network_v201.set_network_profile),
    "UpdateFirmware": Request(firmware_v201.update_firmware, firmware_v201.after_update_firmware),
}
REQUESTS.update({  # block N: log upload and customer information
    "GetLog": Request(logs_v201.get_log, logs_v201.after_get_log),
    "CustomerInformation": Request(customer_v201.customer_information, customer_v201.after_customer_information),
})

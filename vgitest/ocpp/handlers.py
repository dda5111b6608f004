"""Default happy-path answers of the fake CSMS to every station-initiated message of 1.6, 2.0.1 and 2.1.

Each handler gets the station's session state and the request payload and returns a schema-valid
response payload. Tests replace any of them with `session.override(...)`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Protocol


class _Csms(Protocol):
    def next_transaction_id(self) -> int: ...


class StationSession(Protocol):
    """What a default answer reads and keeps of the station's session (`vgitest.ocpp.csms.StationSession`
    has it; named here so that this module does not import the server that imports it)."""

    csms: _Csms
    boot_status: str
    boot_retry_interval: int
    heartbeat_interval: int
    transactions: dict[str, dict]

    def token_status(self, token: str | None) -> str: ...


Handler = Callable[[StationSession, dict], Any]


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _boot(s: "StationSession", p: dict) -> dict:
    status = s.boot_status
    interval = s.heartbeat_interval if status == "Accepted" else s.boot_retry_interval
    return {"status": status, "currentTime": utcnow(), "interval": interval}


def _id_tag_info_16(s: "StationSession", tag: str | None) -> dict:
    return {"status": s.token_status(tag)}


def _authorize_16(s: "StationSession", p: dict) -> dict:
    return {"idTagInfo": _id_tag_info_16(s, p.get("idTag"))}


def _start_tx_16(s: "StationSession", p: dict) -> dict:
    tx = s.csms.next_transaction_id()
    s.transactions[str(tx)] = {"connectorId": p.get("connectorId"), "idTag": p.get("idTag"), "open": True}
    return {"transactionId": tx, "idTagInfo": _id_tag_info_16(s, p.get("idTag"))}


def _stop_tx_16(s: "StationSession", p: dict) -> dict:
    tx = s.transactions.get(str(p.get("transactionId")))
    if tx is not None:
        tx["open"] = False
    return {"idTagInfo": _id_tag_info_16(s, p["idTag"])} if "idTag" in p else {}


def _heartbeat(s: "StationSession", p: dict) -> dict:
    return {"currentTime": utcnow()}


def _empty(s: "StationSession", p: dict) -> dict:
    return {}


def _accepted(s: "StationSession", p: dict) -> dict:
    return {"status": "Accepted"}


def _authorize_2x(s: "StationSession", p: dict) -> dict:
    return {"idTokenInfo": {"status": s.token_status(p.get("idToken", {}).get("idToken"))}}


def _tx_event_2x(s: "StationSession", p: dict) -> dict:
    info = p.get("transactionInfo", {})
    tx_id = info.get("transactionId")
    if tx_id is not None:
        tx = s.transactions.setdefault(str(tx_id), {"open": True, "seqNos": []})
        tx.setdefault("seqNos", []).append(p.get("seqNo"))
        if p.get("eventType") == "Ended":
            tx["open"] = False
    if "idToken" in p:
        return {"idTokenInfo": {"status": s.token_status(p["idToken"].get("idToken"))}}
    return {}


def _ev_certificate(s: "StationSession", p: dict) -> dict:
    return {"status": "Failed", "exiResponse": ""}


def _cert_status(s: "StationSession", p: dict) -> dict:
    return {"status": "Failed"}


V16: dict[str, Handler] = {
    "Authorize": _authorize_16, "BootNotification": _boot, "DataTransfer": _accepted,
    "DiagnosticsStatusNotification": _empty, "FirmwareStatusNotification": _empty, "Heartbeat": _heartbeat,
    "MeterValues": _empty, "StartTransaction": _start_tx_16, "StatusNotification": _empty,
    "StopTransaction": _stop_tx_16, "SecurityEventNotification": _empty, "SignCertificate": _accepted,
    "LogStatusNotification": _empty, "SignedFirmwareStatusNotification": _empty,
}

V2X: dict[str, Handler] = {
    "Authorize": _authorize_2x, "BootNotification": _boot, "ClearedChargingLimit": _empty,
    "DataTransfer": _accepted, "FirmwareStatusNotification": _empty, "Get15118EVCertificate": _ev_certificate,
    "GetCertificateStatus": _cert_status, "Heartbeat": _heartbeat, "LogStatusNotification": _empty,
    "MeterValues": _empty, "NotifyChargingLimit": _empty, "NotifyCustomerInformation": _empty,
    "NotifyDisplayMessages": _empty, "NotifyEVChargingNeeds": _accepted, "NotifyEVChargingSchedule": _accepted,
    "NotifyEvent": _empty, "NotifyMonitoringReport": _empty, "NotifyReport": _empty,
    "PublishFirmwareStatusNotification": _empty, "ReportChargingProfiles": _empty,
    "ReservationStatusUpdate": _empty, "SecurityEventNotification": _empty, "SignCertificate": _accepted,
    "StatusNotification": _empty, "TransactionEvent": _tx_event_2x,
}


def defaults(version: str) -> dict[str, Handler]:
    return V16 if version == "1.6" else V2X

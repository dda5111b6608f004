"""Which EXI grammar each V2GTP frame of a TCP connection uses, from the SAP negotiation and the payload type.

Why not try grammars until one decodes: DIN frames also "decode" under ISO-20 DC. The schema therefore comes
only from the supportedAppProtocol exchange (request list + response SchemaID) and the V2GTP payload type.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .capture import Endpoint, TcpConnection, V2gtpFrame
from .layers import EXI_SCHEMA_BY_PAYLOAD

SAP_PAYLOAD = 0x8001
EXI_PAYLOADS = frozenset((SAP_PAYLOAD, *EXI_SCHEMA_BY_PAYLOAD))
NAMESPACES = {"urn:din:70121:2012:MsgDef": "din", "urn:iso:15118:2:2013:MsgDef": "iso-2"}
ISO20_PREFIX = "urn:iso:std:iso:15118:-20:"


@dataclasses.dataclass
class Negotiation:
    """The outcome of supportedAppProtocol, as far as the capture shows it."""

    offered: dict[int, str] = dataclasses.field(default_factory=dict)  # SchemaID -> namespace
    schema_id: int | None = None
    response_code: str | None = None

    @property
    def namespace(self) -> str | None:
        return self.offered.get(self.schema_id) if self.schema_id is not None else None

    @property
    def family(self) -> str | None:
        """"din", "iso-2", "iso-20", or None when nothing usable was negotiated."""
        ns = self.namespace
        if ns is None:
            return None
        if ns.startswith(ISO20_PREFIX):
            return "iso-20"
        return NAMESPACES.get(ns)

    def to_dict(self) -> dict[str, Any]:
        return {"offered": {str(k): v for k, v in self.offered.items()}, "schema_id": self.schema_id,
                "namespace": self.namespace, "response_code": self.response_code, "family": self.family}


def negotiate(sap_messages: list[dict]) -> Negotiation:
    """Combine the decoded SAP request (offer list) and response (chosen SchemaID)."""
    neg = Negotiation()
    for msg in sap_messages:
        req = msg.get("supportedAppProtocolReq")
        if req:
            for ap in req.get("AppProtocol", []):
                neg.offered[ap["SchemaID"]] = ap["ProtocolNamespace"]
    for msg in sap_messages:
        res = msg.get("supportedAppProtocolRes")
        if res:
            neg.response_code = res.get("ResponseCode")
            neg.schema_id = res.get("SchemaID")
    return neg


def schema_for(payload_type: int, is_first_exi: bool, neg: Negotiation) -> tuple[str | None, str]:
    """The grammar for one frame, or None with the reason. The first 0x8001 frame per direction is SAP."""
    if payload_type == SAP_PAYLOAD and is_first_exi:
        return "app-protocol", ""
    family = neg.family
    if payload_type in EXI_SCHEMA_BY_PAYLOAD:
        if family == "iso-20":
            return EXI_SCHEMA_BY_PAYLOAD[payload_type], ""
        return None, f"ISO 15118-20 payload type {payload_type:#06x} but negotiated {neg.namespace or 'nothing'}"
    if payload_type == SAP_PAYLOAD:
        if family in ("din", "iso-2"):
            return family, ""
        if family == "iso-20":
            return None, "payload type 0x8001 after SAP, but ISO 15118-20 uses it only for SAP"
        return None, f"no DIN/ISO-2 schema negotiated (SAP result: {neg.namespace or 'none'})"
    return None, f"payload type {payload_type:#06x} carries no EXI"


def sap_frames(conn: TcpConnection) -> dict[Endpoint, V2gtpFrame]:
    """The first 0x8001 frame sent by each side (the SAP request and response, if present)."""
    out: dict[Endpoint, V2gtpFrame] = {}
    for sender in (conn.client, conn.server):
        frames, _ = conn.stream_from(sender).frames()
        first = next((f for f in frames if f.payload_type in EXI_PAYLOADS), None)
        if first is not None and first.payload_type == SAP_PAYLOAD:
            out[sender] = first
    return out


def message_name(msg: dict) -> str:
    """Name of a decoded message: the Body element for DIN/ISO-2, the root element otherwise."""
    root, body = next(iter(msg.items()))
    if root == "V2G_Message" and isinstance(body, dict):
        inner = body.get("Body") or {}
        return next(iter(inner), "EmptyBody")
    return root


def session_id(msg: dict) -> bytes | None:
    """The Header.SessionID of a DIN/ISO-2/ISO-20 message (None for SAP or when absent)."""
    _, body = next(iter(msg.items()))
    if not isinstance(body, dict):
        return None
    sid = (body.get("Header") or {}).get("SessionID")
    return sid if isinstance(sid, bytes) else None


__all__ = ["Negotiation", "negotiate", "schema_for", "sap_frames", "message_name", "session_id",
           "SAP_PAYLOAD", "EXI_PAYLOADS", "NAMESPACES", "ISO20_PREFIX"]

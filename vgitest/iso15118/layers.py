"""Scapy layers for V2GTP (ISO 15118-2/-20, DIN 70121) and SDP, bound to UDP/TCP port 15118.

V2GTP header: version 0x01, inverse version 0xFE, payload type (2 bytes), payload length (4 bytes), all
big-endian. SDP request (0x9000): security + transport bytes; SDP response (0x9001): SECC IPv6 address,
port, security, transport. EXI payloads stay ``Raw``; decode them with :mod:`vgitest.exi` using the
negotiated schema. :meth:`V2GTP.problems` lists header violations instead of raising, so a harness can
report a peer's malformed frame as a finding.
"""

from __future__ import annotations

from scapy.fields import ByteEnumField, IntField, IP6Field, ShortField, XByteField, XShortEnumField
from scapy.layers.inet import TCP, UDP
from scapy.packet import Packet, Raw, bind_layers

V2GTP_PORT = 15118

PAYLOAD_TYPES = {
    0x8001: "EXI (SAP / DIN / ISO-2)",
    0x8002: "ISO-20 CommonMessages",
    0x8003: "ISO-20 AC",
    0x8004: "ISO-20 DC",
    0x8005: "ISO-20 ACDP",
    0x8006: "ISO-20 WPT",
    0x8101: "ISO-20 ScheduleRenegotiation",
    0x8102: "ISO-20 MeteringConfirmation",
    0x8103: "ISO-20 ACDP SystemStatus",
    0x8104: "ISO-20 ParkingStatus",
    0x9000: "SDP request",
    0x9001: "SDP response",
    0x9002: "SDP request wireless",
    0x9003: "SDP response wireless",
}
EXI_SCHEMA_BY_PAYLOAD = {0x8002: "iso-20-common", 0x8003: "iso-20-ac", 0x8004: "iso-20-dc",
                         0x8005: "iso-20-acdp", 0x8006: "iso-20-wpt"}
SECURITY = {0x00: "TLS", 0x10: "no TLS"}
TRANSPORT = {0x00: "TCP", 0x10: "UDP"}
SDP_REQ_LEN = 2
SDP_RES_LEN = 20


def header_problems(version: int, inverse_version: int, pt: int, payload_length: int | None, avail: int) -> list[str]:
    """What :meth:`V2GTP.problems` lists, from the header's fields and the payload bytes present: without building
    a scapy packet (~15 µs each), for splitting a stream of thousands of frames."""
    out = []
    if version != 0x01:
        out.append(f"protocol version {version:#04x} != 0x01")
    if inverse_version != (~version & 0xFF):
        out.append(f"inverse version {inverse_version:#04x} is not the complement of the version")
    if pt not in PAYLOAD_TYPES and not 0xA000 <= pt <= 0xFFFF:
        out.append(f"unknown payload type {pt:#06x}")
    if payload_length is not None and payload_length != avail:
        out.append(f"payload length {payload_length} but {avail} bytes present")
    if pt == 0x9000 and payload_length != SDP_REQ_LEN:
        out.append(f"SDP request payload must be {SDP_REQ_LEN} bytes")
    if pt == 0x9001 and payload_length != SDP_RES_LEN:
        out.append(f"SDP response payload must be {SDP_RES_LEN} bytes")
    return out


class V2GTP(Packet):
    name = "V2GTP"
    fields_desc = [
        XByteField("version", 0x01),
        XByteField("inverse_version", 0xFE),
        XShortEnumField("payload_type", 0x8001, PAYLOAD_TYPES),
        IntField("payload_length", None),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.payload_length is None:
            pkt = pkt[:4] + len(pay).to_bytes(4, "big") + pkt[8:]
        return pkt + pay

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        n = self.payload_length or 0
        return s[:n], s[n:]  # several V2GTP messages in one TCP segment: the rest is the next one

    def problems(self, wire_payload_len: int | None = None) -> list[str]:
        """Header violations: version, inverse, unknown type, length mismatches."""
        avail = len(bytes(self.payload)) if wire_payload_len is None else wire_payload_len
        return header_problems(self.version, self.inverse_version, self.payload_type, self.payload_length, avail)

    def mysummary(self) -> str:
        return self.sprintf("V2GTP %payload_type% len=%payload_length%")


class SDPRequest(Packet):
    name = "SDP request"
    fields_desc = [
        ByteEnumField("security", 0x10, SECURITY),
        ByteEnumField("transport", 0x00, TRANSPORT),
    ]


class SDPResponse(Packet):
    name = "SDP response"
    fields_desc = [
        IP6Field("secc_ip", "::"),
        ShortField("secc_port", 0),
        ByteEnumField("security", 0x10, SECURITY),
        ByteEnumField("transport", 0x00, TRANSPORT),
    ]


bind_layers(UDP, V2GTP, dport=V2GTP_PORT)
bind_layers(UDP, V2GTP, sport=V2GTP_PORT)
bind_layers(TCP, V2GTP, dport=V2GTP_PORT)
bind_layers(TCP, V2GTP, sport=V2GTP_PORT)
bind_layers(V2GTP, SDPRequest, payload_type=0x9000)
bind_layers(V2GTP, SDPResponse, payload_type=0x9001)
for _pt in (0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006):
    bind_layers(V2GTP, Raw, payload_type=_pt)

__all__ = ["V2GTP", "SDPRequest", "SDPResponse", "PAYLOAD_TYPES", "EXI_SCHEMA_BY_PAYLOAD", "V2GTP_PORT", "header_problems"]

"""The OSI stack under MMS on ISO-on-TCP (IEC 61850-8-1): TPKT, COTP class 0, session, presentation and ACSE.

Each layer has an encoder that gives the bytes IEC 61850 peers put on the wire and a strict, total decoder: any
input gives a value or one :class:`OsiError` naming the layer, what broke and where (never another exception,
never unbounded work), so a device's frame is judged on what it sent. Only the subset of each standard that
IEC 61850-8-1 profiles is accepted; anything else is an error, not a guess:

- TPKT (RFC 1006): version 3, a 16-bit length that covers its own 4-byte header.
- COTP (ISO 8073 / X.224) class 0: CR, CC, DT, DR, ER with the parameters IEC 61850 peers send (TPDU size,
  calling and called TSAP).
- Session (ISO 8327 / X.225) kernel and duplex: CONNECT, ACCEPT, GIVE-TOKENS + DATA TRANSFER, FINISH,
  DISCONNECT, ABORT, REFUSE.
- Presentation (ISO 8823 / X.226) normal mode: CP-type, CPA-PPDU and data transfer, fully-encoded user data.
- ACSE (ISO 8650 / X.227): AARQ, AARE, RLRQ, RLRE, ABRT.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Union

from . import ber

TPKT_VERSION = 3
TPKT_HEADER = 4
TPKT_MAX = 0xFFFF  # the length field's range; a frame never exceeds it


class OsiError(ValueError):
    """The only exception the decoders raise: ``layer`` is the layer whose bytes are malformed."""

    def __init__(self, layer: str, message: str, offset: int | None = None) -> None:
        super().__init__(f"{layer}: {message}" + (f" (at byte {offset})" if offset is not None else ""))
        self.layer = layer
        self.offset = offset


# ---- TPKT (RFC 1006) ----------------------------------------------------------------------------------------

def tpkt_encode(payload: bytes) -> bytes:
    n = len(payload) + TPKT_HEADER
    if n > TPKT_MAX:
        raise ValueError(f"TPKT payload of {len(payload)} bytes exceeds the 16-bit length")
    return bytes([TPKT_VERSION, 0]) + n.to_bytes(2, "big") + payload


def tpkt_length(header: bytes) -> int:
    """The whole frame's length from its 4-byte header (OsiError for a header RFC 1006 does not allow)."""
    if len(header) < TPKT_HEADER:
        raise OsiError("TPKT", f"header of {len(header)} bytes (needs 4)", 0)
    if header[0] != TPKT_VERSION:
        raise OsiError("TPKT", f"version {header[0]} (must be 3)", 0)
    if header[1] != 0:
        raise OsiError("TPKT", f"reserved octet 0x{header[1]:02x} (must be 0)", 1)
    n = int.from_bytes(header[2:4], "big")
    if n < TPKT_HEADER + 3:  # the shortest COTP TPDU (DT) is 3 bytes
        raise OsiError("TPKT", f"length {n} leaves no room for a COTP TPDU", 2)
    return n


def tpkt_decode(frame: bytes) -> bytes:
    """The payload of exactly one TPKT frame."""
    n = tpkt_length(frame)
    if n != len(frame):
        raise OsiError("TPKT", f"length field {n} but {len(frame)} bytes", 2)
    return bytes(frame[TPKT_HEADER:])


async def read_tpkt(reader: asyncio.StreamReader, timeout: float, max_len: int = TPKT_MAX) -> bytes:
    """One whole frame from a stream within ``timeout`` seconds. OsiError for a bad header or a frame longer
    than ``max_len``; asyncio.TimeoutError when the peer is too slow; asyncio.IncompleteReadError at EOF.

    The bound is a timeout scope on the reading task, not ``wait_for``: that runs each read in a task of its own
    (a task and a turn of the event loop per frame, about two thirds of the cost of reading a small frame)."""
    async with asyncio.timeout(timeout):
        header = await reader.readexactly(TPKT_HEADER)
        n = tpkt_length(header)
        if n > max_len:
            raise OsiError("TPKT", f"frame of {n} bytes exceeds the {max_len}-byte limit", 2)
        return header + await reader.readexactly(n - TPKT_HEADER)


# ---- COTP class 0 (ISO 8073) --------------------------------------------------------------------------------

CR, CC, DR, DT, ER = 0xE0, 0xD0, 0x80, 0xF0, 0x70
P_TPDU_SIZE, P_CALLING_TSAP, P_CALLED_TSAP, P_INVALID_TPDU = 0xC0, 0xC1, 0xC2, 0xC1
TPDU_SIZES = {7: 128, 8: 256, 9: 512, 10: 1024, 11: 2048, 12: 4096, 13: 8192}
# Class 0 allows 128..2048 bytes, but libiec61850 proposes 8192 (code 13) in its CR: the decoder accepts every
# size code X.224 defines and a responder answers with at most 2048 (the negotiation takes the smaller).
CLASS0_MAX_SIZE_CODE = 11
EOT = 0x80


@dataclasses.dataclass(frozen=True)
class CotpConnect:
    """CR (``confirm`` False) or CC. ``tpdu_size`` is the size code (10 = 1024 bytes); None when absent."""

    confirm: bool = False
    dst_ref: int = 0
    src_ref: int = 1
    tpdu_size: int | None = 10
    calling_tsap: bytes | None = b"\x00\x01"
    called_tsap: bytes | None = b"\x00\x01"
    class_option: int = 0

    def encode(self) -> bytes:
        params = b""
        if self.tpdu_size is not None:
            params += bytes([P_TPDU_SIZE, 1, self.tpdu_size])
        for code, tsap in ((P_CALLING_TSAP, self.calling_tsap), (P_CALLED_TSAP, self.called_tsap)):
            if tsap is not None:
                params += bytes([code, len(tsap)]) + tsap
        body = bytes([CC if self.confirm else CR]) + self.dst_ref.to_bytes(2, "big") + \
            self.src_ref.to_bytes(2, "big") + bytes([self.class_option]) + params
        return bytes([len(body)]) + body


@dataclasses.dataclass(frozen=True)
class CotpData:
    """DT: one (last, with EOT) or a non-final segment of a TSDU."""

    data: bytes
    eot: bool = True

    def encode(self) -> bytes:
        return bytes([2, DT, EOT if self.eot else 0]) + self.data


@dataclasses.dataclass(frozen=True)
class CotpDisconnect:
    """DR. ``reason`` 128 + n are the X.224 reasons (0 = not specified)."""

    dst_ref: int = 0
    src_ref: int = 0
    reason: int = 0

    def encode(self) -> bytes:
        return bytes([6, DR]) + self.dst_ref.to_bytes(2, "big") + self.src_ref.to_bytes(2, "big") + \
            bytes([self.reason])


@dataclasses.dataclass(frozen=True)
class CotpError:
    """ER: the peer rejects a TPDU (cause 0 not specified, 1 invalid parameter code, 2 invalid TPDU type, 3
    invalid parameter value), optionally echoing the offending header."""

    dst_ref: int = 0
    cause: int = 0
    invalid_tpdu: bytes = b""

    def encode(self) -> bytes:
        body = bytes([ER]) + self.dst_ref.to_bytes(2, "big") + bytes([self.cause])
        if self.invalid_tpdu:
            body += bytes([P_INVALID_TPDU, len(self.invalid_tpdu)]) + self.invalid_tpdu
        return bytes([len(body)]) + body


Cotp = Union[CotpConnect, CotpData, CotpDisconnect, CotpError]


def cotp_decode(tpdu: bytes) -> Cotp:
    """One COTP class 0 TPDU (the TPKT payload)."""
    if len(tpdu) < 2:
        raise OsiError("COTP", f"TPDU of {len(tpdu)} bytes", 0)
    li = tpdu[0]
    if li == 255 or li + 1 > len(tpdu):
        raise OsiError("COTP", f"length indicator {li} overruns the {len(tpdu)}-byte TPDU", 0)
    code = tpdu[1] & 0xF0 if tpdu[1] & 0xF0 in (CR, CC) else tpdu[1]
    header, data = tpdu[1:li + 1], tpdu[li + 1:]
    if code not in (CR, CC, DR, DT, ER):
        raise OsiError("COTP", f"TPDU code 0x{tpdu[1]:02x} (class 0 knows CR, CC, DT, DR, ER)", 1)
    if code == DT:
        if li != 2:
            raise OsiError("COTP", f"DT with length indicator {li} (class 0: 2)", 0)
        if tpdu[2] & 0x7F:
            raise OsiError("COTP", f"DT with TPDU-NR {tpdu[2] & 0x7F} (class 0: 0)", 2)
        return CotpData(bytes(data), bool(tpdu[2] & EOT))
    if data:
        raise OsiError("COTP", f"{len(data)} bytes after a TPDU that carries no user data", li + 1)
    if code in (CR, CC):
        if tpdu[1] & 0x0F:
            raise OsiError("COTP", f"{'CR' if code == CR else 'CC'} with credit {tpdu[1] & 0x0F} (class 0: 0)", 1)
        if li < 6:
            raise OsiError("COTP", f"{'CR' if code == CR else 'CC'} with length indicator {li} (at least 6)", 0)
        dst, src, option = int.from_bytes(header[1:3], "big"), int.from_bytes(header[3:5], "big"), header[5]
        if option >> 4:
            raise OsiError("COTP", f"protocol class {option >> 4} (IEC 61850 uses class 0)", 6)
        if code == CR and dst:
            raise OsiError("COTP", f"CR with destination reference {dst} (must be 0)", 2)
        params = _cotp_params(header[6:], 7)
        size = params.pop(P_TPDU_SIZE, None)
        if size is not None:
            if len(size) != 1 or size[0] not in TPDU_SIZES:
                raise OsiError("COTP", f"TPDU size parameter {size.hex()} (one octet, 7..13)", 7)
        calling, called = params.pop(P_CALLING_TSAP, None), params.pop(P_CALLED_TSAP, None)
        params.pop(0xC6, None)  # additional option selection: meaningless in class 0, tolerated
        if params:
            raise OsiError("COTP", f"unknown parameter 0x{min(params):02x}", 7)
        return CotpConnect(code == CC, dst, src, size[0] if size else None, calling, called, option)
    if code == DR:
        if li < 6:
            raise OsiError("COTP", f"DR with length indicator {li} (at least 6)", 0)
        _cotp_params(header[6:], 7)  # additional information: checked for well-formedness, not kept
        return CotpDisconnect(int.from_bytes(header[1:3], "big"), int.from_bytes(header[3:5], "big"), header[5])
    if code == ER:
        if li < 4:
            raise OsiError("COTP", f"ER with length indicator {li} (at least 4)", 0)
        params = _cotp_params(header[4:], 5)
        invalid = params.pop(P_INVALID_TPDU, b"")
        if params:
            raise OsiError("COTP", f"ER with unknown parameter 0x{min(params):02x}", 5)
        return CotpError(int.from_bytes(header[1:3], "big"), header[3], invalid)
    raise OsiError("COTP", f"TPDU code 0x{tpdu[1]:02x} (class 0 knows CR, CC, DT, DR, ER)", 1)


def _cotp_params(b: bytes, base: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(b):
        if pos + 2 > len(b) or pos + 2 + b[pos + 1] > len(b):
            raise OsiError("COTP", "parameter overruns the header", base + pos)
        code, n = b[pos], b[pos + 1]
        if code in out:
            raise OsiError("COTP", f"parameter 0x{code:02x} twice", base + pos)
        out[code] = bytes(b[pos + 2:pos + 2 + n])
        pos += 2 + n
    return out


# ---- Session (ISO 8327-1 / X.225) ---------------------------------------------------------------------------

SI_CONNECT, SI_ACCEPT, SI_REFUSE, SI_FINISH, SI_DISCONNECT, SI_ABORT = 13, 14, 12, 9, 10, 25
SI_GIVE_TOKENS = SI_DATA = 1  # in a basic concatenation GIVE TOKENS comes first, then DATA TRANSFER
PGI_CONNECT_ACCEPT, PI_PROTOCOL_OPTIONS, PI_TSDU_MAX, PI_VERSION = 5, 19, 21, 22
PI_USER_REQUIREMENTS, PI_CALLING_SSEL, PI_CALLED_SSEL, PI_RESPONDING_SSEL = 20, 51, 52, 52
PGI_USER_DATA, PGI_EXTENDED_USER_DATA, PI_TRANSPORT_DISCONNECT, PI_REASON = 193, 194, 17, 50
SESSION_VERSION_2 = 2
DUPLEX = 0x0002  # session user requirements: the duplex functional unit, all MMS needs
SPDU_NAMES = {SI_CONNECT: "CONNECT", SI_ACCEPT: "ACCEPT", SI_REFUSE: "REFUSE", SI_FINISH: "FINISH",
              SI_DISCONNECT: "DISCONNECT", SI_ABORT: "ABORT", SI_DATA: "DATA TRANSFER"}
MAX_SPDU_PARAMS = 64


@dataclasses.dataclass(frozen=True)
class Spdu:
    """One SPDU (or the GIVE TOKENS + DATA TRANSFER pair, ``si`` 1). ``user_data`` is the presentation PDU.

    For CONNECT/ACCEPT, ``calling``/``called`` are session selectors (``called`` is the responding selector on
    ACCEPT); ``version`` the proposed/accepted version bits; ``requirements`` the functional units."""

    si: int
    user_data: bytes = b""
    calling: bytes | None = None
    called: bytes | None = None
    version: int = SESSION_VERSION_2
    requirements: int | None = DUPLEX
    protocol_options: int = 0
    tsdu_max: bytes | None = None
    transport_disconnect: int | None = None  # ABORT / FINISH: keep (0x00) or release (0x01) the transport
    reason: bytes | None = None  # REFUSE

    @property
    def name(self) -> str:
        return SPDU_NAMES.get(self.si, str(self.si))

    def encode(self) -> bytes:
        if self.si == SI_DATA:
            return bytes([SI_GIVE_TOKENS, 0, SI_DATA, 0]) + self.user_data
        items = b""
        if self.si in (SI_CONNECT, SI_ACCEPT):
            inner = _pi(PI_PROTOCOL_OPTIONS, bytes([self.protocol_options]))
            if self.tsdu_max is not None:
                inner += _pi(PI_TSDU_MAX, self.tsdu_max)
            inner += _pi(PI_VERSION, bytes([self.version]))
            items += _pi(PGI_CONNECT_ACCEPT, inner)
            if self.requirements is not None:
                items += _pi(PI_USER_REQUIREMENTS, self.requirements.to_bytes(2, "big"))
            if self.si == SI_CONNECT and self.calling is not None:
                items += _pi(PI_CALLING_SSEL, self.calling)
            if self.called is not None:
                items += _pi(PI_CALLED_SSEL, self.called)
        if self.transport_disconnect is not None:
            items += _pi(PI_TRANSPORT_DISCONNECT, bytes([self.transport_disconnect]))
        if self.reason is not None:
            items += _pi(PI_REASON, self.reason)
        if self.user_data:
            items += _pi(PGI_USER_DATA, self.user_data)
        return bytes([self.si]) + _li(len(items)) + items


def _li(n: int) -> bytes:
    """Session length indicator: one octet below 255, else 0xFF and two octets."""
    return bytes([n]) if n < 255 else b"\xff" + n.to_bytes(2, "big")


def _pi(code: int, value: bytes) -> bytes:
    return bytes([code]) + _li(len(value)) + value


def _read_li(b: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(b):
        raise OsiError("session", "length indicator missing", pos)
    if b[pos] != 0xFF:
        return b[pos], pos + 1
    if pos + 3 > len(b):
        raise OsiError("session", "three-octet length indicator truncated", pos)
    n = int.from_bytes(b[pos + 1:pos + 3], "big")
    if n < 255:
        raise OsiError("session", f"three-octet length indicator for {n} (must be one octet)", pos)
    return n, pos + 3


def _read_params(b: bytes, pos: int, end: int) -> list[tuple[int, bytes, int]]:
    out: list[tuple[int, bytes, int]] = []
    while pos < end:
        if len(out) >= MAX_SPDU_PARAMS:
            raise OsiError("session", f"more than {MAX_SPDU_PARAMS} parameters", pos)
        code = b[pos]
        n, start = _read_li(b, pos + 1)
        if start + n > end:
            raise OsiError("session", f"parameter {code} of {n} bytes overruns its SPDU", pos)
        out.append((code, bytes(b[start:start + n]), pos))
        pos = start + n
    return out


# The parameters X.225 defines for each SPDU MMS uses; the ones the kernel does not use (connection identifier
# 1, token item 16, data overflow 60) are accepted and ignored, enclosure item 25 only as a whole SSDU.
PGI_CONNECTION_ID, PI_TOKEN_ITEM, PI_ENCLOSURE, PI_DATA_OVERFLOW, PI_REFLECT = 1, 16, 25, 60, 11
ENCLOSURE_WHOLE = 0x03  # beginning and end: an unsegmented SSDU
ALLOWED = {
    SI_CONNECT: {PGI_CONNECTION_ID, PGI_CONNECT_ACCEPT, PI_USER_REQUIREMENTS, PI_CALLING_SSEL, PI_CALLED_SSEL,
                 PI_DATA_OVERFLOW, PGI_EXTENDED_USER_DATA, PGI_USER_DATA},
    SI_ACCEPT: {PGI_CONNECTION_ID, PGI_CONNECT_ACCEPT, PI_TOKEN_ITEM, PI_USER_REQUIREMENTS, PI_ENCLOSURE,
                PI_CALLING_SSEL, PI_RESPONDING_SSEL, PGI_USER_DATA},
    SI_REFUSE: {PGI_CONNECTION_ID, PI_TRANSPORT_DISCONNECT, PI_USER_REQUIREMENTS, PI_VERSION, PI_ENCLOSURE,
                PI_REASON},
    SI_FINISH: {PI_TRANSPORT_DISCONNECT, PI_ENCLOSURE, PGI_USER_DATA},
    SI_DISCONNECT: {PI_ENCLOSURE, PGI_USER_DATA},
    SI_ABORT: {PI_TRANSPORT_DISCONNECT, PI_REFLECT, PI_ENCLOSURE, PGI_USER_DATA},
}
IGNORED = {PGI_CONNECTION_ID, PI_TOKEN_ITEM, PI_DATA_OVERFLOW, PI_REFLECT}
# connect/accept item sub-parameters the kernel does not use: initial serial number, token setting, second initial,
# upper limit and large serial numbers
IGNORED_CONNECT_ITEMS = {23, 26, 55, 56, 57, 58}


def session_decode(b: bytes) -> Spdu:
    """One SPDU (a TSDU: the reassembled COTP DT payload)."""
    if not b:
        raise OsiError("session", "empty TSDU", 0)
    si = b[0]
    if si == SI_GIVE_TOKENS:
        if len(b) < 4 or b[1] != 0 or b[2] != SI_DATA or b[3] != 0:
            raise OsiError("session", "GIVE TOKENS not followed by an empty-header DATA TRANSFER (01 00 01 00)", 0)
        return Spdu(SI_DATA, bytes(b[4:]))
    if si not in ALLOWED:
        raise OsiError("session", f"SPDU type {si} (MMS uses CONNECT, ACCEPT, DATA, FINISH, DISCONNECT, "
                       "ABORT, REFUSE)", 0)
    n, pos = _read_li(b, 1)
    if pos + n != len(b):
        raise OsiError("session", f"{SPDU_NAMES[si]} length {n} but {len(b) - pos} bytes follow", 1)
    fields: dict[str, object] = {}
    seen: set[int] = set()
    for code, value, at in _read_params(b, pos, pos + n):
        if code not in ALLOWED[si]:
            raise OsiError("session", f"parameter {code} in {SPDU_NAMES[si]}", at)
        if code in seen:
            raise OsiError("session", f"parameter {code} twice", at)
        seen.add(code)
        if code in IGNORED:
            continue
        if code == PI_ENCLOSURE:
            if value != bytes([ENCLOSURE_WHOLE]):
                raise OsiError("session", f"enclosure item {value.hex()} (segmented SSDUs are not supported)", at)
            continue
        if code == PGI_CONNECT_ACCEPT:
            for sub, sv, sat in _read_params(value, 0, len(value)):
                if sub == PI_PROTOCOL_OPTIONS and len(sv) == 1:
                    fields["protocol_options"] = sv[0]
                elif sub == PI_VERSION and len(sv) == 1:
                    if not sv[0] & SESSION_VERSION_2:
                        raise OsiError("session", f"version bits 0x{sv[0]:02x} without version 2", at + sat)
                    fields["version"] = sv[0]
                elif sub == PI_TSDU_MAX and len(sv) == 4:
                    fields["tsdu_max"] = sv
                elif sub in IGNORED_CONNECT_ITEMS:
                    continue
                else:
                    raise OsiError("session", f"connect/accept item {sub} of {len(sv)} bytes", at + sat)
        elif code == PI_USER_REQUIREMENTS:
            if len(value) != 2:
                raise OsiError("session", f"user requirements of {len(value)} bytes (must be 2)", at)
            fields["requirements"] = int.from_bytes(value, "big")
        elif code == PI_CALLING_SSEL:
            fields["calling"] = value
        elif code == PI_CALLED_SSEL:
            fields["called"] = value
        elif code in (PGI_USER_DATA, PGI_EXTENDED_USER_DATA):
            fields["user_data"] = value
        elif code == PI_TRANSPORT_DISCONNECT:
            if len(value) != 1:
                raise OsiError("session", f"transport disconnect of {len(value)} bytes", at)
            fields["transport_disconnect"] = value[0]
        elif code == PI_REASON:
            fields["reason"] = value
    if "requirements" not in fields:
        fields["requirements"] = None
    if si in (SI_CONNECT, SI_ACCEPT):
        if fields.get("requirements") is not None and not fields["requirements"] & DUPLEX:  # type: ignore[operator]
            raise OsiError("session", "functional units without duplex (MMS needs duplex)", pos)
        if not fields.get("user_data"):
            raise OsiError("session", f"{SPDU_NAMES[si]} without user data (the presentation PDU)", pos)
    return Spdu(si, **fields)  # type: ignore[arg-type]


# ---- Presentation (ISO 8823 / X.226) and ACSE (ISO 8650 / X.227): BER -----------------------------------------

ACSE_AS = (2, 2, 1, 0, 1)  # the ACSE abstract syntax
MMS_AS = (1, 0, 9506, 2, 1)  # the MMS abstract syntax
BER_TS = (2, 1, 1)  # basic encoding rules
MMS_CONTEXT = (1, 0, 9506, 2, 3)  # the MMS application context (ACSE application-context-name)
ACSE_ID, MMS_ID = 1, 3  # the context ids libiec61850-style peers propose
NORMAL_MODE = 1
SEQ, INT, OID_T, OCTETS, BITS, EXT = (ber.univ(ber.SEQUENCE, True), ber.univ(ber.INTEGER), ber.univ(ber.OID),
                                      ber.univ(ber.OCTET_STRING), ber.univ(ber.BIT_STRING),
                                      ber.univ(ber.EXTERNAL, True))


def _ber(layer: str, data: bytes) -> ber.Tlv:
    try:
        return ber.decode(data)
    except ber.BerError as exc:
        raise OsiError(layer, str(exc).split(" (at byte")[0], exc.offset) from None


def _need(layer: str, tlv: ber.Tlv | None, what: str, where: ber.Tlv) -> ber.Tlv:
    if tlv is None:
        raise OsiError(layer, f"{what} missing", where.offset)
    return tlv


def _int(layer: str, tlv: ber.Tlv, what: str, lo: int = 0, hi: int = 0x7FFFFFFF) -> int:
    if tlv.tag.constructed or not tlv.value or len(tlv.value) > 5 or not ber.int_is_minimal(tlv.value):
        raise OsiError(layer, f"{what} is not a minimal INTEGER", tlv.offset)
    v = ber.decode_int(tlv.value)
    if not lo <= v <= hi:
        raise OsiError(layer, f"{what} {v} out of range {lo}..{hi}", tlv.offset)
    return v


def _oid(layer: str, tlv: ber.Tlv, what: str) -> tuple[int, ...]:
    if tlv.tag.constructed or len(tlv.value) > 32:
        raise OsiError(layer, f"{what} is not an OBJECT IDENTIFIER", tlv.offset)
    try:
        return ber.decode_oid(tlv.value)
    except ber.BerError as exc:
        raise OsiError(layer, f"{what}: {str(exc).split(' (at byte')[0]}", tlv.offset) from None


def _only(layer: str, tlv: ber.Tlv, allowed: frozenset[ber.Tag], what: str) -> None:
    seen: set[ber.Tag] = set()
    for c in tlv.children:
        if c.tag not in allowed:
            raise OsiError(layer, f"unexpected {c.tag} in {what}", c.offset)
        if c.tag in seen:
            raise OsiError(layer, f"{c.tag} twice in {what}", c.offset)
        seen.add(c.tag)


def _constructed(layer: str, tlv: ber.Tlv, what: str) -> ber.Tlv:
    if not tlv.tag.constructed:
        raise OsiError(layer, f"{what} is not constructed", tlv.offset)
    return tlv


@dataclasses.dataclass(frozen=True)
class Context:
    """One proposed presentation context: id, abstract syntax, transfer syntaxes."""

    id: int
    abstract: tuple[int, ...]
    transfer: tuple[tuple[int, ...], ...] = (BER_TS,)

    def tlv(self) -> ber.Tlv:
        return ber.cons(SEQ, ber.prim(INT, ber.encode_uint(self.id)), ber.prim(OID_T, ber.encode_oid(self.abstract)),
                        ber.cons(SEQ, *(ber.prim(OID_T, ber.encode_oid(t)) for t in self.transfer)))


DEFAULT_CONTEXTS = (Context(ACSE_ID, ACSE_AS), Context(MMS_ID, MMS_AS))


@dataclasses.dataclass(frozen=True)
class ContextResult:
    """The answer to one proposed context, in order: 0 acceptance, 1 user rejection, 2 provider rejection."""

    result: int = 0
    transfer: tuple[int, ...] | None = BER_TS
    reason: int | None = None


@dataclasses.dataclass(frozen=True)
class PresentationConnect:
    """CP-type (``accept`` False) or CPA-PPDU: the selectors, the context list or its results, and the user data
    (the ACSE APDU, in the presentation context ``user_context``)."""

    user_data: bytes
    accept: bool = False
    calling: bytes | None = b"\x00\x00\x00\x01"
    called: bytes | None = b"\x00\x00\x00\x01"  # the responding selector on CPA
    contexts: tuple[Context, ...] = DEFAULT_CONTEXTS
    results: tuple[ContextResult, ...] = (ContextResult(), ContextResult())
    user_context: int = ACSE_ID

    def encode(self) -> bytes:
        params = []
        if self.accept:
            if self.called is not None:
                params.append(ber.prim(ber.ctx(3), self.called))
            params.append(ber.cons(ber.ctx(5, True), *(_result_tlv(r) for r in self.results)))
        else:
            if self.calling is not None:
                params.append(ber.prim(ber.ctx(1), self.calling))
            if self.called is not None:
                params.append(ber.prim(ber.ctx(2), self.called))
            params.append(ber.cons(ber.ctx(4, True), *(c.tlv() for c in self.contexts)))
        params.append(_user_data_tlv(self.user_context, self.user_data))
        mode = ber.cons(ber.ctx(0, True), ber.prim(ber.ctx(0), ber.encode_uint(NORMAL_MODE)))
        return ber.cons(ber.univ(ber.SET, True), mode, ber.cons(ber.ctx(2, True), *params)).encode()


def _result_tlv(r: ContextResult) -> ber.Tlv:
    items = [ber.prim(ber.ctx(0), ber.encode_uint(r.result))]
    if r.transfer is not None:
        items.append(ber.prim(ber.ctx(1), ber.encode_oid(r.transfer)))
    if r.reason is not None:
        items.append(ber.prim(ber.ctx(2), ber.encode_uint(r.reason)))
    return ber.cons(SEQ, *items)


def _user_data_tlv(context: int, data: bytes) -> ber.Tlv:
    """fully-encoded-data [APPLICATION 1]: one PDV-list with its context id and a single ASN.1 value."""
    return ber.cons(ber.app(1), ber.cons(SEQ, ber.prim(INT, ber.encode_uint(context)), _Raw(ber.ctx(0, True), data)))


class _Raw(ber.Tlv):
    """A constructed element around already-encoded content, kept as given so sizes are the real ones."""

    def __init__(self, tag: ber.Tag, content: bytes) -> None:
        super().__init__(tag, value=content)

    @property
    def size(self) -> int:
        return len(self.encode())

    def encode(self) -> bytes:
        return self.tag.encode() + ber.encode_length(len(self.value)) + self.value


def _bytes_of(src: bytes, tlv: ber.Tlv) -> bytes:
    """The exact bytes a decoded element occupied in ``src`` (not a re-encoding: a long-form length stays)."""
    return bytes(src[tlv.offset:tlv.offset + tlv.size])


def presentation_data_encode(data: bytes, context: int = MMS_ID) -> bytes:
    """The presentation user data of a data transfer (session DATA): fully-encoded data in ``context``."""
    return _user_data_tlv(context, data).encode()


def _decode_user_data(src: bytes, tlv: ber.Tlv) -> tuple[int, bytes]:
    """(context id, the single ASN.1 value's bytes) of a fully-encoded-data element with one PDV-list."""
    L = "presentation"
    if tlv.tag == ber.app(1, False) or not tlv.tag.constructed:
        raise OsiError(L, "user data is not constructed", tlv.offset)
    if tlv.tag != ber.app(1):
        raise OsiError(L, f"user data {tlv.tag} (only fully-encoded-data [APPLICATION 1] is supported)",
                       tlv.offset)
    if len(tlv.children) != 1:
        raise OsiError(L, f"{len(tlv.children)} PDV-lists (IEC 61850 peers send one)", tlv.offset)
    pdv = tlv.children[0]
    if pdv.tag != SEQ:
        raise OsiError(L, f"PDV-list is {pdv.tag}, not a SEQUENCE", pdv.offset)
    kids = pdv.children
    if len(kids) == 3 and kids[0].tag == OID_T:  # an optional transfer-syntax-name first
        _oid(L, kids[0], "transfer syntax")
        kids = kids[1:]
    if len(kids) != 2 or kids[0].tag != INT:
        raise OsiError(L, "PDV-list is not (context id, value)", pdv.offset)
    context = _int(L, kids[0], "presentation context id", 1, 127)
    return context, _embedded(L, src, kids[1], "presentation data values")


def _embedded(layer: str, src: bytes, value: ber.Tlv, what: str) -> bytes:
    """The value carried as single-ASN1-type [0] (its exact bytes) or octet-aligned [1] (the octets)."""
    if value.tag == ber.ctx(1):
        if not value.value:
            raise OsiError(layer, f"{what}: empty octet-aligned value", value.offset)
        return bytes(value.value)
    if value.tag != ber.ctx(0, True):
        raise OsiError(layer, f"{what} {value.tag} (single-ASN1-type [0] or octet-aligned [1])", value.offset)
    if len(value.children) != 1:
        raise OsiError(layer, f"single-ASN1-type holding {len(value.children)} values", value.offset)
    return _bytes_of(src, value.children[0])


def presentation_data_decode(b: bytes) -> tuple[int, bytes]:
    """(context id, the embedded PDU's bytes) of a data-transfer user data."""
    return _decode_user_data(b, _ber("presentation", b))


# The fields of a CP-type / CPA-PPDU and of their normal-mode parameters, and of a context result (built once).
_CP_FIELDS = frozenset({ber.ctx(0, True), ber.ctx(2, True)})
_CPA_PARAMETERS = frozenset({ber.ctx(0), ber.ctx(3), ber.ctx(5, True), ber.ctx(8), ber.ctx(9), ber.app(1)})
_CP_PARAMETERS = frozenset({ber.ctx(0), ber.ctx(1), ber.ctx(2), ber.ctx(4, True), ber.ctx(6, True), ber.ctx(8),
                            ber.ctx(9), ber.app(1)})
_RESULT_FIELDS = frozenset({ber.ctx(0), ber.ctx(1), ber.ctx(2)})


def presentation_decode(b: bytes) -> PresentationConnect:
    """A CP-type or CPA-PPDU (the session CONNECT / ACCEPT user data)."""
    return _presentation_connect(b, _ber("presentation", b))


def _presentation_connect(b: bytes, root: ber.Tlv) -> PresentationConnect:
    """:func:`presentation_decode` of ``b``, whose BER tree is ``root``."""
    L = "presentation"
    if root.tag != ber.univ(ber.SET, True):
        raise OsiError(L, f"{root.tag} where CP-type / CPA-PPDU (a SET) was expected", root.offset)
    _only(L, root, _CP_FIELDS, "CP/CPA")
    mode = _need(L, root.child(ber.ctx(0, True)), "mode-selector", root)
    if len(mode.children) != 1 or mode.children[0].tag != ber.ctx(0):
        raise OsiError(L, "mode-selector is not [0] mode-value", mode.offset)
    if _int(L, mode.children[0], "mode-value", 0, 1) != NORMAL_MODE:
        raise OsiError(L, "X.410-1984 mode (IEC 61850 uses normal mode)", mode.children[0].offset)
    normal = _need(L, root.child(ber.ctx(2, True)), "normal-mode-parameters", root)
    tags = {c.tag for c in normal.children}
    accept = ber.ctx(5, True) in tags or ber.ctx(3) in tags
    _only(L, normal, _CPA_PARAMETERS if accept else _CP_PARAMETERS, "normal-mode-parameters")
    version = normal.child(ber.ctx(0))
    if version is not None:
        try:
            if not ber.decode_bits(version.value)[:1] == (True,):
                raise OsiError(L, "protocol-version without version-1", version.offset)
        except ber.BerError:
            raise OsiError(L, "protocol-version is not a BIT STRING", version.offset) from None
    user = _need(L, normal.child(ber.app(1)), "user data", normal)
    context, data = _decode_user_data(b, user)
    if accept:
        results = tuple(_decode_result(t) for t in _constructed(
            L, _need(L, normal.child(ber.ctx(5, True)), "context result list", normal), "result list").children)
        responding = normal.child(ber.ctx(3))
        return PresentationConnect(data, True, None, responding.value if responding else None, (), results, context)
    ctx_list = _need(L, normal.child(ber.ctx(4, True)), "presentation-context-definition-list", normal)
    contexts = tuple(_decode_context(t) for t in ctx_list.children)
    if not contexts or len({c.id for c in contexts}) != len(contexts):
        raise OsiError(L, "empty context list or a context id twice", ctx_list.offset)
    if context not in {c.id for c in contexts}:
        raise OsiError(L, f"user data in context {context}, which is not proposed", user.offset)
    calling, called = normal.child(ber.ctx(1)), normal.child(ber.ctx(2))
    return PresentationConnect(data, False, calling.value if calling else None, called.value if called else None,
                               contexts, (), context)


def _decode_context(t: ber.Tlv) -> Context:
    L = "presentation"
    if t.tag != SEQ or len(t.children) != 3 or [c.tag for c in t.children] != [INT, OID_T, SEQ]:
        raise OsiError(L, "context definition is not (id, abstract syntax, transfer syntaxes)", t.offset)
    ts = t.children[2]
    if not ts.children or any(c.tag != OID_T for c in ts.children):
        raise OsiError(L, "transfer syntax list empty or not OIDs", ts.offset)
    return Context(_int(L, t.children[0], "context id", 1, 127), _oid(L, t.children[1], "abstract syntax"),
                   tuple(_oid(L, c, "transfer syntax") for c in ts.children))


def _decode_result(t: ber.Tlv) -> ContextResult:
    L = "presentation"
    if t.tag != SEQ:
        raise OsiError(L, f"context result {t.tag} is not a SEQUENCE", t.offset)
    _only(L, t, _RESULT_FIELDS, "context result")
    result = _int(L, _need(L, t.child(ber.ctx(0)), "result", t), "result", 0, 2)
    ts, reason = t.child(ber.ctx(1)), t.child(ber.ctx(2))
    return ContextResult(result, _oid(L, ts, "transfer syntax") if ts else None,
                         _int(L, reason, "provider reason", 0, 255) if reason else None)


# ---- ACSE ----------------------------------------------------------------------------------------------------

AARQ, AARE, RLRQ, RLRE, ABRT = 0, 1, 2, 3, 4
ACSE_NAMES = {AARQ: "AARQ", AARE: "AARE", RLRQ: "RLRQ", RLRE: "RLRE", ABRT: "ABRT"}


@dataclasses.dataclass(frozen=True)
class Acse:
    """One ACSE APDU. AARQ/AARE carry the application context and the MMS PDU (``user_data``, in presentation
    context ``user_context``); AARE its ``result`` (0 accepted, 1 rejected permanent, 2 transient) and
    ``diagnostic`` (source, value); RLRQ/RLRE a ``reason``; ABRT its ``source`` in ``result``."""

    kind: int
    user_data: bytes = b""
    context_name: tuple[int, ...] = MMS_CONTEXT
    result: int = 0
    diagnostic: tuple[int, int] | None = (1, 0)  # acse-service-user, null
    reason: int | None = None
    user_context: int = MMS_ID
    called_ap_title: tuple[int, ...] | None = None
    called_ae_qualifier: int | None = None
    calling_ap_title: tuple[int, ...] | None = None
    calling_ae_qualifier: int | None = None

    @property
    def name(self) -> str:
        return ACSE_NAMES[self.kind]

    def encode(self) -> bytes:
        items: list[ber.Tlv] = []
        if self.kind in (AARQ, AARE):
            items.append(ber.cons(ber.ctx(1, True), ber.prim(OID_T, ber.encode_oid(self.context_name))))
        if self.kind == AARQ:
            items += _ap_items(2, self.called_ap_title, self.called_ae_qualifier)
            items += _ap_items(6, self.calling_ap_title, self.calling_ae_qualifier)
        if self.kind == AARE:
            items.append(ber.cons(ber.ctx(2, True), ber.prim(INT, ber.encode_uint(self.result))))
            if self.diagnostic is not None:
                src, val = self.diagnostic
                items.append(ber.cons(ber.ctx(3, True), ber.cons(ber.ctx(src, True),
                                                                 ber.prim(INT, ber.encode_uint(val)))))
        if self.kind in (RLRQ, RLRE) and self.reason is not None:
            items.append(ber.prim(ber.ctx(0), ber.encode_uint(self.reason)))
        if self.kind == ABRT:
            items.append(ber.prim(ber.ctx(0), ber.encode_uint(self.result)))
        if self.user_data and self.kind in (AARQ, AARE):
            external = ber.cons(EXT, ber.prim(INT, ber.encode_uint(self.user_context)),
                                _Raw(ber.ctx(0, True), self.user_data))
            items.append(ber.cons(ber.ctx(30, True), external))
        return ber.cons(ber.app(self.kind), *items).encode()


def _ap_items(base: int, title: tuple[int, ...] | None, qualifier: int | None) -> list[ber.Tlv]:
    out = []
    if title is not None:
        out.append(ber.cons(ber.ctx(base, True), ber.prim(OID_T, ber.encode_oid(title))))
    if qualifier is not None:
        out.append(ber.cons(ber.ctx(base + 1, True), ber.prim(INT, ber.encode_int(qualifier))))
    return out


# The fields each APDU may have (built once: a Tag hashes in Python). RLRQ/RLRE/ABRT: [0] reason or source, [1]
# ABRT diagnostic / RLRQ-RLRE context (constructed), [30] user information.
_RELEASE_FIELDS = frozenset({ber.ctx(0), ber.ctx(1, True), ber.ctx(30, True)})
_AARQ_FIELDS = frozenset({ber.ctx(0), ber.ctx(10), ber.ctx(11), ber.ctx(29)} |
                         {ber.ctx(n, True) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 30)})
_AARE_FIELDS = frozenset({ber.ctx(0), ber.ctx(8), ber.ctx(9), ber.ctx(29)} |
                         {ber.ctx(n, True) for n in (1, 2, 3, 4, 5, 6, 7, 10, 11, 30)})


def acse_decode(b: bytes) -> Acse:
    L = "ACSE"
    root = _ber(L, b)
    if root.tag.cls != ber.TagClass.APPLICATION or root.tag.number not in ACSE_NAMES or not root.tag.constructed:
        raise OsiError(L, f"{root.tag} is not an ACSE APDU", root.offset)
    kind = root.tag.number
    name = ACSE_NAMES[kind]
    if kind in (RLRQ, RLRE, ABRT):
        _only(L, root, _RELEASE_FIELDS, name)
        r = root.child(ber.ctx(0))
        value = _int(L, r, "reason/source", 0, 127) if r is not None else None
        if kind == ABRT:
            if value is None:
                raise OsiError(L, "ABRT without abort-source", root.offset)
            return Acse(kind, result=value, diagnostic=None)
        return Acse(kind, reason=value, diagnostic=None)
    # X.227 fields: [0] protocol-version, [1] application context, AP titles, AE qualifiers and invocation ids
    # (constructed: explicitly tagged), [10]/[8] ACSE requirements and [11]/[9] mechanism name (primitive),
    # [12]/[10] authentication value and [13]/[11] context name list (constructed), [29] implementation
    # information, [30] user information
    _only(L, root, _AARQ_FIELDS if kind == AARQ else _AARE_FIELDS, name)
    version = root.child(ber.ctx(0))
    if version is not None:
        try:
            if ber.decode_bits(version.value)[:1] != (True,):
                raise OsiError(L, "protocol-version without version1", version.offset)
        except ber.BerError:
            raise OsiError(L, "protocol-version is not a BIT STRING", version.offset) from None
    ctxname = _need(L, root.child(ber.ctx(1, True)), "application-context-name", root)
    if len(ctxname.children) != 1 or ctxname.children[0].tag != OID_T:
        raise OsiError(L, "application-context-name is not one OID", ctxname.offset)
    context_name = _oid(L, ctxname.children[0], "application-context-name")
    fields: dict[str, object] = {"context_name": context_name}
    if kind == AARQ:
        for base, title, qual in ((2, "called_ap_title", "called_ae_qualifier"),
                                  (6, "calling_ap_title", "calling_ae_qualifier")):
            t, q = root.child(ber.ctx(base, True)), root.child(ber.ctx(base + 1, True))
            if t is not None:
                if len(t.children) != 1:
                    raise OsiError(L, "AP-title is not one value", t.offset)
                if t.children[0].tag == OID_T:  # form 2; a form 1 (directory name) title is not kept
                    fields[title] = _oid(L, t.children[0], "AP-title")
            if q is not None:
                if len(q.children) != 1 or q.children[0].tag != INT:
                    raise OsiError(L, "AE-qualifier is not an INTEGER (form 2)", q.offset)
                fields[qual] = _int(L, q.children[0], "AE-qualifier", -(1 << 31), (1 << 31) - 1)
    else:
        res = _need(L, root.child(ber.ctx(2, True)), "result", root)
        if len(res.children) != 1 or res.children[0].tag != INT:
            raise OsiError(L, "result is not an INTEGER", res.offset)
        fields["result"] = _int(L, res.children[0], "result", 0, 2)
        diag = _need(L, root.child(ber.ctx(3, True)), "result-source-diagnostic", root)
        if len(diag.children) != 1 or diag.children[0].tag not in (ber.ctx(1, True), ber.ctx(2, True)) or \
                len(diag.children[0].children) != 1 or diag.children[0].children[0].tag != INT:
            raise OsiError(L, "result-source-diagnostic is not user/provider INTEGER", diag.offset)
        fields["diagnostic"] = (diag.children[0].tag.number, _int(L, diag.children[0].children[0], "diagnostic",
                                                                   0, 127))
    info = root.child(ber.ctx(30, True))
    if info is not None:
        if len(info.children) != 1 or info.children[0].tag != EXT:
            raise OsiError(L, "user-information is not one EXTERNAL", info.offset)
        kids = list(info.children[0].children)
        if kids and kids[0].tag == OID_T:  # an optional direct-reference before the indirect one
            _oid(L, kids.pop(0), "direct-reference")
        if len(kids) != 2 or kids[0].tag != INT:
            raise OsiError(L, "EXTERNAL is not (indirect-reference, encoding)", info.children[0].offset)
        fields["user_context"] = _int(L, kids[0], "indirect-reference", 1, 127)
        fields["user_data"] = _embedded(L, b, kids[1], "EXTERNAL encoding")
    return Acse(kind, **fields)  # type: ignore[arg-type]


# ---- the layers together ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Contexts:
    """The presentation context ids of one association: the client proposes them in its CP-type, and every
    later PDU names one. libiec61850-style peers use 1 for ACSE and 3 for MMS; others may not."""

    acse: int = ACSE_ID
    mms: int = MMS_ID

    @classmethod
    def of(cls, ppdu: PresentationConnect) -> Contexts:
        """The ids a CP-type proposes for ACSE and MMS over BER (OsiError when one is missing)."""
        ids: dict[tuple[int, ...], int] = {}
        for c in ppdu.contexts:
            if c.abstract in (ACSE_AS, MMS_AS) and BER_TS in c.transfer:
                ids.setdefault(c.abstract, c.id)
        if ACSE_AS not in ids or MMS_AS not in ids:
            raise OsiError("presentation", "no presentation context for " + " and ".join(
                n for n, a in (("ACSE", ACSE_AS), ("MMS", MMS_AS)) if a not in ids) + " over BER")
        return cls(ids[ACSE_AS], ids[MMS_AS])

    def results(self, ppdu: PresentationConnect) -> tuple[ContextResult, ...]:
        """The CPA's answer to each proposed context: ours accepted (BER), any other rejected by the provider
        (abstract syntax not supported)."""
        return tuple(ContextResult() if c.id in (self.acse, self.mms) else ContextResult(2, None, 1)
                     for c in ppdu.contexts)


DEFAULT_IDS = Contexts()


@dataclasses.dataclass(frozen=True)
class Upper:
    """What a TSDU carries above COTP: the SPDU, the presentation connect PDU (CP/CPA) if any, the ACSE APDU if
    any, and the MMS PDU's bytes (None when the TSDU carries none) with the presentation context it came in.
    ``contexts``: for a CONNECT, the context ids it proposes (every later PDU of the association uses them)."""

    spdu: Spdu
    presentation: PresentationConnect | None = None
    acse: Acse | None = None
    mms: bytes | None = None
    context: int | None = None
    contexts: Contexts | None = None
    # Lengths sent in a longer form than needed in the session user data (presentation, ACSE and the MMS PDU are
    # one BER tree), counted on the tree the presentation layer decoded: the checks report them, and decoding the
    # user data again for it doubled the cost of judging a frame. Not part of the value (equality, repr).
    long_forms: int = dataclasses.field(default=0, compare=False, repr=False)


def upper_decode(tsdu: bytes, contexts: Contexts = DEFAULT_IDS) -> Upper:
    """Session, presentation and ACSE of one TSDU, down to the MMS PDU bytes. ``contexts``: the association's
    context ids (a CONNECT brings its own)."""
    spdu = session_decode(tsdu)
    if spdu.si in (SI_CONNECT, SI_ACCEPT):
        tree = _ber("presentation", spdu.user_data)
        long_forms = len(ber.non_minimal_lengths(tree))
        ppdu = _presentation_connect(spdu.user_data, tree)
        proposed = Contexts.of(ppdu) if not ppdu.accept else None
        acse_id = proposed.acse if proposed else contexts.acse
        if ppdu.user_context != acse_id:
            raise OsiError("presentation", f"{'CPA' if ppdu.accept else 'CP'} user data in context "
                           f"{ppdu.user_context}, not ACSE's {acse_id}")
        acse = acse_decode(ppdu.user_data)
        mms_id = proposed.mms if proposed else contexts.mms
        if acse.user_data and acse.user_context != mms_id:
            raise OsiError("ACSE", f"user information in context {acse.user_context}, not MMS's {mms_id}")
        return Upper(spdu, ppdu, acse, acse.user_data or None, acse.user_context if acse.user_data else None,
                     proposed, long_forms)
    if spdu.si == SI_DATA:
        if not spdu.user_data:
            raise OsiError("session", "DATA TRANSFER without user data")
        tree = _ber("presentation", spdu.user_data)
        long_forms = len(ber.non_minimal_lengths(tree))
        context, data = _decode_user_data(spdu.user_data, tree)
        if context == contexts.acse:
            acse = acse_decode(data)
            return Upper(spdu, None, acse, None, None, long_forms=long_forms)
        if context != contexts.mms:
            raise OsiError("presentation", f"data in context {context}, which the association does not have")
        return Upper(spdu, None, None, data, context, long_forms=long_forms)
    if spdu.user_data:  # FINISH / DISCONNECT / ABORT may carry an ACSE release or abort
        tree = _ber("presentation", spdu.user_data)
        context, data = _decode_user_data(spdu.user_data, tree)
        if context != contexts.acse:
            raise OsiError("presentation", f"{spdu.name} user data in context {context}, not ACSE's "
                           f"{contexts.acse}")
        return Upper(spdu, None, acse_decode(data), None, None, long_forms=len(ber.non_minimal_lengths(tree)))
    return Upper(spdu)


def frame(tsdu: bytes) -> bytes:
    """One TPKT frame carrying ``tsdu`` in one COTP DT."""
    return tpkt_encode(CotpData(tsdu).encode())


def data_frame(mms_pdu: bytes, context: int = MMS_ID) -> bytes:
    """An MMS PDU after association: TPKT, DT, GIVE TOKENS + DATA TRANSFER, fully-encoded data."""
    return frame(Spdu(SI_DATA, presentation_data_encode(mms_pdu, context)).encode())


def connect_spdu(mms_pdu: bytes, *, acse: Acse | None = None, ppdu: PresentationConnect | None = None,
                 spdu: Spdu | None = None) -> bytes:
    """The association request's TSDU: CONNECT, CP-type, AARQ around ``mms_pdu`` (an initiate-Request)."""
    aarq = dataclasses.replace(acse or Acse(AARQ, diagnostic=None), user_data=mms_pdu)
    cp = dataclasses.replace(ppdu or PresentationConnect(b""), user_data=aarq.encode())
    return dataclasses.replace(spdu or Spdu(SI_CONNECT, calling=b"\x00\x01", called=b"\x00\x01"),
                               user_data=cp.encode()).encode()


def accept_spdu(mms_pdu: bytes, *, result: int = 0, diagnostic: tuple[int, int] = (1, 0),
                results: tuple[ContextResult, ...] = (ContextResult(), ContextResult()),
                contexts: Contexts = DEFAULT_IDS) -> bytes:
    """The association response's TSDU: ACCEPT, CPA-PPDU (one result per proposed context), AARE around
    ``mms_pdu`` (initiate-Response or -Error), in the association's context ids."""
    aare = Acse(AARE, mms_pdu, result=result, diagnostic=diagnostic, user_context=contexts.mms)
    cpa = PresentationConnect(aare.encode(), accept=True, results=results, user_context=contexts.acse)
    return Spdu(SI_ACCEPT, cpa.encode(), called=b"\x00\x01").encode()


def release_spdu(kind: int = RLRQ, reason: int = 0, context: int = ACSE_ID) -> bytes:
    """ACSE release (RLRQ in FINISH, RLRE in DISCONNECT) or abort (ABRT in ABORT), in the ACSE ``context``."""
    apdu = Acse(kind, reason=reason if kind != ABRT else None, result=reason, diagnostic=None).encode()
    si = {RLRQ: SI_FINISH, RLRE: SI_DISCONNECT, ABRT: SI_ABORT}[kind]
    release = 1 if kind == ABRT else None  # an abort releases the transport connection
    return Spdu(si, presentation_data_encode(apdu, context), requirements=None,
                transport_disconnect=release).encode()


def connect_frame(mms_pdu: bytes, **options: object) -> bytes:
    """:func:`connect_spdu` in one TPKT frame."""
    return frame(connect_spdu(mms_pdu, **options))  # type: ignore[arg-type]


def accept_frame(mms_pdu: bytes, **options: object) -> bytes:
    """:func:`accept_spdu` in one TPKT frame."""
    return frame(accept_spdu(mms_pdu, **options))  # type: ignore[arg-type]


def release_frame(kind: int = RLRQ, reason: int = 0, context: int = ACSE_ID) -> bytes:
    """:func:`release_spdu` in one TPKT frame."""
    return frame(release_spdu(kind, reason, context))

"""The Ethernet framing GOOSE (EtherType 0x88B8) and Sampled Values (0x88BA) share: MAC addresses, an optional
IEEE 802.1Q tag, then the 8-octet header (APPID, Length, Reserved 1, Reserved 2) and the APDU.

``Length`` counts from the first octet of APPID to the last octet of the APDU, so Ethernet padding after the
APDU is not part of it. Frames are built and measured without the 4-octet FCS: an AF_PACKET socket neither
sends nor receives it (the NIC adds and strips it), so the sizes the harness reports are what the socket
carried; add 4 for the size on the cable.

Decoding is total: any input gives a :class:`Header` and the APDU bounds, or one :class:`FrameError` with the
offset where it broke.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from . import ber

ETHERTYPE_GOOSE = 0x88B8
ETHERTYPE_SV = 0x88BA
TPID = 0x8100  # IEEE 802.1Q tag protocol identifier
MAC_LEN = 6
HEADER_LEN = 8  # APPID, Length, Reserved 1, Reserved 2
MIN_FRAME_LEN = 60  # Ethernet minimum without FCS; shorter frames are padded after the APDU
FCS_LEN = 4
SIMULATION_BIT = 0x8000  # Reserved 1, most significant bit: the frame is simulated (IEC 61850 Ed2)
DEFAULT_PRIORITY = 4  # the 802.1Q user priority IEC 61850-8-1 / -9-2 suggest for GOOSE and SV


class FrameError(ValueError):
    """The only exception the GOOSE/SV decoders raise: the bytes are not a well-formed frame of the kind asked.
    ``offset`` is the frame offset where it broke."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.reason = message
        self.offset = offset

    @classmethod
    def from_ber(cls, exc: ber.BerError, what: str, at: int | None = None) -> FrameError:
        """A BER error inside the APDU, re-raised with its frame offset (``at`` when the BER helper that raised
        it could not know where it was)."""
        reason = str(exc).rsplit(" (at byte", 1)[0]
        return cls(f"{what}: {reason}", exc.offset if at is None else at)


@dataclasses.dataclass(frozen=True)
class VlanTag:
    """IEEE 802.1Q tag: user priority (PCP, 0-7), drop eligible bit, VLAN id (0 = priority tag only)."""

    priority: int = DEFAULT_PRIORITY
    vid: int = 0
    dei: bool = False

    def encode(self) -> bytes:
        if not (0 <= self.priority <= 7 and 0 <= self.vid <= 0xFFF):
            raise ValueError(f"802.1Q priority {self.priority} / VLAN id {self.vid} out of range")
        tci = (self.priority << 13) | (0x1000 if self.dei else 0) | self.vid
        return TPID.to_bytes(2, "big") + tci.to_bytes(2, "big")


@dataclasses.dataclass(frozen=True)
class Header:
    """Everything of a GOOSE/SV frame but the APDU. ``length`` None means "the right value" (8 + APDU size) when
    encoding; a number is sent as it is (a fault). Decoding gives None: a Length that does not delimit the APDU
    exactly is a decode error, so a decoded Length is always the consistent one."""

    dst: bytes
    src: bytes
    ethertype: int
    appid: int
    vlan: VlanTag | None = None
    reserved1: int = 0
    reserved2: int = 0
    length: int | None = None

    @property
    def simulation(self) -> bool:
        return bool(self.reserved1 & SIMULATION_BIT)

    def encode(self, apdu: bytes, pad: bool = True) -> bytes:
        """The frame (without FCS), padded with zeros to 60 octets unless ``pad`` is False."""
        if len(self.dst) != MAC_LEN or len(self.src) != MAC_LEN:
            raise ValueError("MAC addresses are 6 octets")
        length = HEADER_LEN + len(apdu) if self.length is None else self.length
        for name, v in (("APPID", self.appid), ("Length", length), ("Reserved 1", self.reserved1),
                        ("Reserved 2", self.reserved2), ("EtherType", self.ethertype)):
            if not 0 <= v <= 0xFFFF:
                raise ValueError(f"{name} {v} does not fit 16 bits")
        out = bytearray(self.dst + self.src)
        if self.vlan is not None:
            out += self.vlan.encode()
        out += b"".join(v.to_bytes(2, "big") for v in (self.ethertype, self.appid, length, self.reserved1,
                                                        self.reserved2))
        out += apdu
        if pad and len(out) < MIN_FRAME_LEN:
            out += bytes(MIN_FRAME_LEN - len(out))
        return bytes(out)


def ethertype(raw: bytes) -> int | None:
    """The EtherType of a frame, after an 802.1Q tag if there is one (None if the frame is too short)."""
    pos = 16 if raw[12:14] == TPID.to_bytes(2, "big") else 12
    return int.from_bytes(raw[pos:pos + 2], "big") if len(raw) >= pos + 2 else None


class Pdu(Protocol):
    def encode(self) -> bytes: ...


@dataclasses.dataclass(frozen=True)
class Framed:
    """A header and a PDU (GooseFrame and SvFrame narrow ``pdu``'s type): encoding and the two sizes."""

    header: Header
    pdu: Pdu

    def encode(self, pad: bool = True) -> bytes:
        return self.header.encode(self.pdu.encode(), pad)

    @property
    def frame_size(self) -> int:
        """Octets the socket sends (padding included, FCS not)."""
        return len(self.encode())

    @property
    def apdu_size(self) -> int:
        """APPID to the end of the PDU (the Length field's value for a consistent frame)."""
        return HEADER_LEN + len(self.pdu.encode())


@dataclasses.dataclass(frozen=True)
class Split:
    """A decoded header and where its APDU lies in the frame (``padding`` octets follow it)."""

    header: Header
    apdu_offset: int
    apdu: bytes
    padding: int

    @property
    def apdu_size(self) -> int:
        """The Length field: APPID to the end of the APDU."""
        return HEADER_LEN + len(self.apdu)


def split(raw: bytes, ethertype: int) -> Split:
    """Header and APDU of a frame that must carry ``ethertype``; FrameError otherwise."""
    raw = bytes(raw)
    pos = 2 * MAC_LEN
    if len(raw) < pos + 2:
        raise FrameError(f"frame of {len(raw)} octets is shorter than an Ethernet header", len(raw))
    etype = int.from_bytes(raw[pos:pos + 2], "big")
    vlan = None
    if etype == TPID:
        if len(raw) < pos + 6:
            raise FrameError("802.1Q tag truncated", pos)
        tci = int.from_bytes(raw[pos + 2:pos + 4], "big")
        vlan = VlanTag(tci >> 13, tci & 0xFFF, bool(tci & 0x1000))
        pos += 4
        etype = int.from_bytes(raw[pos:pos + 2], "big")
    if etype != ethertype:
        raise FrameError(f"EtherType 0x{etype:04X} where 0x{ethertype:04X} was expected", pos)
    pos += 2
    if len(raw) < pos + HEADER_LEN:
        raise FrameError(f"APPID/Length/Reserved header truncated ({len(raw) - pos} of {HEADER_LEN} octets)", pos)
    appid, length, res1, res2 = (int.from_bytes(raw[pos + i:pos + i + 2], "big") for i in range(0, 8, 2))
    if length < HEADER_LEN:
        raise FrameError(f"Length {length} is less than the {HEADER_LEN}-octet header it counts", pos + 2)
    end = pos + length
    if end > len(raw):
        raise FrameError(f"Length {length} overruns the {len(raw) - pos} octets from APPID to the end of the frame",
                         pos + 2)
    if end < len(raw) and len(raw) > MIN_FRAME_LEN:
        raise FrameError(f"{len(raw) - end} octets after the APDU in a frame of {len(raw)} octets (padding only "
                         f"fills a frame up to {MIN_FRAME_LEN})", end)
    # Length is consistent by construction here (it delimits the APDU), so the header says "consistent" (None).
    header = Header(raw[0:6], raw[6:12], etype, appid, vlan, res1, res2)
    return Split(header, pos + HEADER_LEN, raw[pos + HEADER_LEN:end], len(raw) - end)


@dataclasses.dataclass(frozen=True)
class Sizes:
    """A frame's sizes as sent (measured on its bytes, never on a re-encoding)."""

    frame: int  # octets at the socket: MAC addresses to the end of the padding, no FCS
    apdu: int  # the Length field: APPID to the end of the APDU
    padding: int
    tagged: bool

    @property
    def on_cable(self) -> int:
        """With the 4-octet FCS the NIC adds (what a tap on the cable counts)."""
        return self.frame + FCS_LEN


def measure(raw: bytes, ethertype: int) -> Sizes:
    """Both sizes of a device's frame (issue 16 item 3 reports both); FrameError if its header is broken."""
    s = split(raw, ethertype)
    return Sizes(len(raw), s.apdu_size, s.padding, s.header.vlan is not None)


def one_apdu(s: Split, tag: ber.Tag, what: str) -> ber.Tlv:
    """The APDU as exactly one BER element with ``tag`` (offsets in the tree are frame offsets)."""
    if not s.apdu:
        raise FrameError(f"empty {what}", s.apdu_offset)
    try:
        elements = ber.decode_all(s.apdu, s.apdu_offset)
    except ber.BerError as exc:
        raise FrameError.from_ber(exc, what) from None
    if len(elements) != 1:
        raise FrameError(f"{len(elements) - 1} element(s) after the {what} inside Length", elements[1].offset)
    if elements[0].tag != tag:
        raise FrameError(f"{what} tag {elements[0].tag} where {tag} was expected", s.apdu_offset)
    return elements[0]

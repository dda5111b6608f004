"""MMS ``Data`` (ISO 9506-2), the value type GOOSE ``allData``, SV sequences of data and MMS Read/Write share.

A value is a :class:`Data`: its CHOICE alternative (``kind``) and a Python value (a tuple of :class:`Data` for
``structure`` and ``array``). Encoding is minimal BER; decoding is strict and raises only
:class:`~vgitest.iec61850.ber.BerError`, so a device's malformed value is a finding with an offset.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from collections.abc import Callable
from typing import Any

from . import ber

# The CHOICE's context tags (ISO 9506-2 Data). 8 is unused.
TAGS: dict[str, int] = {
    "array": 1, "structure": 2, "boolean": 3, "bit-string": 4, "integer": 5, "unsigned": 6, "floating-point": 7,
    "octet-string": 9, "visible-string": 10, "generalized-time": 11, "binary-time": 12, "bcd": 13,
    "boolean-array": 14, "obj-id": 15, "mms-string": 16, "utc-time": 17,
}
KINDS = {v: k for k, v in TAGS.items()}
_FLOAT32_MAX = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]  # the largest finite single
CONSTRUCTED = frozenset({"array", "structure"})


@dataclasses.dataclass(frozen=True)
class UtcTime:
    """IEC 61850-8-1 UtcTime: seconds since 1970, a 24-bit binary fraction of a second, and the quality octet
    (leap second known 0x80, clock failure 0x40, not synchronised 0x20, accuracy bits in the low five)."""

    seconds: int
    fraction: int = 0  # units of 2**-24 s
    quality: int = 0x0A  # clock synchronised, 10 bits of accuracy (about 1 ms): what a healthy IED reports

    @classmethod
    def from_float(cls, t: float, quality: int = 0x0A) -> UtcTime:
        seconds = int(t)
        return cls(seconds, min(int((t - seconds) * (1 << 24)), (1 << 24) - 1), quality)

    def to_float(self) -> float:
        return self.seconds + self.fraction / (1 << 24)

    def encode(self) -> bytes:
        return struct.pack(">I", self.seconds & 0xFFFFFFFF) + self.fraction.to_bytes(3, "big") + bytes([self.quality])

    @classmethod
    def decode(cls, b: bytes) -> UtcTime:
        if len(b) != 8:
            raise ber.BerError(f"UtcTime of {len(b)} octets (must be 8)", 0)
        return cls(struct.unpack(">I", b[:4])[0], int.from_bytes(b[4:7], "big"), b[7])


@dataclasses.dataclass(frozen=True)
class Data:
    """One MMS Data value. ``value`` is bool, int, float, str, bytes, a tuple of bools (bit strings), a
    :class:`UtcTime`, or a tuple of :class:`Data` (structure, array)."""

    kind: str
    value: Any

    def __post_init__(self) -> None:
        if self.kind not in TAGS:
            raise ValueError(f"unknown MMS Data kind {self.kind!r}")

    def encode(self) -> bytes:
        return self.tlv().encode()

    def tlv(self) -> ber.Tlv:
        tag = TAGS[self.kind]
        if self.kind in CONSTRUCTED:
            return ber.cons(ber.ctx(tag, True), *(d.tlv() for d in self.value))
        return ber.prim(ber.ctx(tag), _encode_primitive(self.kind, self.value))

    def to_python(self) -> Any:
        """Plain Python (lists for structures and arrays), for evidence and comparisons."""
        if self.kind in CONSTRUCTED:
            return [d.to_python() for d in self.value]
        if isinstance(self.value, UtcTime):
            return self.value.to_float()
        return self.value


def boolean(v: bool) -> Data:
    return Data("boolean", bool(v))


def integer(v: int) -> Data:
    return Data("integer", int(v))


def unsigned(v: int) -> Data:
    return Data("unsigned", int(v))


def float32(v: float) -> Data:
    return Data("floating-point", float(v))


def visible(v: str) -> Data:
    return Data("visible-string", v)


def bits(*v: bool) -> Data:
    return Data("bit-string", tuple(bool(b) for b in v))


def utc(t: float | UtcTime) -> Data:
    return Data("utc-time", t if isinstance(t, UtcTime) else UtcTime.from_float(t))


def structure(*members: Data) -> Data:
    return Data("structure", tuple(members))


def array(*members: Data) -> Data:
    return Data("array", tuple(members))


def _encode_primitive(kind: str, v: Any) -> bytes:
    if kind == "boolean":
        return ber.encode_bool(v)
    if kind in ("bit-string", "boolean-array"):
        return ber.encode_bits(v)
    if kind == "integer":
        return ber.encode_int(v)
    if kind == "unsigned":
        return ber.encode_uint(v)
    if kind == "floating-point":
        # IEC 61850-8-1: the exponent width octet (8 for IEEE 754 single), then the float, big-endian. A value a
        # device sent as a double (width 11) beyond single precision's range goes back as that double.
        if math.isfinite(v) and abs(v) > _FLOAT32_MAX:
            return b"\x0b" + struct.pack(">d", v)
        return b"\x08" + struct.pack(">f", v)
    if kind == "visible-string":
        return v.encode("ascii")
    if kind == "mms-string":
        return v.encode("utf-8")
    if kind == "utc-time":
        return v.encode()
    if kind == "obj-id":
        return ber.encode_oid(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)  # octet-string, binary-time, generalized-time and bcd are carried as their octets
    raise ValueError(f"MMS Data {kind} needs bytes, got {type(v).__name__}")


def decode(tlv: ber.Tlv) -> Data:
    """A decoded element as Data; BerError for a tag outside the CHOICE or content that breaks its type.

    A device's PDU can hold tens of thousands of values, so each costs few Python calls: the kind comes from a
    table of the CHOICE's tags, integers have a reader of their own, and the value is built without the frozen
    dataclass's __init__ (a __setattr__ per field, and a check of a kind that comes from the table anyway)."""
    tag = tlv.tag
    kind = _KIND_OF_TAG.get((tag.cls, tag.constructed, tag.number))  # a tuple hashes in C, a Tag in Python
    if kind is None:
        if tlv.tag.cls != ber.TagClass.CONTEXT or tlv.tag.number not in KINDS:
            raise ber.BerError(f"{tlv.tag} is not an MMS Data alternative", tlv.offset)
        raise ber.BerError(f"MMS Data {KINDS[tlv.tag.number]} with the wrong constructed bit", tlv.offset)
    if kind in CONSTRUCTED:
        value = tuple(map(decode, tlv.children))
    else:
        try:
            value = _READERS[kind](tlv.value)
        except ber.BerError as exc:
            raise ber.BerError(f"MMS Data {kind}: {str(exc).split(' (at byte')[0]}", tlv.offset) from None
    d = _new(Data)
    d.__dict__["kind"], d.__dict__["value"] = kind, value
    return d


_new = object.__new__
_KIND_OF_TAG = {(ber.TagClass.CONTEXT, k in CONSTRUCTED, n): k for k, n in TAGS.items()}


def _integer(b: bytes, kind: str = "integer") -> int:
    """An integer or unsigned: minimal content octets (X.690 8.3.2), an unsigned not negative."""
    if len(b) > 1 and ((b[0] == 0 and b[1] < 0x80) or (b[0] == 0xFF and b[1] >= 0x80)):
        raise ber.BerError(f"{kind} not in its minimal form", 0)
    if not b:
        raise ber.BerError("INTEGER with no content octets", 0)
    v = int.from_bytes(b, "big", signed=True)
    if v < 0 and kind == "unsigned":
        raise ber.BerError("negative unsigned", 0)
    return v


def _decode_primitive(kind: str, b: bytes) -> Any:
    if kind == "boolean":
        return ber.decode_bool(b)
    if kind in ("bit-string", "boolean-array"):
        return ber.decode_bits(b)
    if kind in ("integer", "unsigned"):
        return _integer(b, kind)
    if kind == "floating-point":
        if len(b) == 5 and b[0] == 8:
            v = struct.unpack(">f", b[1:])[0]
        elif len(b) == 9 and b[0] == 11:
            v = struct.unpack(">d", b[1:])[0]
        else:
            raise ber.BerError(f"floating-point of {len(b)} octets, exponent width {b[0] if b else None}", 0)
        return v if not math.isnan(v) else math.nan
    if kind == "visible-string":
        if any(c < 0x20 or c > 0x7E for c in b):
            raise ber.BerError("visible-string with a character outside VisibleString", 0)
        return b.decode("ascii")
    if kind == "mms-string":
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise ber.BerError("mms-string that is not UTF-8", 0) from None
    if kind == "utc-time":
        return UtcTime.decode(b)
    if kind == "obj-id":
        return ber.decode_oid(b)
    return bytes(b)


# The reader of each primitive kind's content octets.
_READERS: dict[str, Callable[[bytes], Any]] = {k: functools.partial(_decode_primitive, k) for k in TAGS
                                               if k not in CONSTRUCTED}
_READERS["integer"] = _integer
_READERS["unsigned"] = functools.partial(_integer, kind="unsigned")

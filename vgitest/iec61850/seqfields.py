"""Reading the components of a BER SEQUENCE with context tags [0]..[n], as goosePdu and the SV ASDU are, strictly:
known tags only, each once, in ascending order, mandatory ones present, primitive or constructed as declared.
Every violation is one :class:`~vgitest.iec61850.ether.FrameError` naming the field and its frame offset.
"""

from __future__ import annotations

import dataclasses

from . import ber
from .data import UtcTime
from .ether import FrameError

U32 = (1 << 32) - 1
MAX_REF = 129  # VisibleString129: the longest object reference / identifier IEC 61850 Ed2 allows


@dataclasses.dataclass(frozen=True)
class Field:
    number: int
    name: str
    mandatory: bool = True
    constructed: bool | None = False  # None: either (an ANY, whose tag X.680 makes explicit, i.e. constructed)


def read(parent: ber.Tlv, spec: tuple[Field, ...], what: str) -> dict[str, ber.Tlv]:
    """The components of ``parent`` by field name; FrameError on an unknown, repeated, out-of-order, missing or
    wrongly constructed component."""
    by_number = {f.number: f for f in spec}
    got: dict[str, ber.Tlv] = {}
    last = -1
    for c in parent.children:
        f = by_number.get(c.tag.number) if c.tag.cls == ber.TagClass.CONTEXT else None
        if f is None:
            raise FrameError(f"{what}: unexpected component {c.tag}", c.offset)
        if c.tag.number <= last:
            raise FrameError(f"{what}: {f.name} [{c.tag.number}] out of order or repeated", c.offset)
        if f.constructed is not None and c.tag.constructed != f.constructed:
            raise FrameError(f"{what}: {f.name} must be {'constructed' if f.constructed else 'primitive'}",
                             c.offset)
        last = c.tag.number
        got[f.name] = c
    for f in spec:
        if f.mandatory and f.name not in got:
            raise FrameError(f"{what}: mandatory {f.name} [{f.number}] missing", parent.offset)
    return got


def content_offset(t: ber.Tlv) -> int:
    return t.offset + t.header_len


def visible(t: ber.Tlv, name: str, limit: int = MAX_REF) -> str:
    if any(c < 0x20 or c > 0x7E for c in t.value):
        raise FrameError(f"{name} has a character outside VisibleString", content_offset(t))
    if len(t.value) > limit:
        raise FrameError(f"{name} of {len(t.value)} characters (at most {limit})", content_offset(t))
    return t.value.decode("ascii")


def unsigned(t: ber.Tlv, name: str, maximum: int = U32) -> int:
    """A BER INTEGER holding an unsigned value: minimal, not negative, at most ``maximum``."""
    if not t.value:
        raise FrameError(f"{name} INTEGER with no content octets", content_offset(t))
    if not ber.int_is_minimal(t.value):
        raise FrameError(f"{name} INTEGER not in its minimal form", content_offset(t))
    v = int.from_bytes(t.value, "big", signed=True)
    if not 0 <= v <= maximum:
        raise FrameError(f"{name} {v} outside 0..{maximum}", content_offset(t))
    return v


def fixed(t: ber.Tlv, name: str, size: int) -> int:
    """An unsigned value carried as an OCTET STRING of exactly ``size`` octets, big-endian (SV ASDU counters)."""
    if len(t.value) != size:
        raise FrameError(f"{name} of {len(t.value)} octets (must be {size})", content_offset(t))
    return int.from_bytes(t.value, "big")


def boolean(t: ber.Tlv, name: str) -> bool:
    if len(t.value) != 1:
        raise FrameError(f"{name} BOOLEAN of {len(t.value)} octets (must be 1)", content_offset(t))
    return t.value[0] != 0


def utc(t: ber.Tlv, name: str) -> UtcTime:
    if len(t.value) != 8:
        raise FrameError(f"{name} UtcTime of {len(t.value)} octets (must be 8)", content_offset(t))
    return UtcTime.decode(t.value)


def any_content(t: ber.Tlv) -> bytes:
    """The content octets of an ANY component, primitive or constructed."""
    return t.value if not t.tag.constructed else b"".join(c.encode() for c in t.children)


def prim(number: int, value: bytes) -> ber.Tlv:
    return ber.prim(ber.ctx(number), value)

"""ASN.1 Basic Encoding Rules (X.690) at the level IEC 61850 needs: tag-length-value, encode and decode.

GOOSE, Sampled Values and MMS (with the OSI upper layers beneath it: presentation and ACSE) are all BER. This
module knows no PDU: it turns bytes into a tree of :class:`Tlv` and back, strictly, so that the protocol
modules above judge a device's frames on what was actually sent (a long-form length where a short one fits,
a length that overruns its parent, trailing bytes) instead of on what a lenient parser made of them.

Decoding is total: any input gives a tree or one :class:`BerError` (never another exception, never unbounded
work: nesting depth and element count are capped). Encoding always gives DER-style minimal lengths, so the
sizes the harness reports for its own frames are the smallest BER allows.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from itertools import chain

MAX_DEPTH = 32  # deeper nesting than any IEC 61850 PDU has (MMS Data structures nest, but not this deep)
MAX_ELEMENTS = 100_000  # per decode call: bounds the work a hostile input can ask for
MAX_LENGTH = 1 << 24  # 16 MiB: no IEC 61850 PDU comes near; a longer length field is a finding, not an allocation


class BerError(ValueError):
    """The only exception the decoder raises: the bytes are not well-formed BER. ``offset`` is where it broke."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset


class TagClass(enum.IntEnum):
    UNIVERSAL = 0
    APPLICATION = 1
    CONTEXT = 2
    PRIVATE = 3


@dataclasses.dataclass(frozen=True)
class Tag:
    """Class, constructed bit and number of an identifier octet (or octets, for numbers above 30)."""

    cls: TagClass
    constructed: bool
    number: int

    def encode(self) -> bytes:
        first = (int(self.cls) << 6) | (0x20 if self.constructed else 0)
        if self.number < 31:
            return bytes([first | self.number])
        groups = []
        n = self.number
        while True:
            groups.append(n & 0x7F)
            n >>= 7
            if not n:
                break
        groups.reverse()
        return bytes([first | 0x1F] + [g | 0x80 for g in groups[:-1]] + [groups[-1]])

    def __str__(self) -> str:
        kind = {TagClass.UNIVERSAL: "UNIV", TagClass.APPLICATION: "APP", TagClass.CONTEXT: "",
                TagClass.PRIVATE: "PRIV"}[self.cls]
        return f"[{kind}{' ' if kind else ''}{self.number}]{'c' if self.constructed else ''}"


def ctx(number: int, constructed: bool = False) -> Tag:
    return _tag(TagClass.CONTEXT, constructed, number)


def app(number: int, constructed: bool = True) -> Tag:
    return _tag(TagClass.APPLICATION, constructed, number)


def univ(number: int, constructed: bool = False) -> Tag:
    return _tag(TagClass.UNIVERSAL, constructed, number)


def _tag(cls: TagClass, constructed: bool, number: int) -> Tag:
    """The decoders compare tags with these on every element: a one-octet identifier's Tag comes from the
    table the decoder uses (Tags are immutable), not built again on each call."""
    if 0 <= number < 31 and constructed.__class__ is bool:
        return _SHORT_TAGS[(cls << 6) | (0x20 if constructed else 0) | number]  # type: ignore[return-value]
    return Tag(cls, constructed, number)


# Universal tags IEC 61850 uses (X.680 8.4).
BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 1, 2, 3, 4, 5, 6
EXTERNAL, SEQUENCE, SET, VISIBLE_STRING = 8, 16, 17, 26


@dataclasses.dataclass(frozen=True)
class Tlv:
    """One element: its tag, its content (primitive) or children (constructed), and where it sat in the input.

    ``offset`` and ``header_len`` are those of the decoded input (0 for elements built in code), so a finding
    can point at the exact bytes. ``long_form`` records a length encoded longer than needed."""

    tag: Tag
    value: bytes = b""
    children: tuple[Tlv, ...] = ()
    offset: int = 0
    header_len: int = 0
    long_form: bool = False

    @property
    def size(self) -> int:
        """Bytes on the wire (header and content) as decoded; for built elements, as encoded."""
        return len(self.encode()) if not self.header_len else self.header_len + self.content_len

    @property
    def content_len(self) -> int:
        if self.tag.constructed:
            if self.header_len and self.children:  # decoded: the children fill the content end to end, so the
                last = self.children[-1]  # last one's end is the content's (not a walk of the whole subtree)
                return last.offset + last.size - self.offset - self.header_len
            return sum(c.size for c in self.children)
        return len(self.value)

    def encode(self) -> bytes:
        body = b"".join(c.encode() for c in self.children) if self.tag.constructed else self.value
        return self.tag.encode() + encode_length(len(body)) + body

    def child(self, tag: Tag) -> Tlv | None:
        """The first child with ``tag`` (None when absent)."""
        return next((c for c in self.children if c.tag == tag), None)

    def walk(self) -> Iterator[Tlv]:
        """Every element in document order (this one first), from a stack: nested generators would pass each
        element up through one generator per level, work that grows with the depth."""
        stack = [self]
        while stack:
            t = stack.pop()
            yield t
            if t.children:
                stack.extend(reversed(t.children))


_new = object.__new__  # decoded Tlvs are built without the frozen dataclass's __init__ (see _decode_seq)


def prim(tag: Tag, value: bytes) -> Tlv:
    return Tlv(tag, value=bytes(value))


def cons(tag: Tag, *children: Tlv) -> Tlv:
    if not tag.constructed:
        tag = Tag(tag.cls, True, tag.number)
    return Tlv(tag, children=tuple(children))


def encode_length(n: int) -> bytes:
    """Definite length, short form below 128, else the minimal long form."""
    if n < 0:
        raise ValueError("negative length")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


# ---- primitive values -------------------------------------------------------------------------------------

def encode_int(v: int) -> bytes:
    """Two's-complement, minimal (X.690 8.3)."""
    n = max(1, (v + (v < 0)).bit_length() // 8 + 1)
    return v.to_bytes(n, "big", signed=True)


def encode_uint(v: int) -> bytes:
    """An unsigned value as a BER INTEGER (a leading zero octet when the top bit is set)."""
    if v < 0:
        raise ValueError("negative unsigned")
    return encode_int(v)


def decode_int(b: bytes) -> int:
    if not b:
        raise BerError("INTEGER with no content octets", 0)
    return int.from_bytes(b, "big", signed=True)


def int_is_minimal(b: bytes) -> bool:
    """X.690 8.3.2: the first nine bits are not all ones or all zeros."""
    return len(b) < 2 or not ((b[0] == 0 and b[1] < 0x80) or (b[0] == 0xFF and b[1] >= 0x80))


def encode_bool(v: bool) -> bytes:
    return b"\xff" if v else b"\x00"


def decode_bool(b: bytes) -> bool:
    if len(b) != 1:
        raise BerError(f"BOOLEAN of {len(b)} octets (must be 1)", 0)
    return b[0] != 0


def encode_bits(bits: list[bool] | tuple[bool, ...]) -> bytes:
    """BIT STRING content: the unused-bits octet, then the bits, first bit in the top bit of the first octet."""
    n = len(bits)
    out = bytearray((n + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            out[i // 8] |= 0x80 >> (i % 8)
    return bytes([(8 - n % 8) % 8]) + bytes(out)


def decode_bits(b: bytes) -> tuple[bool, ...]:
    if not b:
        raise BerError("BIT STRING with no unused-bits octet", 0)
    unused = b[0]
    if unused > 7 or (unused and len(b) == 1):
        raise BerError(f"BIT STRING with {unused} unused bits", 0)
    bits = tuple(chain.from_iterable(map(_OCTET_BITS.__getitem__, b[1:])))
    return bits[:len(bits) - unused]


# Each octet as its eight bits (BIT STRING content), and its low seven bits as text (OBJECT IDENTIFIER arcs).
_OCTET_BITS = tuple(tuple(bool(o & (0x80 >> i)) for i in range(8)) for o in range(256))
_SEVEN_BITS = tuple(format(o & 0x7F, "07b") for o in range(256))


def encode_oid(arcs: tuple[int, ...]) -> bytes:
    if len(arcs) < 2:
        raise ValueError("an OID has at least two arcs")
    out = bytearray()
    for v in (arcs[0] * 40 + arcs[1], *arcs[2:]):
        groups = [v & 0x7F]
        v >>= 7
        while v:
            groups.append(v & 0x7F | 0x80)
            v >>= 7
        out += bytes(reversed(groups))
    return bytes(out)


def decode_oid(b: bytes) -> tuple[int, ...]:
    if not b or b[-1] & 0x80:
        raise BerError("OBJECT IDENTIFIER truncated", 0)
    values, start = [], 0
    for end, octet in enumerate(b):
        if octet & 0x80:
            continue
        if b[start] == 0x80:
            raise BerError("OBJECT IDENTIFIER arc with a leading 0x80 octet", 0)
        if end - start < 8:  # the usual arc: shifting is cheapest
            v = 0
            for o in b[start:end + 1]:
                v = (v << 7) | (o & 0x7F)
        else:  # a long arc in linear time (shifting a growing integer seven bits at a time is quadratic)
            v = int("".join(map(_SEVEN_BITS.__getitem__, b[start:end + 1])), 2)
        values.append(v)
        start = end + 1
    first = values[0]
    head = (min(first // 40, 2), first - 40 * min(first // 40, 2))
    return head + tuple(values[1:])


# ---- decoding -----------------------------------------------------------------------------------------------

# The Tag of every one-octet identifier (None: the number is in the octets that follow), so that decoding an
# element builds no Tag.
_SHORT_TAGS: tuple[Tag | None, ...] = tuple(
    None if b & 0x1F == 0x1F else Tag(TagClass(b >> 6), bool(b & 0x20), b & 0x1F) for b in range(256))


def decode(data: bytes) -> Tlv:
    """Exactly one element, nothing after it."""
    elements = decode_all(data)
    if len(elements) != 1:
        raise BerError(f"{len(elements)} top-level elements where one was expected", 0 if not elements
                       else elements[1].offset)
    return elements[0]


def decode_all(data: bytes, base: int = 0) -> list[Tlv]:
    """Every element of ``data`` in order (the content of a constructed element, or a sequence of PDUs)."""
    budget = [MAX_ELEMENTS]
    return _decode_seq(bytes(data), 0, len(data), base, 0, budget)


def _decode_seq(data: bytes, pos: int, end: int, base: int, depth: int, budget: list[int]) -> list[Tlv]:
    """The elements of ``data[pos:end]``, each read in this loop: a Python call per constructed element (for its
    contents), none per primitive one."""
    out = []
    if depth > MAX_DEPTH and pos < end:
        raise BerError(f"nesting deeper than {MAX_DEPTH}", base + pos)
    append = out.append
    while pos < end:
        start = pos
        budget[0] -= 1
        if budget[0] < 0:
            raise BerError(f"more than {MAX_ELEMENTS} elements", base + start)
        first = data[pos]
        pos += 1
        tag = _SHORT_TAGS[first]
        if tag is None:
            number = 0
            for i in range(5):
                if pos >= end:
                    raise BerError("identifier truncated", base + start)
                octet = data[pos]
                pos += 1
                if i == 0 and octet == 0x80:
                    raise BerError("tag number with a leading 0x80 octet", base + pos - 1)
                number = (number << 7) | (octet & 0x7F)
                if not octet & 0x80:
                    break
            else:
                raise BerError("tag number longer than 5 octets", base + start)
            tag = Tag(TagClass(first >> 6), bool(first & 0x20), number)
        if pos >= end:
            raise BerError("length missing", base + pos)
        first_len = data[pos]
        pos += 1
        long_form = False
        if first_len < 0x80:
            length = first_len
        elif first_len == 0x80:
            raise BerError("indefinite length (IEC 61850 PDUs use definite lengths)", base + pos - 1)
        else:
            n = first_len & 0x7F
            if n > 4 or pos + n > end:
                raise BerError(f"length field of {n} octets", base + pos - 1)
            length = int.from_bytes(data[pos:pos + n], "big")
            pos += n
            long_form = len(encode_length(length)) != 1 + n
        if length > MAX_LENGTH or pos + length > end:
            raise BerError(f"length {length} overruns the {end - pos} octets that follow", base + start)
        # The same value Tlv(...) makes, built inline: the dataclass's __init__ would set each field through
        # object.__setattr__, and a decode builds up to MAX_ELEMENTS of them.
        tlv = _new(Tlv)
        d = tlv.__dict__
        if tag.constructed:
            d["value"], d["children"] = b"", tuple(_decode_seq(data, pos, pos + length, base, depth + 1, budget))
        else:
            d["value"], d["children"] = data[pos:pos + length], ()
        d["tag"], d["offset"], d["header_len"], d["long_form"] = tag, base + start, pos - start, long_form
        append(tlv)
        pos += length
    return out


def non_minimal_lengths(root: Tlv) -> list[Tlv]:
    """Elements whose length was sent in a longer form than needed (allowed by BER; worth a note, as it costs
    size budget)."""
    return [t for t in root.walk() if t.long_form]

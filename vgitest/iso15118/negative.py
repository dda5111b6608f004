"""Negative data for V2G fuzz cases: a valid DIN / ISO 15118 message broken in one place, as bytes on the wire.

EXI is schema-informed, so most XSD violations cannot even be written: the grammar has no event for an unknown
element, and an enumeration value is an index. What can be sent, and what real decoders mishandle:

* ``too-long``: a string or binary value over its ``maxLength`` (EXI writes the length, any length). A decoder
  with fixed buffers overflows; one without facet checks takes the value as valid.
* ``out-of-range``: an enumeration index past the last value, an n-bit integer past its bound (a field of 7 bits
  for 0..100 can carry 127), a bounded unsigned integer past its maximum. The encoder writes it raw
  (:class:`vgitest.exi.datatypes.Unchecked`); a schema-informed decoder must refuse the stream.
* ``garbled``: the EXI stream cut short, so that no grammar decodes it.
* ``header``: a V2GTP header with a wrong version, inverse version or payload type, or a length that does not
  match the payload.

Each mutation is built from plain JSON parameters (which value, how much longer, where to cut), so that a fuzz
case's example stays JSON and ``vgitest replay`` rebuilds the same bytes. Every mutation is checked to be really
broken with the harness's own decoder and :func:`length_problems` before it is sent.
"""

from __future__ import annotations

import copy
from typing import Any

from ..exi import ExiError, decode, encode
from ..exi import datatypes as dt
from ..exi.xmlform import leaves
from . import v2gtp

__all__ = ["HEADER_KINDS", "KINDS", "Broken", "garbled", "header", "length_problems", "out_of_range", "sites",
           "too_long"]

KINDS = ("too-long", "out-of-range", "garbled", "header")
HEADER_KINDS = ("version", "inverse", "payload-type", "length-long", "length-zero")
EXTRA = (1, 64, 4096)  # how far over maxLength a too-long value goes


class Broken:
    """A mutated message: the payload to send, an optional replacement V2GTP header, and what was broken."""

    def __init__(self, payload: bytes, what: str, *, header: bytes | None = None, msg: Any = None) -> None:
        self.payload, self.what, self.header, self.msg = payload, what, header, msg


def _spare(codec: dt.Codec) -> int:
    """How many out-of-range values the codec's field can carry (0: none, the field is full)."""
    if isinstance(codec, dt.EnumCodec):
        return (1 << codec.bits) - len(codec.values)
    if isinstance(codec, dt.NBitCodec):
        return (1 << codec.bits) - (codec.hi - codec.lo + 1)
    if isinstance(codec, dt.UIntCodec) and codec.hi is not None:
        return 1 << 16
    return 0


def sites(msg: dict, schema: str, kind: str, exclude: Any = None) -> list[tuple[Any, Any, dt.Codec]]:
    """The values of ``msg`` a mutation of ``kind`` can break, in document order (none held by ``exclude``, e.g. the
    header when only the body may change)."""
    out = []
    for container, key, codec in leaves(msg, schema):
        if exclude is not None and container is exclude:
            continue
        if kind == "too-long" and isinstance(codec, (dt.StringCodec, dt.BinaryCodec)) and codec.max_len is not None:
            out.append((container, key, codec))
        elif kind == "out-of-range" and _spare(codec) > 0:
            out.append((container, key, codec))
    return out


def _header(msg: dict) -> Any:
    """The message header: V2G_Message's (DIN, ISO 15118-2) or the root element's own (ISO 15118-20)."""
    root = msg.get("V2G_Message")
    if isinstance(root, dict):
        return root.get("Header")
    if len(msg) == 1:
        only = next(iter(msg.values()))
        return only.get("Header") if isinstance(only, dict) else None
    return None


def _name(key: Any, container: Any) -> str:
    return str(key) if isinstance(key, str) else f"item {key}"


def too_long(msg: dict, schema: str, pick: int, extra: int, body_only: bool = False) -> Broken | None:
    """A string or binary value of ``msg`` (the ``pick``-th, modulo) made ``EXTRA[extra]`` longer than its maxLength;
    None when the message has no such value."""
    m = copy.deepcopy(msg)
    found = sites(m, schema, "too-long", _header(m) if body_only else None)
    if not found:
        return None
    container, key, codec = found[pick % len(found)]
    n = int(codec.max_len) + EXTRA[extra % len(EXTRA)]  # type: ignore[arg-type]
    container[key] = ("V" * n) if isinstance(codec, dt.StringCodec) else bytes((0x5A,)) * n
    return Broken(encode(m, schema), f"{_name(key, container)} of {n} {'characters' if isinstance(codec, dt.StringCodec) else 'bytes'} "
                  f"(maxLength {codec.max_len})", msg=m)


def out_of_range(msg: dict, schema: str, pick: int, offset: int, body_only: bool = False) -> Broken | None:
    """An enumeration, n-bit or bounded integer of ``msg`` set past its range (written raw); None when the message has
    no field that can carry such a value."""
    m = copy.deepcopy(msg)
    found = sites(m, schema, "out-of-range", _header(m) if body_only else None)
    if not found:
        return None
    # every other pick breaks an enumeration where the message has one: integers outnumber enumerations in most
    # messages, and an index past the type's values is the other half of what this kind is for
    enums = [site for site in found if isinstance(site[2], dt.EnumCodec)]
    pool = enums if enums and pick % 2 == 0 else found
    container, key, codec = pool[(pick // 2) % len(pool)]
    spare = _spare(codec)
    if isinstance(codec, dt.EnumCodec):
        value = dt.Unchecked(len(codec.values) + offset % spare)
        what = f"{_name(key, container)} with enumeration index {int(value)} (the type has {len(codec.values)} values)"
    elif isinstance(codec, dt.NBitCodec):
        value = dt.Unchecked(codec.hi + 1 + offset % spare)
        what = f"{_name(key, container)} = {int(value)} (range {codec.lo}..{codec.hi})"
    else:
        value = dt.Unchecked(int(codec.hi) + 1 + offset % spare)  # type: ignore[attr-defined]
        what = f"{_name(key, container)} = {int(value)} (maximum {codec.hi})"  # type: ignore[attr-defined]
    container[key] = value
    payload = encode(m, schema)
    try:
        decode(payload, schema)
    except ExiError:
        return Broken(payload, what, msg=m)
    return None  # pragma: no cover - every such value is refused by the decoder (tests/iso15118/test_negative.py)


def garbled(payload: bytes, schema: str, cut: int) -> Broken:
    """``payload`` cut short where the harness's decoder can no longer read it (the first such cut from ``cut`` on,
    going down; one byte, the EXI header alone, always is)."""
    n = len(payload)
    for at in range(max(1, min(cut, n - 1)), 0, -1):
        try:
            decode(payload[:at], schema)
        except ExiError:
            return Broken(payload[:at], f"the EXI stream cut to {at} of {n} bytes")
    return Broken(payload[:1], f"the EXI stream cut to 1 of {n} bytes")


def header(payload: bytes, kind: str, value: int) -> Broken:
    """A V2GTP header broken as ``kind`` (HEADER_KINDS) says, in front of the valid ``payload``."""
    good = v2gtp.header(0x8001, len(payload))
    if kind == "version":
        version = (2 + value % 253) & 0xFF  # never 0x01
        hdr = bytes((version, ~version & 0xFF)) + good[2:]
        what = f"V2GTP protocol version {version:#04x}"
    elif kind == "inverse":
        inverse = (value % 255) if value % 255 != 0xFE else 0x00
        hdr = bytes((0x01, inverse)) + good[2:]
        what = f"V2GTP inverse protocol version {inverse:#04x}"
    elif kind == "payload-type":
        choices = (0x7001, 0x0000, 0x8101, 0x9000, 0xFFFF - 0x1000)
        pt = choices[value % len(choices)]
        hdr = good[:2] + pt.to_bytes(2, "big") + good[4:]
        what = f"V2GTP payload type {pt:#06x}"
    elif kind == "length-long":
        declared = len(payload) + 1 + value % 64
        hdr = good[:4] + declared.to_bytes(4, "big")
        what = f"V2GTP payload length {declared} for {len(payload)} bytes (the rest never comes)"
    elif kind == "length-zero":
        hdr = good[:4] + bytes(4)
        what = "V2GTP payload length 0 in front of the payload"
    else:
        raise ValueError(f"unknown header mutation {kind!r}")
    return Broken(payload, what, header=hdr)


def length_problems(msg: dict, schema: str) -> list[str]:
    """The string and binary values of a decoded message outside their length facets (EXI carries any length; the
    XSD does not allow it): what a device must refuse, and what the reference devices check."""
    out = []
    for container, key, codec in leaves(msg, schema):
        if not isinstance(codec, (dt.StringCodec, dt.BinaryCodec)):
            continue
        v = container[key]
        if not isinstance(v, (str, bytes)):
            continue
        if codec.max_len is not None and len(v) > codec.max_len:
            out.append(f"{_name(key, container)} has {len(v)} {'characters' if isinstance(v, str) else 'bytes'} "
                       f"(maxLength {codec.max_len})")
        elif len(v) < codec.min_len:
            out.append(f"{_name(key, container)} has {len(v)} (minLength {codec.min_len})")
    return out

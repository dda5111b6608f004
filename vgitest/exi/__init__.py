"""Pure-Python schema-informed EXI codec for ISO 15118-2/-20, DIN SPEC 70121 and supportedAppProtocol.

Messages are plain dicts keyed by element local names, starting at the root element::

    decode(data, "iso-2") -> {"V2G_Message": {"Header": {...}, "Body": {"SessionSetupReq": {...}}}}
    encode(message, "iso-2") -> bytes

Conventions (see docs/exi.md): elements that may repeat are lists; integers are ``int``, booleans
``bool``, hexBinary/base64Binary ``bytes``, strings and enumeration values ``str``; attributes are keys
next to the child elements (``"Id"``); an element with attributes *and* simple content keeps the content
under ``"#value"``. Schema names: app-protocol, din, iso-2, iso-20-common, iso-20-ac, iso-20-dc,
iso-20-acdp, iso-20-wpt (and xmldsig, for SignedInfo fragments).
"""

from __future__ import annotations

from .decoder import decode_document, decode_fragment as _decode_fragment
from .encoder import encode_document, encode_fragment as _encode_fragment
from .errors import ExiError
from .schemas import SCHEMAS, load, set_schema_path

__all__ = ["ExiError", "SCHEMAS", "decode", "encode", "decode_fragment", "encode_fragment", "load",
           "set_schema_path"]


def decode(data: bytes, schema: str) -> dict:
    """Decode one EXI document (header 0x80, bit-packed) with the grammars of ``schema``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExiError(f"expected bytes, got {type(data).__name__}")
    return decode_document(load(schema), bytes(data))


def encode(message: dict, schema: str) -> bytes:
    """Encode a message dict (one root key) as an EXI document."""
    return encode_document(load(schema), message)


def decode_fragment(data: bytes, schema: str) -> dict:
    """Decode an EXI fragment (what Plug & Charge signs): ``{element name: value, ...}``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExiError(f"expected bytes, got {type(data).__name__}")
    return _decode_fragment(load(schema), bytes(data))


def encode_fragment(elements: dict, schema: str) -> bytes:
    """Encode elements (e.g. ``{"AuthorizationReq": {...}}``) as an EXI fragment."""
    return _encode_fragment(load(schema), elements)

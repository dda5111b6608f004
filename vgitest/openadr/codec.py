"""OpenADR 2.0b payloads: bytes ⇄ plain dicts, with a parser that is safe against what a DUT may send.

Messages are dicts keyed by element local names, like the other codecs of vgitest: the content of the
message element inside ``oadrPayload/oadrSignedObject``. A name that exists in more than one of the 2.0b
namespaces (``interval``, ``uid``, ``duration``, ``value``, …) carries its prefix (``ei:interval``,
``xcal:uid``); attributes are ``@name`` (``@ei:schemaVersion``), mixed text is ``#text``. An element that
repeats becomes a list; text stays ``str`` (the schema decides types, the validator checks them).

Safety: the body size is capped before parsing; a DOCTYPE or entity declaration is refused without being
parsed (no billion laughs, no external entities); the parser never loads DTDs or touches the network.
Problems are returned as (rule id, message) pairs, never raised: bad input from a DUT is a finding.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

from lxml import etree

from .. import safexml

from ..dictform import as_list, fill, find, from_element  # noqa: F401  (as_list, find: part of this codec's API)
from ..xmlhttp.codec import Decoded, parse  # noqa: F401  (Decoded: part of this codec's API)

from . import namespaces, rules as r

NS = {**namespaces.NS,  # the prefixes findings use, plus two the payload builders need
      "iso": "urn:un:unece:uncefact:codelist:standard:5:ISO42173A:2010-04-07",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
PREFIX = {uri: p for p, uri in NS.items()}
SCHEMA_VERSION = "2.0b"
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: far above any sane 2.0b payload, far below what could hurt the harness

_XS = "{http://www.w3.org/2001/XMLSchema}"



# --- names --------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class NameMap:
    """Which namespace each element local name lives in, read from the 2.0b XSD set."""

    unique: dict[str, str]  # local name -> namespace URI, for names declared in exactly one namespace
    ambiguous: frozenset[str]  # names declared in several namespaces: written with a prefix

    def qname(self, key: str) -> str:
        """'ei:interval' or 'venID' -> '{uri}local'."""
        if ":" in key:
            prefix, local = key.split(":", 1)
            if prefix not in NS:
                raise KeyError(f"unknown namespace prefix {prefix!r} in {key!r} (known: {', '.join(NS)})")
            return f"{{{NS[prefix]}}}{local}"
        uri = self.unique.get(key)
        if uri is None:
            if key in self.ambiguous:
                raise KeyError(f"{key!r} exists in several OpenADR namespaces: write it with a prefix, e.g. "
                               f"'ei:{key}' or 'xcal:{key}'")
            raise KeyError(f"{key!r} is not an element of the OpenADR 2.0b schemas")
        return f"{{{uri}}}{key}"

    def key(self, tag: str) -> str:
        """'{uri}local' -> the dict key ('local', or 'prefix:local' when the name is ambiguous)."""
        uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if local in self.ambiguous or self.unique.get(local) != uri:
            prefix = PREFIX.get(uri)
            return f"{prefix}:{local}" if prefix else (f"{{{uri}}}{local}" if uri else local)
        return local


@functools.lru_cache(maxsize=4)
def name_map(folder: Path | None = None) -> NameMap:
    """Build the map from the XSD folder (default: the pinned schemas, see vgitest.openadr.schemas)."""
    if folder is None:
        from .schemas import schema_dir
        folder = schema_dir()
    found: dict[str, set[str]] = {}
    for xsd in sorted(Path(folder).glob("*.xsd")):
        root = etree.parse(str(xsd), safexml.parser()).getroot()
        tns = root.get("targetNamespace", "")
        qualified = root.get("elementFormDefault") == "qualified"
        for el in root.iter(f"{_XS}element"):
            name = el.get("name")
            if name and (qualified or el.getparent() is root):
                found.setdefault(name, set()).add(tns)
    unique = {n: next(iter(ns)) for n, ns in found.items() if len(ns) == 1}
    return NameMap(unique, frozenset(n for n, ns in found.items() if len(ns) > 1))


# --- decoding -----------------------------------------------------------------------------------------------
def decode(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BODY, names: NameMap | None = None) -> Decoded:
    """Parse a body safely; never raises for bad input."""
    out = parse(raw, max_bytes, _KINDS)
    if out.doc is None:
        return out
    root = out.doc
    message = payload_element(root)
    if message is not None:
        out.name = etree.QName(message).localname
        out.body = to_dict(message, names or name_map())
    return out


def payload_element(root: Any) -> Any:
    """The message element inside oadrPayload/oadrSignedObject, or None for any other document."""
    if root.tag != f"{{{NS['oadr']}}}oadrPayload":
        return None
    signed = root.find(f"{{{NS['oadr']}}}oadrSignedObject")
    if signed is None:
        return None
    children = [c for c in signed if isinstance(c.tag, str)]
    return children[0] if len(children) == 1 else None


def to_dict(el: Any, names: NameMap) -> Any:
    """Element -> str (leaf) or dict (children/attributes); repeated children become lists."""
    return from_element(el, names.key, lambda k: "@" + names.key(k) if k.startswith("{") else "@" + k)


# --- encoding -----------------------------------------------------------------------------------------------
def encode(name: str, body: dict[str, Any], *, names: NameMap | None = None, signed_object_id: str | None = None,
           pretty: bool = False) -> bytes:
    """A complete oadrPayload for message `name` whose content is `body` (keys in schema order)."""
    names = names or name_map()
    root = etree.Element(f"{{{NS['oadr']}}}oadrPayload", nsmap={None: NS["oadr"], **{
        p: NS[p] for p in ("ei", "pyld", "emix", "xcal", "strm", "power", "scale")}})
    signed = etree.SubElement(root, f"{{{NS['oadr']}}}oadrSignedObject")
    if signed_object_id:
        signed.set("Id", signed_object_id)
    message = etree.SubElement(signed, f"{{{NS['oadr']}}}{name}")
    content = dict(body)
    content.setdefault("@ei:schemaVersion", SCHEMA_VERSION)
    _fill(message, content, names)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def _attr_name(key: str) -> str:
    if ":" in key:
        prefix, local = key.split(":", 1)
        return f"{{{NS[prefix]}}}{local}"
    return key


def _fill(el: Any, value: Any, names: NameMap) -> None:
    fill(el, value, names.qname, _attr_name, etree.SubElement)


_KINDS = {safexml.TOO_LARGE: r.BODY_TOO_LARGE, safexml.HOSTILE: r.XML_HOSTILE,
          safexml.MALFORMED: r.XML_MALFORMED, safexml.TOO_COMPLEX: r.XML_TOO_COMPLEX}  # safexml's problem kinds as this protocol's rule ids

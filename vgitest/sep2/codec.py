"""IEEE 2030.5 payloads: bytes ⇄ plain dicts, with a parser that is safe against what a client may send.

Dict form (like the other codecs of vgitest): the root element's local name is returned beside its
content, which is a dict keyed by element local names. Elements of the 2030.5 namespace have bare names
(``lFDI``, ``DERControlBase``); an extension element carries its prefix (``csipaus:opModExpLimW``, see
:data:`vgitest.sep2.namespaces.NS`); an element of an unknown namespace, or of none, stays in Clark
notation (``{}lFDI``) so that it never passes for a 2030.5 one. Attributes are ``@name`` (``@href``,
``@all``, ``@results``, ``@pollRate``, ``@subscribable``; ``@xsi:type`` on a Notification's Resource);
mixed text is ``#text``. An element that repeats becomes a list (:func:`as_list` reads either shape).
Every value stays ``str``: hex fields (``lFDI``, ``roleFlags``), integers and booleans are not guessed
at, the schema decides their types and the validator checks them.

Element order: XML Schema sequences are ordered, and the dict form has no schema of its own, so
:func:`encode` writes children in the dict's insertion order. Build dicts in schema order (as the
standard's tables list the elements); a wrong order is not fixed up but shows as a SEP2-SCHEMA finding
when the result is validated. A decoded dict keeps document order, so decode → encode round-trips.

Safety: the body size is capped before parsing; a DOCTYPE or entity declaration is refused without being
parsed (no billion laughs, no external entities, nothing fetched), also when the body is UTF-16 or
UTF-32; the parser never loads DTDs or touches the network. Problems are returned as (rule id, message)
pairs, never raised: bad input from a client is a finding, not a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from .. import safexml

from ..dictform import as_list, fill, find, from_element  # noqa: F401  (as_list, find: part of this codec's API)
from ..xmlhttp.codec import Decoded, parse  # noqa: F401  (Decoded: part of this codec's API)

from . import rules as r
from .namespaces import NS, SEP, short_name, short_tag

__all__ = ["DEFAULT_MAX_BODY", "Decoded", "as_list", "decode", "encode", "find", "key", "to_dict"]

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: far above any sane 2030.5 resource or list page, far below harm




# --- decoding -----------------------------------------------------------------------------------------------
def decode(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BODY, ns: Mapping[str, str] | None = None) -> Decoded:
    """Parse a body safely; never raises for bad input (see the module docstring for what is refused).

    `ns` rebinds prefixes for this body (e.g. ``{"csipaus": CSIPAUS_STORAGE}``: a server in CSIP-AUS
    v1.3-beta storage mode reads that namespace's elements as ``csipaus:x``, like v1.2's in v1.2 mode)."""
    out = parse(raw, max_bytes, _KINDS)
    if out.doc is None:
        return out
    root = out.doc
    if ns:
        own = _keyer(ns)
        out.name = own(root.tag)
        out.body = from_element(root, own, lambda a: "@" + own(a) if a.startswith("{") else "@" + a)
        return out
    out.name = key(root.tag)
    out.body = to_dict(root)
    return out


def _keyer(ns: Mapping[str, str]) -> Any:
    """`key` with the prefixes of `ns` bound to their URIs (and the URIs they replace no longer known)."""
    rebound = {uri: prefix for prefix, uri in ns.items()}
    replaced = {NS[p] for p in ns if p in NS}

    def own(tag: str) -> str:
        if not tag.startswith("{"):
            return f"{{}}{tag}"
        q = etree.QName(tag)
        if q.namespace in rebound:
            return f"{rebound[q.namespace]}:{q.localname}"
        if q.namespace in replaced:
            return f"{{{q.namespace}}}{q.localname}"  # the other version's namespace: not this body's prefix
        return short_name(q.namespace, q.localname)
    return own


def key(tag: str) -> str:
    """'{urn:ieee:std:2030.5:ns}lFDI' -> 'lFDI'; other namespaces 'csipaus:x' or Clark ('{}x' for none)."""
    return short_tag(tag) if tag.startswith("{") else f"{{}}{tag}"


def _attr_key(name: str) -> str:
    if not name.startswith("{"):
        return "@" + name  # 2030.5 attributes are unqualified
    return "@" + short_tag(name)


def to_dict(el: Any) -> Any:
    """Element -> str (leaf without attributes) or dict (children/attributes); repeated children -> lists."""
    return from_element(el, key, _attr_key)


# --- encoding -----------------------------------------------------------------------------------------------
def _qname(k: str, ns: Mapping[str, str] = NS) -> str:
    """'lFDI' -> 2030.5 namespace; 'csipaus:x' -> that prefix's namespace; Clark stays as it is."""
    if k.startswith("{"):
        return k[3:] if k.startswith("{}") else k
    if ":" in k:
        prefix, local = k.split(":", 1)
        if prefix not in ns:
            raise KeyError(f"unknown namespace prefix {prefix!r} in {k!r} (known: {', '.join(ns)})")
        return f"{{{ns[prefix]}}}{local}"
    return f"{{{SEP}}}{k}"


def _prefixes_used(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, list):
        for item in value:
            _prefixes_used(item, found)
    elif isinstance(value, dict):
        for k, v in value.items():
            name = k.lstrip("@")
            if ":" in name and not name.startswith("{"):
                found.add(name.split(":", 1)[0])
            if k == "@xsi:type" and isinstance(v, str) and ":" in v:
                found.add(v.split(":", 1)[0])  # a QName value needs its prefix declared too
            _prefixes_used(v, found)
    return found


def encode(name: str, body: Any, *, pretty: bool = False, xml_declaration: bool = True,
           ns: Mapping[str, str] | None = None) -> bytes:
    """The resource ``name`` (e.g. 'EndDevice') with content ``body``, as UTF-8 bytes in the 2030.5 namespace.

    Children are written in the dict's insertion order (build it in schema order); values are written
    with ``str`` except booleans ('true'/'false'); ``None`` values are left out. The 2030.5 namespace is
    the default namespace; extension prefixes (``csipaus``, ``xsi``) are declared on the root when used.
    `ns` rebinds prefixes (see :func:`decode`), e.g. ``csipaus`` to the CSIP-AUS v1.3-beta storage namespace.
    """
    table: Mapping[str, str] = {**NS, **ns} if ns else NS
    used = sorted(p for p in _prefixes_used({name: body}, set()) if p != "sep")
    nsmap: dict[str | None, str] = {None: SEP, **{p: table[p] for p in used if p in table}}
    root = etree.Element(_qname(name, table), nsmap=nsmap)
    fill(root, body, lambda k: _qname(k, table), lambda k: _attr_qname(k, table), etree.SubElement)
    return etree.tostring(root, xml_declaration=xml_declaration, encoding="UTF-8", pretty_print=pretty)


def _attr_qname(k: str, ns: Mapping[str, str] = NS) -> str:
    if ":" in k and not k.startswith("{"):
        prefix, local = k.split(":", 1)
        return f"{{{ns[prefix]}}}{local}"
    return k


_KINDS = {safexml.TOO_LARGE: r.BODY_TOO_LARGE, safexml.HOSTILE: r.XML_HOSTILE,
          safexml.MALFORMED: r.XML_MALFORMED, safexml.TOO_COMPLEX: r.XML_TOO_COMPLEX}  # safexml's problem kinds as this protocol's rule ids

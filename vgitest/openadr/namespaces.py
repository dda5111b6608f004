"""OpenADR 2.0b namespace URIs and the short names findings use for them.

Findings are read by vendors, so element names are written the way the specification's examples write
them (``ei:venID``), whatever prefixes the VEN under test chose; the oadr namespace is written without a
prefix because almost every path starts in it. A namespace not listed here stays in Clark notation
(``{urn:x}venID``) so that a wrong namespace is visible in the message.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["NS", "OADR", "PREFIXES", "short_name", "short_tag"]

OADR = "http://openadr.org/oadr-2.0b/2012/07"

NS: dict[str, str] = {
    "oadr": OADR,
    "ei": "http://docs.oasis-open.org/ns/energyinterop/201110",
    "pyld": "http://docs.oasis-open.org/ns/energyinterop/201110/payloads",
    "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
    "power": "http://docs.oasis-open.org/ns/emix/2011/06/power",
    "scale": "http://docs.oasis-open.org/ns/emix/2011/06/siscale",
    "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
    "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream",
    "gml": "http://www.opengis.net/gml/3.2",
    "gb": "http://naesb.org/espi",
    "atom": "http://www.w3.org/2005/Atom",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "dsig11": "http://www.w3.org/2009/xmldsig11#",
    "xml": "http://www.w3.org/XML/1998/namespace",
}

PREFIXES: dict[str, str] = {uri: prefix for prefix, uri in NS.items()}


def short_name(namespace: str | None, local: str) -> str:
    """``ei:venID`` for a known namespace, ``venID`` for oadr or none, ``{uri}venID`` otherwise."""
    if not namespace or namespace == OADR:
        return local
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:{local}" if prefix else f"{{{namespace}}}{local}"


def short_tag(tag: str) -> str:
    """:func:`short_name` of an lxml tag in Clark notation."""
    q = etree.QName(tag)
    return short_name(q.namespace, q.localname)

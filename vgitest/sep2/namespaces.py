"""IEEE 2030.5 namespace URIs, the media type, and the short names findings and dict keys use.

Every 2030.5 resource lives in one namespace, so its elements are written with their bare local name
(``EndDevice/lFDI``); an extension namespace keeps a prefix (``csipaus:opModExpLimW``) so that a
CSIP-AUS element is visibly not a base 2030.5 one. A namespace not listed here stays in Clark notation
(``{urn:x}lFDI``), so a client that used a wrong namespace sees it in the message.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["CSIPAUS", "CSIPAUS_NS", "CSIPAUS_STORAGE", "MEDIA_TYPE", "NS", "PREFIXES", "SEP", "XSI", "short_name",
           "short_tag"]

SEP = "urn:ieee:std:2030.5:ns"
CSIPAUS = "https://csipaus.org/ns"  # CSIP-AUS v1.2 extensions (csipaus-ext.xsd)
CSIPAUS_STORAGE = "https://csipaus.org/ns/v1.3-beta/storage"  # CSIP-AUS v1.3-beta storage extension
CSIPAUS_NS = {"v1.2": CSIPAUS, "v1.3-beta/storage": CSIPAUS_STORAGE}  # CSIP-AUS version -> its namespace
XSI = "http://www.w3.org/2001/XMLSchema-instance"  # xsi:type on Notification/Resource
MEDIA_TYPE = "application/sep+xml"

NS: dict[str, str] = {
    "sep": SEP,
    "csipaus": CSIPAUS,
    "xsi": XSI,
}

PREFIXES: dict[str, str] = {uri: prefix for prefix, uri in NS.items()}


def short_name(namespace: str | None, local: str) -> str:
    """``lFDI`` for the 2030.5 namespace, ``csipaus:opModExpLimW`` for a known one, ``{uri}x`` otherwise.

    An element in no namespace is written ``{}EndDevice``: a 2030.5 client that forgot the namespace must
    not read like a correct one.
    """
    if namespace == SEP:
        return local
    if not namespace:
        return f"{{}}{local}"
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:{local}" if prefix else f"{{{namespace}}}{local}"


def short_tag(tag: str) -> str:
    """:func:`short_name` of an lxml tag in Clark notation."""
    q = etree.QName(tag)
    return short_name(q.namespace, q.localname)

"""Parsing XML a device under test sent, safely: the one place where the XML codecs (OpenADR, IEEE 2030.5)
turn bytes into a tree.

The size is capped before parsing; a DOCTYPE or entity declaration is refused without being parsed (no
billion laughs, no external entities, nothing fetched), also in UTF-16 and UTF-32, and once more after
parsing for an encoding the byte scan cannot see (UTF-7); the parser never loads DTDs or touches the
network. An element with absurdly many attributes is refused once parsed, before anything walks its
attributes (lxml reads each attribute's value by a search of the element's list: 50,000 attributes cost
seconds, and each one would be a schema finding). Problems come back as (kind, message) pairs, never
raised: each codec maps the kinds to its protocol's rule ids."""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

TOO_LARGE, HOSTILE, MALFORMED, TOO_COMPLEX = "too_large", "hostile", "malformed", "too_complex"
MAX_ATTRIBUTES = 256  # per element; OpenADR and 2030.5 elements carry a handful
_HOSTILE = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                 for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
_local = threading.local()


def parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    p = getattr(_local, "parser", None)
    if p is None:
        p = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                            huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)
        _local.parser = p
    return p


def parse(raw: bytes, max_bytes: int) -> tuple[Any, list[tuple[str, str]]]:
    """(root element or None, problems as (kind, message)); never raises for bad input."""
    if len(raw) > max_bytes:
        return None, [(TOO_LARGE, f"the body has {len(raw)} bytes, more than the {max_bytes} accepted")]
    if any(marker in raw for marker in _HOSTILE):
        return None, [(HOSTILE, "the body declares a DOCTYPE or entities; refused without parsing")]
    try:
        root = etree.fromstring(raw, parser())
    except etree.XMLSyntaxError as exc:
        return None, [(MALFORMED, f"not well-formed XML: {exc}")]
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot use
        return None, [(MALFORMED, f"not parseable XML: {exc}")]
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # declared in an encoding not scanned
        return None, [(HOSTILE, "the body declares a DOCTYPE; refused")]
    crowded = _most_attributes(root)
    if crowded is not None:
        tag, count = crowded
        return None, [(TOO_COMPLEX, f"element {tag} has {count} attributes, more than the {MAX_ATTRIBUTES} "
                                    "accepted on one element; refused without reading them")]
    return root, []


def _most_attributes(root: Any) -> tuple[str, int] | None:
    """The first element with more than MAX_ATTRIBUTES attributes (its tag and count), or None. len() of an
    element's attrib only counts; it is linear, unlike reading the values."""
    for el in root.iter():
        count = len(el.attrib) if isinstance(el.tag, str) else 0
        if count > MAX_ATTRIBUTES:
            return str(etree.QName(el).localname)[:100], count
    return None

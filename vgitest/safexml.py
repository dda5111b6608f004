"""Parsing XML a device under test sent, safely: the one place where the XML codecs (OpenADR, IEEE 2030.5)
turn bytes into a tree.

The size is capped before parsing; a DOCTYPE or entity declaration is refused without being parsed (no
billion laughs, no external entities, nothing fetched), also in UTF-16 and UTF-32, and once more after
parsing for an encoding the byte scan cannot see (UTF-7); the parser never loads DTDs or touches the
network. Problems come back as (kind, message) pairs, never raised: each codec maps the kinds to its
protocol's rule ids."""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

TOO_LARGE, HOSTILE, MALFORMED = "too_large", "hostile", "malformed"
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
    return root, []

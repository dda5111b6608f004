"""Parsing XML a device under test sent, safely: the one place where the XML codecs (OpenADR, IEEE 2030.5)
turn bytes into a tree.

The size is capped before parsing; a DOCTYPE or entity declaration is refused without being parsed (no
billion laughs, no external entities, nothing fetched), also in UTF-16 and UTF-32, and once more after
parsing for an encoding the byte scan cannot see (UTF-7); the parser never loads DTDs or touches the
network. An element with absurdly many attributes is refused once parsed, before anything walks its
attributes (lxml reads each attribute's value by a search of the element's list: 50,000 attributes cost
seconds, and each one would be a schema finding). Problems come back as (kind, message) pairs, never
raised: each codec maps the kinds to its protocol's rule ids.

lxml keeps one dictionary of names per thread, shared by every document parsed in it, and it only grows: a
device that sends ever new element or namespace names would grow the harness's memory without end, and once
libxml2's cap on that dictionary is reached (after a few hundred MB of distinct names), every later document with
a new name reads as "unknown error", a false MALFORMED finding. So each thread's dictionary is fed at most
``DICTIONARY_BUDGET`` bytes; after that, parsing moves to a worker thread of its own, retired (and its
dictionary freed with the last tree that uses it) when it has been fed as much."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lxml import etree

TOO_LARGE, HOSTILE, MALFORMED, TOO_COMPLEX = "too_large", "hostile", "malformed", "too_complex"
MAX_ATTRIBUTES = 256  # per element; OpenADR and 2030.5 elements carry a handful
_HOSTILE = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                 for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
_local = threading.local()
DICTIONARY_BUDGET = 16 << 20  # bytes of input per thread's name dictionary, far below libxml2's cap


def parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers must not be shared between threads)."""
    p = getattr(_local, "parser", None)
    if p is None:
        p = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                            huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)
        _local.parser = p
    return p


class _Worker:
    """A thread with a fresh name dictionary, and how many bytes it has parsed."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="vgitest-xml")
        self.fed = 0


_worker: _Worker | None = None
_worker_lock = threading.Lock()


def _parse_here(raw: bytes) -> Any:
    return etree.fromstring(raw, parser())


def _fromstring(raw: bytes) -> Any:
    """Parse in this thread while its dictionary is within budget, else in the current worker (a new one when
    the current one has had its share). Exceptions come back as if parsed here."""
    global _worker
    fed = getattr(_local, "fed", 0)
    if fed + len(raw) <= DICTIONARY_BUDGET:
        _local.fed = fed + len(raw)
        return _parse_here(raw)
    with _worker_lock:
        if _worker is None or _worker.fed + len(raw) > DICTIONARY_BUDGET:
            if _worker is not None:
                _worker.pool.shutdown(wait=False)
            _worker = _Worker()
        _worker.fed += len(raw)
        pool = _worker.pool
    return pool.submit(_parse_here, raw).result()


def parse(raw: bytes, max_bytes: int) -> tuple[Any, list[tuple[str, str]]]:
    """(root element or None, problems as (kind, message)); never raises for bad input."""
    if len(raw) > max_bytes:
        return None, [(TOO_LARGE, f"the body has {len(raw)} bytes, more than the {max_bytes} accepted")]
    if any(marker in raw for marker in _HOSTILE):
        return None, [(HOSTILE, "the body declares a DOCTYPE or entities; refused without parsing")]
    try:
        root = _fromstring(raw)
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

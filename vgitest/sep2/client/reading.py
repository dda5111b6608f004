"""How the reference DER client reads a resource it fetched: only a well-formed body that validates against the
2030.5 schema is handed on; anything else is ignored as if the poll had failed (what it knew stays in force, and
the resource is polled again at its rate). Its robustness faults live here too: defects only generated or broken
resources reveal (a parser that crashes on a long or a non-ASCII string, a value check left out, a recovering
parser that reads half a document), which the fuzz suite (suites/csip_fuzz) must find by itself.

Why validate at all: IEEE 2030.5 defines resources by its schema; a body that breaks it is not a resource the
client can trust in one place and not in another (a limit whose neighbour is garbage may be garbage too)."""

from __future__ import annotations

import functools
from typing import Any

from lxml import etree

from .. import codec

LONG_STRING = 64  # characters: a text or attribute value longer than this "overflows" (crash_on_long_string)
# ... and so does a value longer than the buffer sized from its schema type (maxLength, length: String32, HexBinary8)
BUFFERS = {"description": 32, "mRID": 32, "lFDI": 40}
# libxml2's complaints about a value (type, facets) rather than structure: what accepts_out_of_range lets through
VALUE_ERRORS = ("DATATYPE", "MAXINCLUSIVE", "MININCLUSIVE", "MAXEXCLUSIVE", "MINEXCLUSIVE", "LENGTH", "MAXLENGTH",
                "MINLENGTH", "PATTERN", "ENUMERATION", "TOTALDIGITS", "FRACTIONDIGITS", "CVC_TYPE_3_1_2",
                "CVC_ELT_4_3", "CVC_ATTRIBUTE_3", "CVC_AU", "CVC_TYPE_3_1_1")


class Crash(Exception):
    """A fault made the client's parser fall over (the walk restarts it, as a watchdog would)."""


@functools.lru_cache(maxsize=4)
def _schema(csip_aus: bool) -> Any:
    from ..validator import Sep2Validator
    return Sep2Validator("2018", csip_aus)


def _texts(root: Any) -> list[str]:
    out: list[str] = []
    for el in root.iter():
        if isinstance(el.tag, str):
            out.append(el.text or "")
            out.extend(el.attrib.values())
    return out


def _overflows(root: Any) -> bool:
    for el in root.iter():
        if isinstance(el.tag, str):
            text = el.text or ""
            if len(text) > BUFFERS.get(etree.QName(el).localname, LONG_STRING) or any(
                    len(v) > LONG_STRING for v in el.attrib.values()):
                return True
    return False


class Reader:
    """Turns a fetched body into (name, dict) or None (not usable: ignored), as its faults allow."""

    def __init__(self, faults: frozenset[str], csip_aus: bool, log: list[str]) -> None:
        self.faults, self.csip_aus, self.log = faults, csip_aus, log

    def read(self, href: str, doc: codec.Decoded | None, raw: bytes) -> codec.Decoded | None:
        """The answer to use, or None when it must be ignored. Raises Crash where a fault says it crashes."""
        if doc is None or doc.doc is None:
            if "treats_malformed_as_valid" in self.faults and raw:
                return self._recovered(href, raw)
            self.log.append(f"GET {href}: not well-formed XML, ignored" + (f" {doc.problems}" if doc else ""))
            return None
        texts = _texts(doc.doc)
        if "crash_on_long_string" in self.faults and (_overflows(doc.doc) or self._too_long(doc.doc)):
            raise Crash(f"a value longer than its buffer in {href}")
        if "crash_on_non_ascii" in self.faults and any(not t.isascii() for t in texts):
            raise Crash(f"a non-ASCII character in {href}")
        if "accepts_schema_invalid" in self.faults:
            return doc
        validator = _schema(self.csip_aus)
        if validator.is_valid(doc.doc):
            return doc
        log = validator._schema().error_log
        if "accepts_out_of_range" in self.faults and all(any(k in e.type_name for k in VALUE_ERRORS) for e in log):
            return doc
        first = log[0] if len(log) else None
        self.log.append(f"GET {href}: not valid against the 2030.5 schema, ignored"
                        + (f" ({first.message})" if first is not None else ""))
        return None

    def _too_long(self, root: Any) -> bool:
        """A value longer than its schema type allows (the buffer the fault's parser sized from the schema)."""
        validator = _schema(self.csip_aus)
        return not validator.is_valid(root) and any("LENGTH" in e.type_name for e in validator._schema().error_log)

    def _recovered(self, href: str, raw: bytes) -> codec.Decoded | None:
        """The fault treats_malformed_as_valid: read what a recovering parser makes of a broken body."""
        try:
            root = etree.fromstring(raw, etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                                                         load_dtd=False))
        except etree.XMLSyntaxError:
            return None
        if root is None:
            return None
        out = codec.Decoded(doc=root, name=codec.key(root.tag), body=codec.to_dict(root))
        self.log.append(f"GET {href}: broken XML read anyway (treats_malformed_as_valid)")
        return out

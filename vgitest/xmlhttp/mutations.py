"""Negative data for XML peers, Schemathesis-style: a schema-valid drawn document with exactly one rule broken.

A mutation starts from a :class:`~vgitest.xmlhttp.strategies.Drawn` document (which remembers the declaration
behind every element) and breaks one thing: a required element or attribute goes, a value stops being of its
type, leaves its enumeration or its bounds, outgrows its maxLength, an unknown element appears, an element moves
to a wrong namespace; or the XML itself is cut short or garbled. Every result is checked before it is returned:
schema kinds must be rejected by the caller's validator (the harness's own, against the official schema),
syntax kinds must not parse. A candidate that stays valid (a removed element had a sibling to spare) is skipped
for the next one; a draw with no candidate is rejected.

No protocol lives here: a protocol labels each :class:`Kind` with the rule its device must follow."""

from __future__ import annotations

import base64
import dataclasses
import decimal
import enum
import math
from collections.abc import Callable, Collection
from typing import Any

from hypothesis import reject, strategies as st
from lxml import etree
from xmlschema import names as xn

from .strategies import Drawn, builtin_kind, pattern_levels

__all__ = ["ALL_KINDS", "Kind", "Mutated", "Mutation", "SCHEMA_KINDS", "SYNTAX_KINDS", "available_kinds", "mutated",
           "path_text"]

UNKNOWN_NS = "urn:vgitest:wrong-namespace"
MAX_TRIES = 12  # candidates tried per draw before the draw is rejected


class Kind(str, enum.Enum):
    """What a mutation breaks."""

    REMOVE_REQUIRED_ELEMENT = "remove-required-element"
    REMOVE_REQUIRED_ATTRIBUTE = "remove-required-attribute"
    CHANGE_TYPE = "change-type"
    BREAK_ENUMERATION = "break-enumeration"
    BREAK_BOUND = "break-bound"
    OVERSIZE_STRING = "oversize-string"
    UNKNOWN_ELEMENT = "unknown-element"
    WRONG_NAMESPACE = "wrong-namespace"
    TRUNCATE = "truncate"
    GARBLE = "garble"


SYNTAX_KINDS: tuple[Kind, ...] = (Kind.TRUNCATE, Kind.GARBLE)  # not well-formed XML
SCHEMA_KINDS: tuple[Kind, ...] = tuple(k for k in Kind if k not in SYNTAX_KINDS)  # well-formed, schema-invalid
ALL_KINDS: tuple[Kind, ...] = tuple(Kind)


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One mutation: its kind, the element (and attribute, ``/@name``) it touched, and what it did."""

    kind: Kind
    path: str
    description: str


@dataclasses.dataclass(frozen=True)
class Mutated:
    """A mutated document (the bytes to send) with the mutation and the valid document it came from."""

    document: bytes
    mutation: Mutation
    original: bytes


def path_text(root: etree._Element, index_path: tuple[int, ...]) -> str:
    """``/oadr:oadrPayload/oadr:oadrSignedObject[1]/...``: the element at `index_path`, with the prefixes the
    document declares and a 1-based position among same-named siblings."""
    prefixes = {uri: p for p, uri in root.nsmap.items() if p}

    def name(el: etree._Element) -> str:
        q = etree.QName(el)
        p = prefixes.get(q.namespace or "")
        return f"{p}:{q.localname}" if p else (f"{{{q.namespace}}}{q.localname}" if q.namespace else q.localname)
    parts = [f"/{name(root)}"]
    el = root
    for i in index_path:
        child = el[i]
        same = [c for c in el if c.tag == child.tag]
        parts.append(f"/{name(child)}[{same.index(child) + 1}]")
        el = child
    return "".join(parts)


def _at(root: etree._Element, index_path: tuple[int, ...]) -> etree._Element:
    el = root
    for i in index_path:
        el = el[i]
    return el


def _well_formed(data: bytes) -> bool:
    try:
        etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        return False
    return True


# --- value breakers: (simple type) -> a text of the wrong kind, or None when the kind does not apply -------

_JUNK = ("not-a-value", "12x", "", " ", "1.5.5", "true false", "--", "\u00e9t\u00e9")


def _value_type(info: Any, attr: str | None) -> Any:
    t = info.type
    if attr is not None:
        a = t.attributes.get(attr) if t.is_complex() else None
        return None if a is None else a.type
    if t.is_simple():
        return t
    if t.has_simple_content():
        return t.content
    return None


def _facet(t: Any, tag: str) -> Any:
    f = t.get_facet(tag) if hasattr(t, "get_facet") else None
    return getattr(f, "value", None)


def _break_type(t: Any) -> str | None:
    if t.is_atomic() and t.get_facet(xn.XSD_ENUMERATION) is not None:
        return None  # BREAK_ENUMERATION's job
    if t.is_atomic() and builtin_kind(t) in ("string", "normalizedString", "token", "anySimpleType") \
            and not pattern_levels(t):
        return None  # any text is of the type; length breaks are OVERSIZE_STRING
    return next((j for j in _JUNK if not t.is_valid(j)), None)


def _break_enumeration(t: Any) -> str | None:
    f = t.get_facet(xn.XSD_ENUMERATION) if hasattr(t, "get_facet") else None
    if f is None:
        return None
    values = {e.get("value") for e in f}
    for guess in (f"{sorted(values)[0]}X", "vgitestUnknown", "999999"):
        if guess not in values and not t.is_valid(guess):
            return guess
    return None


def _break_bound(t: Any) -> str | None:
    kind = builtin_kind(t)
    if kind in ("float", "double") or kind == "decimal" or kind.endswith(("Integer", "integer")) \
            or kind in ("long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
                        "unsignedByte"):
        for tag, step in ((xn.XSD_MAX_INCLUSIVE, 1), (xn.XSD_MAX_EXCLUSIVE, 0), (xn.XSD_MIN_INCLUSIVE, -1),
                          (xn.XSD_MIN_EXCLUSIVE, 0)):
            v = _facet(t, tag)
            if v is None or isinstance(v, float) and not math.isfinite(v):
                continue
            d = decimal.Decimal(str(v)) + step
            text = format(d, "f") if kind not in ("float", "double") else repr(float(d) + step * abs(float(d)))
            if not t.is_valid(text):
                return text
    return None


def _oversize(t: Any, extra: int) -> str | None:
    hi = _facet(t, xn.XSD_MAX_LENGTH)
    if hi is None:
        hi = _facet(t, xn.XSD_LENGTH)
    if hi is None:
        return None
    n = hi + extra
    kind = builtin_kind(t)
    text = "AB" * n if kind == "hexBinary" else base64.b64encode(b"A" * n).decode() if kind == "base64Binary" \
        else "A" * n
    return text if not t.is_valid(text) else None


_BREAKERS: dict[Kind, Callable[[Any], str | None]] = {
    Kind.CHANGE_TYPE: _break_type, Kind.BREAK_ENUMERATION: _break_enumeration, Kind.BREAK_BOUND: _break_bound,
}


# --- candidates and their application --------------------------------------------------------------------

Candidate = tuple[tuple[int, ...], str | None]  # (element index path, attribute name or None)


def _value_slots(drawn: Drawn) -> list[Candidate]:
    out: list[Candidate] = []
    for path, info in sorted(drawn.decls.items()):
        el = _at(drawn.root, path)
        if _value_type(info, None) is not None and len(el) == 0:
            out.append((path, None))
        if info.type.is_complex():
            out.extend((path, name) for name in sorted(el.attrib) if name in info.type.attributes)
    return out


def _candidates(kind: Kind, drawn: Drawn) -> list[Candidate]:
    if kind == Kind.REMOVE_REQUIRED_ELEMENT:
        return [(p, None) for p, info in sorted(drawn.decls.items()) if p and info.min_occurs >= 1]
    if kind == Kind.REMOVE_REQUIRED_ATTRIBUTE:
        out = []
        for p, info in sorted(drawn.decls.items()):
            if info.type.is_complex():
                el = _at(drawn.root, p)
                out.extend((p, n) for n, a in info.type.attributes.items()
                           if n is not None and a.use == "required" and n in el.attrib)
        return out
    if kind in _BREAKERS:
        breaker = _BREAKERS[kind]
        return [c for c in _value_slots(drawn) if breaker(_value_type(drawn.decls[c[0]], c[1])) is not None]
    if kind == Kind.OVERSIZE_STRING:
        return [c for c in _value_slots(drawn) if _oversize(_value_type(drawn.decls[c[0]], c[1]), 1) is not None]
    if kind == Kind.UNKNOWN_ELEMENT:
        return [(p, None) for p, info in sorted(drawn.decls.items())
                if info.type.is_complex() and not info.type.has_simple_content()]
    if kind == Kind.WRONG_NAMESPACE:
        return [(p, None) for p in sorted(drawn.decls)]
    return [((), None)]  # syntax kinds work on the bytes


def _apply(kind: Kind, drawn: Drawn, cand: Candidate, draw: Any) -> tuple[bytes, str] | None:
    """The mutated bytes and a one-line description, or None when this candidate cannot be mutated so."""
    original = drawn.tostring()
    if kind in SYNTAX_KINDS:
        return _syntax(kind, original, draw)
    root = _copy(drawn.root)
    path, attr = cand
    el = _at(root, path)
    info = drawn.decls[path]
    what = f"{path_text(drawn.root, path)}" + (f"/@{attr}" if attr else "")
    if kind == Kind.REMOVE_REQUIRED_ELEMENT:
        el.getparent().remove(el)
        return _bytes(root), f"removed {what} (minOccurs {info.min_occurs})"
    if kind == Kind.REMOVE_REQUIRED_ATTRIBUTE:
        del el.attrib[attr]
        return _bytes(root), f"removed the required attribute {what}"
    t = _value_type(info, attr)
    if kind == Kind.OVERSIZE_STRING:
        extra = draw(st.sampled_from([1, 64, 4096]))
        text = _oversize(t, extra)
        why = f"{len(text)} characters, past maxLength"
    elif kind in _BREAKERS:
        text = _BREAKERS[kind](t)
        why = {Kind.CHANGE_TYPE: "not of its type", Kind.BREAK_ENUMERATION: "not in its enumeration",
               Kind.BREAK_BOUND: "out of its bounds"}[kind]
        why = f"{text!r}, {why}"
    elif kind == Kind.UNKNOWN_ELEMENT:
        ns = etree.QName(el).namespace
        pos = draw(st.integers(0, len(el)))
        el.insert(pos, etree.Element(f"{{{ns}}}vgiUnknown" if ns else "vgiUnknown"))
        el[pos].text = "x"
        return _bytes(root), f"added the undeclared element vgiUnknown in {what} at position {pos}"
    elif kind == Kind.WRONG_NAMESPACE:
        el.tag = f"{{{UNKNOWN_NS}}}{etree.QName(el).localname}"
        return _bytes(root), f"moved {what} to the namespace {UNKNOWN_NS}"
    else:
        raise ValueError(kind)
    if text is None:
        return None
    if attr is None:
        el.text = text
    else:
        el.set(attr, text)
    return _bytes(root), f"set {what} to {why}"


def _copy(root: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(root))


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_GARBAGE = (b"<", b"&", b"</vgi>", b"<<>>", b"\x00", b"\xff\xfe", b"]]>", b"&#0;", b"<!--")


def _syntax(kind: Kind, original: bytes, draw: Any) -> tuple[bytes, str] | None:
    start = original.index(b"?>") + 2 if original.startswith(b"<?xml") else 0
    end = original.rindex(b">")  # the root's end tag ends here: cutting before it leaves an open element
    if kind == Kind.TRUNCATE:
        cut = draw(st.integers(start + 1, end))
        return original[:cut], f"cut the document after {cut} of {len(original)} bytes"
    pos = draw(st.integers(start + 1, end))
    junk = draw(st.sampled_from(_GARBAGE))
    return original[:pos] + junk + original[pos:], f"inserted {junk!r} at byte {pos}"


def _broken(kind: Kind, data: bytes, is_valid: Callable[[etree._Element], bool]) -> bool:
    if kind in SYNTAX_KINDS:
        return not _well_formed(data)
    return _well_formed(data) and not is_valid(etree.fromstring(data))


def available_kinds(drawn: Drawn, kinds: Collection[Kind] = ALL_KINDS) -> list[Kind]:
    """The kinds of `kinds` that have a candidate in `drawn`."""
    return [k for k in Kind if k in kinds and _candidates(k, drawn)]


def mutated(valid: st.SearchStrategy[Drawn], is_valid: Callable[[etree._Element], bool],
            kinds: Collection[Kind] = ALL_KINDS) -> st.SearchStrategy[Mutated]:
    """Documents of `valid` with one mutation of `kinds`, each checked: schema kinds are well-formed and fail
    `is_valid` (the harness's validator), syntax kinds do not parse."""
    wanted = tuple(k for k in Kind if k in set(kinds))
    if not wanted:
        raise ValueError("no mutation kind asked for")

    @st.composite
    def draw_mutated(draw: Any) -> Mutated:
        drawn = draw(valid)
        usable = available_kinds(drawn, wanted)
        if not usable:
            reject()
        kind = draw(st.sampled_from(usable))
        cands = _candidates(kind, drawn)
        first = draw(st.integers(0, len(cands) - 1))
        for i in range(min(len(cands), MAX_TRIES)):
            got = _apply(kind, drawn, cands[(first + i) % len(cands)], draw)
            if got is not None and _broken(kind, got[0], is_valid):
                cand_path, attr = cands[(first + i) % len(cands)]
                path = "/" if kind in SYNTAX_KINDS else \
                    path_text(drawn.root, cand_path) + (f"/@{attr}" if attr else "")
                return Mutated(got[0], Mutation(kind, path, got[1]), drawn.tostring())
        reject()
    return draw_mutated()

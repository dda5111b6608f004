"""Hypothesis strategies for XML documents that validate against an XSD, built from the schema's components.

No protocol lives here: a protocol package hands over its compiled schema (an ``xmlschema.XMLSchema``, which
resolves imports, redefinitions, derivations and substitution groups for us) and the name of a global
element, and gets a strategy for :class:`Drawn` documents rooted there. The walk follows the content model:

* a sequence draws its particles in order, a choice one alternative, ``xs:all`` every particle in order;
  occurrence counts lie in [minOccurs, min(maxOccurs, cap)], extras beyond minOccurs are drawn rarely, so a
  shrunk example is the smallest valid document;
* an abstract element is replaced by a member of its substitution group, an abstract type by a derived
  type announced with ``xsi:type``; optional wildcards are left out, a required one gets a declared element
  (``strict``) or an element of a namespace nobody declares (``lax``/``skip``);
* simple values honour enumerations, bounds (inclusive/exclusive), lengths, patterns (every derivation step's),
  totalDigits/fractionDigits, whiteSpace, lists and unions; ``xs:ID`` values are unique in a document.

Documents stay small: a per-document element budget (:class:`Limits`); once spent, only what the schema
requires is drawn (the cheapest choice alternative). Two alphabet profiles: ``"ascii"`` for conformance runs
(printable ASCII text, ASCII digits in patterns, UTC times, finite numbers) and ``"unicode"`` for robustness
(any XML character, Unicode digits where a pattern's ``\\d`` allows them, time zone offsets, INF/NaN).

Strategies are built once per schema, element and options and cached: :func:`builder` and
:meth:`XsdStrategies.element` memoise. Every drawn document keeps, per element, the declaration and type it
was drawn from (:attr:`Drawn.decls`), so :mod:`.mutations` can break exactly one schema rule."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import functools
import math
import sys
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any, Literal

import xmlschema
from hypothesis import strategies as st
from lxml import etree
from xmlschema import names as xn
from xmlschema.validators import XsdAnyElement, XsdAtomicBuiltin, XsdElement, XsdGroup

__all__ = ["Drawn", "Limits", "NodeInfo", "PROFILES", "Profile", "XSI_TYPE", "XsdStrategies", "builder",
           "builtin_kind", "iso_durations", "pattern_levels", "text_alphabet"]

Profile = Literal["ascii", "unicode"]
PROFILES: tuple[Profile, ...] = ("ascii", "unicode")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
ANY_NS = "urn:vgitest:wildcard"  # namespace of the element drawn for a required lax/skip wildcard
INF = math.inf

_INT_KINDS = {"integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
              "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
              "positiveInteger"}
_NAME_KINDS = {"Name", "NCName", "ID", "IDREF", "ENTITY", "QName", "NOTATION"}
_BIG = 10 ** 18  # |value| cap of unbounded integers (libxml2 reads 24 digits at most)
_BIG_DECIMAL = 10 ** 12


@dataclasses.dataclass(frozen=True)
class Limits:
    """How big a drawn document may get. `max_occurs` caps maxOccurs (unbounded included); `budget` is the
    number of elements drawn freely per document, after which only required content is drawn; `max_text`
    caps the length of text whose type sets no maxLength."""

    max_occurs: int = 3
    budget: int = 40
    max_text: int = 24


@dataclasses.dataclass(frozen=True)
class NodeInfo:
    """What the schema says about one drawn element: its declaration (after substitution), the type it was
    drawn with (the xsi:type one if any) and the minOccurs of the particle that placed it."""

    decl: XsdElement
    type: Any
    min_occurs: int


@dataclasses.dataclass
class Drawn:
    """A drawn document: the lxml root and, per element (keyed by its path of child indexes from the root,
    ``()`` being the root), the :class:`NodeInfo` it was drawn from."""

    root: etree._Element
    decls: dict[tuple[int, ...], NodeInfo]

    def tostring(self) -> bytes:
        """The document as UTF-8 bytes with an XML declaration."""
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        return f"Drawn({self.tostring().decode('utf-8', 'replace')!r})"


def text_alphabet(profile: Profile, *, whitespace: bool = True) -> st.SearchStrategy[str]:
    """Characters for text: printable ASCII (``ascii``) or any XML 1.0 character but C0/C1 controls
    (``unicode``); tab and line feed only when `whitespace` (types that keep it)."""
    if profile == "ascii":
        chars = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
        return st.one_of(chars, st.just(" ")) if whitespace else chars
    chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                          exclude_characters="\ufffe\uffff" + _digits_libxml2_lacks())
    return st.one_of(chars, st.sampled_from(" \t\n\u00a0\u3000")) if whitespace else chars


@functools.lru_cache(maxsize=1)
def _digits_libxml2_lacks() -> str:
    """The Unicode decimal digits (Nd) that libxml2, the harness's validator, does not take for a pattern's
    ``\\d``: its tables predate them (XSD 1.0 refers to an old Unicode version), while Python's regexes, which
    hypothesis draws from, know them. Measured once (a few hundred one-character validations, ~70 ms)."""
    xsd = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="d"><xs:simpleType>'
           b'<xs:restriction base="xs:string"><xs:pattern value="\\d"/></xs:restriction></xs:simpleType>'
           b'</xs:element></xs:schema>')
    schema = etree.XMLSchema(etree.fromstring(xsd))
    lacking = []
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        if unicodedata.category(c) == "Nd":
            el = etree.Element("d")
            el.text = c
            if not schema.validate(el):
                lacking.append(c)
    return "".join(lacking)


def builtin_kind(t: Any) -> str:
    """Local name of the nearest XSD built-in type `t` derives from (``unsignedByte``, ``dateTime``, ...)."""
    while t is not None and not isinstance(t, XsdAtomicBuiltin):
        if t.is_complex():  # a simple-content restriction's base is a complex type: follow its content
            t = t.content
            continue
        t = t.base_type
    return "anySimpleType" if t is None else etree.QName(t.name).localname


def pattern_levels(t: Any) -> list[Any]:
    """The ``xs:pattern`` facets of every user derivation step of atomic type `t` (a value must match one
    pattern of each); the built-in types' own lexical patterns are left to the kind generators."""
    out = []
    while t is not None and not isinstance(t, XsdAtomicBuiltin):
        if t.is_complex():
            t = t.content
            continue
        f = t.facets.get(xn.XSD_PATTERN)
        if f is not None:
            out.append(f)
        t = t.base_type
    return out


def _facet(t: Any, tag: str) -> Any:
    f = t.get_facet(tag) if hasattr(t, "get_facet") else None
    return getattr(f, "value", None)


def _enumeration(t: Any) -> list[str] | None:
    f = t.get_facet(xn.XSD_ENUMERATION) if hasattr(t, "get_facet") else None
    return None if f is None else [e.get("value") for e in f]


def _pattern_ok(levels: list[Any], text: str) -> bool:
    return all(any(p.match(text) for p in level.patterns) for level in levels)


class _Ctx:
    """The state of one document being drawn."""

    def __init__(self, draw: Any, budget: int, only: Mapping[str, Collection[str]]) -> None:
        self.draw = draw
        self.budget = budget
        self.only = only
        self.ids: set[str] = set()
        self.decls: dict[tuple[int, ...], NodeInfo] = {}


class XsdStrategies:
    """Strategies for the global elements of one schema, in one profile (see the module docstring).

    `overrides` maps a type or element name (Clark notation) to a strategy of its text, for values a protocol
    wants realistic rather than merely valid (e.g. durations); `exclude` names elements never drawn where they
    are optional (e.g. ``ds:Signature``, which a random draw cannot make verify); `polymorphic` names elements
    drawn with any type derived from their declared one, announced by ``xsi:type`` (2030.5's Notification
    ``Resource``); `nsmap` gives the prefixes the root declares (every other namespace gets one from lxml)."""

    def __init__(self, schema: xmlschema.XMLSchema, profile: Profile = "ascii", limits: Limits = Limits(), *,
                 overrides: Mapping[str, st.SearchStrategy[str]] | None = None,
                 exclude: Collection[str] = (), polymorphic: Collection[str] = (),
                 nsmap: Mapping[str | None, str] | None = None) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        self.schema = schema
        self.profile = profile
        self.limits = limits
        self.overrides = dict(overrides or {})
        self.exclude = frozenset(exclude)
        self.polymorphic = frozenset(polymorphic)
        self.nsmap = dict(nsmap or {})
        self.nsmap.setdefault("xsi", XSI)
        self._simple_cache: dict[int, st.SearchStrategy[str]] = {}
        self._cost_table: dict[int, float] | None = None
        self._derived_cache: dict[int, list[Any]] = {}
        self._members_cache: dict[int, list[XsdElement]] = {}
        self._element_cache: dict[tuple[str, tuple], st.SearchStrategy[Drawn]] = {}

    # --- public --------------------------------------------------------------------------------------------

    def global_element(self, name: str) -> XsdElement:
        """The global declaration `name` (Clark notation, or a local name of the target namespace)."""
        found = self.schema.maps.elements.get(name)  # (an XsdElement with no content is falsy: test for None)
        if found is None:
            found = self.schema.elements.get(name)
        if found is None:
            raise KeyError(f"no global element {name} in the schema")
        return found

    def element(self, name: str, *, only: Mapping[str, Collection[str]] | None = None) -> st.SearchStrategy[Drawn]:
        """Documents rooted at global element `name`. `only` maps an element name to the names its choices may
        pick (e.g. the one payload an ``oadrSignedObject`` carries)."""
        only = only or {}
        key = (name, tuple(sorted((k, tuple(sorted(v))) for k, v in only.items())))
        cached = self._element_cache.get(key)
        if cached is None:
            decl = self.global_element(name)
            if self._element_cost(decl) == INF:
                raise ValueError(f"{name} cannot be drawn: its required content has no instance")
            frozen = {k: frozenset(v) for k, v in only.items()}
            cached = self._element_cache[key] = self._document(decl, frozen)
        return cached

    def simple(self, t: Any) -> st.SearchStrategy[str]:
        """Lexical values of simple type `t` (cached per type)."""
        key = id(t)
        got = self._simple_cache.get(key)
        if got is None:
            got = self._simple_cache[key] = self._build_simple(t)
        return got

    # --- documents ----------------------------------------------------------------------------------------

    def _document(self, decl: XsdElement, only: Mapping[str, Collection[str]]) -> st.SearchStrategy[Drawn]:
        @st.composite
        def documents(draw: Any) -> Drawn:
            ctx = _Ctx(draw, self.limits.budget, only)
            root = self._element(ctx, decl, None, (), 1)
            return Drawn(root, ctx.decls)
        return documents()

    def _count(self, ctx: _Ctx, lo: int, hi: int | None) -> int:
        cap = max(lo, self.limits.max_occurs)
        top = cap if hi is None else min(hi, cap)
        if ctx.budget <= 0 or top <= lo:
            return lo
        if ctx.draw(st.integers(0, 2)) != 2:  # extras are rare, and shrink away
            return lo
        return lo + ctx.draw(st.integers(1, top - lo))

    def _members(self, decl: XsdElement) -> list[XsdElement]:
        """`decl` (unless abstract) and, for a global element, every non-abstract member of its substitution
        group, transitively. A local element (not a reference) never heads a group, whatever its name."""
        got = self._members_cache.get(id(decl))
        if got is not None:
            return got
        head = decl.ref if decl.ref is not None else decl
        if self.schema.maps.elements.get(head.name) is not head:
            out = [] if head.abstract else [head]
        else:
            groups = self.schema.maps.substitution_groups
            out, todo, seen = [], [head], set()
            while todo:
                e = todo.pop(0)
                if e.name in seen:
                    continue
                seen.add(e.name)
                if not e.abstract:
                    out.append(e)
                todo.extend(sorted(groups.get(e.name, ()), key=lambda m: m.name))
        self._members_cache[id(decl)] = out
        return out

    def _concrete_types(self, t: Any, polymorphic: bool = False) -> list[Any]:
        """`t` itself, or (abstract complex `t`) the non-abstract types derived from it; both for a
        `polymorphic` element."""
        if not t.is_complex() or not (t.abstract or polymorphic):
            return [t]
        got = self._derived_cache.get(id(t))
        if got is None:
            got = [d for _, d in sorted(((n, d) for n, d in self.schema.maps.types.items()
                                         if d is not t and d.is_complex() and not d.abstract and d.is_derived(t)),
                                        key=lambda nd: nd[0])]
            self._derived_cache[id(t)] = got
        return ([] if t.abstract else [t]) + got

    def _element(self, ctx: _Ctx, particle: XsdElement, parent: etree._Element | None, path: tuple[int, ...],
                 min_occurs: int) -> etree._Element:
        members = [m for m in self._members(particle) if self._element_cost(m) < INF]
        if not members:
            raise ValueError(f"{particle.name}: no drawable element (abstract, no substitute)")
        decl = members[0] if len(members) == 1 else ctx.draw(st.sampled_from(members))
        types = [t for t in self._concrete_types(decl.type, decl.name in self.polymorphic)
                 if self._type_cost(t) < INF]
        xtype = types[0] if len(types) == 1 else ctx.draw(st.sampled_from(types))
        ctx.budget -= 1
        if parent is None:
            el = etree.Element(decl.name, nsmap=self.nsmap)
        else:
            el = etree.SubElement(parent, decl.name)
        ctx.decls[path] = NodeInfo(decl, xtype, min_occurs)
        if xtype is not decl.type:
            el.set(XSI_TYPE, self._qname_text(el, xtype.name))
        self._attributes(ctx, xtype, el)
        if decl.name in self.overrides:
            el.text = ctx.draw(self.overrides[decl.name])
        elif decl.fixed is not None:
            el.text = decl.fixed
        elif xtype.is_simple():
            el.text = self._value(ctx, xtype)
        elif xtype.has_simple_content():
            el.text = self._value(ctx, xtype.content)
        elif isinstance(xtype.content, XsdGroup):
            self._group(ctx, xtype.content, el, path, decl.name)
        return el

    def _qname_text(self, el: etree._Element, name: str) -> str:
        q = etree.QName(name)
        for prefix, uri in el.nsmap.items():
            if uri == q.namespace:
                return f"{prefix}:{q.localname}" if prefix else q.localname
        raise ValueError(f"no prefix in scope for {q.namespace}: add it to nsmap")

    def _attributes(self, ctx: _Ctx, xtype: Any, el: etree._Element) -> None:
        if not xtype.is_complex():
            return
        for name, attr in xtype.attributes.items():
            if name is None or attr.use == "prohibited":
                continue
            if attr.use != "required" and (ctx.budget <= 0 or not ctx.draw(st.booleans())):
                continue
            el.set(name, attr.fixed if attr.fixed is not None else self._value(ctx, attr.type))

    def _value(self, ctx: _Ctx, t: Any) -> str:
        text = ctx.draw(self.simple(t))
        if builtin_kind(t) == "ID":  # unique in the document
            while text in ctx.ids:
                text = f"{text}{len(ctx.ids)}"
            ctx.ids.add(text)
        return text

    def _group(self, ctx: _Ctx, group: XsdGroup, el: etree._Element, path: tuple[int, ...], owner: str) -> None:
        for _ in range(self._count(ctx, group.min_occurs, group.max_occurs)):
            if group.model == "choice":
                alts = [p for p in group if self._particle_cost(p) < INF]
                allowed = ctx.only.get(owner)
                if allowed is not None:
                    alts = [p for p in alts if isinstance(p, XsdElement) and p.name in allowed]
                if not alts:
                    raise ValueError(f"{owner}: no drawable alternative in a choice")
                if ctx.budget <= 0 and len(alts) > 1:
                    alts = [min(alts, key=self._particle_cost)]
                self._particle(ctx, alts[0] if len(alts) == 1 else ctx.draw(st.sampled_from(alts)), el, path, owner)
            else:
                for p in group:
                    self._particle(ctx, p, el, path, owner)

    def _particle(self, ctx: _Ctx, p: Any, el: etree._Element, path: tuple[int, ...], owner: str) -> None:
        if isinstance(p, XsdGroup):
            self._group(ctx, p, el, path, owner)
        elif isinstance(p, XsdAnyElement):
            for _ in range(p.min_occurs):
                self._wildcard(ctx, p, el, path)
        elif isinstance(p, XsdElement):
            if p.min_occurs == 0 and p.name in self.exclude or self._particle_cost(p) == INF:
                return
            for _ in range(self._count(ctx, p.min_occurs, p.max_occurs)):
                self._element(ctx, p, el, path + (len(el),), p.min_occurs)

    def _wildcard_elements(self, p: XsdAnyElement) -> list[XsdElement]:
        return [e for n, e in sorted(self.schema.maps.elements.items())
                if p.is_matching(n) and not e.abstract and e.name != xn.XSD_SCHEMA
                and not n.startswith(f"{{{xn.XSD_NAMESPACE}}}")]

    def _wildcard(self, ctx: _Ctx, p: XsdAnyElement, el: etree._Element, path: tuple[int, ...]) -> None:
        if p.process_contents == "strict":
            choices = sorted(self._wildcard_elements(p), key=self._element_cost)
            self._element(ctx, choices[0], el, path + (len(el),), p.min_occurs)
            return
        namespaces = list(p.namespace)
        ns = namespaces[0] if namespaces and not namespaces[0].startswith("##") else ANY_NS
        if namespaces and namespaces[0] == "##targetNamespace":
            ns = p.target_namespace
        etree.SubElement(el, f"{{{ns}}}vgiWildcard" if ns else "vgiWildcard")

    # --- minimal sizes (INF: cannot be drawn) -----------------------------------------------------------

    def _costs(self) -> dict[int, float]:
        """The size of the smallest instance of every element, type and group of the schema, as a fixpoint
        (a cycle through required content stays INF; one through optional content does not)."""
        if self._cost_table is not None:
            return self._cost_table
        nodes: dict[int, Any] = {}

        def collect(x: Any) -> None:
            if id(x) in nodes:
                return
            nodes[id(x)] = x
            if isinstance(x, XsdGroup):
                for q in x:
                    collect(q)
            elif isinstance(x, XsdElement):
                for m in self._members(x):
                    collect(m)
                for t in self._concrete_types(x.type):
                    collect(t)
            elif not isinstance(x, XsdAnyElement) and x.is_complex() and isinstance(x.content, XsdGroup):
                collect(x.content)

        for e in self.schema.maps.elements.values():
            collect(e)
        for t in self.schema.maps.types.values():
            collect(t)
        self._cost_table = table = {}
        changed = True
        while changed:
            changed = False
            for key, x in nodes.items():
                if isinstance(x, XsdAnyElement):
                    continue
                cost = self._cost_of(x)
                if cost < table.get(key, INF):
                    table[key] = cost
                    changed = True
        return table

    def _cost_of(self, x: Any) -> float:
        if isinstance(x, XsdGroup):
            if x.model == "choice":
                one = min((self._particle_cost(q) for q in x), default=INF)
            else:
                one = sum(self._particle_cost(q) for q in x)
            return 0 if x.min_occurs == 0 else x.min_occurs * one
        if isinstance(x, XsdElement):
            return min((1 + min((self._type_cost(t) for t in self._concrete_types(m.type)), default=INF)
                        for m in self._members(x)), default=INF)
        if x.is_complex() and isinstance(x.content, XsdGroup):
            return self._costs().get(id(x.content), INF)
        return 0

    def _element_cost(self, decl: XsdElement) -> float:
        table = self._costs()
        got = table.get(id(decl))
        return self._cost_of(decl) if got is None else got  # a particle made after the table: compute it

    def _type_cost(self, t: Any) -> float:
        if not t.is_complex() or not isinstance(t.content, XsdGroup):
            return 0
        return self._costs().get(id(t), INF)

    def _particle_cost(self, p: Any) -> float:
        if isinstance(p, XsdGroup):
            return self._costs().get(id(p), INF)
        if isinstance(p, XsdAnyElement):
            if p.min_occurs == 0:
                return 0
            if p.process_contents != "strict":
                return p.min_occurs
            return p.min_occurs * min((self._element_cost(e) for e in self._wildcard_elements(p)), default=INF)
        return 0 if p.min_occurs == 0 else p.min_occurs * self._costs().get(id(p), INF)

    # --- simple values ------------------------------------------------------------------------------------

    def _build_simple(self, t: Any) -> st.SearchStrategy[str]:
        if t.name in self.overrides:
            return self.overrides[t.name]
        if t.is_complex():  # simple content
            return self.simple(t.content)
        if t.is_list():
            item = self.simple(t.item_type)
            lo = _facet(t, xn.XSD_LENGTH) or _facet(t, xn.XSD_MIN_LENGTH) or 0
            hi = _facet(t, xn.XSD_LENGTH) or _facet(t, xn.XSD_MAX_LENGTH) or max(lo, 3)
            return st.lists(item, min_size=lo, max_size=min(hi, max(lo, 3))).map(" ".join)
        if t.is_union():
            return st.one_of([self.simple(m) for m in t.member_types])
        kind = builtin_kind(t)
        levels = pattern_levels(t)
        enum = _enumeration(t)
        if enum is not None:
            values = [v for v in enum if _pattern_ok(levels, v)]
            if not values:
                raise ValueError(f"{t.name}: no enumeration value matches its patterns")
            return st.sampled_from(values)
        if levels and kind in ("string", "normalizedString", "token", "anySimpleType", "anyURI", "language",
                               "Name", "NCName", "NMTOKEN"):
            return self._from_patterns(t, levels)
        base = self._by_kind(t, kind)
        if levels:
            base = base.filter(lambda s: _pattern_ok(levels, s))
        if _facet(t, xn.XSD_ASSERTION) is not None or (t.is_datetime() if hasattr(t, "is_datetime") else False) \
                and any(_facet(t, f) is not None for f in (xn.XSD_MIN_INCLUSIVE, xn.XSD_MAX_INCLUSIVE,
                                                           xn.XSD_MIN_EXCLUSIVE, xn.XSD_MAX_EXCLUSIVE)):
            base = base.filter(t.is_valid)  # facets with no generator of their own: rare, checked by xmlschema
        return base

    def _lengths(self, t: Any, default_max: int | None = None) -> tuple[int, int]:
        exact = _facet(t, xn.XSD_LENGTH)
        if exact is not None:
            return exact, exact
        lo = _facet(t, xn.XSD_MIN_LENGTH) or 0
        hi = _facet(t, xn.XSD_MAX_LENGTH)
        cap = default_max if default_max is not None else self.limits.max_text
        return lo, hi if hi is not None else max(lo, cap)

    def _from_patterns(self, t: Any, levels: list[Any]) -> st.SearchStrategy[str]:
        lo, hi = self._lengths(t, 10 ** 6)
        alphabet = text_alphabet(self.profile)
        # drawn from every step's patterns in turn, kept when it matches all steps: a derived pattern is
        # often looser than its base's (or the other way round), and filtering the wrong one rejects all
        drawn = st.one_of([st.from_regex(p, fullmatch=True, alphabet=alphabet)
                           for level in levels for p in level.patterns])
        collapse = builtin_kind(t) not in ("string", "anySimpleType") or t.white_space == "collapse"
        return drawn.filter(lambda s: lo <= len(" ".join(s.split()) if collapse else s) <= hi
                            and (not collapse or s == " ".join(s.split())) and _pattern_ok(levels, s))

    def _by_kind(self, t: Any, kind: str) -> st.SearchStrategy[str]:
        ascii_ = self.profile == "ascii"
        if kind in _INT_KINDS or kind == "decimal" and _facet(t, xn.XSD_FRACTION_DIGITS) == 0:
            return self._integers(t, kind)
        if kind == "decimal":
            return self._decimals(t)
        if kind in ("float", "double"):
            return self._floats(t, kind)
        if kind == "boolean":
            return st.sampled_from(["true", "false", "1", "0"])
        if kind in ("hexBinary", "base64Binary"):
            lo, hi = self._lengths(t, 16)
            data = st.binary(min_size=lo, max_size=hi)
            return data.map(lambda b: b.hex().upper()) if kind == "hexBinary" else \
                data.map(lambda b: base64.b64encode(b).decode("ascii"))
        if kind in ("dateTime", "date", "time", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay",
                    "dateTimeStamp"):
            return self._times(kind)
        if kind in ("duration", "dayTimeDuration", "yearMonthDuration"):
            return self._durations(kind)
        if kind == "anyURI":
            lo, hi = self._lengths(t, 40)
            path = st.from_regex(r"(/[A-Za-z0-9._~-]{0,8}){0,4}" if ascii_ else r"(/[\w.~-]{0,8}){0,4}",
                                 fullmatch=True)
            host = st.from_regex(r"(https?://[a-z][a-z0-9.-]{0,11}(:[1-9][0-9]{1,3})?)?", fullmatch=True)
            return st.builds(lambda h, p: h + p, host, path).filter(lambda s: lo <= len(s) <= hi)
        if kind == "language":
            return st.from_regex(r"[a-z]{2}(-[A-Z]{2})?", fullmatch=True)
        if kind in _NAME_KINDS:
            lo, hi = self._lengths(t)
            return st.from_regex(r"[A-Za-z_][A-Za-z0-9._-]{0,11}", fullmatch=True).filter(
                lambda s: lo <= len(s) <= hi)
        if kind in ("NMTOKEN", "NMTOKENS", "IDREFS", "ENTITIES"):
            return st.from_regex(r"[A-Za-z0-9._:-]{1,12}", fullmatch=True)
        lo, hi = self._lengths(t)
        if kind in ("string", "anySimpleType", "anyType") and t.white_space in (None, "preserve"):
            return st.text(text_alphabet(self.profile), min_size=lo, max_size=hi)
        if kind == "normalizedString" and t.white_space in (None, "replace"):
            return st.text(text_alphabet(self.profile).filter(lambda c: c not in "\t\n\r"), min_size=lo,
                           max_size=hi)
        # token and other collapsed strings: no leading, trailing or repeated whitespace (length counts after
        # collapsing)
        return st.text(text_alphabet(self.profile, whitespace=False), min_size=lo, max_size=hi)

    def _bounds(self, t: Any) -> tuple[Any, Any, Any, Any]:
        return (_facet(t, xn.XSD_MIN_INCLUSIVE), _facet(t, xn.XSD_MIN_EXCLUSIVE),
                _facet(t, xn.XSD_MAX_INCLUSIVE), _facet(t, xn.XSD_MAX_EXCLUSIVE))

    def _integers(self, t: Any, kind: str) -> st.SearchStrategy[str]:
        min_in, min_ex, max_in, max_ex = self._bounds(t)
        lo_c = [int(v) for v in (min_in,) if v is not None] + \
            [math.floor(v) + 1 for v in (min_ex,) if v is not None]
        hi_c = [int(v) for v in (max_in,) if v is not None] + \
            [math.ceil(v) - 1 for v in (max_ex,) if v is not None]
        total = _facet(t, xn.XSD_TOTAL_DIGITS)
        if total is not None:
            lo_c.append(-(10 ** total - 1))
            hi_c.append(10 ** total - 1)
        lo, hi = max(lo_c, default=-_BIG), min(hi_c, default=_BIG)
        return st.integers(lo, hi).map(str)

    def _decimals(self, t: Any) -> st.SearchStrategy[str]:
        min_in, min_ex, max_in, max_ex = self._bounds(t)
        places = _facet(t, xn.XSD_FRACTION_DIGITS)
        total = _facet(t, xn.XSD_TOTAL_DIGITS)
        places = min(places if places is not None else 4, total if total is not None else 99)
        limit = decimal.Decimal(10) ** ((total - places) if total is not None else 12)
        lo = max([decimal.Decimal(v) for v in (min_in, min_ex) if v is not None] + [-limit + 1])
        hi = min([decimal.Decimal(v) for v in (max_in, max_ex) if v is not None] + [limit - 1])
        drawn = st.decimals(lo, hi, places=places, allow_nan=False, allow_infinity=False)
        if min_ex is not None:
            drawn = drawn.filter(lambda d: d > decimal.Decimal(min_ex))
        if max_ex is not None:
            drawn = drawn.filter(lambda d: d < decimal.Decimal(max_ex))
        return drawn.map(lambda d: format(d, "f"))

    def _floats(self, t: Any, kind: str) -> st.SearchStrategy[str]:
        min_in, min_ex, max_in, max_ex = self._bounds(t)
        lo = min_in if min_in is not None else min_ex
        hi = max_in if max_in is not None else max_ex
        bounded = lo is not None or hi is not None
        special = self.profile == "unicode" and not bounded
        width = 32 if kind == "float" else 64
        drawn = st.floats(None if lo is None else float(lo), None if hi is None else float(hi),
                          allow_nan=special, allow_infinity=special, width=width,
                          exclude_min=min_ex is not None and min_in is None,
                          exclude_max=max_ex is not None and max_in is None)

        def lexical(x: float) -> str:
            if math.isnan(x):
                return "NaN"
            if math.isinf(x):
                return "INF" if x > 0 else "-INF"
            return repr(x)
        return drawn.map(lexical)

    def _times(self, kind: str) -> st.SearchStrategy[str]:
        ascii_ = self.profile == "ascii"
        lo, hi = (dt.datetime(1970, 1, 1), dt.datetime(2099, 12, 31)) if ascii_ else \
            (dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31))
        zone = st.just("Z") if ascii_ else st.sampled_from(["Z", "", "+00:00", "-05:30", "+14:00"])
        frac = st.sampled_from(["", ".5", ".123"]) if ascii_ else st.from_regex(r"(\.[0-9]{1,6})?",
                                                                               fullmatch=True)
        formats = {"dateTime": "%Y-%m-%dT%H:%M:%S", "dateTimeStamp": "%Y-%m-%dT%H:%M:%S", "date": "%Y-%m-%d",
                   "time": "%H:%M:%S", "gYear": "%Y", "gYearMonth": "%Y-%m", "gMonth": "--%m",
                   "gMonthDay": "--%m-%d", "gDay": "---%d"}
        fmt = formats[kind]
        if kind == "dateTimeStamp":
            zone = zone.filter(bool)

        def text(d: dt.datetime, f: str, z: str) -> str:
            s = d.strftime(fmt.replace("%Y", f"{d.year:04d}"))
            return s + (f if "%S" in fmt else "") + z
        return st.builds(text, st.datetimes(lo, hi), frac, zone)

    def _durations(self, kind: str) -> st.SearchStrategy[str]:
        return iso_durations(self.profile, kind)


def iso_durations(profile: Profile = "ascii", kind: str = "duration") -> st.SearchStrategy[str]:
    """ISO 8601 durations as ``xs:duration`` (or its ``kind`` subtype) writes them; negative ones only in the
    unicode (robustness) profile."""
    n = st.one_of(st.none(), st.integers(0, 400))
    date_ok, time_ok = kind != "dayTimeDuration", kind != "yearMonthDuration"

    def text(neg: bool, y: Any, mo: Any, d: Any, h: Any, mi: Any, s: Any) -> str:
        parts = [(y, "Y"), (mo, "M")] if date_ok else []
        if time_ok:
            parts.append((d, "D"))
        date = "".join(f"{v}{u}" for v, u in parts if v is not None)
        tpart = "".join(f"{v}{u}" for v, u in ((h, "H"), (mi, "M"), (s, "S")) if v is not None) if time_ok \
            else ""
        if not date and not tpart:
            date = "0D" if time_ok else "0M"
        return ("-" if neg else "") + "P" + date + (f"T{tpart}" if tpart else "")
    neg = st.just(False) if profile == "ascii" else st.booleans()
    return st.builds(text, neg, n, n, n, n, n, n)


@functools.lru_cache(maxsize=32)
def builder(schema: xmlschema.XMLSchema, profile: Profile = "ascii", limits: Limits = Limits()) -> XsdStrategies:
    """The cached strategies of `schema` in `profile`, with no protocol overrides (generic use)."""
    return XsdStrategies(schema, profile, limits)


"""A small XML Schema component model: just what EXI grammar construction needs.

Reads a set of XSD files (following import/include) into elements, complex types, simple types with the
facets that change EXI's datatype representation (enumeration, integer bounds, lengths), attribute uses,
particles, wildcards and substitution groups. Everything the V2G schemas do not use (xs:all, xs:group,
attribute groups, redefine, patterns) raises :class:`SchemaError` rather than being silently mis-modelled.

lxml is used (not ElementTree) because QName-valued attributes (type=, ref=, base=) need each element's
in-scope namespace map, which ElementTree discards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
UNBOUNDED = -1

QName = tuple[str, str]  # (namespace uri, local name)


class SchemaError(Exception):
    """The XSD uses a construct this model does not support, or is inconsistent."""


# --- built-in simple types -------------------------------------------------------------------------
# EXI representation kinds: boolean, binary, decimal, float, integer, string, datetime, list, qname.
_INT_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(1 << 63), (1 << 63) - 1),
    "int": (-(1 << 31), (1 << 31) - 1),
    "short": (-(1 << 15), (1 << 15) - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "unsignedLong": (0, (1 << 64) - 1),
    "unsignedInt": (0, (1 << 32) - 1),
    "unsignedShort": (0, (1 << 16) - 1),
    "unsignedByte": (0, 255),
    "positiveInteger": (1, None),
}
_STRINGS = {
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "ID", "IDREF",
    "ENTITY", "anyURI", "anySimpleType", "NOTATION",
}
_DATETIMES = {
    "dateTime", "time", "date", "gYearMonth", "gYear", "gMonthDay", "gDay", "gMonth",
}
_LISTS = {"IDREFS": "IDREF", "NMTOKENS": "NMTOKEN", "ENTITIES": "ENTITY"}


@dataclass(eq=False)
class SimpleType:
    """An atomic or list simple type reduced to its EXI representation and facets."""

    name: QName | None
    kind: str  # boolean|binary|decimal|float|integer|string|datetime|list|qname
    builtin: str  # local name of the built-in type it derives from
    enumeration: list[str] | None = None
    min_value: int | None = None  # inclusive bounds for integers
    max_value: int | None = None
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    item: SimpleType | None = None  # for lists

    def derive(self, name: QName | None) -> SimpleType:
        return SimpleType(
            name, self.kind, self.builtin, list(self.enumeration) if self.enumeration else None,
            self.min_value, self.max_value, self.length, self.min_length, self.max_length, self.item,
        )


def builtin_simple_type(local: str) -> SimpleType:
    q = (XS, local)
    if local in _INT_BOUNDS:
        lo, hi = _INT_BOUNDS[local]
        return SimpleType(q, "integer", local, min_value=lo, max_value=hi)
    if local == "boolean":
        return SimpleType(q, "boolean", local)
    if local in ("base64Binary", "hexBinary"):
        return SimpleType(q, "binary", local)
    if local == "decimal":
        return SimpleType(q, "decimal", local)
    if local in ("float", "double"):
        return SimpleType(q, "float", local)
    if local in _STRINGS or local == "duration":
        return SimpleType(q, "string", local)
    if local in _DATETIMES:
        return SimpleType(q, "datetime", local)
    if local in _LISTS:
        return SimpleType(q, "list", local, item=builtin_simple_type(_LISTS[local]))
    if local == "QName":
        return SimpleType(q, "qname", local)
    raise SchemaError(f"unsupported built-in type xs:{local}")


# --- structures --------------------------------------------------------------------------------------
@dataclass(eq=False)
class AttributeUse:
    qname: QName
    type: SimpleType
    required: bool


@dataclass(eq=False)
class Wildcard:
    """xs:any. ``namespaces`` None means any namespace (also used for ##other, as EXI does)."""

    namespaces: list[str] | None


@dataclass(eq=False)
class Particle:
    min: int
    max: int  # UNBOUNDED for unbounded
    term: ElementDecl | ModelGroup | Wildcard


@dataclass(eq=False)
class ModelGroup:
    compositor: str  # sequence | choice
    particles: list[Particle]


@dataclass(eq=False)
class ComplexType:
    name: QName | None
    attributes: list[AttributeUse] = field(default_factory=list)
    content: str = "empty"  # empty | simple | element | mixed
    simple: SimpleType | None = None  # for simple content
    particle: Particle | None = None  # for element / mixed content
    abstract: bool = False


@dataclass(eq=False)
class ElementDecl:
    qname: QName
    type: ComplexType | SimpleType | None = None
    nillable: bool = False
    abstract: bool = False
    is_global: bool = False
    subst_head: QName | None = None
    substitutes: list[ElementDecl] = field(default_factory=list)  # direct members

    def substitution_set(self) -> list[ElementDecl]:
        """Members of this element's substitution group (itself included), sorted by local name, uri.

        Abstract declarations stay in the list: the EXI grammars of the V2G streams count them (the
        ISO-2 body element codes only line up with BodyElement included)."""
        seen: dict[QName, ElementDecl] = {}
        stack = [self]
        while stack:
            e = stack.pop()
            if e.qname in seen:
                continue
            seen[e.qname] = e
            stack.extend(e.substitutes)
        members = list(seen.values())
        members.sort(key=lambda e: (e.qname[1], e.qname[0]))
        return members


ANY_TYPE = ComplexType((XS, "anyType"), content="mixed")  # placeholder for untyped elements


# --- loader ------------------------------------------------------------------------------------------
def _bool(v: str | None) -> bool:
    return v in ("true", "1")


def _occurs(el: etree._Element) -> tuple[int, int]:
    lo = int(el.get("minOccurs", "1"))
    mx = el.get("maxOccurs", "1")
    return lo, (UNBOUNDED if mx == "unbounded" else int(mx))


class SchemaSet:
    """All components of the XSD files reachable from the given root files."""

    def __init__(self, roots: list[Path], search_dir: Path | None = None) -> None:
        self.search_dir = search_dir
        self.files: list[Path] = []
        self._docs: list[tuple[etree._Element, str, bool, bool]] = []
        self._raw_types: dict[QName, tuple[etree._Element, str, bool, bool]] = {}
        self._raw_elements: dict[QName, tuple[etree._Element, str, bool, bool]] = {}
        self._raw_attrs: dict[QName, tuple[etree._Element, str, bool, bool]] = {}
        self.types: dict[QName, ComplexType | SimpleType] = {}
        self.elements: dict[QName, ElementDecl] = {}
        self.all_elements: list[ElementDecl] = []  # global and local declarations
        self.target_namespaces: set[str] = set()
        for r in roots:
            self._load(Path(r))
        for q in list(self._raw_elements):
            self._global_element(q)
        for q in list(self._raw_types):
            self._named_type(q)
        for e in self.elements.values():
            if e.subst_head is not None:
                head = self.elements.get(e.subst_head)
                if head is None:
                    raise SchemaError(f"substitution group head {e.subst_head} not found")
                head.substitutes.append(e)

    # files
    def _resolve(self, base: Path, loc: str) -> Path:
        p = (base.parent / loc).resolve()
        if p.is_file():
            return p
        if self.search_dir is not None:  # the wheels keep one xmldsig copy at the top
            hits = sorted(self.search_dir.rglob(Path(loc).name))
            if hits:
                return hits[0].resolve()
        raise SchemaError(f"{loc} (referenced from {base.name}) not found")

    def _load(self, path: Path) -> None:
        path = path.resolve()
        if path in self.files:
            return
        self.files.append(path)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.parse(str(path), parser).getroot()
        tns = root.get("targetNamespace", "")
        self.target_namespaces.add(tns)
        efd = root.get("elementFormDefault") == "qualified"
        afd = root.get("attributeFormDefault") == "qualified"
        ctx = (root, tns, efd, afd)
        for child in root:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag in ("import", "include"):
                loc = child.get("schemaLocation")
                if loc:
                    self._load(self._resolve(path, loc))
            elif tag in ("complexType", "simpleType"):
                self._raw_types[(tns, child.get("name"))] = (child, tns, efd, afd)
            elif tag == "element":
                self._raw_elements[(tns, child.get("name"))] = (child, tns, efd, afd)
            elif tag == "attribute":
                self._raw_attrs[(tns, child.get("name"))] = (child, tns, efd, afd)
            elif tag in ("annotation",):
                pass
            else:
                raise SchemaError(f"unsupported top-level xs:{tag} in {path.name}")
        self._docs.append(ctx)

    @staticmethod
    def _qname(el: etree._Element, value: str) -> QName:
        prefix, _, local = value.rpartition(":")
        ns = el.nsmap.get(prefix or None)
        if ns is None:
            if prefix:
                raise SchemaError(f"unbound prefix {prefix!r} in {value!r}")
            ns = ""
        return (ns, local)

    # types
    def _named_type(self, q: QName) -> ComplexType | SimpleType:
        if q in self.types:
            return self.types[q]
        if q[0] == XS:
            if q[1] == "anyType":
                return ANY_TYPE
            t = builtin_simple_type(q[1])
            self.types[q] = t
            return t
        if q not in self._raw_types:
            raise SchemaError(f"type {q} not found")
        el, tns, efd, afd = self._raw_types[q]
        if etree.QName(el).localname == "simpleType":
            t = self._simple_type(el, q)
        else:
            t = ComplexType(q)
            self.types[q] = t  # before filling: allows recursive references
            self._fill_complex(t, el, tns, efd, afd)
        self.types[q] = t
        return t

    def _simple_type(self, el: etree._Element, name: QName | None) -> SimpleType:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "restriction":
                base = self._restriction_base(child)
                return self._apply_facets(base.derive(name), child)
            if tag == "list":
                it = child.get("itemType")
                if it:
                    item = self._named_type(self._qname(child, it))
                else:
                    item = self._simple_type(self._first(child, "simpleType"), None)
                if not isinstance(item, SimpleType):
                    raise SchemaError("list of complex type")
                return SimpleType(name, "list", "list", item=item)
            if tag == "union":
                # EXI represents union values as strings
                return SimpleType(name, "string", "union")
        raise SchemaError(f"simpleType {name} without restriction/list/union")

    def _restriction_base(self, child: etree._Element) -> SimpleType:
        b = child.get("base")
        if b:
            base = self._named_type(self._qname(child, b))
        else:
            base = self._simple_type(self._first(child, "simpleType"), None)
        if not isinstance(base, SimpleType):
            raise SchemaError("simple restriction of a complex type")
        return base

    @staticmethod
    def _first(el: etree._Element, local: str) -> etree._Element:
        for c in el:
            if isinstance(c.tag, str) and etree.QName(c).localname == local:
                return c
        raise SchemaError(f"missing xs:{local}")

    def _apply_facets(self, t: SimpleType, restriction: etree._Element) -> SimpleType:
        enum: list[str] = []
        for f in restriction:
            if not isinstance(f.tag, str):
                continue
            tag = etree.QName(f).localname
            v = f.get("value")
            if tag == "enumeration":
                enum.append(v)
            elif tag in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive"):
                if t.kind != "integer":
                    continue  # bounds on non-integers do not change the EXI representation
                n = int(v)
                if tag == "minExclusive":
                    n += 1
                elif tag == "maxExclusive":
                    n -= 1
                if tag.startswith("min"):
                    t.min_value = n if t.min_value is None else max(t.min_value, n)
                else:
                    t.max_value = n if t.max_value is None else min(t.max_value, n)
            elif tag == "length":
                t.length = int(v)
            elif tag == "minLength":
                t.min_length = int(v)
            elif tag == "maxLength":
                t.max_length = int(v)
            elif tag == "pattern":
                raise SchemaError("pattern facets (restricted character sets) are not supported")
            elif tag in ("totalDigits", "fractionDigits", "whiteSpace", "annotation"):
                pass
            elif tag == "simpleType":
                pass
            else:
                raise SchemaError(f"unsupported facet xs:{tag}")
        if enum:
            t.enumeration = enum
        return t

    def _attributes(self, el: etree._Element, tns: str, afd: bool) -> list[AttributeUse]:
        out = []
        for a in el:
            if not isinstance(a.tag, str):
                continue
            tag = etree.QName(a).localname
            if tag == "attribute":
                if a.get("use") == "prohibited":
                    continue
                if a.get("ref"):
                    q = self._qname(a, a.get("ref"))
                    raw, rtns, _, _ = self._raw_attrs[q]
                    t = self._attr_type(raw)
                else:
                    form = a.get("form")
                    qualified = form == "qualified" if form else afd
                    q = (tns if qualified else "", a.get("name"))
                    t = self._attr_type(a)
                out.append(AttributeUse(q, t, a.get("use") == "required"))
            elif tag == "anyAttribute":
                raise SchemaError("xs:anyAttribute is not supported")
            elif tag == "attributeGroup":
                raise SchemaError("xs:attributeGroup is not supported")
        return out

    def _attr_type(self, a: etree._Element) -> SimpleType:
        if a.get("type"):
            t = self._named_type(self._qname(a, a.get("type")))
        else:
            st = [c for c in a if isinstance(c.tag, str) and etree.QName(c).localname == "simpleType"]
            t = self._simple_type(st[0], None) if st else builtin_simple_type("anySimpleType")
        if not isinstance(t, SimpleType):
            raise SchemaError("attribute of complex type")
        return t

    @staticmethod
    def _merge_attrs(base: list[AttributeUse], new: list[AttributeUse]) -> list[AttributeUse]:
        merged = {a.qname: a for a in base}
        for a in new:
            merged[a.qname] = a
        return list(merged.values())

    def _fill_complex(self, t: ComplexType, el: etree._Element, tns: str, efd: bool, afd: bool) -> None:
        t.abstract = _bool(el.get("abstract"))
        mixed = _bool(el.get("mixed"))
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "simpleContent":
                d = [c for c in child if isinstance(c.tag, str) and etree.QName(c).localname != "annotation"][0]
                dtag = etree.QName(d).localname
                base = self._named_type(self._qname(d, d.get("base")))
                if isinstance(base, ComplexType):
                    if base.content != "simple":
                        raise SchemaError(f"{t.name}: simple content from non-simple base")
                    st, attrs = base.simple, list(base.attributes)
                else:
                    st, attrs = base, []
                if dtag == "restriction":
                    st = self._apply_facets(st.derive(None), d)
                t.content, t.simple = "simple", st
                t.attributes = self._merge_attrs(attrs, self._attributes(d, tns, afd))
                return
            if tag == "complexContent":
                d = [c for c in child if isinstance(c.tag, str) and etree.QName(c).localname != "annotation"][0]
                dtag = etree.QName(d).localname
                mixed = mixed or _bool(child.get("mixed"))
                base = self._named_type(self._qname(d, d.get("base")))
                if not isinstance(base, ComplexType):
                    raise SchemaError(f"{t.name}: complex content from simple type")
                own = self._content_particle(d, tns, efd)
                if dtag == "extension":
                    t.attributes = self._merge_attrs(base.attributes, self._attributes(d, tns, afd))
                    if base.particle is None:
                        t.particle = own
                    elif own is None:
                        t.particle = base.particle
                    else:
                        t.particle = Particle(1, 1, ModelGroup("sequence", [base.particle, own]))
                    mixed = mixed or base.content == "mixed"
                else:  # restriction
                    t.attributes = self._merge_attrs(base.attributes, self._attributes(d, tns, afd))
                    t.particle = own
                t.content = ("mixed" if mixed else "element") if t.particle is not None else (
                    "mixed" if mixed else "empty")
                return
        t.particle = self._content_particle(el, tns, efd)
        t.attributes = self._attributes(el, tns, afd)
        t.content = ("mixed" if mixed else "element") if t.particle is not None else (
            "mixed" if mixed else "empty")

    def _content_particle(self, el: etree._Element, tns: str, efd: bool) -> Particle | None:
        for c in el:
            if not isinstance(c.tag, str):
                continue
            tag = etree.QName(c).localname
            if tag in ("sequence", "choice"):
                p = self._particle(c, tns, efd)
                if isinstance(p.term, ModelGroup) and not p.term.particles:
                    return None
                return p
            if tag in ("all", "group"):
                raise SchemaError(f"xs:{tag} is not supported")
        return None

    def _particle(self, el: etree._Element, tns: str, efd: bool) -> Particle:
        lo, hi = _occurs(el)
        tag = etree.QName(el).localname
        if tag in ("sequence", "choice"):
            parts = [
                self._particle(c, tns, efd)
                for c in el
                if isinstance(c.tag, str) and etree.QName(c).localname != "annotation"
            ]
            return Particle(lo, hi, ModelGroup(tag, parts))
        if tag == "element":
            if el.get("ref"):
                return Particle(lo, hi, self._global_element(self._qname(el, el.get("ref"))))
            form = el.get("form")
            qualified = form == "qualified" if form else efd
            decl = ElementDecl((tns if qualified else "", el.get("name")))
            self._fill_element(decl, el, tns)
            self.all_elements.append(decl)
            return Particle(lo, hi, decl)
        if tag == "any":
            ns = el.get("namespace", "##any")
            if ns in ("##any", "##other"):
                return Particle(lo, hi, Wildcard(None))
            uris = []
            for tok in ns.split():
                uris.append(tns if tok == "##targetNamespace" else "" if tok == "##local" else tok)
            return Particle(lo, hi, Wildcard(sorted(set(uris))))
        raise SchemaError(f"unsupported particle xs:{tag}")

    def _fill_element(self, decl: ElementDecl, el: etree._Element, tns: str) -> None:
        decl.nillable = _bool(el.get("nillable"))
        decl.abstract = _bool(el.get("abstract"))
        if el.get("type"):
            decl.type = self._named_type(self._qname(el, el.get("type")))
            return
        for c in el:
            if not isinstance(c.tag, str):
                continue
            tag = etree.QName(c).localname
            if tag == "complexType":
                ct = ComplexType(None)
                decl.type = ct
                _, _, efd, afd = self._ctx_of(el)
                self._fill_complex(ct, c, tns, efd, afd)
                return
            if tag == "simpleType":
                decl.type = self._simple_type(c, None)
                return
        if el.get("substitutionGroup"):
            head = self._global_element(self._qname(el, el.get("substitutionGroup")))
            decl.type = head.type
            return
        decl.type = ANY_TYPE

    def _ctx_of(self, el: etree._Element) -> tuple[etree._Element, str, bool, bool]:
        root = el.getroottree().getroot()
        for ctx in self._docs:
            if ctx[0] is root:
                return ctx
        raise SchemaError("element outside the loaded documents")

    def _global_element(self, q: QName) -> ElementDecl:
        if q in self.elements:
            return self.elements[q]
        if q not in self._raw_elements:
            raise SchemaError(f"element {q} not found")
        el, tns, _, _ = self._raw_elements[q]
        decl = ElementDecl(q, is_global=True)
        self.elements[q] = decl
        if el.get("substitutionGroup"):
            decl.subst_head = self._qname(el, el.get("substitutionGroup"))
        self._fill_element(decl, el, tns)
        self.all_elements.append(decl)
        return decl

    def local_names(self) -> dict[str, list[str]]:
        """Local names per namespace (elements, attributes, types) for the EXI string table."""
        names: dict[str, set[str]] = {ns: set() for ns in self.target_namespaces}
        for e in self.all_elements:
            names.setdefault(e.qname[0], set()).add(e.qname[1])
        for q in self._raw_types:
            names.setdefault(q[0], set()).add(q[1])
        for q in self._raw_attrs:
            names.setdefault(q[0], set()).add(q[1])

        def walk_attrs(t: ComplexType | SimpleType | None) -> None:
            if isinstance(t, ComplexType):
                for a in t.attributes:
                    names.setdefault(a.qname[0], set()).add(a.qname[1])

        for e in self.all_elements:
            walk_attrs(e.type)
        for t in self.types.values():
            walk_attrs(t)
        return {ns: sorted(v) for ns, v in names.items()}

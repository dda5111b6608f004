"""Schema-informed EXI grammars (EXI 1.0 section 8.5), compiled into event-code tables.

For every element type the builder makes a nondeterministic automaton (attribute uses sorted by qname,
then the content model; particles copied for minOccurs/maxOccurs, loops for unbounded), determinises it
by subset construction (which is what EXI's normalisation - epsilon elimination plus merging of
productions with the same terminal - amounts to), orders each state's productions the EXI way
(AT by qname, SE in schema order, wildcards, EE, CH) and finally adds the non-strict deviation
productions at the second level. Only the first level is ever written by the encoder; the decoder also
understands the second level (EE early, AT(*), xsi:nil, SE(*) of known global elements, untyped CH).

The compiled form is a graph of :class:`State` and :class:`Grammar` objects; production tuples are laid
out for the decoder's hot loop (see ``K_*``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .datatypes import Codec, StringCodec, codec_for
from .xsd import (
    UNBOUNDED, XS, XSI, ComplexType, ElementDecl, ModelGroup, Particle, QName, SchemaError, SchemaSet,
    SimpleType, Wildcard,
)

# production kinds
K_AT, K_SE, K_EE, K_CH, K_SEW, K_CHU, K_ATU, K_ATQU, K_XSITYPE, K_XSINIL, K_SEU = range(11)
KIND_NAMES = ["AT", "SE", "EE", "CH", "SE(*)", "CH(untyped)", "AT(*)", "AT(untyped)", "AT(xsi:type)",
              "AT(xsi:nil)", "SE(*)"]
VALUE_KEY = "#value"  # simple content of an element that also has attributes
TEXT_KEY = "#text"  # character data in mixed content / untyped deviations

# A production: (kind, key, qname, sub, next_state, is_list)
#   sub = Grammar for SE, Codec for AT/CH, uri filter tuple (or None) for SE wildcards.
Prod = tuple


class State:
    """One non-terminal: first-level productions indexed by event code, plus the second level."""

    __slots__ = ("w", "n", "prods", "second", "w2", "ee", "enc", "grammar", "label", "idx")

    def __init__(self, grammar: Grammar | None, label: str) -> None:
        self.grammar = grammar
        self.label = label
        self.prods: tuple = ()
        self.second: tuple = ()
        self.w = 0
        self.n = 0
        self.w2 = 0
        self.ee: int | None = None  # first-level code of EE, if any
        self.enc: tuple = ()  # (code, kind, key, qname, sub, next, is_list) non-EE, in code order
        self.idx = -1

    def finish(self) -> None:
        self.n = len(self.prods)
        total = self.n + (1 if self.second else 0)
        self.w = (total - 1).bit_length() if total > 1 else 0
        self.w2 = (len(self.second) - 1).bit_length() if len(self.second) > 1 else 0
        self.ee = None
        enc = []
        for code, p in enumerate(self.prods):
            if p[0] == K_EE:
                self.ee = code
            else:
                enc.append((code,) + tuple(p))
        self.enc = tuple(enc)

    def describe(self) -> str:
        evs = []
        for p in self.prods:
            name = KIND_NAMES[p[0]]
            evs.append(f"{name}({p[1]})" if p[0] in (K_SE, K_AT) else name)
        owner = self.grammar.name if self.grammar else "?"
        return f"{owner} state {self.label} expecting [{', '.join(evs)}]"


class Grammar:
    """The grammar of one element type (shared by all elements declared with that type)."""

    __slots__ = ("name", "start", "simple", "codec", "keys", "list_keys", "nil_state", "idx",
                 "fast", "type_ref", "attr_keys", "wild")

    def __init__(self, name: str) -> None:
        self.name = name
        self.start: State | None = None
        self.simple = False  # value is a plain scalar (no attributes, simple content)
        self.codec: Codec | None = None  # the simple content codec
        self.keys: frozenset[str] = frozenset()
        self.list_keys: frozenset[str] = frozenset()
        self.attr_keys: frozenset[str] = frozenset()
        self.nil_state: State | None = None
        self.fast = False  # simple grammar whose two states both have 1-bit codes
        self.idx = -1
        self.type_ref = None
        self.wild = False  # content has element wildcards


@dataclass
class _NFA:
    trans: list[list[tuple]]
    eps: list[list[int]]

    def new(self) -> int:
        self.trans.append([])
        self.eps.append([])
        return len(self.trans) - 1


class _TypeBuilder:
    """Builds the automaton of one type and tracks schema order of element terms."""

    def __init__(self) -> None:
        self.nfa = _NFA([], [])
        self.order: dict[tuple, int] = {}
        self.decls: dict[QName, ElementDecl] = {}
        self.counter = 0

    def _se(self, s: int, term: tuple, e: int, order: int) -> None:
        self.nfa.trans[s].append((term, e))
        if term not in self.order or order < self.order[term]:
            self.order[term] = order

    def term(self, t: ElementDecl | ModelGroup | Wildcard, s: int) -> int:
        nfa = self.nfa
        if isinstance(t, ElementDecl):
            e = nfa.new()
            base = self.counter * 4096
            self.counter += 1
            members = t.substitution_set()
            for i, m in enumerate(members):
                prev = self.decls.get(m.qname)
                if prev is not None and prev.type is not m.type:
                    raise SchemaError(f"element {m.qname} declared with two types in one content model")
                self.decls[m.qname] = m
                self._se(s, ("SE", m.qname), e, base + i)
            return e
        if isinstance(t, Wildcard):
            e = nfa.new()
            order = self.counter * 4096
            self.counter += 1
            self._se(s, ("SEW", tuple(t.namespaces) if t.namespaces is not None else None), e, order)
            return e
        if t.compositor == "sequence":
            if not t.particles:
                e = nfa.new()
                nfa.eps[s].append(e)
                return e
            for p in t.particles:
                s = self.particle(p, s)
            return s
        # choice
        x = nfa.new()
        for p in t.particles:
            a = nfa.new()
            nfa.eps[s].append(a)
            nfa.eps[self.particle(p, a)].append(x)
        return x

    def particle(self, p: Particle, s: int) -> int:
        nfa = self.nfa
        for _ in range(p.min):
            s = self.term(p.term, s)
        if p.max == UNBOUNDED:
            loop = nfa.new()
            nfa.eps[s].append(loop)
            e = self.term(p.term, loop)
            nfa.eps[e].append(loop)
            x = nfa.new()
            nfa.eps[loop].append(x)
            return x
        for _ in range(p.max - p.min):
            e = self.term(p.term, s)
            x = nfa.new()
            nfa.eps[e].append(x)
            nfa.eps[s].append(x)
            s = x
        return s


def _closure(nfa: _NFA, states: Iterable[int]) -> frozenset[int]:
    seen = set(states)
    stack = list(seen)
    while stack:
        s = stack.pop()
        for t in nfa.eps[s]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return frozenset(seen)


def _max_occurs(p: Particle | None) -> dict[str, float]:
    """How often each child key can occur in a content model (inf for unbounded)."""
    if p is None:
        return {}
    mult = float("inf") if p.max == UNBOUNDED else p.max
    t = p.term
    if isinstance(t, ElementDecl):
        inner = {m.qname[1]: 1.0 for m in t.substitution_set()}
    elif isinstance(t, Wildcard):
        inner = {}
    else:
        inner: dict[str, float] = {}
        for sub in t.particles:
            for k, v in _max_occurs(sub).items():
                inner[k] = inner.get(k, 0) + v if t.compositor == "sequence" else max(inner.get(k, 0), v)
    return {k: v * mult for k, v in inner.items()}


def _has_wildcard(p: Particle | None) -> bool:
    if p is None:
        return False
    if isinstance(p.term, Wildcard):
        return True
    if isinstance(p.term, ModelGroup):
        return any(_has_wildcard(x) for x in p.term.particles)
    return False


_TERM_CAT = {"AT": 0, "SE": 3, "SEW": 4, "EE": 6, "CH": 7, "CHM": 7}


class GrammarSet:
    """All grammars of one schema set: document, fragment and per-type element grammars."""

    def __init__(self, name: str, schema: SchemaSet) -> None:
        self.name = name
        self.grammars: list[Grammar] = []
        self.states: list[State] = []
        self._by_type: dict[tuple[int, bool], Grammar] = {}
        self._pending: list[tuple[Grammar, ComplexType | SimpleType | None]] = []
        self._codecs: dict[int, Codec] = {}
        # global elements, sorted by local name then uri (document grammar order)
        glob = sorted(schema.elements.values(), key=lambda e: (e.qname[1], e.qname[0]))
        self.doc_elements: list[tuple[QName, Grammar | None]] = [
            (e.qname, self.grammar_for(e)) for e in glob
        ]
        self.globals: dict[QName, Grammar] = {q: g for q, g in self.doc_elements if g is not None}
        self.doc_by_local: dict[str, list[int]] = {}
        for i, (q, g) in enumerate(self.doc_elements):
            self.doc_by_local.setdefault(q[1], []).append(i)
        # fragment grammar: every element declaration, de-duplicated by qname
        frag: dict[QName, list[ElementDecl]] = {}
        for e in schema.all_elements:
            frag.setdefault(e.qname, []).append(e)
        self.frag_elements: list[tuple[QName, Grammar | None]] = []
        for q in sorted(frag, key=lambda q: (q[1], q[0])):
            decls = frag[q]
            same = all(d.type is decls[0].type and d.nillable == decls[0].nillable for d in decls)
            # None: declarations disagree, EXI would use the relaxed fragment grammar (unsupported)
            self.frag_elements.append((q, self.grammar_for(decls[0]) if same else None))
        self.frag_by_local: dict[str, list[int]] = {}
        for i, (q, g) in enumerate(self.frag_elements):
            self.frag_by_local.setdefault(q[1], []).append(i)
        # elements an XML document may not hold as they are (abstract declarations, or declared with an abstract
        # type): EXI grammars still count them, but XSD-valid generators and renderers must leave them out
        self.abstract: frozenset[QName] = frozenset(
            e.qname for e in schema.all_elements
            if e.abstract or (isinstance(e.type, ComplexType) and e.type.abstract))
        while self._pending:
            g, t = self._pending.pop()
            self._build(g, t)
        # string table start-up content for qnames (used only by wildcard/deviation events)
        names = schema.local_names()
        uris = ["", "http://www.w3.org/XML/1998/namespace", XSI, XS]
        uris += sorted(ns for ns in schema.target_namespaces if ns not in uris)
        self.init_uris = uris
        self.init_locals = {
            0: sorted(names.get("", [])),
            1: ["base", "id", "lang", "space"],
            2: ["nil", "type"],
            3: sorted(_XS_NAMES),
        }
        for i, ns in enumerate(uris[4:], start=4):
            self.init_locals[i] = list(names.get(ns, []))
        for i, g in enumerate(self.grammars):
            g.idx = i
            g.type_ref = None
        for i, s in enumerate(self.states):
            s.idx = i

    # --- grammar construction ----------------------------------------------------------------
    def codec(self, t: SimpleType) -> Codec:
        c = self._codecs.get(id(t))
        if c is None:
            c = self._codecs[id(t)] = codec_for(t)
        return c

    def grammar_for(self, decl: ElementDecl) -> Grammar:
        t = decl.type
        key = (id(t), decl.nillable)
        g = self._by_type.get(key)
        if g is None:
            name = (t.name[1] if t is not None and t.name else f"<{decl.qname[1]}>")
            g = Grammar(name)
            g.type_ref = t  # keep the type alive while building (ids must stay unique)
            self._by_type[key] = g
            self.grammars.append(g)
            self._pending.append((g, t))
        return g

    def _new_state(self, g: Grammar, label: str) -> State:
        s = State(g, label)
        self.states.append(s)
        return s

    def _build(self, g: Grammar, t: ComplexType | SimpleType | None) -> None:
        b = _TypeBuilder()
        nfa = b.nfa
        s0 = nfa.new()
        attr_states = {s0}
        cur = s0
        attrs: list = []
        content = "simple"
        simple: SimpleType | None = None
        particle: Particle | None = None
        if isinstance(t, SimpleType):
            simple = t
        elif isinstance(t, ComplexType):
            attrs = sorted(t.attributes, key=lambda a: (a.qname[1], a.qname[0]))
            content = t.content
            simple = t.simple
            particle = t.particle
        else:
            raise SchemaError(f"element without type in grammar {g.name}")
        attr_codecs: dict[QName, Codec] = {}
        for a in attrs:
            nxt = nfa.new()
            nfa.trans[cur].append((("AT", a.qname), nxt))
            attr_codecs[a.qname] = self.codec(a.type)
            if not a.required:
                nfa.eps[cur].append(nxt)
            cur = nxt
            attr_states.add(cur)
        content_start = cur
        final = nfa.new()
        first_content = len(nfa.trans)
        if content == "simple":
            mid = nfa.new()
            nfa.trans[cur].append((("CH",), mid))
            nfa.trans[mid].append((("EE",), final))
        elif content == "empty" or (content == "mixed" and particle is None):
            nfa.trans[cur].append((("EE",), final))
            if content == "mixed":
                nfa.trans[cur].append((("CHM",), cur))
        else:
            end = b.particle(particle, cur)
            nfa.trans[end].append((("EE",), final))
            if content == "mixed":
                for s in [content_start] + list(range(first_content, len(nfa.trans))):
                    if s != final:
                        nfa.trans[s].append((("CHM",), s))
        # keys of the dict representation
        occurs = _max_occurs(particle)
        attr_keys = {a.qname[1] for a in attrs}
        clash = attr_keys & set(occurs)
        if clash:
            raise SchemaError(f"{g.name}: attribute and child element share the name(s) {sorted(clash)}")
        g.attr_keys = frozenset(attr_keys)
        g.list_keys = frozenset(k for k, v in occurs.items() if v > 1)
        keys = set(occurs) | attr_keys
        if content == "simple":
            g.codec = self.codec(simple)
            if attrs:
                keys.add(VALUE_KEY)
            else:
                g.simple = True
        if content == "mixed":
            keys.add(TEXT_KEY)
        g.keys = frozenset(keys)
        g.wild = _has_wildcard(particle)

        # subset construction
        start = _closure(nfa, [s0])
        dfa: dict[frozenset[int], State] = {}
        order: list[frozenset[int]] = [start]
        dfa[start] = self._new_state(g, "0")
        i = 0
        content_set = _closure(nfa, [content_start])
        edges: dict[frozenset[int], list[tuple[tuple, frozenset[int] | None]]] = {}
        while i < len(order):
            ds = order[i]
            i += 1
            by_term: dict[tuple, set[int]] = {}
            for s in ds:
                for term, tgt in nfa.trans[s]:
                    by_term.setdefault(term, set()).add(tgt)
            out = []
            for term, tgts in by_term.items():
                if term[0] == "EE":
                    out.append((term, None))
                    continue
                nxt = _closure(nfa, tgts)
                if nxt not in dfa:
                    dfa[nxt] = self._new_state(g, str(len(dfa)))
                    order.append(nxt)
                out.append((term, nxt))
            edges[ds] = out

        def sort_key(item: tuple) -> tuple:
            term = item[0]
            cat = _TERM_CAT[term[0]]
            if term[0] == "AT":
                return (cat, term[1][1], term[1][0])
            if term[0] in ("SE", "SEW"):
                return (cat, b.order[term])
            return (cat,)

        content2 = self._new_state(g, "content2")
        for ds, out in edges.items():
            out.sort(key=sort_key)
            st = dfa[ds]
            prods = []
            for term, nxt in out:
                ns = dfa[nxt] if nxt is not None else None
                kind = term[0]
                if kind == "AT":
                    q = term[1]
                    prods.append((K_AT, q[1], q, attr_codecs[q], ns, False))
                elif kind == "SE":
                    q = term[1]
                    sub = self.grammar_for(b.decls[q])
                    prods.append((K_SE, q[1], q, sub, ns, q[1] in g.list_keys))
                elif kind == "SEW":
                    prods.append((K_SEW, None, None, term[1], ns, True))
                elif kind == "EE":
                    prods.append((K_EE, None, None, None, None, False))
                elif kind == "CH":
                    prods.append((K_CH, VALUE_KEY, None, g.codec, ns, False))
                else:
                    prods.append((K_CHU, TEXT_KEY, None, _UNTYPED, ns, False))
            st.prods = tuple(prods)
            has_ee = any(p[0] == K_EE for p in prods)
            second = []
            if not has_ee:
                second.append((K_EE, None, None, None, None, False))
            if ds & attr_states:  # start-tag area (attributes may still come)
                if ds == start:
                    second.append((K_XSITYPE, None, None, None, st, False))
                    second.append((K_XSINIL, None, None, None, st, False))
                second.append((K_ATU, None, None, _UNTYPED, st, False))
                for p in prods:
                    if p[0] == K_AT:
                        second.append((K_ATQU, p[1], p[2], _UNTYPED, st, False))
                second.append((K_SEU, None, None, None, content2, True))
                second.append((K_CHU, TEXT_KEY, None, _UNTYPED, content2, False))
            else:
                second.append((K_SEU, None, None, None, st, True))
                second.append((K_CHU, TEXT_KEY, None, _UNTYPED, st, False))
            st.second = tuple(second)
            st.finish()
            if ds == content_set:
                content2.prods = st.prods
                c2 = []
                if not has_ee:
                    c2.append((K_EE, None, None, None, None, False))
                c2.append((K_SEU, None, None, None, content2, True))
                c2.append((K_CHU, TEXT_KEY, None, _UNTYPED, content2, False))
                content2.second = tuple(c2)
                content2.finish()
        if not content2.prods:  # content start never reached as its own state (cannot happen)
            content2.prods = dfa[start].prods
            content2.second = ((K_SEU, None, None, None, content2, True),)
            content2.finish()
        g.start = dfa[start]
        nil = self._new_state(g, "nil")
        nil.prods = ((K_EE, None, None, None, None, False),)
        nil.second = ((K_ATU, None, None, _UNTYPED, nil, False),)
        nil.finish()
        g.nil_state = nil
        if g.simple:
            s0s = g.start
            after = s0s.prods[0][4] if s0s.prods and s0s.prods[0][0] == K_CH else None
            g.fast = (
                s0s.n == 1 and s0s.w == 1 and after is not None and after.n == 1 and after.w == 1
                and after.prods[0][0] == K_EE
            )

    # --- pickling: flatten the object graph (deep recursion otherwise) -----------------------
    def __getstate__(self) -> dict:
        def ref(x: object) -> object:
            if isinstance(x, State):
                return ("S", x.idx)
            if isinstance(x, Grammar):
                return ("G", x.idx)
            return x

        states = [
            (s.label, s.grammar.idx if s.grammar else -1,
             tuple(tuple(ref(v) for v in p) for p in s.prods),
             tuple(tuple(ref(v) for v in p) for p in s.second))
            for s in self.states
        ]
        grammars = [
            (g.name, g.start.idx, g.simple, g.codec, g.keys, g.list_keys, g.attr_keys, g.nil_state.idx,
             g.fast, g.wild)
            for g in self.grammars
        ]
        return {
            "name": self.name, "states": states, "grammars": grammars,
            "doc": [(q, g.idx if g else -1) for q, g in self.doc_elements],
            "frag": [(q, g.idx if g else -1) for q, g in self.frag_elements],
            "init_uris": self.init_uris, "init_locals": self.init_locals, "abstract": sorted(self.abstract),
        }

    def __setstate__(self, d: dict) -> None:
        self.name = d["name"]
        self.grammars = [Grammar(x[0]) for x in d["grammars"]]
        self.states = [State(None, x[0]) for x in d["states"]]

        def deref(v: object) -> object:
            if type(v) is tuple and len(v) == 2 and v[0] in ("S", "G") and type(v[1]) is int:
                return self.states[v[1]] if v[0] == "S" else self.grammars[v[1]]
            return v

        for i, (label, gi, prods, second) in enumerate(d["states"]):
            s = self.states[i]
            s.idx = i
            s.grammar = self.grammars[gi] if gi >= 0 else None
            s.prods = tuple(tuple(deref(v) for v in p) for p in prods)
            s.second = tuple(tuple(deref(v) for v in p) for p in second)
            s.finish()
        for i, (name, si, simple, codec, keys, lk, ak, nil, fast, wild) in enumerate(d["grammars"]):
            g = self.grammars[i]
            g.idx = i
            g.start, g.simple, g.codec, g.keys, g.list_keys = self.states[si], simple, codec, keys, lk
            g.attr_keys, g.nil_state, g.fast, g.wild = ak, self.states[nil], fast, wild
        self.doc_elements = [(tuple(q), self.grammars[i] if i >= 0 else None) for q, i in d["doc"]]
        self.frag_elements = [(tuple(q), self.grammars[i] if i >= 0 else None) for q, i in d["frag"]]
        self.globals = {q: g for q, g in self.doc_elements if g is not None}
        self.doc_by_local = {}
        for i, (q, _) in enumerate(self.doc_elements):
            self.doc_by_local.setdefault(q[1], []).append(i)
        self.frag_by_local = {}
        for i, (q, _) in enumerate(self.frag_elements):
            self.frag_by_local.setdefault(q[1], []).append(i)
        self.init_uris = d["init_uris"]
        self.init_locals = d["init_locals"]
        self.abstract = frozenset(tuple(q) for q in d["abstract"])


_UNTYPED = StringCodec()

_XS_NAMES = [
    "ENTITIES", "ENTITY", "ID", "IDREF", "IDREFS", "NCName", "NMTOKEN", "NMTOKENS", "NOTATION", "Name",
    "QName", "anySimpleType", "anyType", "anyURI", "base64Binary", "boolean", "byte", "date",
    "dateTime", "decimal", "double", "duration", "float", "gDay", "gMonth", "gMonthDay", "gYear",
    "gYearMonth", "hexBinary", "int", "integer", "language", "long", "negativeInteger",
    "nonNegativeInteger", "nonPositiveInteger", "normalizedString", "positiveInteger", "short",
    "string", "time", "token", "unsignedByte", "unsignedInt", "unsignedLong", "unsignedShort",
]

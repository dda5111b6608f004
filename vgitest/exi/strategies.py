"""Hypothesis strategies for schema-valid messages, derived from the compiled EXI grammars.

A message is drawn by walking a grammar's states: at each state one of the first-level productions is
chosen (an attribute, a child element - recursively drawn - simple content, or EE when allowed), so
every drawn message satisfies the content model, occurrence bounds and datatypes the encoder checks.
Walks are kept finite with a per-message budget: once it is spent, the walk follows the shortest way
to the element's end. Productions that cannot finish without element wildcards (xmldsig ``any``
content) are never chosen.

With ``xsd_valid=True`` the draws also satisfy what the XSD asks beyond EXI's grammar, so that each message
rendered as XML (:mod:`vgitest.exi.xmlform`) validates against the official schema: strings stay within XML's
characters and their built-in's lexical space (``ID``/``IDREF`` are NCNames, ``anyURI`` a URI), and abstract
elements (substitution-group heads, elements of an abstract type), which EXI grammars still count, are never
chosen. Constraints across a document (ID values unique, IDREFs naming an ID) are the caller's:
:mod:`vgitest.iso15118.strategies` applies them.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache

from hypothesis import strategies as st

from . import datatypes as dt
from .grammar import K_AT, K_CH, K_CHU, K_EE, K_SE, VALUE_KEY, Grammar, GrammarSet, State
from .schemas import load

INF = math.inf
_XML_CHARS = st.characters(exclude_categories=("Cs",), max_codepoint=0x2FFF)
# characters XML 1.0 documents may hold (no C0 controls but tab, newline, carriage return; no surrogates)
_XML_TEXT_CHARS = st.one_of(st.characters(exclude_categories=("Cs", "Cc"), max_codepoint=0x2FFF),
                            st.sampled_from("\t\n\r"))
_NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NAME_CHARS = _NAME_START + "0123456789.-"
_URI_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/"
_NCNAMES = ("ID", "IDREF", "NCName", "ENTITY")


def _sized(lo: int, hi: int | None, default_hi: int) -> tuple[int, int]:
    return lo, min(hi, max(lo, default_hi)) if hi is not None else max(lo, default_hi)


def lexical_strings(codec: dt.StringCodec) -> st.SearchStrategy[str]:
    """Strings in the lexical space of the codec's XSD built-in, within its length facets (XML characters only)."""
    lo, hi = _sized(codec.min_len, codec.max_len, 24)
    if codec.builtin in _NCNAMES:  # an NCName: a name-start character, then name characters
        return st.builds(lambda a, b: a + b, st.sampled_from(_NAME_START),
                         st.text(_NAME_CHARS, min_size=max(0, lo - 1), max_size=max(0, hi - 1)))
    if codec.builtin == "anyURI":  # a scheme and a path of unreserved characters
        return st.builds(lambda a, b: (a + b)[:hi], st.sampled_from(("urn:x-", "http://example.com/", "")),
                         st.text(_URI_CHARS, min_size=lo, max_size=hi))
    if codec.builtin in ("string", "anySimpleType"):
        return st.text(_XML_TEXT_CHARS, min_size=lo, max_size=hi)
    raise ValueError(f"no XSD-valid strategy for strings of xs:{codec.builtin}")


def value_strategy(codec: dt.Codec, xsd_valid: bool = False) -> st.SearchStrategy:
    """Values of one EXI datatype, honouring the facets the codec keeps (``xsd_valid``: the XSD's lexical space too,
    see the module docstring)."""
    if xsd_valid and isinstance(codec, dt.StringCodec):
        return lexical_strings(codec)
    if xsd_valid and isinstance(codec, dt.ListCodec):
        return st.lists(value_strategy(codec.item, True), max_size=4)
    if isinstance(codec, dt.BoolCodec):
        return st.booleans()
    if isinstance(codec, dt.NBitCodec):
        return st.integers(codec.lo, codec.hi)
    if isinstance(codec, dt.UIntCodec):
        return st.integers(codec.lo, codec.hi if codec.hi is not None else codec.lo + (1 << 80))
    if isinstance(codec, dt.IntCodec):
        lo = codec.lo if codec.lo is not None else -(1 << 80)
        hi = codec.hi if codec.hi is not None else 1 << 80
        return st.integers(lo, hi)
    if isinstance(codec, dt.EnumCodec):
        return st.sampled_from(codec.values)
    if isinstance(codec, dt.BinaryCodec):
        hi = codec.max_len if codec.max_len is not None else 64
        return st.binary(min_size=codec.min_len, max_size=min(hi, max(codec.min_len, 64)))
    if isinstance(codec, dt.StringCodec):
        hi = codec.max_len if codec.max_len is not None else 24
        return st.text(_XML_CHARS, min_size=codec.min_len, max_size=min(hi, max(codec.min_len, 24)))
    if isinstance(codec, dt.ListCodec):
        return st.lists(value_strategy(codec.item), max_size=4)
    raise ValueError(f"no strategy for {codec.describe()}")


class _Distances:
    """Minimal number of events to finish each state / grammar (INF: only through wildcards)."""

    def __init__(self, gs: GrammarSet) -> None:
        self.state: dict[int, float] = {}
        self.grammar: dict[int, float] = {}
        changed = True
        while changed:  # Bellman-Ford style fixpoint over all states
            changed = False
            for s in reversed(gs.states):  # successors are mostly created later: one pass goes far
                best = self.state.get(s.idx, INF)
                for p in s.prods:
                    c = self._cost(p)
                    if c < best:
                        best = c
                if best < self.state.get(s.idx, INF):
                    self.state[s.idx] = best
                    changed = True
            for g in gs.grammars:
                d = self.state.get(g.start.idx, INF) + 1  # type: ignore[union-attr]
                if d < self.grammar.get(g.idx, INF):
                    self.grammar[g.idx] = d
                    changed = True

    def _cost(self, p: tuple) -> float:
        kind = p[0]
        if kind == K_EE:
            return 0
        if kind == K_SE:
            return 1 + self.grammar.get(p[3].idx, INF) + self.state.get(p[4].idx, INF)
        if kind in (K_AT, K_CH, K_CHU):
            return 1 + self.state.get(p[4].idx, INF)
        return INF  # wildcards

    def cost(self, p: tuple) -> float:
        return self._cost(p)


@lru_cache(maxsize=None)
def _distances(schema: str) -> _Distances:
    return _Distances(load(schema))


def element_strategy(schema: str, g: Grammar, budget: int = 60, xsd_valid: bool = False) -> st.SearchStrategy:
    """Values (dict or scalar) valid for grammar ``g`` of ``schema``."""
    dist = _distances(schema)
    skip = load(schema).abstract if xsd_valid else frozenset()

    @st.composite
    def build(draw: st.DrawFn) -> object:
        left = [budget]
        return _walk(draw, dist, g, left, 0, skip=skip, xsd_valid=xsd_valid)

    return build()


def _walk(draw: st.DrawFn, dist: _Distances, g: Grammar, left: list[int], depth: int,
          rng_mode: bool = False, skip: frozenset = frozenset(), xsd_valid: bool = False) -> object:
    def val(codec: dt.Codec) -> object:
        return draw(codec if rng_mode else value_strategy(codec, xsd_valid))  # type: ignore[arg-type]

    if g.simple and g.codec is not None:
        return val(g.codec)
    out: dict = {}
    st_: State = g.start  # type: ignore[assignment]
    while True:
        options = [p for p in st_.prods if dist.cost(p) < INF and not (p[0] == K_SE and p[2] in skip)]
        if not options:
            raise AssertionError(f"{st_.describe()} cannot finish")  # excluded by _Distances
        if left[0] <= 0 or depth > 24:
            p = min(options, key=dist.cost)
        else:
            n = len(options)
            p = options[draw(_Pick(n) if rng_mode else st.integers(0, n - 1))]
        left[0] -= 1
        kind = p[0]
        if kind == K_EE:
            break
        if kind == K_SE:
            v = _walk(draw, dist, p[3], left, depth + 1, rng_mode, skip, xsd_valid)
            if p[5]:
                out.setdefault(p[1], []).append(v)
            else:
                out[p[1]] = v
        elif kind == K_AT:
            out[p[1]] = val(p[3])
        elif kind == K_CH:
            out[VALUE_KEY] = val(p[3])
        elif kind == K_CHU:
            out[p[1]] = val(dt.StringCodec(0, 8))
        st_ = p[4]
    if g.simple:  # simple content reached through the generic path
        return out.get(VALUE_KEY)
    return out


def message_types(schema: str) -> list[str]:
    """The message names of a set: body elements for DIN/ISO-2, root elements otherwise."""
    gs = load(schema)
    body = _body_grammar(gs)
    if body is not None:
        return [p[1] for p in body.start.prods if p[0] == K_SE]  # type: ignore[union-attr]
    xmldsig = "http://www.w3.org/2000/09/xmldsig#"
    return [q[1] for q, g in gs.doc_elements
            if g is not None and q[0] != xmldsig and not _abstract_empty(g)]


def _abstract_empty(g: Grammar) -> bool:
    return g.name in ("BodyBaseType",) or g.name.endswith("BaseType") and not g.keys


def _body_grammar(gs: GrammarSet) -> Grammar | None:
    root = [g for q, g in gs.doc_elements if q[1] == "V2G_Message"]
    if not root:
        return None
    for p in root[0].start.prods[0][4].prods:  # type: ignore[union-attr]
        if p[0] == K_SE and p[1] == "Body":
            return p[3]
    for p in root[0].start.prods:  # type: ignore[union-attr]
        if p[0] == K_SE and p[1] == "Body":
            return p[3]
    return None


def message_strategy(schema: str, name: str, xsd_valid: bool = False) -> st.SearchStrategy[dict]:
    """Complete documents of message ``name`` (wrapped in V2G_Message for DIN/ISO-2); ``xsd_valid``: see the module
    docstring."""
    gs = load(schema)
    body = _body_grammar(gs)
    if body is not None:
        sub = next(p[3] for p in body.start.prods if p[0] == K_SE and p[1] == name)  # type: ignore[union-attr]
        header_g = next(p[3] for p in gs.globals[next(q for q in gs.globals if q[1] == "V2G_Message")]
                        .start.prods if p[0] == K_SE)  # type: ignore[union-attr]
        return st.builds(
            lambda h, b: {"V2G_Message": {"Header": h, "Body": {name: b}}},
            element_strategy(schema, header_g, xsd_valid=xsd_valid), element_strategy(schema, sub, xsd_valid=xsd_valid),
        )
    g = next(g for q, g in gs.doc_elements if q[1] == name)
    return element_strategy(schema, g, xsd_valid=xsd_valid).map(lambda v: {name: v})  # type: ignore[arg-type]


# --- the same walk with a plain random.Random (fuzz seeds, benchmarks: no hypothesis engine) -------
def random_value(codec: dt.Codec, rng: random.Random) -> object:
    if isinstance(codec, dt.BoolCodec):
        return rng.random() < 0.5
    if isinstance(codec, dt.NBitCodec):
        return rng.randint(codec.lo, codec.hi)
    if isinstance(codec, (dt.UIntCodec, dt.IntCodec)):
        lo = codec.lo if codec.lo is not None else -(1 << 40)
        hi = codec.hi if codec.hi is not None else lo + (1 << 41)
        return rng.randint(lo, hi)
    if isinstance(codec, dt.EnumCodec):
        return rng.choice(codec.values)
    if isinstance(codec, dt.BinaryCodec):
        hi = codec.max_len if codec.max_len is not None else 32
        return rng.randbytes(rng.randint(codec.min_len, min(hi, max(codec.min_len, 32))))
    if isinstance(codec, dt.StringCodec):
        hi = codec.max_len if codec.max_len is not None else 16
        n = rng.randint(codec.min_len, min(hi, max(codec.min_len, 16)))
        return "".join(chr(rng.choice((rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF))))
                       for _ in range(n))
    if isinstance(codec, dt.ListCodec):
        return [random_value(codec.item, rng) for _ in range(rng.randint(0, 3))]
    raise ValueError(f"no generator for {codec.describe()}")


class _RngDraw:
    """Lets :func:`_walk` run on random.Random: answers the only strategies it draws from."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codec: dt.Codec | None = None

    def __call__(self, strategy: object) -> object:
        if isinstance(strategy, _Pick):
            return self.rng.randint(0, strategy.n - 1)
        return random_value(strategy, self.rng)  # type: ignore[arg-type]


class _Pick:
    def __init__(self, n: int) -> None:
        self.n = n


def random_message(schema: str, name: str, rng: random.Random, budget: int = 40) -> dict:
    """One schema-valid message of type ``name``, drawn with ``rng`` (deterministic for a seed)."""
    gs = load(schema)
    dist = _distances(schema)
    draw = _RngDraw(rng)

    def walk(g: Grammar) -> object:
        return _walk(draw, dist, g, [budget], 0, rng_mode=True)  # type: ignore[arg-type]

    body = _body_grammar(gs)
    if body is not None:
        sub = next(p[3] for p in body.start.prods if p[0] == K_SE and p[1] == name)  # type: ignore[union-attr]
        v2g = gs.globals[next(q for q in gs.globals if q[1] == "V2G_Message")]
        header_g = next(p[3] for p in v2g.start.prods if p[0] == K_SE)  # type: ignore[union-attr]
        return {"V2G_Message": {"Header": walk(header_g), "Body": {name: walk(sub)}}}
    g = next(g for q, g in gs.doc_elements if q[1] == name)
    return {name: walk(g)}  # type: ignore[arg-type]

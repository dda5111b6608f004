"""JSON Schema -> hypothesis strategy: schema-valid values by construction, for the schemas protocols publish.

Why not hypothesis-jsonschema: with the hypothesis this project pins (6.170.15) every object schema fails in it
(it uses a private hypothesis API that changed in 6.170.10), it refuses ``$id`` + local ``$ref`` (OCPP 1.6
security schemas), and it spent 14 minutes on the OCPP 2.0.1 schemas because it canonicalises and merges each
schema before drawing. Protocol schemas use a small part of JSON Schema (draft-04/06: type, properties,
required, additionalProperties, enum, lengths, bounds, multipleOf, items, min/maxItems, date-time and uri
formats, local ``$ref``), so a direct mapping is enough and is fast: each keyword becomes a strategy, objects
become ``fixed_dictionaries``, nothing is filtered except empty optional containers.

Bounds a device cannot be expected to handle are not invented: an integer without bounds is drawn as a 32-bit
integer, a number without bounds within ``Limits.number_abs``, a string without ``maxLength`` up to
``Limits.text_max`` characters, an array up to ``Limits.max_items`` entries (a ``minItems`` above that wins).
Going past such sizes is what mutations do (:mod:`.jsonmutate`), where the device's answer is judged as such.

Two alphabets: ``ascii`` (printable ASCII: what a conformance run sends) and ``unicode`` (any code point JSON can
carry, control characters included: for robustness). Free text (no pattern or format) mixes in the words of
:mod:`.dictionary` that fit its length.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import math
from decimal import Decimal
from typing import Any, Literal

from hypothesis import strategies as st

from . import dictionary

__all__ = ["Alphabet", "Limits", "SchemaUnsupported", "from_schema", "resolve", "text_alphabet"]

Alphabet = Literal["ascii", "unicode"]


class SchemaUnsupported(ValueError):
    """The schema uses a keyword or form this builder does not turn into values (named in the message)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Caps for what the schema leaves open; see the module docstring."""

    max_items: int = 3
    text_max: int = 40
    int_min: int = -(2 ** 31)
    int_max: int = 2 ** 31 - 1
    number_abs: float = 1e6
    omit_empty: bool = True  # an optional object/array is never drawn empty ({} / []: OCPP 2.x forbids them)


_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_UNICODE = st.characters(exclude_categories=("Cs",))  # lone surrogates cannot be encoded as UTF-8 JSON


def text_alphabet(alphabet: Alphabet) -> st.SearchStrategy[str]:
    return _ASCII if alphabet == "ascii" else _UNICODE


def resolve(root: dict, ref: str) -> dict:
    """A local ``$ref`` (``#/definitions/X``, any JSON pointer into the same document)."""
    if not ref.startswith("#"):
        raise SchemaUnsupported(f"remote $ref {ref!r} (only references into the same schema are followed)")
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SchemaUnsupported(f"$ref {ref!r} points nowhere")
        node = node[part]
    if not isinstance(node, dict):
        raise SchemaUnsupported(f"$ref {ref!r} is not a schema")
    return node


def _datetime_text() -> st.SearchStrategy[str]:
    """RFC 3339 date-times, UTC ('Z') or with an offset, with or without milliseconds."""
    moments = st.datetimes(min_value=_dt.datetime(2000, 1, 1), max_value=_dt.datetime(2099, 12, 31))

    def render(t: _dt.datetime, millis: bool, offset_min: int | None) -> str:
        body = t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}" if millis else "")
        if offset_min is None:
            return body + "Z"
        sign = "+" if offset_min >= 0 else "-"
        h, m = divmod(abs(offset_min), 60)
        return f"{body}{sign}{h:02d}:{m:02d}"

    offsets = st.one_of(st.none(), st.sampled_from([0, 60, 120, -300, 330, 600]))
    return st.builds(render, moments, st.booleans(), offsets)


def _uri_text(max_len: int | None) -> st.SearchStrategy[str]:
    host = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=12)
    path = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_./"), max_size=20)
    s = st.builds(lambda scheme, h, p: f"{scheme}://{h}.example/{p}", st.sampled_from(["http", "https", "ftp"]), host,
                  path)
    return s.filter(lambda u: len(u) <= max_len) if max_len is not None else s


class _Builder:
    def __init__(self, root: dict, alphabet: Alphabet, limits: Limits) -> None:
        self.root = root
        self.alphabet = alphabet
        self.limits = limits
        self._refs: dict[str, st.SearchStrategy] = {}

    def build(self, s: dict, depth: int = 0) -> st.SearchStrategy:
        if not isinstance(s, dict):
            raise SchemaUnsupported(f"not a schema: {s!r}")
        if "$ref" in s:
            ref = s["$ref"]
            if ref not in self._refs:  # deferred: a schema that refers to itself still builds
                self._refs[ref] = st.deferred(lambda: self.build(resolve(self.root, ref), depth + 1))
            return self._refs[ref]
        if "enum" in s:
            return st.sampled_from(list(s["enum"]))
        if "const" in s:
            return st.just(s["const"])
        for key in ("anyOf", "oneOf"):
            if key in s:
                parts = [self.build({**{k: v for k, v in s.items() if k != key}, **sub}, depth + 1) for sub in s[key]]
                return st.one_of(parts)
        if "allOf" in s or "not" in s:
            raise SchemaUnsupported("allOf / not")
        t = s.get("type")
        if isinstance(t, list):
            return st.one_of([self.build({**s, "type": one}, depth) for one in t])
        if t is None:
            t = "object" if "properties" in s else None
        if t is None:
            return st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(text_alphabet(self.alphabet),
                                                                             max_size=8))
        maker = getattr(self, f"_{t}", None)
        if maker is None:
            raise SchemaUnsupported(f"type {t!r}")
        return maker(s, depth)

    # -- one method per JSON type -------------------------------------------------------------------------
    def _null(self, s: dict, depth: int) -> st.SearchStrategy:
        return st.none()

    def _boolean(self, s: dict, depth: int) -> st.SearchStrategy:
        return st.booleans()

    def _string(self, s: dict, depth: int) -> st.SearchStrategy:
        lo, hi = int(s.get("minLength", 0)), s.get("maxLength")
        fmt = s.get("format")
        if fmt == "date-time":
            return _datetime_text()
        if fmt in ("uri", "uri-reference", "url"):
            return _uri_text(hi)
        if "pattern" in s:
            return st.from_regex(s["pattern"], fullmatch=True).filter(
                lambda v: lo <= len(v) <= (hi if hi is not None else math.inf))
        top = int(hi) if hi is not None else max(lo, self.limits.text_max)
        return dictionary.mixed_in(st.text(text_alphabet(self.alphabet), min_size=lo, max_size=top), lo, top,
                                   unicode=self.alphabet == "unicode")

    def _bounds(self, s: dict) -> tuple[float | None, float | None, bool, bool]:
        lo, hi = s.get("minimum"), s.get("maximum")
        ex_lo = ex_hi = False
        for key, is_lo in (("exclusiveMinimum", True), ("exclusiveMaximum", False)):
            v = s.get(key)
            if isinstance(v, bool):  # draft-04: a flag on minimum/maximum
                if is_lo:
                    ex_lo = v
                else:
                    ex_hi = v
            elif v is not None:  # draft-06: the bound itself
                if is_lo:
                    lo, ex_lo = v, True
                else:
                    hi, ex_hi = v, True
        return lo, hi, ex_lo, ex_hi

    def _integer(self, s: dict, depth: int) -> st.SearchStrategy:
        lo, hi, ex_lo, ex_hi = self._bounds(s)
        lo_i = self.limits.int_min if lo is None else math.floor(lo) + (1 if ex_lo or lo != math.floor(lo) else 0)
        hi_i = self.limits.int_max if hi is None else math.ceil(hi) - (1 if ex_hi or hi != math.ceil(hi) else 0)
        if lo is None and hi is not None:
            lo_i = min(lo_i, hi_i)
        if hi is None and lo is not None:
            hi_i = max(hi_i, lo_i)
        m = s.get("multipleOf")
        if m:
            k_lo, k_hi = math.ceil(lo_i / m), math.floor(hi_i / m)
            return st.integers(k_lo, k_hi).map(lambda k: int(k * m))
        return st.integers(lo_i, hi_i)

    def _number(self, s: dict, depth: int) -> st.SearchStrategy:
        lo, hi, ex_lo, ex_hi = self._bounds(s)
        cap = self.limits.number_abs
        lo_f = -cap if lo is None else float(lo)
        hi_f = cap if hi is None else float(hi)
        if lo is None and hi is not None:
            lo_f = min(lo_f, hi_f - cap)
        if hi is None and lo is not None:
            hi_f = max(hi_f, lo_f + cap)
        m = s.get("multipleOf")
        if m:  # k * m, rounded to m's decimals so that Decimal(k*m) % m == 0 holds
            places = max(0, -Decimal(str(m)).as_tuple().exponent)
            k_lo = math.ceil(lo_f / m) + (1 if ex_lo and math.ceil(lo_f / m) * m == lo_f else 0)
            k_hi = math.floor(hi_f / m) - (1 if ex_hi and math.floor(hi_f / m) * m == hi_f else 0)
            return st.integers(k_lo, k_hi).map(lambda k: round(k * m, places) if places else float(k * m))
        if self.alphabet == "ascii":  # readable decimals: at most 3 fractional digits
            k_lo = math.ceil(lo_f * 1000) + (1 if ex_lo else 0)
            k_hi = math.floor(hi_f * 1000) - (1 if ex_hi else 0)
            return st.integers(k_lo, k_hi).map(lambda k: k / 1000)
        return st.floats(lo_f, hi_f, allow_nan=False, allow_infinity=False, exclude_min=ex_lo, exclude_max=ex_hi)

    def _array(self, s: dict, depth: int) -> st.SearchStrategy:
        items = s.get("items", {})
        if isinstance(items, list):
            raise SchemaUnsupported("tuple-form items")
        lo = int(s.get("minItems", 0))
        hi = s.get("maxItems")
        top = max(lo, min(int(hi) if hi is not None else self.limits.max_items, self.limits.max_items))
        elem = self.build(items, depth + 1)
        if s.get("uniqueItems"):
            return st.lists(elem, min_size=lo, max_size=top, unique_by=lambda v: json.dumps(v, sort_keys=True))
        return st.lists(elem, min_size=lo, max_size=top)

    def _object(self, s: dict, depth: int) -> st.SearchStrategy:
        props: dict = s.get("properties", {})
        required = [k for k in s.get("required", []) if k in props]
        missing = [k for k in s.get("required", []) if k not in props]
        if missing:
            raise SchemaUnsupported(f"required {missing} without a property schema")
        need = {k: self.build(props[k], depth + 1) for k in required}
        optional = {}
        for k, sub in props.items():
            if k in need:
                continue
            strat = self.build(sub, depth + 1)
            if self.limits.omit_empty:
                strat = strat.filter(lambda v: v != {} and v != [])
            optional[k] = strat
        return st.fixed_dictionaries(need, optional=optional)


@functools.lru_cache(maxsize=2048)
def _cached(key: str, alphabet: Alphabet, limits: Limits) -> st.SearchStrategy:
    schema = json.loads(key)
    return _Builder(schema, alphabet, limits).build(schema)


def from_schema(schema: dict, *, alphabet: Alphabet = "ascii", limits: Limits = Limits()) -> st.SearchStrategy:
    """Values valid against ``schema``; built once per (schema, alphabet, limits) and cached."""
    return _cached(json.dumps(schema, sort_keys=True), alphabet, limits)

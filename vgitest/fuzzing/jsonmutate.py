"""Negative data for JSON payloads: a schema-valid value broken in exactly one place, Schemathesis-style.

A mutation is drawn in two steps: every place the schema constrains in the drawn value is listed as a *site*
(a required property that can be removed, a field whose type can be changed, an enumeration, a length, a bound,
a closed object, an array size, a date-time), then one site is picked and broken. The result is always invalid
against the schema (the tests check it), and :class:`Mutation` says where and how, with the schema keyword
broken, so a protocol can name the error its device must answer (see ``vgitest.ocpp.strategies``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .jsonschema import Alphabet, resolve, text_alphabet

__all__ = ["KINDS", "Mutation", "mutated", "sites"]


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One breakage of a payload: what was done, where, and which schema keyword it breaks."""

    kind: str  # one of KINDS
    keyword: str  # the JSON-schema keyword the result breaks ("required", "type", "maxLength", ...)
    path: str  # where, as a dotted path ("" = the payload itself)
    detail: str  # one line for a person

    def describe(self) -> str:
        return f"{self.kind} at {self.path or '(payload)'}: {self.detail}"


KINDS = {
    "remove-required": "a required property is left out",
    "wrong-type": "a value of another JSON type than the schema allows",
    "bad-enum": "a string outside the enumeration",
    "too-long": "a string just over maxLength (by 1, by 10, twice as long)",
    "oversize": "a string far over maxLength (500 characters or four times the limit, up to 64 KiB)",
    "too-short": "a string shorter than minLength",
    "below-minimum": "a number below its minimum",
    "above-maximum": "a number above its maximum",
    "unknown-property": "a property the closed object does not define",
    "too-many-items": "an array longer than maxItems",
    "too-few-items": "an array shorter than minItems",
    "bad-date-time": "a string that is no RFC 3339 date-time",
    "not-an-object": "the payload is not a JSON object",
}

_TYPES_OF = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "array": list,
             "null": type(None)}
_SAMPLES: dict[str, Any] = {"string": "vgi", "integer": 7, "number": 2.5, "boolean": True, "object": {"vgi": 1},
                            "array": [1], "null": None}

Path = tuple[str | int, ...]
Site = tuple[str, str, Path, Callable[[st.DrawFn, Any], Any]]  # kind, keyword, where, how (draw, old) -> new


def _show(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _allowed(s: dict) -> set[str]:
    t = s.get("type")
    if t is None:
        return set()
    types = set(t if isinstance(t, list) else [t])
    if "number" in types:
        types.add("integer")
    return types


def sites(root: dict, value: Any, alphabet: Alphabet = "ascii") -> list[Site]:
    """Every place of ``value`` where ``root`` can be broken, with how to break it."""
    out: list[Site] = []
    text = text_alphabet(alphabet)

    def walk(v: Any, s: dict, path: Path, depth: int) -> None:
        if depth > 24 or not isinstance(s, dict):
            return
        while "$ref" in s:
            s = resolve(root, s["$ref"])
        allowed = _allowed(s)
        if allowed and path:  # the payload itself: "not-an-object" below
            others = [t for t in _SAMPLES if t not in allowed]
            if others:
                out.append(("wrong-type", "type", path,
                            lambda d, old, o=others: _SAMPLES[d(st.sampled_from(o))]))
        if "enum" in s and all(isinstance(e, str) for e in s["enum"]):
            choices = set(s["enum"])
            out.append(("bad-enum", "enum", path, lambda d, old, c=choices: d(
                st.one_of(st.sampled_from(sorted(c)).map(lambda e: e.lower() if e.lower() not in c else e + "X"),
                          st.text(text, min_size=1, max_size=20)).filter(lambda x: x not in c))))
        if isinstance(v, str):
            if "maxLength" in s:
                n = int(s["maxLength"])
                out.append(("too-long", "maxLength", path,
                            lambda d, old, n=n: d(st.sampled_from([n + 1, n + 10, n * 2 + 1])) * "A"))
                out.append(("oversize", "maxLength", path,
                            lambda d, old, n=n: d(st.sampled_from([max(500, 4 * n), n + 500, 65536])) * "A"))
            if int(s.get("minLength", 0)) > 0:
                out.append(("too-short", "minLength", path, lambda d, old, m=int(s["minLength"]): old[: m - 1]))
            if s.get("format") == "date-time":
                out.append(("bad-date-time", "format", path, lambda d, old: d(st.sampled_from(
                    ["yesterday", "2024-13-45T25:61:00Z", old.replace("T", " ").replace("Z", "") + " UTC",
                     "1700000000"]))))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if "maximum" in s:
                out.append(("above-maximum", "maximum", path,
                            lambda d, old, m=s["maximum"]: m + d(st.sampled_from([1, 1000, 2 ** 31]))))
            if "minimum" in s:
                out.append(("below-minimum", "minimum", path,
                            lambda d, old, m=s["minimum"]: m - d(st.sampled_from([1, 1000, 2 ** 31]))))
        if isinstance(v, list):
            items = s.get("items", {})
            if "maxItems" in s and v:
                out.append(("too-many-items", "maxItems", path,
                            lambda d, old, m=int(s["maxItems"]): (old * (m + 1))[: m + 1]))
            if int(s.get("minItems", 0)) > 0:
                out.append(("too-few-items", "minItems", path, lambda d, old, m=int(s["minItems"]): old[: m - 1]))
            for i, item in enumerate(v[:2]):
                walk(item, items if isinstance(items, dict) else {}, path + (i,), depth + 1)
        if isinstance(v, dict):
            props = s.get("properties", {})
            for k in s.get("required", []):
                if k in v:
                    out.append(("remove-required", "required", path + (k,), _REMOVE))
            if s.get("additionalProperties") is False and props:
                out.append(("unknown-property", "additionalProperties", path + ("vgiUnknownField",),
                            lambda d, old: d(st.sampled_from(["x", 1, True]))))
            for k, sub in v.items():
                if k in props:
                    walk(sub, props[k], path + (k,), depth + 1)

    walk(value, root, (), 0)
    if isinstance(value, dict):
        out.append(("not-an-object", "type", (), lambda d, old: d(st.sampled_from([[], "payload", 1, [old]]))))
    return out


_REMOVE = object()  # marker: delete the property at the path instead of setting it


def _apply(value: Any, path: Path, how: Callable[[st.DrawFn, Any], Any], draw: st.DrawFn) -> Any:
    if not path:
        return how(draw, value)
    out = copy.deepcopy(value)
    parent = out
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if how is _REMOVE:
        del parent[last]
    else:
        parent[last] = how(draw, parent[last] if (isinstance(parent, dict) and last in parent)
                           or isinstance(parent, list) else None)
    return out


def mutated(schema: dict, valid: st.SearchStrategy, *, alphabet: Alphabet = "ascii",
            kind: str | None = None) -> st.SearchStrategy[tuple[Any, Mutation]]:
    """Values of ``valid`` (which must match ``schema``) each broken at one site, with the :class:`Mutation`.
    With ``kind``, that kind of breakage wherever the drawn value offers it (else any kind it offers)."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Any, Mutation]:
        value = draw(valid)
        by_kind: dict[str, list[Site]] = {}
        for site in sites(schema, value, alphabet):  # kind first, then the place: else removals crowd out the rest
            by_kind.setdefault(site[0], []).append(site)
        chosen = kind if kind in by_kind else draw(st.sampled_from(sorted(by_kind)))
        _, keyword, path, how = draw(st.sampled_from(by_kind[chosen]))
        new = _apply(value, path, how, draw)
        where = _show(path)
        if how is _REMOVE:
            detail = f"required property {path[-1]!r} removed"
        else:
            shown = repr(new if not path else _at(new, path))
            detail = f"{KINDS[chosen]}: {shown[:60]}{'...' if len(shown) > 60 else ''}"
        return new, Mutation(chosen, keyword, where, detail)

    return build()


def _at(value: Any, path: Path) -> Any:
    for p in path:
        value = value[p]
    return value

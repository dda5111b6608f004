"""JSON <-> message dict: ``bytes`` travel as lowercase hex strings, guided by the grammar.

JSON has no bytes type, so the CLI writes hexBinary/base64Binary values as hex strings. Going back, a
string is turned into bytes only where the grammar expects a binary value, so a string element that
happens to look like hex stays a string.
"""

from __future__ import annotations

from .datatypes import BinaryCodec, ListCodec
from .errors import ExiError
from .grammar import K_AT, K_CH, K_SE, VALUE_KEY, Grammar, GrammarSet


def to_json(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def _unhex(v: object, where: str) -> bytes:
    if not isinstance(v, str):
        raise ExiError(f"{where}: expected a hex string for binary data")
    try:
        return bytes.fromhex(v)
    except ValueError:
        raise ExiError(f"{where}: {v[:40]!r} is not hex") from None


def _conv_codec(codec: object, v: object, where: str) -> object:
    if isinstance(codec, BinaryCodec):
        return _unhex(v, where)
    if isinstance(codec, ListCodec) and isinstance(codec.item, BinaryCodec) and isinstance(v, list):
        return [_unhex(x, where) for x in v]
    return v


def _children(g: Grammar) -> dict[str, tuple[int, object]]:
    """key -> (kind, grammar-or-codec) for every production reachable in g's states."""
    out: dict[str, tuple[int, object]] = {}
    seen = set()
    stack = [g.start]
    while stack:
        s = stack.pop()
        if s is None or id(s) in seen:
            continue
        seen.add(id(s))
        for p in s.prods:
            if p[0] in (K_SE, K_AT, K_CH) and p[1] not in out:
                out[p[1]] = (p[0], p[3])
            stack.append(p[4])
    return out


def from_json(gs: GrammarSet, g: Grammar, v: object, where: str = "") -> object:
    if g.simple:
        return _conv_codec(g.codec, v, where)
    if not isinstance(v, dict):
        return v  # the encoder reports the type error with the full path
    kids = _children(g)
    out = {}
    for k, x in v.items():
        info = kids.get(k)
        if info is None:
            out[k] = x
        elif info[0] == K_SE:
            sub = info[1]
            out[k] = [from_json(gs, sub, y, f"{where}/{k}") for y in x] if (
                k in g.list_keys and isinstance(x, list)) else from_json(gs, sub, x, f"{where}/{k}")
        else:
            out[k] = _conv_codec(info[1], x, f"{where}/{k}")
    return out


def message_from_json(gs: GrammarSet, doc: object, fragment: bool = False) -> dict:
    if not isinstance(doc, dict):
        raise ExiError("the JSON message must be an object keyed by the root element name")
    table = gs.frag_elements if fragment else gs.doc_elements
    index = gs.frag_by_local if fragment else gs.doc_by_local
    out = {}
    for name, value in doc.items():
        idx = index.get(name)
        g = table[idx[0]][1] if idx else None
        out[name] = from_json(gs, g, value, name) if g is not None else value
    return out


__all__ = ["to_json", "message_from_json", "VALUE_KEY"]

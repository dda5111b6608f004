"""dict -> EXI stream. Writes first-level productions only (no deviations) and literal strings.

At each grammar state the encoder takes the first production, in event-code order, whose key still has
an unwritten value in the message; EE is taken when nothing is left. Keys that no production can place
raise :class:`ExiError` naming the element path.
"""

from __future__ import annotations

from .bits import BitWriter
from .datatypes import write_string_value
from .errors import ExiError
from .grammar import K_AT, K_CH, K_CHU, K_SE, VALUE_KEY, Grammar, GrammarSet

HEADER = 0x80  # distinguishing bits 10, no options, format version 1


def _width(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def encode_element(w: BitWriter, g: Grammar, v: object, path: str) -> None:
    if g.fast:
        w.write(0, 1)
        try:
            g.codec.enc(w, v)  # type: ignore[union-attr]
        except ExiError as e:
            raise ExiError(f"{path}: {e}") from None
        w.write(0, 1)
        return
    if g.simple:
        v = {VALUE_KEY: v}
    if type(v) is not dict:
        raise ExiError(f"{path}: expected a dict, got {type(v).__name__}")
    keys = g.keys
    for k in v:
        if k not in keys:
            raise ExiError(f"{path}: unexpected key {k!r} (allowed: {sorted(keys)})")
    used: dict[str, int] = {}
    st = g.start
    while True:
        for code, kind, key, qn, sub, nxt, is_list in st.enc:  # type: ignore[union-attr]
            if key not in v:
                continue
            if is_list:
                lst = v[key]
                i = used.get(key, 0)
                if type(lst) is not list:
                    raise ExiError(f"{path}/{key}: expected a list (element may repeat)")
                if i >= len(lst):
                    continue
                val = lst[i]
                used[key] = i + 1
            else:
                if key in used:
                    continue
                val = v[key]
                used[key] = 1
            if kind == K_SE and sub.fast:  # leaf: event code, CH (0), value, EE (0)
                w.write(code << 1, st.w + 1)  # type: ignore[union-attr]
                try:
                    sub.codec.enc(w, val)
                except ExiError as e:
                    raise ExiError(f"{path}/{key}: {e}") from None
                w.write(0, 1)
                st = nxt
                break
            w.write(code, st.w)  # type: ignore[union-attr]
            if kind == K_SE:
                encode_element(w, sub, val, f"{path}/{key}")
            elif kind == K_AT or kind == K_CH:
                try:
                    sub.enc(w, val)
                except ExiError as e:
                    raise ExiError(f"{path}/{key}: {e}") from None
            elif kind == K_CHU:
                if type(val) is not str:
                    raise ExiError(f"{path}/{key}: expected str")
                write_string_value(w, val)
            else:
                raise ExiError(f"{path}/{key}: cannot encode wildcard content")
            st = nxt
            break
        else:
            if st.ee is None:  # type: ignore[union-attr]
                raise ExiError(f"{path}: incomplete content, {st.describe()}")  # type: ignore[union-attr]
            w.write(st.ee, st.w)  # type: ignore[union-attr]
            if len(used) != len(v) or any(
                type(v[k]) is list and used[k] != len(v[k]) for k in g.list_keys if k in v
            ):
                left = [k for k in v if k not in used or (type(v[k]) is list and used[k] != len(v[k]))]
                if left:
                    raise ExiError(f"{path}: could not place {left} ({st.describe()})")  # type: ignore[union-attr]
            return


def _root(v: dict, what: str) -> tuple[str, object]:
    if type(v) is not dict or len(v) != 1:
        raise ExiError(f"{what} must be a dict with exactly one root element key")
    return next(iter(v.items()))


def encode_document(gs: GrammarSet, message: dict) -> bytes:
    name, value = _root(message, "message")
    idx = gs.doc_by_local.get(name)
    if not idx:
        raise ExiError(f"{name!r} is not a global element of {gs.name}")
    if len(idx) > 1:
        raise ExiError(f"{name!r} is ambiguous in {gs.name} (several namespaces)")
    q, g = gs.doc_elements[idx[0]]
    if g is None:
        raise ExiError(f"{name!r} is abstract")
    w = BitWriter()
    w.write(HEADER, 8)
    w.write(idx[0], _width(len(gs.doc_elements) + 1))
    encode_element(w, g, value, name)
    return w.getvalue()


def encode_fragment(gs: GrammarSet, message: dict) -> bytes:
    if type(message) is not dict or not message:
        raise ExiError("fragment must be a non-empty dict of element name -> value")
    n = len(gs.frag_elements)
    width = _width(n + 2)
    w = BitWriter()
    w.write(HEADER, 8)
    for name, value in message.items():
        idx = gs.frag_by_local.get(name)
        if not idx:
            raise ExiError(f"{name!r} is not an element of {gs.name}")
        if len(idx) > 1:
            raise ExiError(f"{name!r} is ambiguous in {gs.name} (several namespaces)")
        q, g = gs.frag_elements[idx[0]]
        if g is None:
            raise ExiError(f"{name!r} has conflicting declarations (relaxed fragment grammar)")
        w.write(idx[0], width)
        encode_element(w, g, value, name)
    w.write(n + 1, width)  # ED
    return w.getvalue()

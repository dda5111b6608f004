"""EXI stream -> dict, driven by the compiled grammar tables (see grammar.py for the tuple layout)."""

from __future__ import annotations

from .datatypes import DecodeState, read_string_chars, read_string_value
from .errors import ExiError
from .grammar import (
    K_AT, K_ATQU, K_ATU, K_CH, K_CHU, K_EE, K_SE, K_SEU, K_SEW, K_XSINIL, K_XSITYPE, TEXT_KEY,
    VALUE_KEY, Grammar, GrammarSet, State,
)

MAX_DEPTH = 48  # V2G messages nest < 15 levels; bounds recursion on hostile input


def read_header(r: DecodeState) -> None:
    """Accept the header the V2G profile uses: optional "$EXI" cookie, then 10 0 0 0000."""
    if r.nbits >= 32 and (r.val >> (r.nbits - 32)) == 0x24455849:
        r.pos = 32
    if r.read(2) != 0b10:
        raise ExiError("not an EXI stream (distinguishing bits are not 10)", r.pos - 2)
    if r.read(1):
        raise ExiError("EXI options in the header are not supported (V2G uses none)", r.pos - 1)
    preview, version = r.read(1), r.read(4)
    if preview or version:
        raise ExiError(f"unsupported EXI format version (preview={preview}, version={version + 1})",
                       r.pos - 5)


def check_end(r: DecodeState) -> None:
    """Padding to the byte boundary is ignored; whole trailing bytes must be zero."""
    rest_start = (r.pos + 7) & ~7
    if rest_start < r.nbits and r.val & ((1 << (r.nbits - rest_start)) - 1):
        raise ExiError("non-zero data after the end of the document", rest_start)


def _width(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def _qname_tables(r: DecodeState) -> None:
    gs: GrammarSet = r.gs  # type: ignore[assignment]
    r.uris = list(gs.init_uris)
    r.locals = {i: list(v) for i, v in gs.init_locals.items()}


def read_qname(r: DecodeState) -> tuple[str, str]:
    """QName of SE(*)/AT(*): uri then local name, each a string-table hit or a literal."""
    if r.uris is None:
        _qname_tables(r)
    uris = r.uris
    locs = r.locals
    assert uris is not None and locs is not None
    i = r.read(_width(len(uris) + 1))
    if i == 0:
        uri = read_string_chars(r, _bounded(r, r.read_uint()))
        uris.append(uri)
        ui = len(uris) - 1
    else:
        ui = i - 1
        if ui >= len(uris):
            raise ExiError(f"uri id {ui} out of range", r.pos)
        uri = uris[ui]
    names = locs.setdefault(ui, [])
    n = r.read_uint()
    if n == 0:
        j = r.read(_width(len(names)))
        if j >= len(names):
            raise ExiError(f"local-name id {j} out of range", r.pos)
        return uri, names[j]
    local = read_string_chars(r, _bounded(r, n - 1))
    names.append(local)
    return uri, local


def _bounded(r: DecodeState, n: int) -> int:
    if n * 8 > r.remaining():
        raise ExiError(f"length {n} exceeds the remaining input", r.pos)
    return n


def decode_element(r: DecodeState, g: Grammar, q: tuple[str, str]) -> object:
    if g.fast:
        if not r.read_bit():
            v = g.codec.dec(r, q)  # type: ignore[union-attr]
            if not r.read_bit():
                return v
            after = g.start.prods[0][4]  # type: ignore[union-attr]
            return _loop(r, g, q, after, {VALUE_KEY: v}, True)
        return _loop(r, g, q, g.start, {}, True)  # type: ignore[arg-type]
    return _loop(r, g, q, g.start, {}, False)  # type: ignore[arg-type]


def _child(r: DecodeState, g: Grammar, q: tuple[str, str]) -> object:
    r.depth += 1
    if r.depth > MAX_DEPTH:
        raise ExiError(f"elements nested deeper than {MAX_DEPTH}", r.pos)
    v = decode_element(r, g, q)
    r.depth -= 1
    return v


def _put(out: dict, key: str, v: object, is_list: bool) -> None:
    """Store a child decoded through a second-level production. A name already in ``out`` (only reachable through
    deviations: SE(*) of a name a first-level production or an attribute already placed) becomes a list of both."""
    if key not in out:
        out[key] = [v] if is_list else v
        return
    old = out[key]
    if type(old) is list:
        old.append(v)
    else:
        out[key] = [old, v]


def _loop(r: DecodeState, g: Grammar, q: tuple[str, str], st: State, out: dict, escaped: bool) -> object:
    val = r.val
    nbits = r.nbits
    while True:
        if escaped:
            code = st.n
            escaped = False
        else:  # inlined r.read(st.w): this is the hottest line of the decoder
            w = st.w
            pos = r.pos + w
            if pos > nbits:
                raise ExiError("unexpected end of input reading an event code", r.pos, st.describe())
            r.pos = pos
            code = (val >> (nbits - pos)) & ((1 << w) - 1)
        if code < st.n:
            p = st.prods[code]
            if p[0] == K_SE:
                sub = p[3]
                if sub.fast:  # leaf element of simple type: CH value EE, 1-bit codes, no recursion
                    pos = r.pos
                    if pos < nbits and not (val >> (nbits - pos - 1)) & 1:
                        r.pos = pos + 1
                        v = sub.codec.dec(r, p[2])
                        pos = r.pos
                        if pos < nbits and not (val >> (nbits - pos - 1)) & 1:
                            r.pos = pos + 1
                        else:
                            v = _loop(r, sub, p[2], sub.start.prods[0][4], {VALUE_KEY: v}, False)
                    else:
                        v = _child(r, sub, p[2])
                else:
                    v = _child(r, sub, p[2])
                key = p[1]
                if p[5]:
                    lst = out.get(key)
                    if lst is None:
                        out[key] = [v]
                    elif type(lst) is list:
                        lst.append(v)
                    else:  # the name was placed by a deviation (AT(*), SE(*)) first
                        out[key] = [lst, v]
                else:
                    out[key] = v
                st = p[4]
                continue
        elif code == st.n and st.second:
            c2 = r.read(st.w2)
            if c2 >= len(st.second):
                raise ExiError(f"invalid second-level event code {st.n}.{c2}", r.pos, st.describe())
            p = st.second[c2]
        else:
            raise ExiError(f"invalid event code {code}", r.pos, st.describe())
        kind = p[0]
        if kind == K_SE:
            _put(out, p[1], _child(r, p[3], p[2]), p[5])
            st = p[4]
        elif kind == K_EE:
            if g.simple and len(out) == 1 and VALUE_KEY in out:
                return out[VALUE_KEY]
            return out
        elif kind == K_AT:
            out[p[1]] = p[3].dec(r, p[2])
            st = p[4]
        elif kind == K_CH:
            out[VALUE_KEY] = p[3].dec(r, q)
            st = p[4]
        elif kind == K_CHU:
            text = read_string_value(r, q)
            prev = out.get(TEXT_KEY)
            out[TEXT_KEY] = text if prev is None else prev + text
            st = p[4]
        elif kind in (K_SEW, K_SEU):
            pos = r.pos
            qn = read_qname(r)
            if kind == K_SEW and p[3] is not None and qn[0] not in p[3]:
                raise ExiError(f"element {qn} not allowed by the wildcard", pos, st.describe())
            sub = r.gs.globals.get(qn)  # type: ignore[union-attr]
            if sub is None:
                raise ExiError(f"undeclared element {{{qn[0]}}}{qn[1]} (built-in grammars are not "
                               "supported)", pos, st.describe())
            _put(out, qn[1], _child(r, sub, qn), True)
            st = p[4]
        elif kind == K_ATU or kind == K_ATQU:
            qn = read_qname(r) if kind == K_ATU else p[2]
            out[qn[1]] = read_string_value(r, qn)
            st = p[4]
        elif kind == K_XSINIL:
            nil = bool(r.read_bit())
            out["xsi:nil"] = nil
            if nil:
                st = g.nil_state  # type: ignore[assignment]
        elif kind == K_XSITYPE:
            raise ExiError("xsi:type is not supported", r.pos, st.describe())
        else:  # pragma: no cover - table corruption
            raise ExiError(f"unknown production kind {kind}", r.pos, st.describe())


def decode_document(gs: GrammarSet, data: bytes) -> dict:
    r = DecodeState(data, 0, gs)
    read_header(r)
    n = len(gs.doc_elements)
    pos = r.pos
    code = r.read(_width(n + 1))
    if code < n:
        q, g = gs.doc_elements[code]
        if g is None:
            raise ExiError(f"abstract element {q[1]} as document root", pos, "document")
    elif code == n:
        q = read_qname(r)
        g = gs.globals.get(q)
        if g is None:
            raise ExiError(f"undeclared root element {q}", pos, "document")
    else:
        raise ExiError(f"invalid document event code {code}", pos, "document")
    value = decode_element(r, g, q)
    check_end(r)
    return {q[1]: value}


def decode_fragment(gs: GrammarSet, data: bytes) -> dict:
    r = DecodeState(data, 0, gs)
    read_header(r)
    n = len(gs.frag_elements)
    w = _width(n + 2)
    out: dict = {}
    while True:
        pos = r.pos
        code = r.read(w)
        if code == n + 1:
            break
        if code < n:
            q, g = gs.frag_elements[code]
            if g is None:
                raise ExiError(f"fragment element {q[1]} has conflicting declarations (relaxed "
                               "fragment grammar not supported)", pos, "fragment")
        elif code == n:
            q = read_qname(r)
            g = gs.globals.get(q)
            if g is None:
                raise ExiError(f"undeclared fragment element {q}", pos, "fragment")
        else:
            raise ExiError(f"invalid fragment event code {code}", pos, "fragment")
        _put(out, q[1], decode_element(r, g, q), False)
    check_end(r)
    return out

"""Message dict -> XML document: to validate a dict against the official XSD with lxml, or to show it as XML.

The dict form (what :func:`vgitest.exi.decode` returns and the encoder takes) keeps local names only. The
namespace of every element and attribute, the order of the children and the lexical form of each value come from
the grammar, walked the way the encoder walks it: at each state the first production, in event-code order, whose
key still has an unwritten value. So the XML is the document the EXI stream of the same dict stands for, and a dict
the encoder refuses is refused here too (:class:`ExiError` with the element path).

What the dict form cannot say cannot be rendered either: the order of different repeated children that the schema
lets interleave (``(A | B)*`` written A B A comes back A A B), several text nodes in mixed content (one ``#text``),
and wildcard content (xmldsig ``any``; the strategies never draw it). Values are rendered in their canonical
lexical form: ``true``/``false``, decimal integers, hexBinary upper-case, base64Binary without line breaks, list
items separated by one space.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from lxml import etree

from . import datatypes as dt
from .errors import ExiError
from .grammar import K_AT, K_CH, K_CHU, K_SE, Grammar, GrammarSet
from .jsonconv import _children
from .schemas import load


def lexical(codec: dt.Codec, v: object) -> str:
    """The canonical XSD lexical form of value ``v`` of an EXI datatype."""
    if isinstance(codec, dt.BoolCodec):
        if type(v) is not bool:
            raise ExiError(f"expected bool, got {type(v).__name__}")
        return "true" if v else "false"
    if isinstance(codec, dt.BinaryCodec):
        if type(v) is not bytes:
            raise ExiError(f"expected bytes, got {type(v).__name__}")
        return base64.b64encode(v).decode() if codec.builtin == "base64Binary" else v.hex().upper()
    if isinstance(codec, dt.ListCodec):
        if type(v) is not list:
            raise ExiError(f"expected a list, got {type(v).__name__}")
        return " ".join(lexical(codec.item, x) for x in v)
    if isinstance(codec, (dt.NBitCodec, dt.UIntCodec, dt.IntCodec)):
        if type(v) is not int:
            raise ExiError(f"expected int, got {type(v).__name__}")
        return str(v)
    if isinstance(codec, (dt.StringCodec, dt.EnumCodec)):
        if type(v) is not str:
            raise ExiError(f"expected str, got {type(v).__name__}")
        return v
    return str(v)  # decimal, float: not used by the V2G schemas


def _tag(qname: tuple[str, str]) -> str:
    uri, local = qname
    return f"{{{uri}}}{local}" if uri else local


def _element(g: Grammar, qname: tuple[str, str], v: object, path: str) -> etree._Element:
    el = etree.Element(_tag(qname))
    if g.simple:
        assert g.codec is not None
        el.text = _text(g.codec, v, path)
        return el
    if type(v) is not dict:
        raise ExiError(f"{path}: expected a dict, got {type(v).__name__}")
    for k in v:
        if k not in g.keys:
            raise ExiError(f"{path}: unexpected key {k!r} (allowed: {sorted(g.keys)})")
    used: dict[str, int] = {}
    st = g.start
    while True:
        for _code, kind, key, qn, sub, nxt, is_list in st.enc:  # type: ignore[union-attr]
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
            if kind == K_SE:
                el.append(_element(sub, qn, val, f"{path}/{key}"))
            elif kind == K_AT:
                el.set(_tag(qn), _text(sub, val, f"{path}/@{key}"))
            elif kind in (K_CH, K_CHU):
                text = _text(sub, val, f"{path}/{key}") if kind == K_CH else _plain(val, f"{path}/{key}")
                if len(el):
                    el[-1].tail = (el[-1].tail or "") + text
                else:
                    el.text = (el.text or "") + text
            else:
                raise ExiError(f"{path}/{key}: cannot render wildcard content")
            st = nxt
            break
        else:
            if st.ee is None:  # type: ignore[union-attr]
                raise ExiError(f"{path}: incomplete content, {st.describe()}")  # type: ignore[union-attr]
            left = [k for k in v if k not in used or (type(v[k]) is list and used[k] != len(v[k]))]
            if left:
                raise ExiError(f"{path}: could not place {left} ({st.describe()})")  # type: ignore[union-attr]
            return el


def _text(codec: dt.Codec, v: object, path: str) -> str:
    try:
        return lexical(codec, v)
    except ExiError as e:
        raise ExiError(f"{path}: {e}") from None


def _plain(v: object, path: str) -> str:
    if type(v) is not str:
        raise ExiError(f"{path}: expected str")
    return v


def to_element(message: dict, schema: str | GrammarSet) -> etree._Element:
    """The document element of ``message`` (one root key, as for :func:`vgitest.exi.encode`)."""
    gs = load(schema) if isinstance(schema, str) else schema
    if type(message) is not dict or len(message) != 1:
        raise ExiError("message must be a dict with exactly one root element key")
    name, value = next(iter(message.items()))
    idx = gs.doc_by_local.get(name)
    if not idx:
        raise ExiError(f"{name!r} is not a global element of {gs.name}")
    if len(idx) > 1:
        raise ExiError(f"{name!r} is ambiguous in {gs.name} (several namespaces)")
    q, g = gs.doc_elements[idx[0]]
    if g is None:
        raise ExiError(f"{name!r} is abstract")
    try:
        return _element(g, q, value, name)
    except ValueError as e:  # lxml refuses text that is not XML (control characters, lone surrogates)
        raise ExiError(f"{name}: not expressible as XML: {e}") from None


def to_xml(message: dict, schema: str | GrammarSet, pretty: bool = False) -> bytes:
    """``message`` as a UTF-8 XML document with an XML declaration."""
    return etree.tostring(to_element(message, schema), xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


Leaf = tuple[object, object, dt.Codec]  # (container dict or list, key or index, codec of the value there)


def leaves(message: dict, schema: str | GrammarSet) -> Iterator[Leaf]:
    """Every simple value of ``message`` with its datatype, as (container, key, codec): for fixes across a document
    that a value-by-value walk cannot make (xs:ID values unique, xs:IDREF values naming one). Keys the grammar does
    not know are skipped (the renderer reports them)."""
    gs = load(schema) if isinstance(schema, str) else schema
    for name, value in message.items():
        idx = gs.doc_by_local.get(name)
        g = gs.doc_elements[idx[0]][1] if idx else None
        if g is not None:
            yield from _leaves(g, message, name)


def _leaves(g: Grammar, container: object, key: object) -> Iterator[Leaf]:
    v = container[key]  # type: ignore[index]
    if g.simple:
        if g.codec is not None:
            yield container, key, g.codec
        return
    if type(v) is not dict:
        return
    for k, (kind, sub) in _children(g).items():
        if k not in v:
            continue
        items: list[tuple[object, object]] = [(v[k], i) for i in range(len(v[k]))] if (
            k in g.list_keys and type(v[k]) is list) else [(v, k)]
        for c, i in items:
            if kind == K_SE:
                yield from _leaves(sub, c, i)  # type: ignore[arg-type]
            else:
                yield c, i, sub  # type: ignore[misc]


class _SearchResolver(etree.Resolver):
    """An imported XSD missing beside the importing one is taken from the schema folder by file name: the upstream
    wheel keeps one xmldsig copy at its top, which the DIN and ISO 15118-20 XSDs import as if it were beside them
    (the EXI grammar builder does the same, :meth:`vgitest.exi.xsd.SchemaSet._resolve`)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def resolve(self, url: str, pubid: str | None, context: object) -> object:
        path = Path(url.removeprefix("file://"))
        if path.is_file() or "://" in url.removeprefix("file://"):
            return None
        hits = sorted(self.root.rglob(path.name))
        return self.resolve_filename(str(hits[0]), context) if hits else None


@lru_cache(maxsize=None)
def xml_schema(schema: str) -> etree.XMLSchema:
    """lxml's validator for the official XSD of grammar set ``schema`` (from the pinned upstream package)."""
    from .. import upstream
    from .schemas import SCHEMAS, _schema_path

    root = upstream.schema_dir("iso15118", _schema_path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_SearchResolver(root))
    return etree.XMLSchema(etree.parse(str(root / SCHEMAS[schema]), parser))


__all__ = ["leaves", "lexical", "to_element", "to_xml", "xml_schema"]

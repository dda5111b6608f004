"""Hypothesis strategies for every V2G message type: supportedAppProtocol, DIN SPEC 70121, ISO 15118-2 and ISO
15118-20 (CommonMessages, AC, DC, ACDP, WPT), from the official XSDs of the pinned upstream package.

The message dicts are those of :mod:`vgitest.exi` (what the fake SECC/EVCC send and decode), drawn by the EXI
grammar walk of :mod:`vgitest.exi.strategies` in its ``xsd_valid`` mode: each draw encodes to EXI and, rendered as
XML by :mod:`vgitest.exi.xmlform`, validates against the schema's XSD. On top of that walk this module applies what
holds across a whole document, which no grammar state sees: xs:ID values are unique (a duplicate gets a numeric
suffix), and an xs:IDREF (DIN's ``Id`` attributes are declared so) names an ID of the same document (when the
document has none, an optional IDREF is left out, and a draw whose IDREF is required is rejected: a DIN
CertificateInstallationReq must carry a header Signature with an Id for its own Id to name).

Message types are the requests and responses: the body elements for DIN and ISO 15118-2 (a draw is a whole
``V2G_Message`` with a header), the global ``...Req``/``...Res`` elements otherwise, leaving out abstract ones
(``BodyElement``: an XML document cannot hold them). The other global elements of ISO 15118-20 (control modes,
``SignedInstallationData``) are drawn inside the messages that carry them.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from ..exi import encode
from ..exi import strategies as exi_strategies
from ..exi.errors import ExiError
from ..exi.schemas import load
from ..exi.xmlform import leaves, to_xml

__all__ = ["FAMILIES", "all_message_types", "message", "message_types", "messages", "render", "requests",
           "responses"]

# The grammar sets of each family, in the vocabulary of vgitest.iso15118.versions ("sap": the handshake).
FAMILIES: dict[str, tuple[str, ...]] = {
    "sap": ("app-protocol",),
    "din": ("din",),
    "iso-2": ("iso-2",),
    "iso-20": ("iso-20-common", "iso-20-ac", "iso-20-dc", "iso-20-acdp", "iso-20-wpt"),
}


@functools.lru_cache(maxsize=None)
def _message_types(schema: str) -> tuple[str, ...]:
    gs = load(schema)
    abstract = {q[1] for q in gs.abstract}
    return tuple(n for n in exi_strategies.message_types(schema) if n not in abstract and n.endswith(("Req", "Res")))


def message_types(schema: str) -> list[str]:
    """The message types of grammar set ``schema`` an XML document can hold, in schema order."""
    return list(_message_types(schema))


def all_message_types() -> list[tuple[str, str]]:
    """(schema, message type) for every grammar set of every family."""
    return [(schema, name) for schemas in FAMILIES.values() for schema in schemas for name in message_types(schema)]


def _document_rules(schema: str, msg: dict) -> dict | None:
    """Make xs:ID values unique and xs:IDREF values name one of them (or drop an IDREF when there is none)."""
    ids: list[str] = []
    refs = []
    for container, key, codec in list(leaves(msg, schema)):
        builtin = getattr(codec, "builtin", None)
        if builtin == "ID":
            value = base = container[key]  # type: ignore[index]
            n = 2
            while value in ids:
                value, n = f"{base}{n}", n + 1
            container[key] = value  # type: ignore[index]
            ids.append(value)
        elif builtin == "IDREF":
            refs.append((container, key))
    for container, key in refs:
        if ids:
            container[key] = ids[0]  # type: ignore[index]
        elif isinstance(container, dict):
            del container[key]
    if refs and not ids:  # a required IDREF with no ID to name: this draw has no valid form (filtered out)
        try:
            encode(msg, schema)
        except ExiError:
            return None
    return msg


@functools.lru_cache(maxsize=None)
def message(schema: str, name: str) -> st.SearchStrategy[dict]:
    """XSD-valid documents of message type ``name`` of grammar set ``schema`` (cached: built once per type)."""
    if name not in _message_types(schema):
        raise ValueError(f"{name!r} is not a message type of {schema} (see message_types)")
    return exi_strategies.message_strategy(schema, name, xsd_valid=True).map(
        functools.partial(_document_rules, schema)).filter(lambda m: m is not None)


def messages(schema: str) -> st.SearchStrategy[dict]:
    """Any message type of ``schema``."""
    return st.one_of([message(schema, n) for n in message_types(schema)])


def requests(schema: str) -> st.SearchStrategy[dict]:
    """Any request of ``schema`` (what an EVCC sends)."""
    return st.one_of([message(schema, n) for n in message_types(schema) if n.endswith("Req")])


def responses(schema: str) -> st.SearchStrategy[dict]:
    """Any response of ``schema`` (what an SECC sends)."""
    return st.one_of([message(schema, n) for n in message_types(schema) if n.endswith("Res")])


def render(msg: dict, schema: str) -> bytes:
    """``msg`` as an XML document (to validate it against the XSD or to show it)."""
    return to_xml(msg, schema)

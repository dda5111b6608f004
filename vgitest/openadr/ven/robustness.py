"""How the reference VEN screens what a poll hands it, and its robustness faults: defects only generated or
broken input reveals.

A correct VEN refuses a payload that is not well-formed XML or breaks oadr_20b.xsd: it does not act on it and
tells the VTN with the application-layer code for invalid data (454) in the payload that answers that kind of
request (oadrCreatedEvent for oadrDistributeEvent, ...; an oadrResponse when it cannot tell what it got).

The faults are bugs field VENs have shipped with: a fixed-size buffer for strings, schema validation left out to
save time, a parser in recovery mode that "repairs" a truncated document, a lookup table that blocks on an
enumeration value it does not know, text handling that chokes on non-ASCII characters, a cache of answers keyed by
event that is sent again for a re-sent event. The fuzz cases (suites/openadr20b_fuzz) must find each by
themselves: no hand-written case sends these inputs. The reference VEN calls the hooks below.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lxml import etree

from ...faults import strings_in
from .. import codec, messages as m, schemas
from ..codec import find

__all__ = ["CRASH_RESTART_S", "FAULTS", "INVALID_DATA", "LONG_STRING", "STALL_S", "Screened", "crashes_on",
           "error_answer", "refuses_valid", "screen"]

INVALID_DATA = 454  # 2.0b application-layer response code: invalid data
LONG_STRING = 100  # characters: a longer text "overflows" (crash_on_long_string)
CRASH_RESTART_S = 3.0  # how long a crashed VEN is gone before it starts again
STALL_S = 8.0  # how long the poll loop stops on a value its type refuses (hang_on_bad_value)
# libxml2 error types of a value its simple type refuses (not of a missing or unexpected element)
_VALUE_ERRORS = ("ENUMERATION", "DATATYPE", "INCLUSIVE", "EXCLUSIVE", "PATTERN", "LENGTH", "DIGITS")

FAULTS = {  # name -> description (catalogued in catalog.py)
    "accept_invalid_payload": "payloads from the VTN are not checked against the schema: a schema-invalid one is "
                              "acted on and answered with 200",
    "recover_malformed_xml": "payloads that are not well-formed XML are parsed in recovery mode (what lxml's "
                             "recover=True does): a cut or garbled document is repaired as far as it goes and acted "
                             "on",
    "hang_on_bad_value": f"a value its type refuses (an unknown enumeration value, a number out of bounds, text where "
                         f"a number goes) stops the VEN's poll loop for {STALL_S:g} s before the payload is refused",
    "crash_on_long_string": f"a text over {LONG_STRING} characters in a payload crashes the VEN: it sends nothing, "
                            f"and starts again {CRASH_RESTART_S:g} s later (querying its registration)",
    "error_on_non_ascii": "a valid event whose text holds a non-ASCII character is answered with response code 454 "
                          "(invalid data)",
    "reuse_cached_event_response": "the VEN keeps its answer per event and modification and sends it again when the "
                                   "same event comes again, with the requestID of the first distribute",
}


@dataclasses.dataclass
class Screened:
    """What the VEN makes of a poll answer: the payload to act on (``name``/``body``), or a refusal."""

    name: str | None
    body: Any
    refused: str | None = None  # why it is refused ("malformed", "invalid"); None: act on it
    stall_s: float = 0.0  # hang_on_bad_value: how long the poll loop stops first


def screen(ven: Any, data: bytes, decoded: codec.Decoded, schema_path: str | None = None) -> Screened:
    """Check a payload the VTN handed over; the reference VEN acts on it only when ``refused`` is None."""
    if decoded.doc is None:
        if data and ven.has("recover_malformed_xml"):
            repaired = _recover(data)
            if repaired is not None:
                return Screened(repaired.name, repaired.body)
        return Screened(None, None, "malformed" if data else None)
    if ven.has("accept_invalid_payload"):
        return Screened(decoded.name, decoded.body)
    schema = schemas.load_schema(schema_path)  # this thread's compiled oadr_20b.xsd (cached)
    if schema.validate(decoded.doc):
        return Screened(decoded.name, decoded.body)
    bad_value = any(k in (e.type_name or "") for e in schema.error_log for k in _VALUE_ERRORS)
    stall = STALL_S if bad_value and ven.has("hang_on_bad_value") else 0.0
    return Screened(decoded.name, decoded.body, "invalid", stall)


def _recover(data: bytes) -> codec.Decoded | None:
    """What a parser in recovery mode makes of a broken document (None: nothing usable)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    decoded = codec.decode(etree.tostring(root))
    return decoded if decoded.name else None


def error_answer(name: str | None, body: Any, ven_id: str, registration_id: str | None) -> tuple[str, dict]:
    """The payload that refuses `name` with 454: the answer that kind of payload gets, or an oadrResponse."""
    rid = _request_id(body)
    why = "invalid data"
    if name == "oadrDistributeEvent":
        return "oadrCreatedEvent", m.created_event(ven_id, [], rid, code=INVALID_DATA)
    if name == "oadrCreateReport":
        return "oadrCreatedReport", m.created_report(rid, [], ven_id, code=INVALID_DATA)
    if name == "oadrCancelReport":
        return "oadrCanceledReport", m.canceled_report(rid, [], ven_id, code=INVALID_DATA)
    if name == "oadrRegisterReport":
        return "oadrRegisteredReport", m.registered_report(rid, ven_id, [], code=INVALID_DATA)
    if name == "oadrCancelPartyRegistration":
        return "oadrCanceledPartyRegistration", m.canceled_party_registration(rid, registration_id, ven_id,
                                                                              INVALID_DATA)
    return "oadrResponse", m.response(rid, INVALID_DATA, why, ven_id)


def _request_id(body: Any) -> str:
    for path in ("requestID", "eiResponse/requestID"):
        v = find(body, path) if isinstance(body, dict) else None
        if isinstance(v, str):
            return v
    return ""




def crashes_on(ven: Any, body: Any) -> bool:
    """crash_on_long_string: the payload holds a text the VEN's buffers do not take."""
    return ven.has("crash_on_long_string") and any(len(s) > LONG_STRING for s in strings_in(body))


def refuses_valid(ven: Any, body: Any) -> bool:
    """error_on_non_ascii: a valid event is refused for a non-ASCII character in its text."""
    return ven.has("error_on_non_ascii") and any(not s.isascii() for s in strings_in(body))

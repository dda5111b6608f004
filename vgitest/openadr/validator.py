"""Schema check of OpenADR 2.0b payloads: a boolean fast path and vendor-readable findings.

The fake VTN validates every payload a VEN sends, so :meth:`OadrValidator.is_valid` is the cheap check
done per frame and :meth:`OadrValidator.validate` explains a failure (one ``OADR-SCHEMA`` finding per
schema complaint). Lenient mode reports the same findings as warnings, for labs that want to see how a
VEN behaves past a schema defect instead of failing it there.

Threads: a validator may be shared, because the compiled lxml schema it uses is looked up per thread
(:func:`vgitest.openadr.schemas.load_schema`); the asyncio loop thread gets its own, as does any worker.
"""

from __future__ import annotations

import os
import threading

from lxml import etree

from .. import findings
from . import rules, schemas
from .namespaces import OADR
from ..xmlschema_errors import MAX_FINDINGS, more_complaints
from .schema_errors import describe

__all__ = ["OadrValidator", "payload_name"]

_PAYLOAD = f"{{{OADR}}}oadrPayload"
_SIGNED = f"{{{OADR}}}oadrSignedObject"


def _root(doc: etree._Element | etree._ElementTree) -> etree._Element:
    return doc.getroot() if isinstance(doc, etree._ElementTree) else doc


def payload_name(doc: etree._Element | etree._ElementTree) -> str | None:
    """Local name of the message inside ``oadrPayload/oadrSignedObject`` (``oadrPoll``, ...).

    None when the document is not an oadrPayload or carries no message, so callers can route on it
    before (and independently of) schema validation.
    """
    root = _root(doc)
    if root.tag != _PAYLOAD:
        return None
    signed = root.find(_SIGNED)
    if signed is None:
        return None
    for child in signed:
        if isinstance(child.tag, str):
            return etree.QName(child).localname
    return None


class OadrValidator:
    """Validates parsed documents against ``oadr_20b.xsd`` (from the pinned wheel or ``schema_path``)."""

    def __init__(self, *, lenient: bool = False, schema_path: str | os.PathLike[str] | None = None) -> None:
        self.lenient = lenient
        self.severity = findings.Severity.WARN if lenient else findings.Severity.FAIL
        # located and compiled now, so a missing schema fails here (saying how to fix it), not mid-run
        self.schema_dir = schemas.schema_dir(schema_path).resolve()
        self._local = threading.local()  # this thread's compiled schema (see module docstring)
        self._schema()

    def _schema(self) -> etree.XMLSchema:
        try:
            return self._local.schema
        except AttributeError:
            self._local.schema = schemas.compiled(self.schema_dir)
            return self._local.schema

    def is_valid(self, doc: etree._Element | etree._ElementTree) -> bool:
        """True when the document validates; no messages are built."""
        return self._schema().validate(doc)

    def validate(self, doc: etree._Element | etree._ElementTree,
                 frame_index: int | None = None) -> list[findings.Finding]:
        """One ``OADR-SCHEMA`` finding per schema complaint (empty list: valid)."""
        schema = self._schema()
        if schema.validate(doc):
            return []
        root = _root(doc).getroottree().getroot()
        out = []
        entries = list(schema.error_log)
        for entry in entries[:MAX_FINDINGS]:
            err = describe(entry, root)
            out.append(findings.Finding.of(
                rules.SCHEMA, f"{err.path}: {err.plain}", frame_index, severity=self.severity,
                line=err.line, path=err.path, xsd_message=err.xsd_message))
        if len(entries) > MAX_FINDINGS:
            out.append(findings.Finding.of(rules.SCHEMA, more_complaints(len(entries)), frame_index,
                                           severity=self.severity))
        return out

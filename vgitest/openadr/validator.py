"""Schema check of OpenADR 2.0b payloads: a boolean fast path and vendor-readable findings.

The fake VTN validates every payload a VEN sends, so :meth:`OadrValidator.is_valid` is the cheap check
done per frame and :meth:`OadrValidator.validate` explains a failure (one ``OADR-SCHEMA`` finding per
schema complaint). Lenient mode reports the same findings as warnings, for labs that want to see how a
VEN behaves past a schema defect instead of failing it there.

Threads: a validator may be shared, because the compiled lxml schema it uses is looked up per thread
(:func:`vgitest.openadr.schemas.load_schema`; see :mod:`vgitest.xmlhttp.validator`).
"""

from __future__ import annotations

import os
from typing import Any

from lxml import etree

from .. import findings
from ..xmlhttp.validator import SchemaValidator, root_of as _root
from . import rules, schemas
from .namespaces import OADR
from .schema_errors import describe

__all__ = ["OadrValidator", "payload_name"]

_PAYLOAD = f"{{{OADR}}}oadrPayload"
_SIGNED = f"{{{OADR}}}oadrSignedObject"


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


class OadrValidator(SchemaValidator):
    """Validates parsed documents against ``oadr_20b.xsd`` (from the pinned wheel or ``schema_path``)."""

    rule_id = rules.SCHEMA

    def __init__(self, *, lenient: bool = False, schema_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(lenient=lenient)
        # located and compiled now, so a missing schema fails here (saying how to fix it), not mid-run
        self.schema_dir = schemas.schema_dir(schema_path).resolve()
        self._schema()

    def _compiled(self) -> etree.XMLSchema:
        return schemas.compiled(self.schema_dir)

    def _describe(self, entry: etree._LogEntry, root: etree._Element) -> Any:
        return describe(entry, root)

    def validate(self, doc: etree._Element | etree._ElementTree,
                 frame_index: int | None = None) -> list[findings.Finding]:
        """One ``OADR-SCHEMA`` finding per schema complaint (empty list: valid)."""
        return self._findings(doc, frame_index)

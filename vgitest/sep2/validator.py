"""Schema check of IEEE 2030.5 payloads: a boolean fast path and vendor-readable SEP2-SCHEMA findings.

The fake server validates every body a client PUTs or POSTs, so :meth:`Sep2Validator.is_valid` is the
cheap per-request check and :meth:`Sep2Validator.validate` explains a failure (one ``SEP2-SCHEMA``
finding per schema complaint, with the element's path written with 2030.5 names). Lenient mode reports
the same findings as warnings, for labs that want to see how a client behaves past a schema defect.

Threads: a validator may be shared, because the compiled lxml schema it uses is looked up per thread
(:func:`vgitest.sep2.schemas.compiled`).
"""

from __future__ import annotations

import os
from typing import Any

from lxml import etree

from .. import findings
from ..xmlhttp.validator import SchemaValidator
from ..xmlschema_errors import describe
from . import rules, schemas
from .namespaces import short_name

__all__ = ["Sep2Validator"]


def _list_count_missing(entry: etree._LogEntry, root: etree._Element) -> bool:
    """The complaint that a written list's root lacks ``all`` or ``results`` (see `Sep2Validator.validate`)."""
    return (etree.QName(root).localname.endswith("List") and entry.line == root.sourceline
            and any(f"attribute '{a}' is required but missing" in entry.message for a in ("all", "results")))


class Sep2Validator(SchemaValidator):
    """Validates parsed documents against IEEE 2030.5 ``version`` (``"2018"``, the CSIP baseline, or
    ``"2023"``), with the CSIP-AUS extensions when ``csip_aus`` (2018 only): True for v1.2, or a CSIP-AUS version
    of :data:`vgitest.sep2.schemas.CSIP_AUS_ENTRIES` (``"v1.3-beta/storage"``).

    The schema is located and compiled in the constructor, so a missing or broken schema fails there
    (an :class:`~vgitest.upstream.UpstreamError` saying how to fix it), not in the middle of a run.
    """

    rule_id = rules.SCHEMA

    def __init__(self, version: str = "2018", csip_aus: schemas.CsipAus = False, lenient: bool = False,
                 schema_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(lenient=lenient)
        self.version = version
        self.csip_aus = csip_aus
        self.entry = schemas.entry_file(schemas.schema_dir(schema_path).resolve(), version, csip_aus)
        aus = schemas.aus_version(csip_aus)
        label = f"IEEE 2030.5-{version}" + (f" with CSIP-AUS{'' if aus == 'v1.2' else ' ' + aus}" if aus else "")
        self.schema_label = f"the {label} schema"
        self._schema()

    def _compiled(self) -> etree.XMLSchema:
        return schemas.compiled(self.entry)

    def _describe(self, entry: etree._LogEntry, root: etree._Element) -> Any:
        return describe(entry, root, namer=short_name, schema_label=self.schema_label)

    def validate(self, doc: etree._Element | etree._ElementTree,
                 frame_index: int | None = None, *, written: bool = False) -> list[findings.Finding]:
        """One ``SEP2-SCHEMA`` finding per schema complaint (empty list: valid).

        Each finding's message is ``<path>: <plain words>``; ``details`` hold ``path``, ``line`` and the
        raw libxml2 text as ``xsd_message``. `written`: the body is one a client writes (PUT/POST), where a
        List's ``all`` and ``results`` are not judged: the schema marks them required, but the 2030.5 List type
        says ``all`` is required on a response to a GET and ignored otherwise, and ``results`` counts the items
        of a page of results, which a written list is not.
        """
        return self._findings(doc, frame_index, _list_count_missing if written else None)

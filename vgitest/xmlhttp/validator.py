"""Schema check of an XML payload: a boolean fast path and one finding per schema complaint, readable by a
vendor. Lenient mode reports the same findings as warnings, for labs that want to see how a device behaves
past a schema defect instead of failing it there.

Threads: a validator may be shared, because the compiled lxml schema keeps the errors of its last validation
on itself: each thread (the server's loop, any worker) compiles its own (:func:`.schema.per_thread`)."""

from __future__ import annotations

import abc
import threading
from typing import Any

from lxml import etree

from .. import findings
from ..xmlschema_errors import MAX_FINDINGS, more_complaints


def root_of(doc: etree._Element | etree._ElementTree) -> etree._Element:
    return doc.getroot() if isinstance(doc, etree._ElementTree) else doc


class SchemaValidator(abc.ABC):
    """Subclasses set `rule_id`, locate their schema in the constructor and then call `_schema()` (so a missing
    schema fails there, saying how to fix it, not mid-run); they implement `_compiled` and `_describe`."""

    rule_id = ""

    def __init__(self, *, lenient: bool = False) -> None:
        self.lenient = lenient
        self.severity = findings.Severity.WARN if lenient else findings.Severity.FAIL
        self._local = threading.local()  # this thread's compiled schema (see the module docstring)

    @abc.abstractmethod
    def _compiled(self) -> etree.XMLSchema:
        """The compiled schema for the calling thread."""

    @abc.abstractmethod
    def _describe(self, entry: Any, root: etree._Element) -> Any:
        """A complaint in plain words (an ``xmlschema_errors.Described``)."""

    def _schema(self) -> etree.XMLSchema:
        try:
            return self._local.schema
        except AttributeError:
            self._local.schema = self._compiled()
            return self._local.schema

    def is_valid(self, doc: etree._Element | etree._ElementTree) -> bool:
        """True when the document validates; no messages are built."""
        return self._schema().validate(doc)

    def _findings(self, doc: etree._Element | etree._ElementTree, frame_index: int | None,
                  ignore: Any = None) -> list[findings.Finding]:
        """One `rule_id` finding per schema complaint (empty list: valid); `ignore(entry, root)` drops a
        complaint the protocol does not judge."""
        schema = self._schema()
        if schema.validate(doc):
            return []
        root = root_of(doc).getroottree().getroot()
        entries = [e for e in schema.error_log if ignore is None or not ignore(e, root)]
        out = []
        for entry in entries[:MAX_FINDINGS]:
            err = self._describe(entry, root)
            out.append(findings.Finding.of(
                self.rule_id, f"{err.path}: {err.plain}", frame_index, severity=self.severity,
                line=err.line, path=err.path, xsd_message=err.xsd_message))
        if len(entries) > MAX_FINDINGS:
            out.append(findings.Finding.of(self.rule_id, more_complaints(len(entries)), frame_index,
                                           severity=self.severity))
        return out

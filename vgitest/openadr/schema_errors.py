"""libxml2 schema errors as OpenADR findings read them: the shared :mod:`vgitest.xmlschema_errors` with
OpenADR's element names (``/oadrPayload/oadrSignedObject/oadrPoll/ei:venID``, whatever prefixes the VEN
chose)."""

from __future__ import annotations

from lxml import etree

from ..xmlschema_errors import SchemaError, element_at
from ..xmlschema_errors import describe as _describe, render_path as _render_path
from .namespaces import short_name

__all__ = ["SchemaError", "describe", "element_at", "render_path"]

SCHEMA_LABEL = "the OpenADR 2.0b schema"


def render_path(el: etree._Element) -> str:
    """``/oadrPayload/.../ei:interval[2]``: short names, with a 1-based index where siblings share a name."""
    return _render_path(el, short_name)


def describe(entry: etree._LogEntry, root: etree._Element) -> SchemaError:
    """Path and plain words for one libxml2 log entry of a validation of the tree under ``root``."""
    return _describe(entry, root, namer=short_name, schema_label=SCHEMA_LABEL)

"""Turn libxml2's schema-validation errors into a path and a sentence a vendor can act on (any XML protocol).

libxml2 reports names in Clark notation and paths in its own XPath dialect (``/*/*/*[2]`` for elements
in a default namespace, ``/ei:venID`` with whatever prefix the document used). A finding instead names
the element the way the protocol's specification writes it, so the same defect reads the same whichever
prefixes the device under test chose; the raw message is kept alongside.

Each protocol passes its own :data:`Namer` (``{uri}local`` parts -> display name) and a label for its
schema; :mod:`vgitest.openadr.schema_errors` and :mod:`vgitest.sep2.validator` are the users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from lxml import etree

__all__ = ["MAX_FINDINGS", "Namer", "SchemaError", "describe", "element_at", "more_complaints", "render_path"]

MAX_FINDINGS = 50  # schema findings listed per message; a flood (thousands of bad attributes) is summarised

Namer = Callable[[str | None, str], str]
"""(namespace URI or None, local name) -> the name a finding shows."""

_CLARK = re.compile(r"\{([^}'\s]+)\}([A-Za-z_][\w.\-]*|\*)")
_SUBJECT = re.compile(r"^Element '(?P<el>[^']*)'(?:, attribute '(?P<attr>[^']*)')?: ")
_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?$")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<names>.*?) \)\.")


@dataclass(frozen=True)
class SchemaError:
    """One schema complaint: where (rendered path, source line) and what, plainly and as libxml2 said it."""

    path: str
    line: int
    plain: str
    xsd_message: str


def _clark_to_short(text: str, namer: Namer) -> str:
    return _CLARK.sub(lambda m: namer(m.group(1), m.group(2)), text)


def _short_tag(tag: str, namer: Namer) -> str:
    q = etree.QName(tag)
    return namer(q.namespace, q.localname)


def _element_children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def element_at(root: etree._Element, libxml2_path: str | None) -> etree._Element | None:
    """The element a libxml2 error path points at (None when the path does not fit the tree).

    libxml2 writes ``*[k]`` (k-th element child) for elements in a default namespace and ``p:name[k]``
    (k-th child with that prefix and name) otherwise; ``[k]`` is left out when the step is unambiguous.
    Attribute and text steps stop the walk at their element.
    """
    if not libxml2_path or not libxml2_path.startswith("/"):
        return None
    node: etree._Element | None = None
    for step in libxml2_path[1:].split("/"):
        if step.startswith("@") or step.endswith("()"):
            break
        m = _STEP.match(step)
        if m is None:
            return None
        name, index = m.group("name"), int(m.group("index") or 1)
        candidates = [root] if node is None else _element_children(node)
        if name != "*":
            prefix, _, local = name.rpartition(":")
            candidates = [c for c in candidates
                          if etree.QName(c).localname == local and (c.prefix or "") == prefix]
        if not 1 <= index <= len(candidates):
            return None
        node = candidates[index - 1]
    return node


def render_path(el: etree._Element, namer: Namer) -> str:
    """``/a/b/c[2]``: display names, with a 1-based index where siblings share a name."""
    steps = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        step = _short_tag(node.tag, namer)
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def _expected(message: str, namer: Namer) -> str:
    m = _EXPECTED.search(message)
    if m is None:
        return ""
    names = [_clark_to_short(n.strip(), namer) for n in m.group("names").split(",")]
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)


def _plain(message: str, subject: str, attribute: str | None, namer: Namer, schema_label: str) -> str:
    """The complaint in plain words; unknown message shapes keep libxml2's text with short names."""
    body = _SUBJECT.sub("", message, count=1).strip()
    expected = _expected(body, namer)
    if "Missing child element(s)" in body:
        return f"{expected or 'a required child element'} is missing here"
    if "This element is not expected" in body:
        where = f"; expected {expected}" if expected else " (nothing more is allowed at this point)"
        return f"{subject} is not allowed here{where}"
    if "No matching global declaration available for the validation root" in body:
        return f"{subject} is not an element {schema_label} accepts as a document root"
    if m := re.search(r"The value '(.*)' is not an element of the set \{(.*)\}\.", body, re.S):
        allowed = ", ".join(v.strip().strip("'") for v in m.group(2).split(","))
        return f"'{m.group(1)}' is not an allowed value (allowed: {allowed})"
    if m := re.search(r"^'(.*)' is not a valid value of the (?:atomic|list|union) type '([^']*)'\.", body, re.S):
        return f"'{m.group(1)}' is not a valid {_clark_to_short(m.group(2), namer)}"
    if "Character content other than whitespace is not allowed" in body:
        return "text is not allowed here, only child elements"
    body = re.sub(r"^\[facet '[^']*'\] ", "", body)
    text = _clark_to_short(body, namer)
    if text.startswith("The attribute "):
        return "t" + text[1:]
    return f"attribute {_clark_to_short(attribute, namer)}: {text}" if attribute else text


def describe(entry: etree._LogEntry, root: etree._Element, *, namer: Namer, schema_label: str) -> SchemaError:
    """Path and plain words for one libxml2 log entry of a validation of the tree under ``root``.

    ``schema_label`` completes "... is not an element <label> accepts as a document root"
    (e.g. ``"the OpenADR 2.0b schema"``).
    """
    message = entry.message.strip()
    m = _SUBJECT.match(message)
    subject = _clark_to_short(m.group("el"), namer) if m else ""
    attribute = m.group("attr") if m else None
    el = element_at(root, entry.path)
    if el is not None and m is not None and etree.QName(el).text != m.group("el"):
        el = None  # the walk disagrees with the message: do not point at the wrong element
    path = render_path(el, namer) if el is not None else (entry.path or "/")
    if attribute:
        path += f"/@{_clark_to_short(attribute, namer)}"
    return SchemaError(path, entry.line, _plain(message, subject, attribute, namer, schema_label), message)


def more_complaints(total: int) -> str:
    """The message of the one finding that stands for the complaints past MAX_FINDINGS (of `total`)."""
    return (f"... and {total - MAX_FINDINGS} more schema complaints on this message, not listed one by one "
            f"({total} in all)")

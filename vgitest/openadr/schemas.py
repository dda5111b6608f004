"""The OpenADR 2.0b XSDs: where they come from and how they are compiled without touching the network.

vgitest never ships the Alliance schemas (see :mod:`vgitest.upstream`): they come from the user's folder
(``path`` argument or ``$VGITEST_OPENADR_SCHEMAS``) or from the pinned, hash-checked ``openleadr`` wheel.

The copies in that wheel import each other by relative file name only, but other distributions of the same
XSDs (and hand-edited copies) point ``xs:import`` at W3C URLs for ``xml.xsd`` and the XML-signature
schemas. A validator in a test lab must load the same way offline as online, so a resolver maps those
well-known URLs to the file of the same role in the schema folder, and refuses every other remote location
instead of fetching it.

A compiled lxml ``XMLSchema`` keeps the errors of its last validation on the object itself, so two threads
validating with one schema read each other's errors (a shared schema gave a one-defect payload 0 or 2
findings under load). :func:`load_schema` therefore keeps one compiled schema per folder *per thread*;
compiling takes a few milliseconds.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from .. import upstream
from ..xmlhttp.schema import LocalResolver, compile_schema, is_remote, per_thread

if TYPE_CHECKING:  # imported where used: the VTN never needs it, the strategies and benchmarks do
    import xmlschema

__all__ = ["ENTRY", "REMOTE_LOCATIONS", "UPSTREAM", "compiled", "load_schema", "local_copy", "schema_dir",
           "xmlschema_schema"]

UPSTREAM = "openleadr"  # key in upstream.UPSTREAMS
ENTRY = "oadr_20b.xsd"  # the schema every 2.0b payload validates against

# Remote schemaLocations seen in distributions of these XSDs -> local file names that play the same role
# (the openleadr wheel prefixes them with "oadr_"; other copies keep the W3C names).
_XML = ("oadr_xml.xsd", "xml.xsd")
_DSIG = ("oadr_xmldsig.xsd", "xmldsig-core-schema.xsd")
_DSIG11 = ("oadr_xmldsig11.xsd", "xmldsig11-schema.xsd")
_DSIG_PROPS = ("oadr_xmldsig-properties-schema.xsd", "xmldsig-properties-schema.xsd")
REMOTE_LOCATIONS: dict[str, tuple[str, ...]] = {
    "http://www.w3.org/2001/xml.xsd": _XML,
    "http://www.w3.org/2001/03/xml.xsd": _XML,
    "http://www.w3.org/2009/01/xml.xsd": _XML,
    "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd": _DSIG,
    "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd": _DSIG,
    "http://www.w3.org/TR/2008/REC-xmldsig-core-20080610/xmldsig-core-schema.xsd": _DSIG,
    "http://www.w3.org/TR/xmldsig-core1/xmldsig11-schema.xsd": _DSIG11,
    "http://www.w3.org/TR/2013/REC-xmldsig-core1-20130411/xmldsig11-schema.xsd": _DSIG11,
    "http://www.w3.org/TR/xmldsig-properties/xmldsig-properties-schema.xsd": _DSIG_PROPS,
}


def _how_to_fix() -> str:
    env = upstream.UPSTREAMS[UPSTREAM].env_var
    return f"Set {env}=/path/to/folder holding {ENTRY} and the XSDs it imports (e.g. openleadr/schema/ of the wheel)."


def schema_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding ``oadr_20b.xsd``: ``path``, else ``$VGITEST_OPENADR_SCHEMAS``, else the pinned wheel.

    Raises :class:`~vgitest.upstream.UpstreamError` (saying which variable to set) when it cannot be had.
    """
    folder = upstream.schema_dir(UPSTREAM, path)
    if not (folder / ENTRY).is_file():
        raise upstream.UpstreamError(f"{folder} has no {ENTRY}. {_how_to_fix()}")
    return folder


def local_copy(folder: Path, url: str) -> Path | None:
    """The file in ``folder`` standing in for the remote schema ``url``, or None if there is none.

    Known W3C locations map to their usual local names; any other URL falls back to a file with the
    same base name (with or without openleadr's ``oadr_`` prefix), as a user folder would hold it.
    """
    key = url.replace("https://", "http://", 1)
    base = Path(urlsplit(url).path).name
    candidates = (*REMOTE_LOCATIONS.get(key, ()), base, f"oadr_{base}") if base else REMOTE_LOCATIONS.get(key, ())
    for name in candidates:
        p = folder / name
        if p.is_file():
            return p
    return None


class _LocalResolver(LocalResolver):
    """Serves remote schemaLocations from the schema folder (see `local_copy`)."""

    def remote_copy(self, url: str) -> Path | None:
        return local_copy(self.folder, url)


def _compile(folder: Path) -> etree.XMLSchema:
    return compile_schema(folder / ENTRY, _LocalResolver(folder), _how_to_fix())


def load_schema(path: str | os.PathLike[str] | None = None) -> etree.XMLSchema:
    """The compiled 2.0b schema (lxml), cached per resolved folder and per thread.

    The returned object belongs to the calling thread (its ``error_log`` is per object, not per call):
    do not hand it to another thread; call this function there instead.
    """
    return compiled(schema_dir(path).resolve())


def compiled(folder: Path) -> etree.XMLSchema:
    """:func:`load_schema` for a folder already located by :func:`schema_dir` (hot path: no file access)."""
    return per_thread(folder, _compile)


def xmlschema_schema(path: str | os.PathLike[str] | None = None) -> "xmlschema.XMLSchema":
    """The same schema compiled by the pure-Python ``xmlschema`` package (benchmarks, detailed messages).

    ``xmlschema`` is imported only here (the fake VTN does not need it; the hypothesis strategies do). It may
    read local files only (remote imports are mapped like :func:`load_schema` does, or blocked) and never
    expands entities; one compiled schema per folder is shared (validation does not mutate it).
    """
    return _xmlschema_for(schema_dir(path).resolve())


@functools.lru_cache(maxsize=8)
def _xmlschema_for(folder: Path) -> "xmlschema.XMLSchema":
    try:
        import xmlschema
    except ImportError as e:
        raise ImportError("xmlschema_schema() needs the `xmlschema` package (a vgitest dependency): "
                          "pip install 'xmlschema>=4.3,<5'") from e

    def mapper(url: str) -> str:
        local = local_copy(folder, url) if is_remote(url) else None
        return local.as_uri() if local is not None else url

    try:
        return xmlschema.XMLSchema(str(folder / ENTRY), allow="local", defuse="always", uri_mapper=mapper)
    except xmlschema.XMLSchemaException as e:
        raise upstream.UpstreamError(f"xmlschema cannot compile {folder / ENTRY}: {e}. {_how_to_fix()}") from e

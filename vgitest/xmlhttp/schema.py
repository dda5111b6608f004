"""Compiling an upstream XSD offline: a remote ``schemaLocation`` is served from a file in the schema folder
or refused (never fetched), and compilation fails, saying how to fix it, rather than quietly lacking types.

A compiled lxml ``XMLSchema`` keeps the errors of its last validation on the object itself, so two threads
validating with one schema read each other's errors (a shared schema gave a one-defect payload 0 or 2
findings under load): :func:`per_thread` keeps one compiled schema per key *per thread*; compiling takes a
few milliseconds."""

from __future__ import annotations

import abc
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from lxml import etree

from .. import upstream


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https", "ftp")


class LocalResolver(etree.Resolver, metaclass=abc.ABCMeta):
    """Serves remote schema locations from the folder (`remote_copy`); refuses and records the ones it cannot.
    A local location is read by libxml2 itself unless `local_copy` names a stand-in for it."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.refused: list[str] = []

    @abc.abstractmethod
    def remote_copy(self, url: str) -> Path | None:
        """The file in the folder standing in for the remote `url` (None: refused)."""

    def local_copy(self, url: str) -> Path | None:
        """A stand-in for a local location (None: libxml2 reads it, or reports it missing, itself)."""
        return None

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if url is None:
            return None
        if is_remote(url):
            local = self.remote_copy(url)
            if local is None:
                self.refused.append(url)
                raise upstream.UpstreamError(f"remote schema {url} refused")  # lxml turns it into a parse error
        else:
            local = self.local_copy(url)
            if local is None:
                return None
        return self.resolve_filename(str(local), context)

    def refusals(self) -> str:
        """What was refused and where to put it ('' when nothing was)."""
        if not self.refused:
            return ""
        names = ", ".join(sorted({Path(urlsplit(u).path).name for u in self.refused}))
        return (f" It imports remote schemas vgitest never fetches ({', '.join(sorted(set(self.refused)))}): "
                f"put them in {self.folder} as {names}.")


def compile_schema(entry: Path, resolver: LocalResolver, how_to_fix: str) -> etree.XMLSchema:
    """The schema rooted at `entry`, its imports resolved by `resolver`; UpstreamError (ending with
    `how_to_fix`) when it does not compile or an import was refused."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(resolver)
    try:
        schema = etree.XMLSchema(etree.parse(str(entry), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as e:
        raise upstream.UpstreamError(f"cannot compile {entry}: {e}.{resolver.refusals()} {how_to_fix}") from e
    if resolver.refused:  # libxml2 skips an unloadable import: the schema would silently lack its types
        raise upstream.UpstreamError(f"{entry} is incomplete.{resolver.refusals()} {how_to_fix}")
    return schema


_per_thread = threading.local()


def per_thread(key: Path, make: Callable[[Path], etree.XMLSchema]) -> etree.XMLSchema:
    """The calling thread's compiled schema for `key` (made by `make(key)` on first use in this thread)."""
    cache: dict[Path, etree.XMLSchema] = _per_thread.__dict__.setdefault("schemas", {})
    schema = cache.get(key)
    if schema is None:
        schema = cache[key] = make(key)
    return schema

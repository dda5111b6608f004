"""Grammar sets by name, built from the upstream XSDs and cached on disk.

The cache file name carries a hash of the XSD bytes and of the codec's own grammar-building modules, so
a change to either rebuilds it; the first build of a set takes about a second, a cached load a few
milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from pathlib import Path

from .. import upstream
from .errors import ExiError
from .grammar import GrammarSet
from .xsd import SchemaSet

CODEC_VERSION = "1"

SCHEMAS: dict[str, str] = {
    "app-protocol": "V2G_CI_AppProtocol.xsd",
    "din": "din_spec/V2G_CI_MsgDef.xsd",
    "iso-2": "iso15118_2/V2G_CI_MsgDef.xsd",
    "iso-20-common": "iso15118_20/V2G_CI_CommonMessages.xsd",
    "iso-20-ac": "iso15118_20/V2G_CI_AC.xsd",
    "iso-20-dc": "iso15118_20/V2G_CI_DC.xsd",
    "iso-20-acdp": "iso15118_20/V2G_CI_ACDP.xsd",
    "iso-20-wpt": "iso15118_20/V2G_CI_WPT.xsd",
    "xmldsig": "xmldsig-core-schema.xsd",  # standalone grammar used for SignedInfo fragments
}

_loaded: dict[tuple[str, str], GrammarSet] = {}
_lock = threading.Lock()
_schema_path: str | None = None


def set_schema_path(path: str | os.PathLike[str] | None) -> None:
    """Use the XSDs in ``path`` instead of the pinned upstream wheel (None: back to the default)."""
    global _schema_path
    _schema_path = os.fspath(path) if path is not None else None


def _code_hash() -> str:
    h = hashlib.sha256(CODEC_VERSION.encode())
    here = Path(__file__).parent
    for name in ("xsd.py", "grammar.py", "datatypes.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def load(name: str) -> GrammarSet:
    """The compiled grammar set ``name`` (one of :data:`SCHEMAS`)."""
    if name not in SCHEMAS:
        raise ExiError(f"unknown schema {name!r}; choose one of {sorted(SCHEMAS)}")
    key = (name, _schema_path or "")
    gs = _loaded.get(key)
    if gs is not None:
        return gs
    with _lock:
        gs = _loaded.get(key)
        if gs is None:
            gs = _loaded[key] = _load(name)
    return gs


def _load(name: str) -> GrammarSet:
    root = upstream.schema_dir("iso15118", _schema_path)
    entry = root / SCHEMAS[name]
    if not entry.is_file():
        raise upstream.UpstreamError(f"{entry} is missing from the schema folder {root}")
    # key: every XSD under the root (cheap to hash; parsing them just to list imports is not)
    h = hashlib.sha256(SCHEMAS[name].encode())
    for f in sorted(root.rglob("*.xsd")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    digest = h.hexdigest()[:16]
    cache = upstream.cache_root() / "exi-grammars" / f"{name}-{digest}-{_code_hash()}.pickle"
    if cache.is_file():
        try:
            with cache.open("rb") as fh:
                gs = pickle.load(fh)
            if isinstance(gs, GrammarSet):
                return gs
        except Exception:  # corrupt or stale cache: rebuild below
            pass
    gs = GrammarSet(name, SchemaSet([entry], search_dir=root))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(gs, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    except OSError:
        pass  # read-only home: work without the cache
    return gs

"""Locating and compiling oadr_20b.xsd: offline after the first download, user folders, remote imports."""

from __future__ import annotations

import re
import shutil
import sys
import threading
from pathlib import Path

import pytest
from lxml import etree

from vgitest import upstream
from vgitest.openadr import schemas

POLL = (b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07" '
        b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><oadrSignedObject>'
        b'<oadrPoll ei:schemaVersion="2.0b"><ei:venID>ven-1</ei:venID></oadrPoll></oadrSignedObject></oadrPayload>')


def _point_import(folder: Path, xsd: str, old: str, new: str) -> None:
    p = folder / xsd
    text = p.read_text(encoding="utf-8")
    assert f'schemaLocation="{old}"' in text
    p.write_text(text.replace(f'schemaLocation="{old}"', f'schemaLocation="{new}"'), encoding="utf-8")


def test_loads_offline_from_a_populated_cache(oadr_schema_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(oadr_schema_dir, cache / "upstream" / "openleadr-0.5.36")
    monkeypatch.setenv("VGITEST_CACHE", str(cache))
    monkeypatch.delenv("VGITEST_OPENADR_SCHEMAS", raising=False)

    def no_pip(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("pip must not run when the cache is populated")

    monkeypatch.setattr(upstream.subprocess, "run", no_pip)
    assert schemas.schema_dir() == cache / "upstream" / "openleadr-0.5.36"
    assert schemas.load_schema().validate(etree.fromstring(POLL))


def test_stale_cache_without_hash_marker_is_not_trusted(oadr_schema_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "cache" / "upstream" / "openleadr-0.5.36"
    shutil.copytree(oadr_schema_dir, dest)
    (dest / ".sha256").write_text("0" * 64 + "\n")
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VGITEST_OPENADR_SCHEMAS", raising=False)
    calls = []

    class Failed:
        returncode = 1
        stderr = "offline"

    monkeypatch.setattr(upstream.subprocess, "run", lambda *a, **k: calls.append(a) or Failed())
    with pytest.raises(upstream.UpstreamError, match="VGITEST_OPENADR_SCHEMAS"):
        schemas.schema_dir()
    assert len(calls) == 1


def test_user_path_beats_env_var(schema_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGITEST_OPENADR_SCHEMAS", str(tmp_path / "does-not-exist"))
    assert schemas.schema_dir(schema_copy) == schema_copy
    assert schemas.load_schema(schema_copy).validate(etree.fromstring(POLL))
    with pytest.raises(upstream.UpstreamError, match="VGITEST_OPENADR_SCHEMAS"):
        schemas.schema_dir()


def test_env_var_folder_is_used(schema_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGITEST_OPENADR_SCHEMAS", str(schema_copy))
    assert schemas.schema_dir() == schema_copy
    # proof that this folder (not the cache) is read: break it and the load fails
    (schema_copy / "oadr_20b.xsd").write_text("<not-a-schema/>")
    with pytest.raises(upstream.UpstreamError, match="cannot compile"):
        schemas.load_schema()


def test_folder_without_the_entry_schema_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(upstream.UpstreamError) as e:
        schemas.load_schema(tmp_path)
    assert "oadr_20b.xsd" in str(e.value) and "VGITEST_OPENADR_SCHEMAS" in str(e.value)


def test_missing_import_is_a_clear_error(schema_copy: Path) -> None:
    (schema_copy / "oadr_ei_20b.xsd").unlink()
    with pytest.raises(upstream.UpstreamError, match="VGITEST_OPENADR_SCHEMAS"):
        schemas.load_schema(schema_copy)


def test_w3c_locations_resolve_to_local_files(schema_copy: Path) -> None:
    """Distributions that import xml.xsd / xmldsig from w3.org load offline from the folder's copies."""
    _point_import(schema_copy, "oadr_atom.xsd", "oadr_xml.xsd", "http://www.w3.org/2001/03/xml.xsd")
    dsig = "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd"
    _point_import(schema_copy, "oadr_20b.xsd", "oadr_xmldsig.xsd", dsig)
    _point_import(schema_copy, "oadr_xmldsig11.xsd", "oadr_xmldsig.xsd", dsig)
    assert schemas.load_schema(schema_copy).validate(etree.fromstring(POLL))


def test_w3c_names_without_oadr_prefix_are_found(schema_copy: Path) -> None:
    (schema_copy / "oadr_xmldsig.xsd").rename(schema_copy / "xmldsig-core-schema.xsd")
    dsig = "https://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"
    _point_import(schema_copy, "oadr_20b.xsd", "oadr_xmldsig.xsd", dsig)
    _point_import(schema_copy, "oadr_xmldsig11.xsd", "oadr_xmldsig.xsd", dsig)
    assert schemas.local_copy(schema_copy, dsig) == schema_copy / "xmldsig-core-schema.xsd"
    assert schemas.load_schema(schema_copy).validate(etree.fromstring(POLL))


def test_unknown_remote_import_is_refused_not_fetched(schema_copy: Path) -> None:
    for xsd in ("oadr_20b.xsd", "oadr_xmldsig11.xsd"):
        _point_import(schema_copy, xsd, "oadr_xmldsig.xsd", "http://example.invalid/sig/unknown-dsig.xsd")
    with pytest.raises(upstream.UpstreamError) as e:
        schemas.load_schema(schema_copy)
    msg = str(e.value)
    assert "http://example.invalid/sig/unknown-dsig.xsd" in msg and "never fetches" in msg
    assert re.search(r"as unknown-dsig\.xsd", msg)


def test_cached_per_folder_and_per_thread(oadr_schema_dir: Path, schema_copy: Path) -> None:
    here = schemas.load_schema()
    assert schemas.load_schema() is here
    assert schemas.load_schema(oadr_schema_dir) is here  # same resolved folder, same object
    assert schemas.load_schema(schema_copy) is not here
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(schemas.load_schema()))
    t.start()
    t.join(timeout=30)
    assert not t.is_alive() and other and other[0] is not here


def test_xmlschema_twin_loads_and_agrees(schema_copy: Path) -> None:
    pytest.importorskip("xmlschema")
    dsig = "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd"
    _point_import(schema_copy, "oadr_20b.xsd", "oadr_xmldsig.xsd", dsig)
    _point_import(schema_copy, "oadr_xmldsig11.xsd", "oadr_xmldsig.xsd", dsig)
    xs = schemas.xmlschema_schema(schema_copy)
    assert xs is schemas.xmlschema_schema(schema_copy)
    assert "http://www.w3.org/2000/09/xmldsig#" in xs.maps.namespaces
    assert xs.is_valid(POLL.decode())
    assert not xs.is_valid(POLL.decode().replace("<ei:venID>ven-1</ei:venID>", ""))


def test_xmlschema_is_an_optional_import(schema_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xmlschema", None)  # as if not installed
    with pytest.raises(ImportError, match="pip install"):
        schemas.xmlschema_schema(schema_copy)

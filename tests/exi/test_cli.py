"""The exi decode/encode subcommands round-trip through JSON (bytes as hex)."""

from __future__ import annotations

import argparse
import json

import pytest

from vgitest.exi import decode, encode
from vgitest.exi.cli import main, register

pytestmark = pytest.mark.usefixtures("schemas_available")

MSG = {"V2G_Message": {"Header": {"SessionID": bytes.fromhex("0011223344556677")},
                       "Body": {"SessionSetupReq": {"EVCCID": bytes.fromhex("020000000001")}}}}


def test_register_adds_subcommands() -> None:
    ap = argparse.ArgumentParser()
    register(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["exi", "decode", "--schema", "din", "80"])
    assert args.func.__name__ == "cmd_decode" and args.schema == "din"


def test_decode_then_encode(tmp_path, capsys) -> None:  # noqa: ANN001
    raw = encode(MSG, "iso-2")
    assert main(["exi", "decode", "--schema", "iso-2", raw.hex()]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["V2G_Message"]["Header"]["SessionID"] == "0011223344556677"
    f = tmp_path / "m.json"
    f.write_text(json.dumps(doc))
    assert main(["exi", "encode", "--schema", "iso-2", str(f)]) == 0
    assert bytes.fromhex(capsys.readouterr().out.strip()) == raw
    # a raw binary file works as input too
    b = tmp_path / "m.exi"
    b.write_bytes(raw)
    assert main(["exi", "decode", "--schema", "iso-2", "--compact", str(b)]) == 0
    assert json.loads(capsys.readouterr().out) == doc


def test_errors_exit_nonzero(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["exi", "decode", "--schema", "din", "80ff"]) == 1
    assert "exi decode" in capsys.readouterr().err
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"V2G_Message": {"Header": {"SessionID": "zz"}}}))
    assert main(["exi", "encode", "--schema", "din", str(f)]) == 1
    assert "not hex" in capsys.readouterr().err


def test_fragment_cli(capsys) -> None:  # noqa: ANN001
    assert main(["exi", "decode", "--schema", "iso-2", "--fragment",
                 "80040152510c408000000000000000000000000000000001e8"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"AuthorizationReq": {"Id": "ID1", "GenChallenge": "00" * 16}}
    assert decode(encode(MSG, "iso-2"), "iso-2") == MSG


def test_long_hex_is_decoded_not_tried_as_a_file_name(capsys) -> None:  # noqa: ANN001
    """Issue 13: more than 255 hex characters failed with OSError "File name too long" before being read as hex."""
    aps = [{"ProtocolNamespace": f"urn:iso:15118:2:2013:MsgDef:{i:02d}", "VersionNumberMajor": 2,
            "VersionNumberMinor": 0, "SchemaID": i, "Priority": i + 1} for i in range(10)]
    raw = encode({"supportedAppProtocolReq": {"AppProtocol": aps}}, "app-protocol")
    assert len(raw.hex()) > 255
    assert main(["exi", "decode", "--schema", "app-protocol", "--compact", raw.hex()]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["supportedAppProtocolReq"]["AppProtocol"]) == 10


def test_input_neither_file_nor_hex_is_one_line_error() -> None:
    for arg in ("not-a-file-and-not-hex", "z" * 400):
        with pytest.raises(SystemExit) as e:
            main(["exi", "decode", "--schema", "iso-2", arg])
        msg = str(e.value.code)
        assert "neither an existing file nor hex" in msg and "\n" not in msg and len(msg) < 120

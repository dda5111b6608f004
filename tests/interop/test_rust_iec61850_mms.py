"""Interoperability: the Rust-backed ``iec61850`` 0.14.0 (PyPI, MIT/Apache-2.0, written independently of vgitest
and of libiec61850's code) against our MMS codec and peers, both directions, over loopback. It runs as a program of
its own (tests/interop/rust_iec61850_peer.py) in a virtualenv of its own under .oracle-venvs/ (it is a native
wheel vgitest need not carry); the tests skip and say why when that virtualenv cannot be built.

What it showed (and these tests pin): its client concludes but closes the connection without an ACSE release
(our ``MMS-RELEASE`` stays silent, as it concluded); its server answers our release request (RLRQ in a session
FINISH) with a FINISH of its own instead of an RLRE in a DISCONNECT (``MMS-RELEASE-RESPONSE``), refuses a write
to FC SP with object-access-unsupported, and serves 0 where the SCL's DOType gives ``Val`` 1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.interop.iec61850_model import MODEL, SCL, SOC, TARGET
from tests.interop.mms_driver import run_client, serving, venv_python
from vgitest.iec61850 import data, mms, mms_checks
from vgitest.iec61850.mms_peer import MmsClient, MmsPeerError, MmsServer

REQUIREMENT = "iec61850==0.14.0"
DRIVER = Path(__file__).with_name("rust_iec61850_peer.py")


@pytest.fixture(scope="module")
def rust_python() -> Path:
    return venv_python("rust-iec61850", REQUIREMENT)


def test_its_client_against_our_server(rust_python: Path) -> None:
    async def main() -> tuple[dict, MmsServer]:
        async with MmsServer(MODEL, timeout=5) as server:
            return await run_client(rust_python, DRIVER, server.host, server.port), server

    got, server = asyncio.run(main())
    assert got["devices"] == ["EV1"] and got["nodes"] == ["DEEV1", "LLN0"]
    assert (got["soc"], got["mod"], got["write"], got["target"]) == (55.0, 1, None, 11000.0)
    assert "ObjectAccessDenied" in got["denied"]
    assoc = server.associations[0]
    assert assoc.error == "the peer closed the connection after the MMS conclude without an ACSE release"
    assert mms_checks.judge(assoc.conn.log, "client") == []


def test_our_client_against_its_server(rust_python: Path, tmp_path: Path) -> None:
    scl = tmp_path / "ev.cid"
    scl.write_text(SCL)

    async def main() -> tuple[list, list]:
        async with serving(rust_python, DRIVER, str(scl)) as port:
            c = await MmsClient.connect("127.0.0.1", port, timeout=5)
            results = [await c.get_name_list(), await c.read(SOC), await c.read("EV1/LLN0$ST$Mod$stVal"),
                       await c.write(TARGET, data.float32(11000.0)), await c.write(SOC, data.float32(1.0)),
                       await c.read("EV1/NOPE$MX")]
            with pytest.raises(MmsPeerError, match="FINISH where an RLRE was expected"):
                await c.conclude()
            return results, c.conn.log

    (domains, soc, mod, written, denied, missing), log = asyncio.run(main())
    assert domains == ["EV1"] and soc == data.float32(0.0) and mod == data.integer(0)  # SCL Val not loaded
    assert written == mms.OBJECT_ACCESS_UNSUPPORTED and denied == mms.OBJECT_ACCESS_DENIED
    assert missing == mms.OBJECT_NON_EXISTENT
    findings = mms_checks.judge(log, "server", {SOC})
    assert [f.rule_id for f in findings] == ["MMS-RELEASE-RESPONSE"]
    assert "FINISH without an ACSE APDU" in findings[0].message

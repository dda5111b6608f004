"""Security profiles 2 and 3 over wss:// with certificates from the shared test PKI."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from vgitest import pki
from vgitest.ocpp.csms import FakeCsms
from vgitest.verdict import HarnessError


@pytest.fixture(scope="module")
def chain():
    root = pki.root_ca("vgitest OCPP Root")
    sub = pki.issue(root, "vgitest CPO Sub-CA", ca=True, path_length=0)
    return root, sub


def test_profile_2_tls_with_basic_auth(tmp_path: Path, chain) -> None:
    root, sub = chain
    server = pki.issue(sub, "localhost", server_names=["localhost", "127.0.0.1"])
    ctx = pki.server_context(server, tmp_path)
    with FakeCsms(security_profile=2, ssl_context=ctx, passwords={"CS1": "0123456789abcdef"}) as csms:
        assert csms.url.startswith("wss://")
        import base64
        auth = {"Authorization": "Basic " + base64.b64encode(b"CS1:0123456789abcdef").decode()}
        with connect(csms.url_for("CS1"), subprotocols=["ocpp1.6"], additional_headers=auth,
                     ssl=pki.client_context(root, tmp_path)) as ws:
            ws.send('[2,"1","Heartbeat",{}]')
            assert ws.recv(timeout=3).startswith('[3,"1"')
        opened = [f for f in csms.trace if f.kind == "OPEN"]
        assert opened and opened[0].meta["tls"] is True


def test_profile_3_requires_a_client_certificate(tmp_path: Path, chain) -> None:
    root, sub = chain
    server = pki.issue(sub, "localhost", server_names=["localhost", "127.0.0.1"])
    station = pki.issue(sub, "CS1", client=True, org="vgitest CPO")
    ctx = pki.server_context(server, tmp_path, client_ca=root)
    with FakeCsms(security_profile=3, ssl_context=ctx) as csms:
        with connect(csms.url_for("CS1"), subprotocols=["ocpp2.0.1"],
                     ssl=pki.client_context(root, tmp_path, cred=station)) as ws:
            ws.send('[2,"1","Heartbeat",{}]')
            assert ws.recv(timeout=3).startswith('[3,"1"')
        # TLS 1.3 reports the missing client certificate after the client's handshake: the server closes
        with pytest.raises((ssl.SSLError, OSError, ConnectionClosed, InvalidHandshake)):
            with connect(csms.url_for("CS1"), subprotocols=["ocpp2.0.1"], ssl=pki.client_context(root, tmp_path),
                         open_timeout=3) as ws:
                ws.send('[2,"2","Heartbeat",{}]')
                ws.recv(timeout=3)


def test_expired_server_certificate_is_refused_by_a_verifying_client(tmp_path: Path, chain) -> None:
    import datetime as dt
    root, sub = chain
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    expired = pki.issue(sub, "localhost", server_names=["127.0.0.1"], not_before=old, days=1)
    with FakeCsms(security_profile=2, ssl_context=pki.server_context(expired, tmp_path)) as csms:
        with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
            connect(csms.url_for("CS1"), subprotocols=["ocpp1.6"], ssl=pki.client_context(root, tmp_path),
                    open_timeout=3)


def test_tls_profile_without_material_is_a_clear_error() -> None:
    with pytest.raises(HarnessError, match="needs TLS material"):
        FakeCsms(security_profile=2)

"""Security profile 3 at the fake CSMS: the station's certificate must be there, name the CPO as O and the station
as CN; each wrong certificate is refused with OCPP-SEC-CLIENT-CERT, the right one is let in. And the CSMS counts
TLS attempts, which is how a refusal without an alert is seen."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from vgitest import pki
from vgitest.ocpp import rules as r
from vgitest.ocpp import testpki
from vgitest.ocpp.csms import FakeCsms


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> testpki.OcppPki:
    return testpki.make(tmp_path_factory.mktemp("pki"), "CS1", "The CPO")


def _client(material: testpki.OcppPki, tmp: Path, cred: pki.Credential | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=material.root.cert_pem(with_chain=False).decode())
    if cred is not None:
        cert, key = cred.write(tmp, "client")
        ctx.load_cert_chain(cert, key)
    return ctx


def _reject_rules(csms: FakeCsms) -> list[str]:
    return [f.rule_id for fr in csms.trace if fr.kind == "REJECT" for f in fr.findings]


@pytest.mark.parametrize("which", ["right", "none", "other-org", "other-cn"])
def test_profile_3_judges_the_station_certificate(tmp_path: Path, material: testpki.OcppPki, which: str) -> None:
    creds = {"right": material.station, "none": None,
             "other-org": pki.issue(material.cpo_ca, "CS1", client=True, org="Another CPO"),
             "other-cn": pki.issue(material.cpo_ca, "CS2", client=True, org="The CPO")}
    with FakeCsms(security_profile=3, ssl_context=material.server_context("good", security_profile=3),
                  cpo_name="The CPO") as csms:
        ctx = _client(material, tmp_path, creds[which])
        if which == "right":
            with connect(csms.url_for("CS1"), subprotocols=["ocpp1.6"], ssl=ctx, open_timeout=5) as ws:
                ws.send('[2,"1","Heartbeat",{}]')
                assert ws.recv(timeout=3).startswith('[3,"1"')
            assert _reject_rules(csms) == []
            opened = [f for f in csms.trace if f.kind == "OPEN"]
            assert opened[0].meta["tls_version"] in ("TLSv1.2", "TLSv1.3")
        else:
            with pytest.raises(InvalidStatus):
                connect(csms.url_for("CS1"), subprotocols=["ocpp1.6"], ssl=ctx, open_timeout=5)
            assert _reject_rules(csms) == [r.CLIENT_CERT]


def test_tls_attempts_are_counted_also_when_the_client_sends_no_alert(tmp_path: Path,
                                                                       material: testpki.OcppPki) -> None:
    with FakeCsms(security_profile=2, ssl_context=material.server_context("good")) as csms:
        csms.set_tls(material.server_context("wrong-ca"))
        assert csms.tls_generation == 1
        before = csms.tls_attempts
        with pytest.raises(ssl.SSLCertVerificationError):
            connect(csms.url_for("CS1"), subprotocols=["ocpp1.6"], ssl=_client(material, tmp_path, None),
                    open_timeout=5)
        assert csms.tls_attempts == before + 1
        assert not [f for f in csms.trace if f.kind == "OPEN"]

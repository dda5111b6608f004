"""The OpenADR test PKI of a reference run, made fresh with the shared PKI (`vgitest.pki`) and written to the
run's folder: the VTN's ECC and RSA server certificates, the VEN's client certificates, and the bad
material the security tests need (a VTN certificate from an unknown CA, an expired one, another VEN's
certificate from the right CA). Nothing secret is ever committed."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import ssl
from pathlib import Path

from .. import pki
from . import security

SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclasses.dataclass
class TestPki:
    folder: Path
    root: pki.Credential
    vtn: list[pki.Credential]  # ECC and RSA server certificates
    ven: pki.Credential  # the VEN's client certificate (ECC)
    other_ven: pki.Credential  # a valid client certificate of another VEN (same CA)
    rogue_vtn: list[pki.Credential]  # server certificates from a CA the VEN does not trust
    expired_vtn: list[pki.Credential]  # server certificates of the right CA, expired

    def vtn_context(self, which: str = "good") -> ssl.SSLContext:
        server = {"good": self.vtn, "rogue": self.rogue_vtn, "expired": self.expired_vtn}[which]
        return security.vtn_context(server, self.root, self.folder / which)

    def push_client_context(self, which: str = "good") -> ssl.SSLContext:
        """The fake VTN as the TLS client of a push VEN, presenting its own (good) or a rogue certificate."""
        client = {"good": self.vtn, "rogue": self.rogue_vtn}[which][0]
        return security.ven_context(self.root, self.folder / f"push-{which}", client=client, suites=("ecc",))

    def files(self) -> dict[str, str]:
        """What a VEN program is configured with: the trust anchor and its own certificate and key."""
        ca = self.folder / "root.pem"
        ca.write_bytes(self.root.cert_pem(with_chain=False))
        cert, key = self.ven.write(self.folder, "ven")
        other_cert, other_key = self.other_ven.write(self.folder, "other-ven")
        return {"tls_ca": str(ca), "tls_cert": str(cert), "tls_key": str(key), "tls_other_cert": str(other_cert),
                "tls_other_key": str(other_key)}

    @property
    def ven_fingerprint(self) -> str:
        return security.fingerprint(self.ven.cert)


def make(folder: Path) -> TestPki:
    folder.mkdir(parents=True, exist_ok=True)
    root = pki.root_ca("vgitest OpenADR Test Root")
    names = list(SERVER_NAMES)
    # a VTN is a TLS server, and the client of a push VEN; a push VEN is a server too: both usages each
    vtn = [pki.issue(root, "vgitest-vtn", server_names=names, client=True, key_type="ec-p256"),
           pki.issue(root, "vgitest-vtn", server_names=names, client=True, key_type="rsa2048")]
    rogue = pki.root_ca("vgitest Rogue Root")
    rogue_vtn = [pki.issue(rogue, "vgitest-vtn", server_names=names, client=True, key_type="ec-p256"),
                 pki.issue(rogue, "vgitest-vtn", server_names=names, client=True, key_type="rsa2048")]
    old = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=30)
    expired = [pki.issue(root, "vgitest-vtn", server_names=names, key_type="ec-p256", not_before=old, days=1),
               pki.issue(root, "vgitest-vtn", server_names=names, key_type="rsa2048", not_before=old, days=1)]
    ven = pki.issue(root, "vgitest-ref-ven", client=True, server_names=names, key_type="ec-p256")
    other = pki.issue(root, "vgitest-other-ven", client=True, key_type="ec-p256")
    return TestPki(folder, root, vtn, ven, other, rogue_vtn, expired)

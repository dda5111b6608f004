"""The OCPP test PKI of a run (security profiles 2 and 3), made fresh with the shared PKI (`vgitest.pki`) and
written to the run's folder: the CSMS root the station trusts, the fake CSMS's server certificates (ECDSA and
RSA, for the four TLS 1.2 suites OCPP names), a CPO sub-CA and the station's client certificate (O = the CPO's
name, CN = the station's identity, which the reference stations use as their serial number), and the bad
server material of the negative TLS matrix (`tlsmatrix`). Nothing secret is ever committed."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import ssl
import warnings
from pathlib import Path

from .. import pki

SERVER_NAMES = ("127.0.0.1", "localhost")
WRONG_NAMES = ("csms.wrong-name.invalid",)  # a name the station never dials
# The TLS 1.2 suites a CSMS must offer (1.6 security whitepaper, 2.0.1 Part 2 A00): ECDHE-ECDSA and RSA AES-GCM.
OCPP_TLS12_SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384"
WEAK_SUITE = "AES128-SHA"  # TLS_RSA_WITH_AES_128_CBC_SHA: RSA key transport, CBC with SHA-1, not in the OCPP list
DEFAULT_CPO = "vgitest CPO"


@dataclasses.dataclass
class OcppPki:
    folder: Path
    cpo_name: str
    root: pki.Credential  # the CSMS root certificate the station trusts
    csms: list[pki.Credential]  # ECDSA and RSA server certificates for SERVER_NAMES
    cpo_ca: pki.Credential  # signs station certificates (under the root)
    station: pki.Credential  # the station's client certificate
    rogue_csms: list[pki.Credential]  # the right names, from a root the station does not trust
    expired_csms: list[pki.Credential]  # the right root and names, expired a month ago
    wrong_name_csms: list[pki.Credential]  # the right root, for a name the station did not dial

    def server_context(self, variant: str = "good", *, security_profile: int = 2) -> ssl.SSLContext:
        """The fake CSMS's TLS context for `variant` (a row of `tlsmatrix.ROWS`, or "good"). Profile 3 asks the
        station for its certificate and verifies it against the root when one comes; whether the station sent
        one, and its O and CN, the CSMS judges at the WebSocket handshake, where it can say what was wrong."""
        creds = {"good": self.csms, "tls-version": self.csms, "weak-cipher": self.csms,
                 "expired": self.expired_csms, "wrong-ca": self.rogue_csms,
                 "wrong-name": self.wrong_name_csms}[variant]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        folder = self.folder / f"csms-{variant}"
        for i, cred in enumerate(creds):
            cert, key = cred.write(folder, f"server{i}")
            ctx.load_cert_chain(cert, key)
        if variant == "tls-version":  # TLS 1.0 and 1.1 only, which OpenSSL 3 offers at security level 0 alone
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        elif variant == "weak-cipher":
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 would bypass the list
            ctx.set_ciphers(WEAK_SUITE)
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(OCPP_TLS12_SUITES)
        if security_profile >= 3:
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(cadata=self.root.cert_pem(with_chain=False).decode())
        return ctx

    def files(self) -> dict[str, str]:
        """What a station is configured with: the CSMS root it trusts, and its own certificate (with the CPO
        sub-CA) and key for profile 3."""
        ca = self.folder / "csms-root.pem"
        ca.write_bytes(self.root.cert_pem(with_chain=False))
        cert, key = self.station.write(self.folder, "station")
        return {"tls_ca": str(ca), "tls_cert": str(cert), "tls_key": str(key)}


def make(folder: Path, identity: str, cpo_name: str = DEFAULT_CPO) -> OcppPki:
    folder.mkdir(parents=True, exist_ok=True)
    root = pki.root_ca("vgitest OCPP CSMS Root", org=cpo_name)
    names = list(SERVER_NAMES)

    def pair(issuer: pki.Credential, server_names: list[str], **kw: object) -> list[pki.Credential]:
        return [pki.issue(issuer, server_names[0], server_names=server_names, key_type=k, **kw)  # type: ignore[arg-type]
                for k in ("ec-p256", "rsa2048")]

    rogue = pki.root_ca("vgitest OCPP Rogue Root", org="not the CPO")
    old = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=30)
    cpo_ca = pki.issue(root, f"{cpo_name} Sub-CA", ca=True, path_length=0, org=cpo_name)
    station = pki.issue(cpo_ca, identity, client=True, org=cpo_name)
    return OcppPki(folder, cpo_name, root, pair(root, names), cpo_ca, station, pair(rogue, names),
                   pair(root, names, not_before=old, days=1), pair(root, list(WRONG_NAMES)))

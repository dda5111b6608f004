"""The CSIP test PKI of a reference run, made fresh with the shared PKI (`vgitest.pki`) and written to the run's
folder. Nothing secret is ever committed.

Chains (the depth counts the SERCA, which is the trust anchor and is sent along):

* depth 2: SERCA -> device;  depth 3: SERCA -> MICA -> device;  depth 4: SERCA -> MCA -> MICA -> device.

Every certificate follows the 2030.5 / CSIP profile: ECDSA P-256, ecdsa-with-SHA256, notAfter 99991231235959Z;
CAs with critical basicConstraints, keyUsage keyCertSign+cRLSign and (below the SERCA) critical
certificatePolicies; devices with an empty subject, critical keyUsage digitalSignature+keyAgreement, critical
certificatePolicies (generic device 40732.1.1 plus the test-certificate policy 40732.2.1, since these are test
certificates) and a critical subjectAltName holding only a HardwareModuleName. Its hwType is under the private
enterprise number 32473, which RFC 5612 reserves for documentation, so it can never name a real manufacturer.

The COMM-004 negative server chains (all SERCA -> bad MICA -> server device, except G):
D — the MICA has a critical extendedKeyUsage (serverAuth, clientAuth); E — the MICA has a non-critical
nameConstraints (our reading of case E, see `vgitest.sep2.security`); F — the MICA has a policyMappings
extension; G — the server certificate is self-signed (profile otherwise intact).
"""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .. import pki
from . import security

HW_TYPE = "1.3.6.1.4.1.32473.2030.5"  # RFC 5612 documentation PEN: a manufacturer's hwType in real certs
DEVICE_POLICIES = (security.POLICY["generic"], security.POLICY["test"])
AGGREGATOR_POLICIES = (security.POLICY["generic"], security.POLICY["service-provider"], security.POLICY["test"])
DEPTHS = (2, 3, 4)
NEGATIVE = ("D", "E", "F", "G")


@dataclasses.dataclass
class CsipPki:
    folder: Path
    serca: pki.Credential
    mca: pki.Credential
    mica: pki.Credential  # under the MCA (depth 4)
    mica_direct: pki.Credential  # under the SERCA (depth 3)
    servers: dict[int, pki.Credential]  # server device certificate per depth
    clients: dict[int, pki.Credential]  # DER client device certificate per depth
    aggregator: pki.Credential  # an aggregator's client certificate (subject, non-critical SAN), depth 3
    negative: dict[str, pki.Credential]  # COMM-004 server credentials D, E, F, G
    foreign_serca: pki.Credential  # a root nobody here trusts
    foreign_client: pki.Credential  # a profile-conforming client certificate under it

    def server_credential(self, depth: int = 3, negative: str | None = None) -> pki.Credential:
        if negative is not None:
            if negative not in self.negative:
                raise ValueError(f"unknown COMM-004 case {negative!r}; choose from {sorted(self.negative)}")
            return self.negative[negative]
        if depth not in self.servers:
            raise ValueError(f"no chain of depth {depth}; CSIP chains have depth {DEPTHS}")
        return self.servers[depth]

    def server_context(self, depth: int = 3, negative: str | None = None, *,
                       require_client_cert: bool = True) -> ssl.SSLContext:
        """The fake server presenting the chain of `depth` (or COMM-004 case `negative`), trusting the SERCA."""
        name = f"server-{negative or depth}"
        return security.server_context(self.server_credential(depth, negative), self.serca, self.folder / name,
                                       require_client_cert=require_client_cert)

    def notifier_context(self, depth: int = 3) -> ssl.SSLContext:
        """The fake server as a TLS client, POSTing Notifications to a client's listener: it presents its own
        server certificate of `depth` and checks the listener's chain (SERCA, CSIP profile)."""
        return security.client_context(self.serca, self.folder / f"notifier-{depth}", client=self.servers[depth])

    def client_context(self, depth: int = 3, *, strict: bool = True) -> ssl.SSLContext:
        """The reference client presenting its device certificate of `depth`, trusting the SERCA."""
        return security.client_context(self.serca, self.folder / f"client-{depth}", client=self.clients[depth],
                                       strict=strict)

    def files(self, depth: int = 3) -> dict[str, str]:
        """What a DER client program is configured with: the SERCA (trust anchor), its device certificate
        followed by its chain (without the SERCA, which the server has), its key, and its LFDI."""
        ca = self.folder / "serca.pem"
        ca.write_bytes(self.serca.cert_pem(with_chain=False))
        cred = self.clients[depth]
        cert = self.folder / f"client-d{depth}.pem"
        cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                  for c in [cred.cert] + cred.chain[:-1]))
        key = self.folder / f"client-d{depth}.key"
        key.write_bytes(cred.key_pem())
        key.chmod(0o600)
        return {"tls_ca": str(ca), "tls_cert": str(cert), "tls_key": str(key), "lfdi": security.lfdi(cred.cert)}


def _ca(issuer: pki.Credential, cn: str, path_length: int,
        extra: list[tuple[x509.ExtensionType, bool]] | None = None) -> pki.Credential:
    return pki.issue(issuer, cn, org="vgitest", ca=True, path_length=path_length, not_after=pki.NO_EXPIRY,
                     extensions=[(pki.certificate_policies(*DEVICE_POLICIES), True)] + (extra or []))


def device(issuer: pki.Credential | None, serial: str, *,
           policies: tuple[str, ...] = DEVICE_POLICIES) -> pki.Credential:
    """A 2030.5 device certificate (empty subject, HardwareModuleName `serial`); `issuer=None`: self-signed."""
    san = x509.SubjectAlternativeName([pki.hardware_module_name(HW_TYPE, serial)])
    return pki.issue(issuer, None, not_after=pki.NO_EXPIRY,
                     extensions=[(pki.certificate_policies(*policies), True), (san, True)])


def make(folder: Path) -> CsipPki:
    folder.mkdir(parents=True, exist_ok=True)
    serca = pki.root_ca("vgitest CSIP SERCA", org="vgitest", not_after=pki.NO_EXPIRY)
    mca = _ca(serca, "vgitest CSIP MCA", 1)
    mica = _ca(mca, "vgitest CSIP MICA", 0)
    mica_direct = _ca(serca, "vgitest CSIP MICA (under SERCA)", 0)
    issuers = {2: serca, 3: mica_direct, 4: mica}
    servers = {d: device(issuers[d], f"vgitest-server-d{d}") for d in DEPTHS}
    clients = {d: device(issuers[d], f"vgitest-client-d{d}") for d in DEPTHS}
    aggregator = pki.issue(mica_direct, "vgitest aggregator", org="vgitest", client=True, server=True,
                           not_after=pki.NO_EXPIRY,
                           extensions=[(pki.certificate_policies(*AGGREGATOR_POLICIES), True),
                                       (x509.SubjectAlternativeName(
                                           [pki.hardware_module_name(HW_TYPE, "vgitest-aggregator")]), False)])
    eku = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH])
    constraints = x509.NameConstraints(permitted_subtrees=[x509.DNSName("vgitest.invalid")], excluded_subtrees=None)
    mapping = pki.policy_mappings([(security.POLICY["generic"], security.POLICY["post-manufacture"])])
    bad_micas = {"D": _ca(serca, "vgitest CSIP MICA COMM-004 D", 0, [(eku, True)]),
                 "E": _ca(serca, "vgitest CSIP MICA COMM-004 E", 0, [(constraints, False)]),
                 "F": _ca(serca, "vgitest CSIP MICA COMM-004 F", 0, [(mapping, True)])}
    negative = {k: device(m, f"vgitest-server-{k}") for k, m in bad_micas.items()}
    negative["G"] = device(None, "vgitest-server-G")
    foreign = pki.root_ca("vgitest CSIP foreign SERCA", org="elsewhere", not_after=pki.NO_EXPIRY)
    return CsipPki(folder, serca, mca, mica, mica_direct, servers, clients, aggregator, negative, foreign,
                   device(foreign, "vgitest-foreign-client"))

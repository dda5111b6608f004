"""The ISO 15118 test PKI of a reference run, made fresh with the shared PKI (`vgitest.pki`) and written to the
run's folder. Nothing secret is ever committed.

Three hierarchies, each root -> Sub-CA 1 (pathLen 1) -> Sub-CA 2 (pathLen 0) -> leaf, as ISO 15118-2 Annex F
and ISO 15118-20 lay them out:

* V2G (charge point operator): V2G Root CA -> CPO Sub-CA 1 -> CPO Sub-CA 2 -> SECC certificate
  (CN = the EVSE ID, e.g. ``DE*VGI*E1``, DC=CPO; keyUsage digitalSignature + keyAgreement).
* MO (mobility operator): MO Root CA -> MO Sub-CA 1 -> MO Sub-CA 2 -> contract certificate
  (CN = the eMAID, e.g. ``DE-VGI-C12345678-9``, DC=MO; keyUsage digitalSignature + nonRepudiation + keyAgreement).
* OEM (vehicle maker): OEM Root CA -> OEM Sub-CA 1 -> OEM Sub-CA 2 -> OEM provisioning certificate
  (CN = the PCID, e.g. ``VGI-PCID-001``, DC=OEM; keyUsage digitalSignature + keyAgreement). ISO 15118-20's
  TLS client (vehicle) certificate is taken from this chain too.
* CPS (certificate provisioning service), under the V2G root: CPS Sub-CA 1 -> CPS Sub-CA 2 -> CPS leaf
  (CN ``vgitest CPS Leaf``, DC=CPS; keyUsage digitalSignature), the key that signs CertificateInstallationRes.

Every CA has critical basicConstraints and critical keyUsage keyCertSign + cRLSign; every certificate a
subjectKeyIdentifier and (below the roots) an authorityKeyIdentifier; no extendedKeyUsage (the V2G profile
has none, and OpenSSL then accepts the certificate for any purpose).

Algorithms: ISO 15118-2 ECDSA secp256r1 / ecdsa-with-SHA256 everywhere; ISO 15118-20 secp521r1 /
ecdsa-with-SHA512, or Ed448 (``key_type="ed448"``; EdDSA keys sign only, so their keyUsage has no
keyAgreement).

Negative material: an expired SECC certificate (under the real CPO Sub-CA 2), an SECC chain and a contract
chain under roots nobody trusts (same names and profile as the real ones; only the anchor differs).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from .. import pki

EVSE_ID = "DE*VGI*E1"
EMAID = "DE-VGI-C12345678-9"
PCID = "VGI-PCID-001"
ORG = "vgitest"
ISO2_MAX_CERT_BYTES = 800  # ISO 15118-2 certificateType: base64Binary maxLength 800 (DER bytes)

DAYS_ROOT, DAYS_SUBCA, DAYS_LEAF = 3650, 1460, 365


def _subject(cn: str, dc: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"), x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc)])


def _leaf_usage(key_type: str, *, non_repudiation: bool = False) -> x509.KeyUsage:
    """digitalSignature (+ nonRepudiation for contracts) + keyAgreement, the latter only for EC keys."""
    return x509.KeyUsage(digital_signature=True, content_commitment=non_repudiation, key_encipherment=False,
                         data_encipherment=False, key_agreement=key_type.startswith("ec-"), key_cert_sign=False,
                         crl_sign=False, encipher_only=False, decipher_only=False)


@dataclasses.dataclass
class Hierarchy:
    """One root -> Sub-CA 1 -> Sub-CA 2 -> leaf chain."""

    root: pki.Credential
    sub1: pki.Credential
    sub2: pki.Credential
    leaf: pki.Credential


def _hierarchy(prefix: str, dc_ca: str, leaf_cn: str, leaf_dc: str, key_type: str, *,
               non_repudiation: bool = False, sub_prefix: str | None = None,
               root: pki.Credential | None = None, leaf_usage: x509.KeyUsage | None = None) -> Hierarchy:
    if root is None:
        root = pki.root_ca(key_type=key_type, days=DAYS_ROOT, subject=_subject(f"{prefix} Root CA", dc_ca))
    sub1 = pki.issue(root, None, ca=True, path_length=1, key_type=key_type, days=DAYS_SUBCA,
                     subject=_subject(f"{sub_prefix or prefix} Sub-CA 1", dc_ca))
    sub2 = pki.issue(sub1, None, ca=True, path_length=0, key_type=key_type, days=DAYS_SUBCA,
                     subject=_subject(f"{sub_prefix or prefix} Sub-CA 2", dc_ca))
    leaf = pki.issue(sub2, None, key_type=key_type, days=DAYS_LEAF, subject=_subject(leaf_cn, leaf_dc),
                     key_usage=leaf_usage or _leaf_usage(key_type, non_repudiation=non_repudiation))
    return Hierarchy(root, sub1, sub2, leaf)


def load_credential(chain_pem: Path | str, key_pem: Path | str, *, password: bytes | None = None) -> pki.Credential:
    """A vendor's own certificate from files: `chain_pem` holds the leaf first, then its CAs (nearest first, the
    root may come last); `key_pem` the leaf's private key (PEM, optionally encrypted with `password`)."""
    certs = x509.load_pem_x509_certificates(Path(chain_pem).read_bytes())
    key = serialization.load_pem_private_key(Path(key_pem).read_bytes(), password)
    if certs[0].public_key() != key.public_key():
        raise ValueError(f"{key_pem} is not the key of the first certificate in {chain_pem}")
    return pki.Credential(certs[0], key, certs[1:])


def der(cert: x509.Certificate | pki.Credential) -> bytes:
    """A certificate as DER bytes, the form ISO 15118 messages carry (base64Binary -> `bytes` in EXI dicts)."""
    if isinstance(cert, pki.Credential):
        cert = cert.cert
    return cert.public_bytes(serialization.Encoding.DER)


def chain_dict(cred: pki.Credential, *, id: str | None = None) -> dict:
    """A CertificateChainType dict for the EXI codec: the leaf and its Sub-CAs (nearest first) without the root,
    which the receiver has as its trust anchor (V2G messages never carry a root in a chain)."""
    subs = [c for c in cred.chain if c.issuer != c.subject]
    out: dict = {"Certificate": der(cred)}
    if id is not None:
        out = {"Id": id, **out}
    if subs:
        out["SubCertificates"] = {"Certificate": [der(c) for c in subs]}
    return out


@dataclasses.dataclass
class V2gPki:
    folder: Path
    iso20: bool
    key_type: str  # "ec-p256" (ISO-2), "ec-p521" or "ed448" (ISO-20)
    v2g: Hierarchy  # leaf = SECC certificate
    mo: Hierarchy  # leaf = contract certificate
    oem: Hierarchy  # leaf = OEM provisioning (and, for ISO-20 TLS, vehicle) certificate
    cps: Hierarchy  # root = the V2G root; leaf = CPS leaf (signs CertificateInstallationRes)
    expired_secc: pki.Credential  # under the real CPO Sub-CA 2, notAfter in the past
    untrusted_v2g: Hierarchy  # an SECC chain under a V2G root nobody trusts
    untrusted_mo: Hierarchy  # a contract chain under an MO root nobody trusts
    evse_id: str = EVSE_ID
    emaid: str = EMAID
    pcid: str = PCID

    # ------------------------------------------------------------------ shortcuts
    @property
    def v2g_root(self) -> pki.Credential:
        return self.v2g.root

    @property
    def secc(self) -> pki.Credential:
        return self.v2g.leaf

    @property
    def mo_root(self) -> pki.Credential:
        return self.mo.root

    @property
    def contract(self) -> pki.Credential:
        return self.mo.leaf

    @property
    def oem_root(self) -> pki.Credential:
        return self.oem.root

    @property
    def oem_prov(self) -> pki.Credential:
        return self.oem.leaf

    @property
    def cps_leaf(self) -> pki.Credential:
        return self.cps.leaf

    @property
    def untrusted_secc(self) -> pki.Credential:
        return self.untrusted_v2g.leaf

    @property
    def untrusted_contract(self) -> pki.Credential:
        return self.untrusted_mo.leaf

    # ------------------------------------------------------------------ DER for EXI messages
    def der(self, name: str) -> bytes:
        """DER of a certificate by name: ``v2g_root``, ``secc``, ``mo_root``, ``contract``, ``oem_root``,
        ``oem_prov``, ``cps_leaf``, ``expired_secc``, ``untrusted_secc``, ``untrusted_contract`` or ``<hierarchy>.<sub1|sub2>``
        (e.g. ``mo.sub2``)."""
        if "." in name:
            h, part = name.split(".", 1)
            return der(getattr(getattr(self, h), part))
        return der(getattr(self, name))

    def contract_chain(self, *, id: str | None = None) -> dict:
        """ContractSignatureCertChain of PaymentDetailsReq / CertificateInstallationRes."""
        return chain_dict(self.contract, id=id)

    def secc_chain(self, *, id: str | None = None) -> dict:
        return chain_dict(self.secc, id=id)

    def oem_chain(self, *, id: str | None = None) -> dict:
        return chain_dict(self.oem_prov, id=id)

    def cps_chain(self, *, id: str | None = None) -> dict:
        """SAProvisioningCertificateChain of CertificateInstallationRes."""
        return chain_dict(self.cps_leaf, id=id)

    def root_cert_ids(self) -> list[dict]:
        """ListOfRootCertificateIDs entries (X509IssuerName + X509SerialNumber) of the trusted roots, as an
        EVCC sends them in CertificateInstallationReq. RFC 4514 string form of the issuer name."""
        return [{"X509IssuerName": r.cert.issuer.rfc4514_string(), "X509SerialNumber": r.cert.serial_number}
                for r in (self.v2g_root, self.mo_root)]

    # ------------------------------------------------------------------ files
    def files(self) -> dict[str, str]:
        """Write the material as PEM files into `folder` and return their paths by role.

        ``*_cert``: the leaf alone; ``*_chain``: the leaf followed by Sub-CA 2 and Sub-CA 1 (no root, as a TLS
        peer sends it); ``*_key``: unencrypted PKCS#8; ``*_root``: one root; ``evcc_trust``: what an EV
        trusts (V2G root + MO root); ``secc_trust``: what a -20 SECC trusts for client certificates (OEM root);
        ``all_roots``: every trusted root.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        out: dict[str, str] = {}

        def write(name: str, data: bytes, *, secret: bool = False) -> None:
            path = self.folder / name
            path.write_bytes(data)
            if secret:
                path.chmod(0o600)
            out[name.replace(".pem", "").replace(".key", "_key").replace("-", "_")] = str(path)

        def pem(*certs: x509.Certificate) -> bytes:
            return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

        for role, h in (("v2g", self.v2g), ("mo", self.mo), ("oem", self.oem)):
            write(f"{role}_root.pem", pem(h.root.cert))
            write(f"{role}_sub1.pem", pem(h.sub1.cert))
            write(f"{role}_sub2.pem", pem(h.sub2.cert))
        write("cps_sub1.pem", pem(self.cps.sub1.cert))
        write("cps_sub2.pem", pem(self.cps.sub2.cert))
        leaves = {"secc": self.secc, "contract": self.contract, "oem_prov": self.oem_prov, "cps_leaf": self.cps_leaf,
                  "expired_secc": self.expired_secc, "untrusted_secc": self.untrusted_secc,
                  "untrusted_contract": self.untrusted_contract}
        for role, cred in leaves.items():
            write(f"{role}_cert.pem", pem(cred.cert))
            write(f"{role}_chain.pem", pem(cred.cert, *[c for c in cred.chain if c.issuer != c.subject]))
            write(f"{role}.key", cred.key_pem(), secret=True)
        write("untrusted_v2g_root.pem", pem(self.untrusted_v2g.root.cert))
        write("untrusted_mo_root.pem", pem(self.untrusted_mo.root.cert))
        write("evcc_trust.pem", pem(self.v2g_root.cert, self.mo_root.cert))
        write("secc_trust.pem", pem(self.oem_root.cert))
        write("all_roots.pem", pem(self.v2g_root.cert, self.mo_root.cert, self.oem_root.cert))
        return out


def make(folder: Path, *, iso20: bool = False, key_type: str | None = None) -> V2gPki:
    """A fresh PKI for ISO 15118-2 (P-256) or, with `iso20`, ISO 15118-20 (P-521, or ``key_type="ed448"``)."""
    if key_type is None:
        key_type = "ec-p521" if iso20 else "ec-p256"
    allowed = ("ec-p521", "ed448") if iso20 else ("ec-p256",)
    if key_type not in allowed:
        raise ValueError(f"key type {key_type!r} is not an ISO 15118-{'20' if iso20 else '2'} one; use {allowed}")
    folder.mkdir(parents=True, exist_ok=True)
    v2g = _hierarchy("vgitest V2G", "V2G", EVSE_ID, "CPO", key_type, sub_prefix="vgitest CPO")
    mo = _hierarchy("vgitest MO", "MO", EMAID, "MO", key_type, non_repudiation=True)
    oem = _hierarchy("vgitest OEM", "OEM", PCID, "OEM", key_type)
    sign_only = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    cps = _hierarchy("vgitest CPS", "CPS", "vgitest CPS Leaf", "CPS", key_type, root=v2g.root, leaf_usage=sign_only)
    long_ago = _dt.datetime.now(_dt.UTC) - _dt.timedelta(days=400)
    expired = pki.issue(v2g.sub2, None, key_type=key_type, not_before=long_ago, days=30,
                        subject=_subject(EVSE_ID, "CPO"), key_usage=_leaf_usage(key_type))
    untrusted_v2g = _hierarchy("vgitest untrusted V2G", "V2G", EVSE_ID, "CPO", key_type,
                               sub_prefix="vgitest untrusted CPO")
    untrusted_mo = _hierarchy("vgitest untrusted MO", "MO", EMAID, "MO", key_type, non_repudiation=True)
    return V2gPki(folder, iso20, key_type, v2g, mo, oem, cps, expired, untrusted_v2g, untrusted_mo)

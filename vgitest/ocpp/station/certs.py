"""The reference stations' certificate store (1.6 security extension, 2.0.1 block M): InstallCertificate,
GetInstalledCertificateIds and DeleteCertificate, with the certificate hash data both versions identify a
certificate by (SHA-256 of the issuer's name and key, and the serial number). The station's own certificate
(profile 3) is never deleted, and a certificate outside its validity period is not installed. Faults: an install
that is answered but not kept, a delete that is answered but not done, a station that deletes its own
certificate (catalog_security.py), and the certificate-type filter and validity faults of catalog_v201_certs.py."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# 2.0.1 InstallCertificateUseEnumType / GetCertificateIdUseEnumType ; 1.6 CertificateUseEnumType
ROOT_TYPES = {"1.6": ("CentralSystemRootCertificate", "ManufacturerRootCertificate"),
              "2.0.1": ("V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "ManufacturerRootCertificate")}
CSMS_ROOT = {"1.6": "CentralSystemRootCertificate", "2.0.1": "CSMSRootCertificate"}
ROOT_TYPES["2.1"], CSMS_ROOT["2.1"] = ROOT_TYPES["2.0.1"], CSMS_ROOT["2.0.1"]  # 2.1 adds OEMRootCertificate only


def hash_data(cert: x509.Certificate, issuer: x509.Certificate | None = None) -> dict[str, str]:
    """CertificateHashDataType of `cert`: its issuer's DER name and public key hashed (SHA-256), and its serial
    number in hex without leading zeros; `issuer` defaults to `cert` itself (a root)."""
    issuer = issuer or cert
    key = issuer.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"hashAlgorithm": "SHA256",
            "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": hashlib.sha256(_key_bits(key)).hexdigest(),
            "serialNumber": format(cert.serial_number, "x")}


def _key_bits(spki_der: bytes) -> bytes:
    """The BIT STRING content (without its unused-bits byte) of a SubjectPublicKeyInfo: what RFC 6960 CertID and
    OCPP's issuerKeyHash hash."""
    def tlv(data: bytes, i: int) -> tuple[int, int, int]:  # tag, content start, content end
        tag, n, j = data[i], data[i + 1], i + 2
        if n & 0x80:
            k = n & 0x7F
            n, j = int.from_bytes(data[j:j + k], "big"), j + k
        return tag, j, j + n
    _, start, _ = tlv(spki_der, 0)  # SEQUENCE
    _, _, alg_end = tlv(spki_der, start)  # AlgorithmIdentifier
    _, bits_start, bits_end = tlv(spki_der, alg_end)  # BIT STRING
    return spki_der[bits_start + 1:bits_end]


def same(a: dict, b: dict) -> bool:
    """Two hash data name the same certificate (hex compared without case and leading zeros)."""
    def norm(d: dict) -> tuple:
        return (str(d.get("hashAlgorithm")), str(d.get("issuerNameHash", "")).lower(),
                str(d.get("issuerKeyHash", "")).lower(), str(d.get("serialNumber", "")).lower().lstrip("0"))
    return norm(a) == norm(b)


@dataclasses.dataclass
class Installed:
    use: str
    cert: x509.Certificate

    @property
    def hash(self) -> dict[str, str]:
        return hash_data(self.cert)


class CertStore:
    """What one station holds: the root certificates by use, and (profile 3) its own certificate with its issuer."""

    def __init__(self, station: Any) -> None:
        self.station = station
        self.version: str = station.version
        self.roots: list[Installed] = []
        self.own: dict[str, str] | None = None  # hash data of the station's own certificate
        params = station.params
        if params.get("tls_ca"):
            for cert in x509.load_pem_x509_certificates(Path(str(params["tls_ca"])).read_bytes()):
                self.roots.append(Installed(CSMS_ROOT[self.version], cert))
        if params.get("tls_cert") and int(params.get("security_profile", 0)) >= 3:
            chain = x509.load_pem_x509_certificates(Path(str(params["tls_cert"])).read_bytes())
            self.own = hash_data(chain[0], chain[1] if len(chain) > 1 else None)

    def handlers(self) -> dict[str, Any]:
        return {"InstallCertificate": self.install, "GetInstalledCertificateIds": self.get_ids,
                "DeleteCertificate": self.delete}

    async def install(self, p: dict) -> dict:
        use = p.get("certificateType")
        try:
            cert = x509.load_pem_x509_certificate(str(p.get("certificate", "")).encode())
        except ValueError:
            return {"status": "Rejected"}
        if use not in ROOT_TYPES[self.version]:
            return {"status": "Rejected"}
        now = _dt.datetime.now(_dt.timezone.utc)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc \
                and not self.station.has("install_certificate_expired_accepted"):
            return {"status": "Rejected"}  # an invalid certificate is not installed (2.0.1 M05)
        if not self.station.has("install_certificate_not_stored"):
            self.roots = [r for r in self.roots if not same(r.hash, hash_data(cert))] + [Installed(use, cert)]
        return {"status": "Accepted"}

    async def get_ids(self, p: dict) -> dict:
        asked = p.get("certificateType")
        if self.version == "1.6":
            found = [r.hash for r in self.roots if r.use == asked]
            return {"status": "Accepted", "certificateHashData": found} if found else {"status": "NotFound"}
        has = self.station.has
        if not asked and has("installed_ids_unfiltered_notfound"):
            return {"status": "NotFound"}
        wanted = set(asked) if asked and not has("installed_ids_type_ignored") else None
        if asked and has("installed_ids_first_type_only"):
            wanted = {asked[0]}
        chain = [{"certificateType": r.use, "certificateHashData": r.hash} for r in self.roots
                 if wanted is None or r.use in wanted]
        if not chain:
            return {"status": "Accepted" if has("installed_ids_none_accepted") else "NotFound"}
        return {"status": "Accepted", "certificateHashDataChain": chain}

    async def delete(self, p: dict) -> dict:
        wanted = p.get("certificateHashData") or {}
        if self.own is not None and same(wanted, self.own):  # its own certificate: never (2.0.1 M04.FR.06)
            return {"status": "Accepted" if self.station.has("deletes_own_certificate") else "Failed"}
        hit = [r for r in self.roots if same(r.hash, wanted)]
        if not hit:
            return {"status": "Accepted" if self.station.has("delete_unknown_accepted") else "NotFound"}
        if not self.station.has("delete_certificate_ignored"):
            self.roots = [r for r in self.roots if r not in hit]
        return {"status": "Accepted"}

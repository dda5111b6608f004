"""The reference stations' certificate renewal (1.6 security extension, 2.0.1 A02/A03): on the CSMS's trigger
(1.6 ExtendedTriggerMessage SignChargePointCertificate, 2.0.1 TriggerMessage SignChargingStationCertificate) the
station makes a new key and sends its CSR (SignCertificate: CN = its identity, O = the CPO); a CertificateSigned
chain is accepted only when its leaf carries that key and it chains up to a CSMS root the station trusts; anything
else is Rejected and reported as a security event. Faults: accepts_any_station_certificate, no_csr_after_trigger."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TRIGGER = {"1.6": "SignChargePointCertificate", "2.0.1": "SignChargingStationCertificate"}
INVALID_EVENT = {"1.6": "InvalidChargePointCertificate", "2.0.1": "InvalidChargingStationCertificate"}
TRIGGER["2.1"], INVALID_EVENT["2.1"] = TRIGGER["2.0.1"], INVALID_EVENT["2.0.1"]  # unchanged in 2.1


class Renewal:
    def __init__(self, station: Any, store: Any) -> None:
        self.station = station
        self.store = store  # certs.CertStore: the roots the chain must reach
        self.pending: ec.EllipticCurvePrivateKey | None = None
        self.installed: list[x509.Certificate] = []  # the last chain accepted (leaf first)

    def csr_pem(self) -> str:
        st = self.station
        self.pending = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, st.identity),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(st.params.get("cpo_name", "vgitest CPO")))])
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(self.pending, hashes.SHA256())
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    async def send_csr(self) -> None:
        """After the trigger was answered: SignCertificate with a fresh CSR."""
        payload: dict[str, Any] = {"csr": self.csr_pem()}
        if self.station.version != "1.6":
            payload["certificateType"] = "ChargingStationCertificate"
        await self.station.call("SignCertificate", payload)

    async def trigger(self, p: dict, fallback: Any) -> dict:
        if p.get("requestedMessage") != TRIGGER[self.station.version]:
            return await fallback(p)
        if not self.station.has("no_csr_after_trigger"):
            self.station.spawn(self._later())
        return {"status": "Accepted"}

    async def _later(self) -> None:
        import asyncio
        await asyncio.sleep(0.05)  # the trigger's answer goes out first
        try:
            await self.send_csr()
        except Exception as exc:  # noqa: BLE001 - a refused or unanswered SignCertificate ends the renewal
            self.station.events.append(f"SignCertificate failed: {type(exc).__name__}")

    def problem(self, pem: str) -> str | None:
        """Why the chain cannot become the station's certificate, or None."""
        try:
            chain = x509.load_pem_x509_certificates(pem.encode())
        except ValueError:
            return "not a PEM certificate chain"
        if self.pending is None:
            return "no CSR is pending"
        leaf = chain[0]
        if leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
                != self.pending.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo):
            return "the leaf does not carry the key of the CSR"
        now = _dt.datetime.now(_dt.timezone.utc)
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            return "the leaf is not valid now"
        anchors = [r.cert for r in self.store.roots]
        for i, cert in enumerate(chain):
            if any(_issued_by(cert, a) for a in anchors):
                return None
            if i + 1 < len(chain) and _issued_by(cert, chain[i + 1]):
                continue
            break
        return "the chain does not lead to a CSMS root the station trusts"

    async def certificate_signed(self, p: dict) -> dict:
        why = self.problem(str(p.get("certificateChain", "")))
        if why is not None and not self.station.has("accepts_any_station_certificate"):
            self.station.events.append(f"CertificateSigned refused: {why}")
            self.station.security_events.append(INVALID_EVENT[self.station.version])
            self.station.spawn(self.station.report_security_events())
            return {"status": "Rejected"}
        self.installed = x509.load_pem_x509_certificates(str(p.get("certificateChain", "")).encode()) \
            if why is None else []
        self.pending = None
        return {"status": "Accepted"}


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - wrong issuer name, signature or key type: not this issuer
        return False
    return True

"""TLS and Plug & Charge (ISO 15118-2) in the live roles: the SECC's TLS accept (with the checks of V2G-TLS),
contexts made from PEM files (the reference devices get files, a vendor brings files), and the PnC parts of
both sides.

* :class:`EvPnc` (EV side, attached to an EVCC engine): signs AuthorizationReq / MeteringReceiptReq with the
  contract key and CertificateInstallationReq with the OEM provisioning key through the ``Iso2Ev.sign`` hook;
  as the fake EVCC it also checks the EVSE's PnC answers (GenChallenge, FAILED codes to tampered requests,
  the CertificateInstallationRes chains and signature). Per-test knobs: ``tamper``, ``unsigned``,
  ``wrong_challenge``, ``install``, ``contract``.
* :class:`SeccPnc` (SECC side, attached to an SECC engine): checks the contract chain of PaymentDetailsReq
  against the MO roots, the signatures of AuthorizationReq / MeteringReceiptReq against that contract
  certificate and GenChallenge against the one issued (FAILED_CertChainError / FAILED_SignatureError /
  FAILED_ChallengeInvalid / FAILED_MeteringSignatureNotValid answers), and answers CertificateInstallationReq
  with the contract chain signed by the CPS leaf. The ``eMAID`` element of that response is not signed: the
  codec cannot encode its fragment (docs/iso15118_pki.md, "Not done / limits"); the other three are.

Findings only when the engine judges (fake SECC / fake EVCC); the reference devices use the same code for
their conformant behaviour and read their fault flags here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import os
import socket
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..pki import Credential
from . import signature
from .testpki import chain_dict, der, load_credential

KEYLOG_NAME = "tls-keys.log"
V2GTP_VERSION = 0x01
TLS_RECORD_HANDSHAKE = 0x16
CONSTANT_CHALLENGE = bytes.fromhex("00112233445566778899aabbccddeeff")  # fault constant_gen_challenge


# ------------------------------------------------------------------------------------------------ contexts
def _versions(ctx: ssl.SSLContext, iso20: bool) -> None:
    from .tls import _versions as versions
    versions(ctx, iso20)


def server_context_files(*, iso20: bool, cert: str, key: str, ca: str | None = None,
                         keylog: str | Path | None = None, require_client_cert: bool | None = None
                         ) -> ssl.SSLContext:
    """SECC context from PEM files: `cert` the SECC chain (leaf first), `key` its key, `ca` the roots a vehicle
    certificate must chain to (ISO-20 requires one; ISO-2 asks for none)."""
    from .tls import set_keylog
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _versions(ctx, iso20)
    ctx.load_cert_chain(cert, key)
    if require_client_cert is None:
        require_client_cert = iso20
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if ca:
            ctx.load_verify_locations(ca)
    set_keylog(ctx, keylog)
    return ctx


def client_context_files(*, iso20: bool, ca: str | None, cert: str | None = None, key: str | None = None,
                         keylog: str | Path | None = None, verify: bool = True) -> ssl.SSLContext:
    """EVCC context from PEM files: `ca` the V2G root(s) the SECC chain must reach (no hostname check), and for
    ISO-20 the vehicle certificate chain `cert` + `key`. ``verify=False`` is a fault of the reference EV only."""
    from .tls import set_keylog
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    _versions(ctx, iso20)
    if verify and ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(ca)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cert and key:
        ctx.load_cert_chain(cert, key)
    set_keylog(ctx, keylog)
    return ctx


def tls_meta(writer: Any) -> dict[str, Any]:
    """The negotiated TLS version and cipher of a connection (empty without TLS), for the trace OPEN event."""
    obj = writer.get_extra_info("ssl_object") if writer is not None else None
    if obj is None:
        return {}
    cipher = obj.cipher() or (None, None, None)
    return {"tls_version": obj.version(), "tls_cipher": cipher[0]}


# ------------------------------------------------------------------------------------------------ SECC accept
async def accept_tls(server: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> dict[str, Any]:
    """Upgrade a fresh connection of an SECC that offers TLS. Pauses reading before its first await (no byte
    can reach the stream reader), peeks at the first byte: a TLS record -> handshake with the server's current
    context; a V2GTP header -> the EV connected without TLS (V2G-TLS) and the session runs in plaintext.

    Returns the OPEN event meta: ``tls``, ``tls_version``, ``tls_cipher`` or ``tls_error``."""
    transport = writer.transport
    transport.pause_reading()
    loop = asyncio.get_running_loop()
    wait = float(server.timers.with_tolerance("iso-2", "communication_setup"))
    sock = writer.get_extra_info("socket")
    raw = getattr(sock, "_sock", sock)
    first = bytes(getattr(reader, "_buffer", b"")[:1])
    end = loop.time() + wait
    while not first:
        try:
            first = raw.recv(1, socket.MSG_PEEK)
            if not first:
                return {"tls": False, "tls_error": "the EV closed the connection before sending anything"}
        except (BlockingIOError, InterruptedError):
            if loop.time() > end:
                return {"tls": False, "tls_error": f"nothing received within {wait:.1f} s"}
            await asyncio.sleep(0.005)
        except OSError as exc:
            return {"tls": False, "tls_error": f"connection error: {exc}"}
    asked = getattr(server, "sdp_security_asked", None)
    if first[0] != TLS_RECORD_HANDSHAKE:
        transport.resume_reading()
        what = "asked for TLS in its SDP request" if asked == 0x00 else "was answered TLS in SDP"
        server._find(None, "V2G-TLS", f"the EV {what} but connected without TLS (first byte {first[0]:#04x})",
                     sdp_security=asked)
        return {"tls": False, "tls_expected": True}
    ctx = server.ssl_context
    try:
        await asyncio.wait_for(writer.start_tls(ctx, ssl_handshake_timeout=wait), wait + 1)
    except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as exc:
        err = _describe(exc)
        refusal = getattr(server, "tls_expect_refusal", None)
        if refusal:
            return {"tls": True, "tls_error": err, "tls_refused": refusal}
        server._find(None, "V2G-TLS", f"TLS handshake with the EV failed: {err}")
        return {"tls": True, "tls_error": err}
    meta = {"tls": True, **tls_meta(writer)}
    refusal = getattr(server, "tls_expect_refusal", None)
    if refusal:
        meta["tls_accepted_bad_certificate"] = refusal
        server._find(None, "V2G-TLS", f"the EV completed the TLS handshake with {refusal} SECC certificate (the "
                     "chain does not verify: the EV must refuse it)")
    return meta


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message} ({exc.verify_code})"
    if isinstance(exc, asyncio.TimeoutError):
        return "handshake timed out"
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------------------------ chains
def load_certs(data: bytes | str | Path) -> list[x509.Certificate]:
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    return x509.load_pem_x509_certificates(data)


def verify_chain(leaf: bytes | x509.Certificate, subs: list[bytes | x509.Certificate],
                 roots: list[x509.Certificate], *, now: _dt.datetime | None = None) -> list[str]:
    """Problems with a certificate chain (leaf, Sub-CAs nearest first) against trust anchors; [] = verifies.
    Checks each signature, validity period, CA flag of issuers; never raises."""
    now = now or _dt.datetime.now(_dt.UTC)
    try:
        certs = [c if isinstance(c, x509.Certificate) else x509.load_der_x509_certificate(bytes(c))
                 for c in [leaf, *subs]]
    except (ValueError, TypeError) as exc:
        return [f"not an X.509 certificate: {exc}"]
    problems = []
    for c in certs:
        if not (c.not_valid_before_utc <= now <= c.not_valid_after_utc):
            problems.append(f"{c.subject.rfc4514_string()} is not valid now (until {c.not_valid_after_utc:%Y-%m-%d})")
    for child, parent in zip(certs, certs[1:]):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, Exception) as exc:  # noqa: BLE001 - InvalidSignature and friends
            problems.append(f"{child.subject.rfc4514_string()} is not issued by {parent.subject.rfc4514_string()}: "
                            f"{type(exc).__name__}")
    top = certs[-1]
    anchored = False
    for r in roots:
        if r.subject == top.issuer:
            try:
                top.verify_directly_issued_by(r)
                anchored = True
                break
            except Exception:  # noqa: BLE001
                continue
    if not anchored:
        problems.append(f"{top.issuer.rfc4514_string()} is not a trusted root")
    return problems


def _chain_parts(chain: Any) -> tuple[Any, list[Any]]:
    if not isinstance(chain, dict):
        return None, []
    subs = (chain.get("SubCertificates") or {}).get("Certificate") or []
    return chain.get("Certificate"), list(subs) if isinstance(subs, list) else [subs]


def _header_signature(frame: Any) -> Any:
    root = (frame.body or {}).get("V2G_Message") if frame is not None and isinstance(frame.body, dict) else None
    return ((root or {}).get("Header") or {}).get("Signature")


def _body_of(frame: Any) -> dict[str, Any]:
    root = (frame.body or {}).get("V2G_Message") if frame is not None and isinstance(frame.body, dict) else None
    return (root or {}).get("Body") or {}


def _tampered(sig: dict[str, Any]) -> dict[str, Any]:
    value = bytearray(sig["SignatureValue"]["#value"])
    value[len(value) // 3] ^= 0x5A
    return {**sig, "SignatureValue": {**sig["SignatureValue"], "#value": bytes(value)}}


def emaid_of(cred: Credential) -> str:
    """The ISO-2 eMAID (14-15 characters, no separators) of a contract certificate's CN."""
    cn = cred.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    return str(cn).replace("-", "").replace("*", "")[:15]


# ------------------------------------------------------------------------------------------------ EV side
class EvPnc:
    """The EV's Plug & Charge material and behaviour (see the module doc)."""

    def __init__(self, contract: Credential | None, *, oem: Credential | None = None,
                 v2g_roots: list[x509.Certificate] | None = None, mo_roots: list[x509.Certificate] | None = None,
                 untrusted_contract: Credential | None = None, faults: frozenset[str] = frozenset()) -> None:
        self.default_contract = contract
        self.oem = oem
        self.v2g_roots = list(v2g_roots or [])
        self.mo_roots = list(mo_roots or [])
        self.untrusted_contract = untrusted_contract
        self.faults = faults
        self.challenges: list[bytes] = []  # every GenChallenge the EVSE issued (across sessions)
        self.installed: dict[str, Any] | None = None  # the last CertificateInstallationRes body
        self.reset()

    @classmethod
    def from_files(cls, files: dict[str, str], faults: frozenset[str] = frozenset()) -> "EvPnc":
        """From `testpki.V2gPki.files()` paths (or a vendor's: contract_chain/contract_key at least)."""
        contract = load_credential(files["contract_chain"], files["contract_key"]) \
            if files.get("contract_chain") and files.get("contract_key") else None
        oem = load_credential(files["oem_prov_chain"], files["oem_prov_key"]) \
            if files.get("oem_prov_chain") and files.get("oem_prov_key") else None
        untrusted = load_credential(files["untrusted_contract_chain"], files["untrusted_contract_key"]) \
            if files.get("untrusted_contract_chain") and files.get("untrusted_contract_key") else None
        return cls(contract, oem=oem, v2g_roots=load_certs(files["v2g_root"]) if files.get("v2g_root") else [],
                   mo_roots=load_certs(files["mo_root"]) if files.get("mo_root") else [],
                   untrusted_contract=untrusted, faults=faults)

    def reset(self) -> None:
        """Per test: sign everything correctly, no CertificateInstallation, the default contract."""
        self.tamper: set[str] = set()  # request names whose SignatureValue is corrupted
        self.unsigned: set[str] = set()  # request names sent without a Signature
        self.wrong_challenge = False  # AuthorizationReq carries another GenChallenge (validly signed)
        self.install = False  # run CertificateInstallation before PaymentDetails
        self.contract = self.default_contract
        self.sent: dict[str, dict[str, Any]] = {}  # what was done to the last request of each name
        if "untrusted_contract" in self.faults and self.untrusted_contract is not None:
            self.contract = self.untrusted_contract
        if "bad_signature" in self.faults:
            self.tamper.add("AuthorizationReq")
        if "bad_metering_signature" in self.faults:
            self.tamper.add("MeteringReceiptReq")
        if "unsigned_authorization" in self.faults:
            self.unsigned.add("AuthorizationReq")
        if "wrong_gen_challenge" in self.faults:
            self.wrong_challenge = True

    # -- the logic ---------------------------------------------------------------------------------------
    def attach(self, logic: Any) -> None:
        """Give an ISO-2 EV logic the contract, the signing hook and the CertificateInstallation step."""
        if getattr(logic, "family", None) != "iso-2" or self.contract is None:
            return
        c = self.contract
        subs = [der(x) for x in c.chain if x.issuer != x.subject]
        logic.p = dataclasses.replace(logic.p, contract_cert=der(c), emaid=emaid_of(c),
                                      contract_sub_ca2_cert=subs[0] if subs else b"",
                                      contract_sub_ca1_cert=subs[1] if len(subs) > 1 else b"")
        logic.sign = lambda name, body: self.sign(logic, name, body)
        after = logic._after
        install = self.install and self.oem is not None

        def _after(res_name: str, res: dict[str, Any]) -> Any:
            nonlocal install
            if res_name == "PaymentServiceSelectionRes" and install and logic.payment == "Contract":
                install = False
                return "CertificateInstallationReq", {
                    "Id": "id1", "OEMProvisioningCert": der(self.oem),
                    "ListOfRootCertificateIDs": {"RootCertificateID": self._root_ids()}}
            if res_name in ("CurrentDemandRes", "ChargingStatusRes") and "ignores_receipt_request" in self.faults:
                res = {**res, "ReceiptRequired": False}
            if res_name == "CertificateInstallationRes":
                self.installed = res
                return logic._payment_details()
            if res_name == "PaymentDetailsRes" and self.wrong_challenge and isinstance(res.get("GenChallenge"), bytes):
                gc = bytes(b ^ 0xFF for b in res["GenChallenge"])
                return after(res_name, {**res, "GenChallenge": gc})
            return after(res_name, res)

        logic._after = _after
        if "retries_after_signature_error" in self.faults:
            nxt = logic.next

            def next_(res_name: str, res: dict[str, Any]) -> Any:
                if res_name == "AuthorizationRes" and str(res.get("ResponseCode", "")).startswith("FAILED"):
                    return logic._out(*logic._authorization())
                return nxt(res_name, res)

            logic.next = next_

    def _root_ids(self) -> list[dict[str, Any]]:
        return [{"X509IssuerName": r.issuer.rfc4514_string(), "X509SerialNumber": r.serial_number}
                for r in (self.v2g_roots + self.mo_roots)[:20]] or [
            {"X509IssuerName": "CN=unknown", "X509SerialNumber": 1}]

    def sign(self, logic: Any, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if name == "MeteringReceiptReq" and any(getattr(logic, "session_id", b"") or b""):
            body["SessionID"] = logic.session_id
        if name == "AuthorizationReq" and "GenChallenge" in body:
            self.sent[name] = {"gen_challenge": body["GenChallenge"]}
        key = self.oem if name == "CertificateInstallationReq" else self.contract
        done = self.sent.setdefault(name, {})
        done.update(tampered=name in self.tamper, unsigned=name in self.unsigned,
                    wrong_challenge=self.wrong_challenge and name == "AuthorizationReq")
        if key is None or name in self.unsigned:
            return None
        sig = signature.sign({str(body["Id"]): (name, body)}, key, "iso-2")
        return _tampered(sig) if name in self.tamper else sig

    # -- judging the EVSE (fake EVCC) --------------------------------------------------------------------
    def check_response(self, client: Any, req_name: str, res: Any, rname: str, rbody: dict[str, Any]) -> None:
        code = str(rbody.get("ResponseCode", ""))
        done = self.sent.get(req_name, {})
        if rname == "PaymentDetailsRes" and code.startswith("OK"):
            gc = rbody.get("GenChallenge")
            if not isinstance(gc, bytes) or len(gc) != 16:
                client._find(res, "V2G-PNC-CHALLENGE", f"PaymentDetailsRes GenChallenge {gc!r} is not 16 bytes")
            elif gc in self.challenges:
                client._find(res, "V2G-PNC-CHALLENGE", f"PaymentDetailsRes repeats the GenChallenge {gc.hex()} of an "
                             "earlier PaymentDetails (it must be fresh random bytes each time)")
            if isinstance(gc, bytes):
                self.challenges.append(gc)
        if rname == "PaymentDetailsRes" and self.contract is not None and self.contract is self.untrusted_contract \
                and code != "FAILED_CertChainError":
            client._find(res, "V2G-PNC-CERTIFICATE", f"PaymentDetailsRes {code} to a contract chain under an "
                         "untrusted MO root (FAILED_CertChainError is due)")
        if rname == "AuthorizationRes":
            if (done.get("tampered") or done.get("unsigned")) and code != "FAILED_SignatureError":
                what = "an unsigned" if done.get("unsigned") else "a wrongly signed"
                client._find(res, "V2G-PNC-SIGNATURE", f"AuthorizationRes {code} to {what} AuthorizationReq "
                             "(FAILED_SignatureError is due)")
            elif done.get("wrong_challenge") and code != "FAILED_ChallengeInvalid":
                client._find(res, "V2G-PNC-CHALLENGE", f"AuthorizationRes {code} to an AuthorizationReq with another "
                             "GenChallenge than the EVSE issued (FAILED_ChallengeInvalid is due)")
        if rname == "MeteringReceiptRes" and done.get("tampered") and code != "FAILED_MeteringSignatureNotValid":
            client._find(res, "V2G-PNC-SIGNATURE", f"MeteringReceiptRes {code} to a MeteringReceiptReq with a wrong "
                         "signature (FAILED_MeteringSignatureNotValid is due)")
        if rname == "CertificateInstallationRes" and code.startswith("OK"):
            self._check_installation(client, res, rbody)

    def _check_installation(self, client: Any, res: Any, body: dict[str, Any]) -> None:
        leaf, subs = _chain_parts(body.get("SAProvisioningCertificateChain"))
        problems = verify_chain(leaf, subs, self.v2g_roots) if self.v2g_roots else []
        if problems:
            client._find(res, "V2G-PNC-CERTIFICATE", "SAProvisioningCertificateChain does not verify against the V2G "
                         "root: " + "; ".join(problems))
            return
        cleaf, csubs = _chain_parts(body.get("ContractSignatureCertChain"))
        cproblems = verify_chain(cleaf, csubs, self.mo_roots) if self.mo_roots else []
        if cproblems:
            client._find(res, "V2G-PNC-CERTIFICATE", "the installed ContractSignatureCertChain does not verify "
                         "against the MO root: " + "; ".join(cproblems))
        sig = _header_signature(res)
        if sig is None:
            client._find(res, "V2G-PNC-SIGNATURE", "CertificateInstallationRes carries no header Signature")
            return
        try:
            cps = x509.load_der_x509_certificate(bytes(leaf))
        except (ValueError, TypeError) as exc:
            client._find(res, "V2G-PNC-CERTIFICATE", f"SAProvisioningCertificateChain leaf is not X.509: {exc}")
            return
        # SignatureValue over the whole SignedInfo, and the digest of each element this codec can encode: the
        # eMAID fragment it cannot (docs/iso15118_pki.md), so an eMAID Reference is taken on trust
        elements = {k: v for k, v in signature.elements_with_ids(body).items() if v[0] != "eMAID"}
        problems = _verify_signed_info_only(sig, cps) + _digest_problems(sig, elements)
        if problems:
            client._find(res, "V2G-PNC-SIGNATURE", "CertificateInstallationRes signature (CPS leaf) does not verify: "
                         + "; ".join(problems))


def _verify_signed_info_only(sig: dict[str, Any], cert: x509.Certificate) -> list[str]:
    """Whether SignatureValue verifies over SignedInfo (all References, the eMAID one included)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    try:
        si = sig["SignedInfo"]
        value = bytes(sig["SignatureValue"]["#value"])
        alg = signature.algorithm_for_key(cert.public_key())
        cert.public_key().verify(signature.raw_to_der(value), signature.signed_info_bytes(si),
                                 ec.ECDSA(alg.digest_hash))
    except InvalidSignature:
        return ["SignatureValue does not verify over SignedInfo with the CPS leaf key"]
    except Exception as exc:  # noqa: BLE001
        return [f"signature could not be checked: {exc!r}"]
    return []


def _digest_problems(sig: dict[str, Any], elements: dict[str, tuple[str, dict]]) -> list[str]:
    out = []
    refs = sig.get("SignedInfo", {}).get("Reference") or []
    by_uri = {str(r.get("URI", ""))[1:]: r for r in (refs if isinstance(refs, list) else [refs]) if isinstance(r, dict)}
    for id_, (name, value) in elements.items():
        ref = by_uri.get(id_)
        if ref is None:
            out.append(f"element {name} (Id {id_}) is not covered by the signature")
            continue
        try:
            want = signature.digest_element(name, value, "iso-2")
        except Exception as exc:  # noqa: BLE001
            out.append(f"{name} does not encode: {exc}")
            continue
        if bytes(ref.get("DigestValue") or b"") != want:
            out.append(f"DigestValue of {name} (Id {id_}) does not match")
    return out


# ------------------------------------------------------------------------------------------------ SECC side
class SeccPnc:
    """The SECC's Plug & Charge checks and CertificateInstallation answer (see the module doc)."""

    def __init__(self, *, mo_roots: list[x509.Certificate], cps: Credential | None = None,
                 install: Credential | None = None, faults: frozenset[str] = frozenset()) -> None:
        self.mo_roots = mo_roots
        self.cps = cps
        self.install = install  # the contract a CertificateInstallationRes hands out
        self.faults = faults
        self.issued: list[bytes] = []

    @classmethod
    def from_files(cls, files: dict[str, str], faults: frozenset[str] = frozenset()) -> "SeccPnc":
        cps = load_credential(files["cps_leaf_chain"], files["cps_leaf_key"]) \
            if files.get("cps_leaf_chain") and files.get("cps_leaf_key") else None
        install = load_credential(files["contract_chain"], files["contract_key"]) \
            if files.get("contract_chain") and files.get("contract_key") else None
        return cls(mo_roots=load_certs(files["mo_root"]) if files.get("mo_root") else [], cps=cps, install=install,
                   faults=faults)

    def check_request(self, server: Any, frame: Any, name: str, body: dict[str, Any], logic: Any) -> str | None:
        """The FAILED code a PnC request earns (None: fine), with findings when the server judges."""
        if getattr(logic, "family", None) != "iso-2":
            return None
        f = self.faults
        if name == "PaymentDetailsReq":
            leaf, subs = _chain_parts(body.get("ContractSignatureCertChain"))
            try:
                logic._vgi_contract = x509.load_der_x509_certificate(bytes(leaf))
            except (ValueError, TypeError) as exc:
                logic._vgi_contract = None
                server._find(frame, "V2G-PNC-CERTIFICATE", f"the contract certificate is not X.509: {exc}")
                return "FAILED_CertChainError"
            problems = verify_chain(leaf, subs, self.mo_roots) if self.mo_roots else []
            if problems and "accepts_untrusted_contract" not in f:
                server._find(frame, "V2G-PNC-CERTIFICATE", "the contract chain of PaymentDetailsReq does not verify: "
                             + "; ".join(problems))
                return "FAILED_CertChainError"
            return None
        if name not in ("AuthorizationReq", "MeteringReceiptReq") or getattr(logic, "payment", None) != "Contract":
            return None
        if "constant_gen_challenge" in f:
            logic.gen_challenge = CONSTANT_CHALLENGE  # what `outgoing` put in PaymentDetailsRes
        contract = getattr(logic, "_vgi_contract", None)
        sig = _header_signature(frame)
        code = "FAILED_SignatureError" if name == "AuthorizationReq" else "FAILED_MeteringSignatureNotValid"
        accepts = {"AuthorizationReq": ("accepts_bad_signature", "accepts_unsigned_authorization"),
                   "MeteringReceiptReq": ("accepts_bad_metering_signature",)}[name]
        if "rejects_valid_signature" in f and name == "AuthorizationReq":
            return code
        if "rejects_valid_metering_receipt" in f and name == "MeteringReceiptReq":
            return code
        if contract is not None:
            if sig is None:
                problems = [f"{name} carries no header Signature"]
            else:
                problems = signature.verify(sig, signature.elements_with_ids(_body_of(frame)), contract, "iso-2")
            if problems and not any(a in f for a in accepts):
                server._find(frame, "V2G-PNC-SIGNATURE", f"{name} signature (contract certificate of PaymentDetailsReq) "
                             "does not verify: " + "; ".join(problems))
                return code
        if name == "AuthorizationReq" and body.get("GenChallenge") != logic.gen_challenge:
            got = body.get("GenChallenge")
            if "accepts_wrong_gen_challenge" in f:
                logic.gen_challenge = got
                return None
            shown = got.hex() if isinstance(got, bytes) else repr(got)
            server._find(frame, "V2G-PNC-CHALLENGE", f"AuthorizationReq GenChallenge {shown} is not the "
                         f"{logic.gen_challenge.hex()} the SECC issued in PaymentDetailsRes")
            return "FAILED_ChallengeInvalid"
        return None

    def check_receipt_due(self, server: Any, s: Any, frame: Any, name: str) -> None:
        """ReceiptRequired=True in the last charge-loop answer: the EV's next request is MeteringReceiptReq."""
        if not s.responses or name == "MeteringReceiptReq":
            return
        last = _body_of(s.responses[-1])
        res = next(iter(last.values()), {}) if last else {}
        if isinstance(res, dict) and res.get("ReceiptRequired") is True and not getattr(s, "_vgi_receipt", False):
            s._vgi_receipt = True  # once per session
            server._find(frame, "V2G-PNC-RECEIPT", f"{name} after {s.responses[-1].name} with ReceiptRequired=true "
                         "(a Plug & Charge EV sends MeteringReceiptReq)")

    def outgoing(self, name: str, msg: dict[str, Any]) -> dict[str, Any]:
        """CertificateInstallationRes / CertificateUpdateRes: the real chains, signed with the CPS leaf."""
        if name == "PaymentDetailsRes" and "constant_gen_challenge" in self.faults:
            body = ((msg.get("V2G_Message") or {}).get("Body") or {}).get(name)
            if isinstance(body, dict) and "GenChallenge" in body:
                body["GenChallenge"] = CONSTANT_CHALLENGE
        if name not in ("CertificateInstallationRes", "CertificateUpdateRes") or self.cps is None \
                or self.install is None or "installation_placeholder_certificates" in self.faults:
            return msg
        root = msg.get("V2G_Message") or {}
        body = (root.get("Body") or {}).get(name)
        if not isinstance(body, dict) or not str(body.get("ResponseCode", "")).startswith("OK"):
            return msg
        body["SAProvisioningCertificateChain"] = chain_dict(self.cps)
        body["ContractSignatureCertChain"] = chain_dict(self.install, id="id1")
        body["ContractSignatureEncryptedPrivateKey"] = {"Id": "id2", "#value": os.urandom(48)}
        pub = self.install.cert.public_key().public_bytes(serialization.Encoding.X962,
                                                          serialization.PublicFormat.UncompressedPoint)
        body["DHpublickey"] = {"Id": "id3", "#value": pub[:65]}
        body["eMAID"] = {"Id": "id4", "#value": emaid_of(self.install)}
        elements = {k: v for k, v in signature.elements_with_ids(body).items() if v[0] != "eMAID"}
        sig = signature.sign(elements, self.cps, "iso-2")  # eMAID: not encodable as a fragment (see module doc)
        if "bad_installation_signature" in self.faults:
            sig = _tampered(sig)
        root.setdefault("Header", {})["Signature"] = sig
        return msg


# ------------------------------------------------------------------------------------------------ fakes
def present_secc_certificate(fake: Any, which: str) -> None:
    """Per test: the fake SECC presents ``expired_secc`` or ``untrusted_secc`` from the run's test PKI; the EV
    must refuse the handshake (completing it is a V2G-TLS finding). ``reset_for_test`` undoes it."""
    pki = getattr(fake, "pki", None)
    if pki is None or fake.server is None or fake.server.ssl_context is None:
        from ..verdict import Inconclusive
        raise Inconclusive("this test swaps the SECC certificate: it needs TLS with the generated test PKI "
                           "(PIXIT tls = true, tls_material = \"generated\")")
    from . import tls
    ctx = tls.secc_context(pki, iso20=pki.iso20, secc=getattr(pki, which), keylog=getattr(fake, "keylog", None))
    fake.server.ssl_context = ctx
    fake.server.tls_expect_refusal = {"expired_secc": "an expired", "untrusted_secc": "an untrusted"}.get(which, which)


__all__ = ["EvPnc", "KEYLOG_NAME", "SeccPnc", "accept_tls", "client_context_files", "emaid_of",
           "present_secc_certificate", "server_context_files", "tls_meta", "verify_chain"]

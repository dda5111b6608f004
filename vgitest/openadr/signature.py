"""OpenADR 2.0b XML signatures: sign a payload (the reference VEN, tests) and judge a signed one (the fake VTN).

The shape 2.0b stacks exchange (openleadr among them): a detached ``ds:Signature`` as the first child of
``oadrPayload``, before the ``oadrSignedObject`` it signs, with two references: ``#oadrSignedObject`` (the
``oadr:Id`` of the signed object) and a ``ds:Object`` whose ``SignatureProperties`` carry a
``dsp:ReplayProtect`` (timestamp and nonce). Inclusive C14N 1.0, SHA-256 digests, ECDSA or RSA with SHA-256.

signxml is the cryptographic engine; this module decides what a verification must have proven, because a
signature that "verifies" proves little on its own ("see what is signed"):

* it verifies with the VEN's certificate (one configured for its venID, else its TLS client certificate),
  never merely with the certificate the payload carries about itself;
* one verified reference resolves to the very oadrSignedObject the harness decoded, through canonicalization
  transforms only (signxml skips transforms it does not know and honours base64, either of which can make a
  digest cover something other than the payload);
* a verified reference covers a ReplayProtect whose timestamp lies within the window and whose nonce is new.

Why :func:`sign` copies the root's namespace declarations onto the signature: inclusive C14N renders every
namespace in scope, and signxml digests the ReplayProtect object and the SignedInfo before they are placed in
the document. Declaring on the signature exactly what ``oadrPayload`` declares makes them canonicalise the same
inside and outside the document, whatever prefixes the payload uses.

Nothing here raises for what a DUT sent: problems are (rule id, message) pairs. Parsing refuses DTDs and
entities and never touches the network.
"""

from __future__ import annotations

import base64
import collections
import copy
import dataclasses
import datetime as _dt
import re
import uuid
from typing import Any, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from ..findings import Finding
from . import messages as m, rules as r, security
from .namespaces import NS, OADR

__all__ = ["DEFAULT_WINDOW_S", "DSP", "REFUSED_CODE", "SIGNED_OBJECT_ID", "NonceCache", "Report", "SignatureCheck",
           "inspect", "is_signed", "sign", "verify"]

DS = NS["ds"]
DSP = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"  # the ReplayProtect namespace
SIGNED_OBJECT_ID = "oadrSignedObject"
DEFAULT_WINDOW_S = 5.0  # what openleadr accepts, and the PIXIT default (signature_replay_window_s)
REFUSED_CODE = 463  # see SignatureCheck: the payload's origin is not authenticated
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
CANONICALIZATIONS = frozenset({
    C14N_10, C14N_10 + "#WithComments", "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments", "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"})
_ID_ATTRIBUTES = ("Id", "ID")  # what signxml resolves "#name" against, in this order
_MAX_TEXT = 300  # findings quote at most this much of a library's message

Problem = tuple[str, str]
CertLike = Union[x509.Certificate, bytes, str, None]


def _parser() -> etree.XMLParser:
    """A parser that keeps what canonicalization sees (processing instructions) and nothing dangerous."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False)


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def load_certificate(value: CertLike) -> x509.Certificate | None:
    """A certificate from an object, PEM (first of a chain) or DER; None stays None. Raises ValueError."""
    if value is None or isinstance(value, x509.Certificate):
        return value
    data = value.encode() if isinstance(value, str) else bytes(value)
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _load_key(value: Any) -> Any:
    """A private key object as given, or one loaded from (unencrypted) PEM."""
    if not isinstance(value, (str, bytes, bytearray)):
        return value
    return serialization.load_pem_private_key(value.encode() if isinstance(value, str) else bytes(value), None)


# --- signing -------------------------------------------------------------------------------------------------
def sign(payload: bytes | Any, cert: CertLike, key: Any, *, timestamp: _dt.datetime | None = None,
         nonce: str | None = None) -> bytes:
    """`payload` (bytes or an lxml oadrPayload, left unchanged) with a detached 2.0b signature by `key`,
    `cert` in its KeyInfo and a ReplayProtect (now and a fresh nonce unless given, for negative tests).

    Raises ValueError for input the harness itself got wrong (not an oadrPayload, unsupported key)."""
    from signxml import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod, XMLSigner

    root = etree.fromstring(payload, _parser()) if isinstance(payload, (bytes, bytearray)) else copy.deepcopy(payload)
    signed = root.find(f"{{{OADR}}}oadrSignedObject") if root.tag == f"{{{OADR}}}oadrPayload" else None
    if signed is None:
        raise ValueError("only an oadrPayload with an oadrSignedObject can be signed")
    for old in root.findall(_ds("Signature")):
        root.remove(old)
    signed.attrib.pop("Id", None)  # the 2.0b schema qualifies its attributes: oadr:Id
    signed.set(f"{{{OADR}}}Id", SIGNED_OBJECT_ID)
    certificate = load_certificate(cert)
    private = _load_key(key)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        algorithm = SignatureMethod.ECDSA_SHA256
    elif isinstance(private, rsa.RSAPrivateKey):
        algorithm = SignatureMethod.RSA_SHA256
    else:
        raise ValueError(f"2.0b signatures use ECDSA or RSA keys, not {type(private).__name__}")
    if root.nsmap.get("ds", DS) != DS:
        raise ValueError("the payload binds the prefix ds to another namespace than XML-DSig")
    signer = XMLSigner(method=SignatureConstructionMethod.detached, signature_algorithm=algorithm,
                       digest_algorithm=DigestAlgorithm.SHA256, c14n_algorithm=C14N_10)
    signer.namespaces = {**root.nsmap, "ds": DS}  # see the module docstring (inclusive C14N)
    when = (timestamp or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    replay = etree.Element(f"{{{DSP}}}ReplayProtect", nsmap={"dsp": DSP},
                           attrib={"Id": "replayProtect", "Target": "#oadrSignature"})
    etree.SubElement(replay, f"{{{DSP}}}timestamp").text = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    etree.SubElement(replay, f"{{{DSP}}}nonce").text = nonce if nonce is not None else uuid.uuid4().hex
    signature = signer.sign(root, key=private, cert=[certificate] if certificate is not None else None,
                            reference_uri=[f"#{SIGNED_OBJECT_ID}"], signature_properties=replay)
    signature.set("Id", "oadrSignature")  # the SignatureProperty's Target; not part of what is digested
    root.insert(0, signature)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- verifying -----------------------------------------------------------------------------------------------
class NonceCache:
    """The nonces of verified signatures, with where each was first seen; bounded, oldest forgotten first (a
    replay older than the window is caught by its timestamp anyway)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._seen: collections.OrderedDict[str, Any] = collections.OrderedDict()

    def use(self, nonce: str, where: Any = None) -> tuple[bool, Any]:
        """(True, None) for a new nonce, now remembered; (False, where it was first seen) for a reused one.
        `where` is a frame number, or the frame itself (numbered only once it enters the trace)."""
        if nonce in self._seen:
            return False, self._seen[nonce]
        self._seen[nonce] = where
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True, None

    def __contains__(self, nonce: object) -> bool:
        return nonce in self._seen

    def __len__(self) -> int:
        return len(self._seen)


@dataclasses.dataclass
class Report:
    """What :func:`inspect` found: whether the payload is signed, the problems, and what a trace should show."""

    signed: bool = False
    verified: bool = False  # the signature and the reference to the oadrSignedObject verified
    authenticated: bool = False  # ... with a certificate the VEN is known by (not only the one it carries)
    signer: str | None = None  # OpenADR fingerprint of the certificate that verified it
    timestamp: str | None = None
    nonce: str | None = None
    age_s: float | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Plain JSON for the frame's meta (evidence)."""
        d = dataclasses.asdict(self)
        d["problems"] = [f"{rid}: {text}" for rid, text in self.problems]
        return d


def is_signed(doc: Any) -> bool:
    return doc is not None and any(True for _ in doc.iter(_ds("Signature")))


def verify(raw: bytes, doc: Any, cert: CertLike, *, now: _dt.datetime, window_s: float = DEFAULT_WINDOW_S,
           nonces: NonceCache | None = None, where: Any = None) -> list[Problem]:
    """The problems of a signed payload (empty: valid, or not signed at all; see :func:`inspect`)."""
    return inspect(raw, doc, cert, now=now, window_s=window_s, nonces=nonces, where=where).problems


def inspect(raw: bytes, doc: Any, cert: CertLike, *, now: _dt.datetime, window_s: float = DEFAULT_WINDOW_S,
            nonces: NonceCache | None = None, where: Any = None) -> Report:
    """Judge the ds:Signature of `raw` (`doc`: its already parsed oadrPayload root).

    `cert` is the certificate the VEN is known by (None: only the integrity can be checked, with the certificate
    the signature carries); `now` the arrival time; `nonces` the run's memory, which a valid signature's nonce
    joins; `where` names the frame in messages. Never raises."""
    rep = Report()
    try:
        _inspect(rep, raw, doc, cert, now, window_s, nonces, where)
    except Exception as exc:  # the last line of defence: hostile input is a finding, never a crash
        rep.problems.append((r.SIGNATURE, _clip(f"the signature could not be checked: {type(exc).__name__}: {exc}")))
    return rep


def _inspect(rep: Report, raw: bytes, doc: Any, cert: CertLike, now: _dt.datetime, window_s: float,
             nonces: NonceCache | None, where: Any) -> None:
    if doc is None:
        return
    root = doc.getroot() if isinstance(doc, etree._ElementTree) else doc
    signatures = list(root.iter(_ds("Signature")))
    if not signatures:
        return
    rep.signed = True
    sig = signatures[0]
    if len(signatures) != 1 or sig.getparent() is not root:
        rep.problems.append((r.SIGNATURE, f"{len(signatures)} ds:Signature element(s), not one as a child of "
                                          "oadrPayload: a signature elsewhere signs nothing the VTN uses"))
        return
    signed_object = root.find(f"{{{OADR}}}oadrSignedObject")
    if signed_object is None:
        rep.problems.append((r.SIGNATURE, "the payload has no oadrSignedObject to sign"))
        return
    key_cert = _trusted(rep, sig, cert)
    if key_cert is None:
        return
    if not _verify_crypto(rep, raw, key_cert):
        return
    replay = _check_references(rep, root, sig, signed_object)
    if not rep.verified:
        return
    _check_replay(rep, root, replay, now, window_s, nonces, where)


def _embedded(sig: Any) -> list[x509.Certificate | None]:
    out: list[x509.Certificate | None] = []
    for el in sig.iterfind(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}"):
        try:
            out.append(x509.load_der_x509_certificate(base64.b64decode("".join((el.text or "").split()))))
        except Exception:
            out.append(None)
    return out


def _describe(cert: x509.Certificate) -> str:
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return f"{str(cn[0].value)!r} ({security.fingerprint(cert)})" if cn else security.fingerprint(cert)


def _trusted(rep: Report, sig: Any, cert: CertLike) -> x509.Certificate | None:
    """The certificate to verify with; a problem (and None) when the VEN signed with another one."""
    try:
        known = load_certificate(cert)
    except (ValueError, TypeError) as exc:
        rep.problems.append((r.SIGNATURE, _clip(f"the certificate the VEN is known by cannot be read: {exc}")))
        return None
    carried = _embedded(sig)
    if known is None:
        if not carried or carried[0] is None:
            rep.problems.append((r.SIGNATURE, "no certificate to verify the signature with: none is configured for "
                                              "the venID, the VEN presented none in TLS, and KeyInfo has no "
                                              "readable X509Certificate"))
            return None
        return carried[0]  # integrity only: the signer is not authenticated
    rep.authenticated = True
    if carried and (carried[0] is None or carried[0] != known):
        what = "an unreadable certificate" if carried[0] is None else f"the certificate {_describe(carried[0])}"
        rep.problems.append((r.SIGNATURE, f"the payload is signed with {what}, not with the VEN's certificate "
                                          f"{_describe(known)}"))
        return None
    return known


def _verify_crypto(rep: Report, raw: bytes, cert: x509.Certificate) -> bool:
    from signxml import SignatureConfiguration, XMLVerifier

    config = SignatureConfiguration(expect_references=True, location="./")  # any number; a child of the root
    try:
        XMLVerifier().verify(raw, x509_cert=cert, parser=_parser(), expect_config=config)
    except Exception as exc:  # signxml raises its own errors, and others (KeyError, ValueError...) on garbage
        reason = str(exc) or type(exc).__name__
        rep.problems.append((r.SIGNATURE, _clip(f"the signature does not verify with {_describe(cert)}: {reason}")))
        return False
    rep.signer = security.fingerprint(cert)
    return True


def _resolve(root: Any, uri: str | None) -> Any:
    """The element a same-document reference points to, resolved the way signxml does (None: not exactly one)."""
    if not uri or not uri.startswith("#") or uri.startswith("#xpointer("):
        return None
    for attr in _ID_ATTRIBUTES:
        hits = root.xpath("//*[@*[local-name() = $a] = $v]", a=attr, v=uri[1:])
        if len(hits) == 1:
            return hits[0]
        if hits:
            return None
    return None


def _check_references(rep: Report, root: Any, sig: Any, signed_object: Any) -> Any:
    """Mark the report verified when a reference covers the oadrSignedObject; return a covered ReplayProtect."""
    covered, replay, notes = False, None, []
    for ref in sig.iterfind(f"{_ds('SignedInfo')}/{_ds('Reference')}"):
        uri = ref.get("URI")
        target = _resolve(root, uri)
        transforms = [t.get("Algorithm") for t in ref.iterfind(f"{_ds('Transforms')}/{_ds('Transform')}")]
        plain = all(t in CANONICALIZATIONS for t in transforms)
        if target is signed_object:
            if plain:
                covered = True
            else:
                notes.append(f"{uri} goes through transform(s) {', '.join(str(t) for t in transforms)}; only "
                             "canonicalization is accepted")
        elif target is not None and plain and replay is None:
            replay = target.find(f".//{{{DSP}}}ReplayProtect")
    if not covered:
        uris = [str(ref.get("URI")) for ref in sig.iterfind(f"{_ds('SignedInfo')}/{_ds('Reference')}")]
        detail = "; ".join(notes) or f"references: {', '.join(uris) or 'none'}"
        rep.problems.append((r.SIGNATURE, f"the signature does not cover the oadrSignedObject ({detail})"))
        return None
    rep.verified = True
    return replay


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _parse_time(text: str) -> _dt.datetime | None:
    """An xs:dateTime with a time zone (the only kind that names an instant)."""
    text = text.strip()
    if not _DATETIME.match(text):
        return None
    main, _, rest = text.partition(".")
    if rest:  # Python takes at most 6 fraction digits
        digits = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
        text = f"{main}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_replay(rep: Report, root: Any, replay: Any, now: _dt.datetime, window_s: float,
                  nonces: NonceCache | None, where: Any) -> None:
    if replay is None:
        anywhere = root.find(f".//{{{DSP}}}ReplayProtect") is not None
        rep.problems.append((r.SIGNATURE_REPLAY, "the ReplayProtect is not covered by the signature" if anywhere
                             else "the signature has no ReplayProtect (timestamp and nonce)"))
        return
    stamp = replay.findtext(f"{{{DSP}}}timestamp")
    nonce = replay.findtext(f"{{{DSP}}}nonce")
    rep.timestamp, rep.nonce = stamp, nonce
    when = _parse_time(stamp) if stamp is not None else None
    if when is None:
        rep.problems.append((r.SIGNATURE_REPLAY, _clip(f"ReplayProtect timestamp {stamp!r} is not a date-time with "
                                                       "a time zone")))
    else:
        age = (now - when).total_seconds()
        rep.age_s = round(age, 3)
        if age > window_s:
            rep.problems.append((r.SIGNATURE_REPLAY, f"signed {age:.1f} s before it arrived ({stamp}); the VTN "
                                                     f"accepts {window_s:g} s"))
        elif age < -window_s:
            rep.problems.append((r.SIGNATURE_REPLAY, f"ReplayProtect timestamp {stamp} is {-age:.1f} s in the "
                                                     f"future; the VTN accepts {window_s:g} s of clock offset"))
    if not (nonce or "").strip():
        rep.problems.append((r.SIGNATURE_REPLAY, "ReplayProtect has no nonce"))
    elif nonces is not None:
        fresh, first = nonces.use(nonce.strip(), where)  # type: ignore[union-attr]
        if not fresh:
            first = getattr(first, "index", first)
            seen = f" (first in frame {first})" if first is not None and first != -1 else ""
            rep.problems.append((r.SIGNATURE_REPLAY, _clip(f"nonce {nonce!r} was used before{seen}")))


# --- the fake VTN's policy -----------------------------------------------------------------------------------
@dataclasses.dataclass
class SignatureCheck:
    """The fake VTN's signature policy and memory for a run.

    A payload whose signature fails, is stale or replayed, or is missing although signing was promised, is
    answered ``oadrResponse`` with 463 (not registered or authorized), not 454 (invalid data): the payload may
    be perfectly valid, what fails is the proof of who sent it, which is the condition 463 names (the code the
    venID/certificate check uses too, and what openleadr's VTN answers to a bad signature). It is not processed.
    """

    required: bool = False  # the PICS declares XmlSignature: every payload must be signed
    window_s: float = DEFAULT_WINDOW_S  # PIXIT signature_replay_window_s
    certificates: dict[str, x509.Certificate] = dataclasses.field(default_factory=dict)  # venID -> signing cert
    nonces: NonceCache = dataclasses.field(default_factory=NonceCache)

    def screen(self, frame: Any, decoded: Any, state: Any, request: Any) -> tuple[str, dict] | None:
        """Judge one request before it enters the trace (so its findings and meta are there as soon as a test
        or the evidence sees it): findings go on `frame`, the summary in its meta; returns the answer to send
        instead of the normal one (the VTN uses it once the request passed its other checks), or None. Never
        raises."""
        try:
            return self._screen(frame, decoded, state, request)
        except Exception as exc:  # a bug here must not take the VTN down; it shows up as a finding
            frame.findings.append(Finding.of(r.SIGNATURE, _clip(f"signature check failed: {exc!r}"), frame.index))
            return None

    def _screen(self, frame: Any, decoded: Any, state: Any, request: Any) -> tuple[str, dict] | None:
        if decoded.doc is None or decoded.name is None:  # not a payload: nothing to judge
            return None
        body = decoded.body if isinstance(decoded.body, dict) else {}
        ven_id = state.ven_id_of(body) or state.ven_id
        cert: CertLike = self.certificates.get(ven_id) if ven_id else None
        if cert is None:
            # the TLS session as the connection began (a VEN may close right after its request)
            cert = security.peer_certificate(getattr(getattr(request, "protocol", None), "vgi_ssl_object", None))
        now = _dt.datetime.fromtimestamp(frame.wall, _dt.timezone.utc)
        rep = inspect(frame.raw, decoded.doc, cert, now=now, window_s=self.window_s, nonces=self.nonces,
                      where=frame)
        if rep.signed:
            frame.meta["signature"] = rep.summary()
        else:
            reason = self._why_signed(decoded.name, body, state)
            if reason:
                rep.problems.append((r.SIGNATURE_MISSING, f"{decoded.name} is unsigned although {reason}"))
        if not rep.problems:
            return None
        for rule_id, text in rep.problems:
            frame.findings.append(Finding.of(rule_id, text, frame.index))
        return "oadrResponse", m.response(state.request_id_of(body), REFUSED_CODE,
                                          "XML signature not accepted", state.ven_id)

    def _why_signed(self, name: str | None, body: dict, state: Any) -> str | None:
        if self.required:
            return "the PICS declares XmlSignature"
        if getattr(state, "xml_signature", False):
            return "the VEN registered with oadrXmlSignature=true"
        if name == "oadrCreatePartyRegistration" and str(body.get("oadrXmlSignature", "")).lower() == "true":
            return "it declares oadrXmlSignature=true"
        return None

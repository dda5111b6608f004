"""Plug & Charge signatures over EXI fragments, as ISO 15118-2 and -20 use them.

Signing (ISO 15118-2 V2G2 xmldsig profile; -20 the same with other algorithms):

1. each signed element (it carries an ``Id`` attribute) is EXI-encoded *as a fragment* with the message's
   grammar set (``encode_fragment({"AuthorizationReq": {...}}, "iso-2")``) — that is the canonical-EXI
   transform — and digested (SHA-256 for -2);
2. a ``SignedInfo`` names the algorithms (CanonicalizationMethod and Transform
   ``http://www.w3.org/TR/canonical-exi/``, SignatureMethod ``...xmldsig-more#ecdsa-sha256``, DigestMethod
   ``...xmlenc#sha256``) and holds one ``Reference`` (URI ``#<Id>``, DigestValue) per signed element;
3. ``SignedInfo`` is itself EXI-encoded as a fragment and those bytes are signed; ECDSA signatures are carried
   as raw ``r || s`` (64 bytes for P-256, 132 for P-521), not DER.

Which grammar encodes ``SignedInfo``: the standalone xmldsig schema's fragment grammar (``"xmldsig"``, the
default). That is what libcbv2g's ``encode_iso2_xmldsigFragment`` writes — its unit test vector (SignedInfo,
two references, ecdsa-sha512) is reproduced byte for byte by our codec (``tests/iso15118/test_signature.py``)
— and RISE-V2G encodes SignedInfo with an xmldsig-only grammar too. The message set's own fragment grammar
(``signed_info_schema="iso-2"``) indexes every element of the -2 schemas and so gives different bytes; it
exists for peers that do that, and is round-trip tested, but a signature made with one does not verify
with the other.

The result of `sign` is the ``Signature`` dict of the ``V2G_Message`` ``Header`` (``{"SignedInfo": ...,
"SignatureValue": {"#value": bytes}}``); `verify` returns a list of problems (empty = valid) and never
raises on malformed input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..exi import encode_fragment
from ..pki import Credential

__all__ = ["CANONICAL_EXI", "ECDSA_P256_SHA256", "ECDSA_P521_SHA512", "ED448", "Algorithm", "algorithm_for_key",
           "der_to_raw", "digest_element", "elements_with_ids", "raw_to_der", "sign", "signed_info_bytes",
           "verify"]

CANONICAL_EXI = "http://www.w3.org/TR/canonical-exi/"
SIGNED_INFO_SCHEMA = "xmldsig"


@dataclasses.dataclass(frozen=True)
class Algorithm:
    name: str
    signature_method: str  # SignatureMethod/@Algorithm
    digest_method: str  # DigestMethod/@Algorithm
    digest_hash: hashes.HashAlgorithm
    curve: str | None  # "secp256r1", "secp521r1"; None for EdDSA
    value_size: int  # SignatureValue length in bytes (raw r||s, or the EdDSA signature)

    def digest(self, data: bytes) -> bytes:
        h = hashes.Hash(self.digest_hash)
        h.update(data)
        return h.finalize()


ECDSA_P256_SHA256 = Algorithm("ecdsa-p256-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
                              "http://www.w3.org/2001/04/xmlenc#sha256", hashes.SHA256(), "secp256r1", 64)
ECDSA_P521_SHA512 = Algorithm("ecdsa-p521-sha512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
                              "http://www.w3.org/2001/04/xmlenc#sha512", hashes.SHA512(), "secp521r1", 132)
# RFC 9231 URI; the digest is our choice (SHA-512, as with P-521), not checked against the ISO 15118-20 text.
ED448 = Algorithm("ed448", "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448",
                  "http://www.w3.org/2001/04/xmlenc#sha512", hashes.SHA512(), None, 114)
ALGORITHMS = (ECDSA_P256_SHA256, ECDSA_P521_SHA512, ED448)
_DIGEST_SIZES = {a.digest_method: a.digest_hash.digest_size for a in ALGORITHMS}

Elements = Mapping[str, tuple[str, dict]]  # Id -> (element name, element dict)


def algorithm_for_key(key: Any) -> Algorithm:
    """The ISO 15118 algorithm of a private or public key (P-256 -> -2, P-521 / Ed448 -> -20)."""
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return ED448
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        for alg in (ECDSA_P256_SHA256, ECDSA_P521_SHA512):
            if key.curve.name == alg.curve:
                return alg
        raise ValueError(f"curve {key.curve.name} is not used by ISO 15118 signatures")
    raise ValueError(f"{type(key).__name__} is not an ISO 15118 signature key")


# ---------------------------------------------------------------- raw <-> DER ECDSA signatures

def raw_to_der(raw: bytes) -> bytes:
    """ISO 15118 SignatureValue (r || s, equal halves) -> DER ECDSA-Sig-Value."""
    if not raw or len(raw) % 2:
        raise ValueError(f"raw ECDSA signature of odd or zero length {len(raw)}")
    n = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big"))


def der_to_raw(der: bytes, size: int) -> bytes:
    """DER ECDSA-Sig-Value -> r || s with each half `size` bytes (32 for P-256, 66 for P-521)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# ---------------------------------------------------------------- building blocks

def _with_id(id_: str, value: dict) -> dict:
    if "Id" in value and value["Id"] != id_:
        raise ValueError(f"element keyed {id_!r} has Id {value['Id']!r}")
    return value if "Id" in value else {"Id": id_, **value}


def digest_element(name: str, value: dict, schema: str = "iso-2", algorithm: Algorithm = ECDSA_P256_SHA256) -> bytes:
    """Digest of one signed element: its EXI fragment encoding (canonical EXI) hashed."""
    return algorithm.digest(encode_fragment({name: value}, schema))


def signed_info_bytes(signed_info: dict, schema: str = SIGNED_INFO_SCHEMA) -> bytes:
    """The bytes that are signed: ``SignedInfo`` EXI-encoded as a fragment."""
    return encode_fragment({"SignedInfo": signed_info}, schema)


def elements_with_ids(tree: Any, *, skip: tuple[str, ...] = ("Signature",)) -> dict[str, tuple[str, dict]]:
    """Every element of a decoded message dict that carries an ``Id`` attribute, as `sign`/`verify` take them
    (``{Id: (name, dict)}``) — e.g. of a ``Body``. The ``Signature`` itself is skipped."""
    out: dict[str, tuple[str, dict]] = {}

    def walk(name: str, value: Any) -> None:
        if name in skip:
            return
        if isinstance(value, list):
            for item in value:
                walk(name, item)
        elif isinstance(value, dict):
            if isinstance(value.get("Id"), str):
                out.setdefault(value["Id"], (name, value))
            for k, v in value.items():
                walk(k, v)

    if isinstance(tree, dict):
        for k, v in tree.items():
            walk(k, v)
    return out


# ---------------------------------------------------------------- sign / verify

def sign(elements: Elements, key: Any, schema: str = "iso-2", *, signed_info_schema: str = SIGNED_INFO_SCHEMA,
         algorithm: Algorithm | None = None) -> dict:
    """The ``Signature`` dict (for the ``V2G_Message`` ``Header``) over `elements` (``{Id: (name, dict)}``, the
    dict's ``Id`` is added when missing), signed with the private `key` (or a `Credential`).

    `schema` is the message's grammar set (``iso-2``, ``iso-20-common``, ...), `signed_info_schema` the grammar
    for ``SignedInfo`` (default: standalone ``xmldsig``). Raises ValueError (``ExiError``) when an element does
    not encode."""
    if isinstance(key, Credential):
        key = key.key
    if not elements:
        raise ValueError("nothing to sign")
    alg = algorithm or algorithm_for_key(key)
    refs = []
    for id_, (name, value) in elements.items():
        refs.append({"URI": f"#{id_}", "Transforms": {"Transform": [{"Algorithm": CANONICAL_EXI}]},
                     "DigestMethod": {"Algorithm": alg.digest_method},
                     "DigestValue": digest_element(name, _with_id(id_, value), schema, alg)})
    signed_info = {"CanonicalizationMethod": {"Algorithm": CANONICAL_EXI},
                   "SignatureMethod": {"Algorithm": alg.signature_method}, "Reference": refs}
    data = signed_info_bytes(signed_info, signed_info_schema)
    if alg is ED448:
        value = key.sign(data)
    else:
        value = der_to_raw(key.sign(data, ec.ECDSA(alg.digest_hash)), alg.value_size // 2)
    return {"SignedInfo": signed_info, "SignatureValue": {"#value": value}}


def _public_key(key: Any) -> Any:
    if isinstance(key, Credential):
        key = key.cert
    if isinstance(key, x509.Certificate):
        return key.public_key()
    if isinstance(key, (ec.EllipticCurvePrivateKey, ed448.Ed448PrivateKey)):
        return key.public_key()
    return key


def verify(signature: Any, elements: Elements, public_key: Any, schema: str = "iso-2", *,
           signed_info_schema: str = SIGNED_INFO_SCHEMA, algorithm: Algorithm | None = None) -> list[str]:
    """Problems with `signature` (a ``Signature`` dict) over `elements` for `public_key` (a public key, a
    certificate or a `Credential`); empty when the signature is valid and covers every element. Never raises.

    Checked: the structure, CanonicalizationMethod, SignatureMethod (must be `algorithm`, by default the
    key's), per Reference the URI (``#Id`` of a given element, no duplicates), the one canonical-EXI Transform,
    DigestMethod and DigestValue; that every given element is referenced; the SignatureValue length and the
    signature over the EXI-encoded SignedInfo."""
    problems: list[str] = []
    try:
        _verify(signature, elements, public_key, schema, signed_info_schema, algorithm, problems)
    except Exception as exc:  # noqa: BLE001 - malformed input of any shape is a problem, not a crash
        problems.append(f"signature could not be checked: {exc!r}")
    return problems


def _algorithm_attr(parent: dict, child: str) -> Any:
    node = parent.get(child)
    return node.get("Algorithm") if isinstance(node, dict) else None


def _verify(signature: Any, elements: Elements, public_key: Any, schema: str, signed_info_schema: str,
            algorithm: Algorithm | None, problems: list[str]) -> None:
    try:
        key = _public_key(public_key)
        expected = algorithm or algorithm_for_key(key)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"unusable verification key: {exc}")
        return
    if not isinstance(signature, dict):
        problems.append("Signature is not an element dict")
        return
    si = signature.get("SignedInfo")
    if not isinstance(si, dict):
        problems.append("Signature has no SignedInfo")
        return
    c14n = _algorithm_attr(si, "CanonicalizationMethod")
    if c14n != CANONICAL_EXI:
        problems.append(f"CanonicalizationMethod is {c14n!r}, not {CANONICAL_EXI}")
    method = _algorithm_attr(si, "SignatureMethod")
    if method != expected.signature_method:
        problems.append(f"SignatureMethod is {method!r}, expected {expected.signature_method}")

    refs = si.get("Reference")
    refs = refs if isinstance(refs, list) else [refs] if isinstance(refs, dict) else []
    if not refs:
        problems.append("SignedInfo has no Reference")
    seen: set[str] = set()
    for n, ref in enumerate(refs):
        where = f"Reference {n + 1}"
        if not isinstance(ref, dict):
            problems.append(f"{where} is not an element dict")
            continue
        uri = ref.get("URI")
        if not isinstance(uri, str) or not uri.startswith("#") or len(uri) < 2:
            problems.append(f"{where} has URI {uri!r}, not '#<Id>'")
            continue
        id_ = uri[1:]
        where = f"Reference {uri}"
        if id_ in seen:
            problems.append(f"{where} appears twice")
        seen.add(id_)
        transforms = ref.get("Transforms")
        algs = [t.get("Algorithm") if isinstance(t, dict) else None
                for t in (transforms.get("Transform") or [] if isinstance(transforms, dict) else [])]
        if algs != [CANONICAL_EXI]:
            problems.append(f"{where}: Transforms {algs!r}, expected exactly [{CANONICAL_EXI!r}]")
        dm = _algorithm_attr(ref, "DigestMethod")
        if dm != expected.digest_method:
            problems.append(f"{where}: DigestMethod {dm!r}, expected {expected.digest_method}")
        if id_ not in elements:
            problems.append(f"{where} names no element of the message")
            continue
        name, value = elements[id_]
        if not isinstance(value, dict) or value.get("Id") not in (None, id_):
            problems.append(f"{where}: element {name} has Id {value.get('Id') if isinstance(value, dict) else None!r}")
            continue
        try:
            want = digest_element(name, _with_id(id_, value), schema, expected)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{where}: element {name} does not encode as a {schema} fragment: {exc}")
            continue
        got = ref.get("DigestValue")
        if not isinstance(got, (bytes, bytearray)):
            problems.append(f"{where}: DigestValue is not binary")
        elif len(got) != _DIGEST_SIZES.get(expected.digest_method, len(got)):
            problems.append(f"{where}: DigestValue has {len(got)} bytes, expected {len(want)}")
        elif bytes(got) != want:
            problems.append(f"{where}: DigestValue does not match element {name} (it was changed after signing)")
    for id_, (name, _value) in elements.items():
        if id_ not in seen:
            problems.append(f"element {name} (Id {id_!r}) is not covered by the signature")

    sv = signature.get("SignatureValue")
    value = sv.get("#value") if isinstance(sv, dict) else sv
    if not isinstance(value, (bytes, bytearray)):
        problems.append("SignatureValue is missing or not binary")
        return
    value = bytes(value)
    if len(value) != expected.value_size:
        problems.append(f"SignatureValue has {len(value)} bytes, expected {expected.value_size}"
                        + (" (raw r||s)" if expected.curve else ""))
        return
    try:
        data = signed_info_bytes(si, signed_info_schema)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"SignedInfo does not encode as a {signed_info_schema} fragment: {exc}")
        return
    try:
        if expected is ED448:
            key.verify(value, data)
        else:
            key.verify(raw_to_der(value), data, ec.ECDSA(expected.digest_hash))
    except InvalidSignature:
        problems.append("SignatureValue does not verify over SignedInfo with the given key")

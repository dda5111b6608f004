"""XML signatures of 2.0b payloads: what `signature.sign` produces verifies (here, in openleadr, and in the
schema), and every way a signed payload can be wrong is reported with its rule: a changed payload, another
certificate, a signature that covers something else, a missing, unsigned, stale, future or replayed
ReplayProtect. Hostile Signature elements end as findings, never as exceptions."""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
from typing import Callable

import pytest
from lxml import etree

from vgitest import pki
from vgitest.openadr import codec, messages as m, rules as r, security, signature as s

DS = "http://www.w3.org/2000/09/xmldsig#"
OADR = "http://openadr.org/oadr-2.0b/2012/07"
NOW = dt.datetime.now(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Keys:
    ven: pki.Credential  # ECC P-256, like the test PKI's VEN
    ven_rsa: pki.Credential
    other: pki.Credential  # another VEN of the same CA


@pytest.fixture(scope="module")
def k() -> Keys:
    root = pki.root_ca("vgitest signature root")
    return Keys(pki.issue(root, "VEN-ECC", client=True, key_type="ec-p256"),
                pki.issue(root, "VEN-RSA", client=True, key_type="rsa2048"),
                pki.issue(root, "VEN-OTHER", client=True, key_type="ec-p256"))


def poll(ven_id: str = "VEN-1") -> bytes:
    return codec.encode("oadrPoll", m.poll(ven_id))


def check(raw: bytes, cert: object, *, now: dt.datetime | None = None, window_s: float = 5.0,
          nonces: s.NonceCache | None = None) -> s.Report:
    doc = codec.decode(raw).doc
    return s.inspect(raw, doc, cert, now=now or dt.datetime.now(dt.timezone.utc), window_s=window_s,
                     nonces=nonces if nonces is not None else s.NonceCache(), where=7)


def rules_of(rep: s.Report) -> list[str]:
    return [rid for rid, _ in rep.problems]


def text_of(rep: s.Report) -> str:
    return " | ".join(text for _, text in rep.problems)


def signxml_signed(raw: bytes, cred: pki.Credential, replay: etree._Element | None) -> bytes:
    """A signature made with signxml directly, for shapes `sign` never makes (no or odd ReplayProtect)."""
    from signxml import SignatureConstructionMethod, XMLSigner
    root = etree.fromstring(raw)
    signed = root.find(f"{{{OADR}}}oadrSignedObject")
    signed.set(f"{{{OADR}}}Id", "oadrSignedObject")
    signer = XMLSigner(method=SignatureConstructionMethod.detached, signature_algorithm="ecdsa-sha256",
                       c14n_algorithm=s.C14N_10)
    signer.namespaces = {**root.nsmap, "ds": DS}
    sig = signer.sign(root, key=cred.key, cert=[cred.cert], reference_uri=["#oadrSignedObject"],
                      signature_properties=replay)
    root.insert(0, sig)
    return etree.tostring(root)


def replay_protect(stamp: str, nonce: str | None = "n-1") -> etree._Element:
    el = etree.Element(f"{{{s.DSP}}}ReplayProtect", nsmap={"dsp": s.DSP})
    etree.SubElement(el, f"{{{s.DSP}}}timestamp").text = stamp
    if nonce is not None:
        etree.SubElement(el, f"{{{s.DSP}}}nonce").text = nonce
    return el


# --- round trip ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["ven", "ven_rsa"])
def test_a_signed_payload_verifies_and_stays_schema_valid(k: Keys, which: str, oadr_schema_dir: object) -> None:
    from vgitest.openadr.validator import OadrValidator
    cred = getattr(k, which)
    raw = s.sign(poll(), cred.cert, cred.key)
    decoded = codec.decode(raw)
    assert decoded.name == "oadrPoll" and decoded.body["venID"] == "VEN-1"
    assert OadrValidator().validate(decoded.doc) == []
    rep = check(raw, cred.cert)
    assert rep.problems == []
    assert rep.signed and rep.verified and rep.authenticated
    assert rep.signer == security.fingerprint(cred.cert) and rep.nonce and 0 <= rep.age_s < 5
    assert decoded.doc[0].tag == f"{{{DS}}}Signature"  # detached, before the oadrSignedObject


def test_sign_leaves_its_input_alone_and_replaces_an_old_signature(k: Keys) -> None:
    root = etree.fromstring(poll())
    before = etree.tostring(root)
    once = s.sign(root, k.ven.cert, k.ven.key)
    assert etree.tostring(root) == before
    twice = s.sign(once, k.ven.cert_pem(), k.ven.key_pem())  # PEM works as well as objects
    assert len(etree.fromstring(twice).findall(f"{{{DS}}}Signature")) == 1
    assert check(twice, k.ven.cert_pem()).problems == []


def test_sign_refuses_what_it_cannot_sign(k: Keys) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519
    with pytest.raises(ValueError, match="oadrPayload"):
        s.sign(b"<x/>", k.ven.cert, k.ven.key)
    with pytest.raises(ValueError, match="ECDSA or RSA"):
        s.sign(poll(), k.ven.cert, ed25519.Ed25519PrivateKey.generate())


def test_an_unsigned_payload_has_no_problems_of_its_own(k: Keys) -> None:
    rep = check(poll(), k.ven.cert)
    assert not rep.signed and rep.problems == []
    assert s.inspect(b"", None, None, now=NOW).signed is False


# --- integrity and identity ----------------------------------------------------------------------------------
def test_a_payload_changed_after_signing_fails(k: Keys) -> None:
    raw = s.sign(poll("VEN-1"), k.ven.cert, k.ven.key)
    tampered = raw.replace(b">VEN-1<", b">VEN-2<")
    assert tampered != raw
    rep = check(tampered, k.ven.cert)
    assert rules_of(rep) == [r.SIGNATURE] and "Digest mismatch" in text_of(rep)
    assert not rep.verified


def test_whitespace_added_inside_the_signed_object_fails(k: Keys) -> None:
    """Inclusive C14N keeps text nodes: re-indenting a signed payload breaks it (a classic proxy accident)."""
    root = etree.fromstring(s.sign(poll(), k.ven.cert, k.ven.key))
    root.find(f"{{{OADR}}}oadrSignedObject").text = "\n  "
    assert rules_of(check(etree.tostring(root), k.ven.cert)) == [r.SIGNATURE]


def test_a_signature_with_another_vens_certificate_fails(k: Keys) -> None:
    raw = s.sign(poll(), k.other.cert, k.other.key)
    assert check(raw, k.other.cert).problems == []  # valid in itself ...
    rep = check(raw, k.ven.cert)  # ... but not the VEN's
    assert rules_of(rep) == [r.SIGNATURE] and "VEN-OTHER" in text_of(rep) and "VEN-ECC" in text_of(rep)


def test_another_key_behind_the_vens_certificate_fails(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.other.key)  # claims the VEN's certificate, signed with another key
    rep = check(raw, k.ven.cert)
    assert rules_of(rep) == [r.SIGNATURE] and "does not verify" in text_of(rep)


def test_without_a_known_certificate_the_carried_one_checks_integrity_only(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key)
    rep = check(raw, None)
    assert rep.problems == [] and rep.verified and not rep.authenticated
    assert rules_of(check(raw.replace(b">VEN-1<", b">VEN-9<"), None)) == [r.SIGNATURE]


def test_a_wrapped_signed_object_does_not_count(k: Keys) -> None:
    """Signature wrapping: an unsigned payload placed where the VTN reads it, the signed original kept further
    on (same namespaces in scope). The digest still matches the original, so only the check of *what* the
    reference covers catches it."""
    root = etree.fromstring(s.sign(poll("VEN-1"), k.ven.cert, k.ven.key))
    original = root.find(f"{{{OADR}}}oadrSignedObject")
    forged = copy.deepcopy(original)
    forged.attrib.clear()
    forged.find(f".//{{{m_ei()}}}venID").text = "VEN-EVIL"
    original.addprevious(forged)
    raw = etree.tostring(root)
    assert codec.decode(raw).body["venID"] == "VEN-EVIL"
    rep = check(raw, k.ven.cert)
    assert rules_of(rep) == [r.SIGNATURE] and "does not cover the oadrSignedObject" in text_of(rep)


def resigned(raw: bytes, cred: pki.Credential, extra_transform: str | None) -> bytes:
    """The signature re-made by hand after adding a Transform to the signed object's reference (a signer that
    claims a transform signxml does not apply)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    root = etree.fromstring(raw)
    sig = root.find(f"{{{DS}}}Signature")
    info = sig.find(f"{{{DS}}}SignedInfo")
    if extra_transform is not None:
        transforms = info.find(f"{{{DS}}}Reference[@URI='#oadrSignedObject']/{{{DS}}}Transforms")
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=extra_transform)
    c14n = etree.tostring(etree.fromstring(etree.tostring(info)), method="c14n")
    r_, s_ = decode_dss_signature(cred.key.sign(c14n, ec.ECDSA(hashes.SHA256())))
    value = r_.to_bytes(32, "big") + s_.to_bytes(32, "big")
    sig.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(root)


def test_a_reference_through_other_transforms_does_not_count(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key)
    assert check(resigned(raw, k.ven, None), k.ven.cert).problems == []  # re-signing by hand works ...
    xpath = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    rep = check(resigned(raw, k.ven, xpath), k.ven.cert)  # ... signxml ignores the XPath transform; we do not
    assert rules_of(rep) == [r.SIGNATURE] and "goes through transform" in text_of(rep) and xpath in text_of(rep)


def m_ei() -> str:
    return codec.NS["ei"]


# --- replay protection ---------------------------------------------------------------------------------------
def test_a_stale_timestamp_is_refused(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key, timestamp=NOW - dt.timedelta(minutes=5))
    rep = check(raw, k.ven.cert, now=NOW)
    assert rules_of(rep) == [r.SIGNATURE_REPLAY] and "300.0 s before it arrived" in text_of(rep)
    assert rep.verified  # the signature itself is fine


def test_a_timestamp_from_the_future_is_refused(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key, timestamp=NOW + dt.timedelta(seconds=30))
    assert "in the future" in text_of(check(raw, k.ven.cert, now=NOW))


def test_the_window_is_the_pixit_value(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key, timestamp=NOW - dt.timedelta(seconds=3))
    assert rules_of(check(raw, k.ven.cert, now=NOW, window_s=2)) == [r.SIGNATURE_REPLAY]
    assert check(raw, k.ven.cert, now=NOW, window_s=5).problems == []


def test_a_reused_nonce_is_refused_and_only_valid_nonces_are_remembered(k: Keys) -> None:
    nonces = s.NonceCache()
    first = s.sign(poll(), k.ven.cert, k.ven.key, nonce="abc")
    assert check(first, k.ven.cert, nonces=nonces).problems == []
    again = s.sign(poll(), k.ven.cert, k.ven.key, nonce="abc")  # fresh timestamp, same nonce
    rep = check(again, k.ven.cert, nonces=nonces)
    assert rules_of(rep) == [r.SIGNATURE_REPLAY] and "'abc' was used before (first in frame 7)" in text_of(rep)
    replayed = check(first, k.ven.cert, nonces=nonces)  # the very same bytes again
    assert rules_of(replayed) == [r.SIGNATURE_REPLAY]
    forged = s.sign(poll(), k.other.cert, k.other.key, nonce="xyz")
    assert rules_of(check(forged, k.ven.cert, nonces=nonces)) == [r.SIGNATURE] and "xyz" not in nonces


def test_the_nonce_cache_is_bounded() -> None:
    cache = s.NonceCache(capacity=2)
    assert cache.use("a", 1) == (True, None) and cache.use("b", 2) == (True, None)
    assert cache.use("a", 3) == (False, 1)
    cache.use("c", 4)
    assert len(cache) == 2 and "a" not in cache and "c" in cache


def test_no_replay_protect_is_refused(k: Keys) -> None:
    raw = signxml_signed(poll(), k.ven, None)
    rep = check(raw, k.ven.cert)
    assert rep.verified and rules_of(rep) == [r.SIGNATURE_REPLAY]
    assert "no ReplayProtect" in text_of(rep)


def test_an_unsigned_replay_protect_does_not_count(k: Keys) -> None:
    root = etree.fromstring(signxml_signed(poll(), k.ven, None))
    obj = etree.SubElement(root.find(f"{{{DS}}}Signature"), f"{{{DS}}}Object")
    obj.append(replay_protect(NOW.strftime("%Y-%m-%dT%H:%M:%SZ")))
    rep = check(etree.tostring(root), k.ven.cert, now=NOW)
    assert rules_of(rep) == [r.SIGNATURE_REPLAY] and "not covered by the signature" in text_of(rep)


@pytest.mark.parametrize("stamp,ok", [
    ("{now}Z", True), ("{now}.123456789Z", True), ("{now}+00:00", True),
    ("{now}", False),  # no time zone: not an instant
    ("yesterday", False), ("", False),
])
def test_timestamp_forms(k: Keys, stamp: str, ok: bool) -> None:
    text = stamp.format(now=NOW.strftime("%Y-%m-%dT%H:%M:%S"))
    rep = check(signxml_signed(poll(), k.ven, replay_protect(text, nonce=f"n-{stamp}")), k.ven.cert, now=NOW)
    assert (rep.problems == []) is ok, rep.problems
    if not ok:
        assert rules_of(rep) == [r.SIGNATURE_REPLAY]


def test_a_missing_nonce_is_refused(k: Keys) -> None:
    rep = check(signxml_signed(poll(), k.ven, replay_protect(NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), None)),
                k.ven.cert, now=NOW)
    assert rules_of(rep) == [r.SIGNATURE_REPLAY] and "no nonce" in text_of(rep)


# --- hostile and broken signatures: findings, never exceptions ---------------------------------------------------
def _sig(root: etree._Element) -> etree._Element:
    return root.find(f"{{{DS}}}Signature")


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _sig(root).find(path, {"ds": DS}).text = text
    return change


def _drop(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        el = _sig(root).find(path, {"ds": DS})
        el.getparent().remove(el)
    return change


def _set_attr(path: str, name: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _sig(root).find(path, {"ds": DS}).set(name, value)
    return change


def _empty(root: etree._Element) -> None:
    for child in list(_sig(root)):
        _sig(root).remove(child)


def _second(root: etree._Element) -> None:
    root.insert(1, copy.deepcopy(_sig(root)))


def _inside(root: etree._Element) -> None:
    sig = _sig(root)
    root.remove(sig)
    root.find(f"{{{OADR}}}oadrSignedObject").append(sig)


def _huge(root: etree._Element) -> None:
    _sig(root).find("ds:SignatureValue", {"ds": DS}).text = base64.b64encode(b"\0" * 200_000).decode()


HOSTILE = {
    "empty Signature": _empty,
    "two signatures": _second,
    "signature inside the signed object": _inside,
    "SignatureValue not base64": _set("ds:SignatureValue", "!!not base64!!"),
    "SignatureValue of another length": _set("ds:SignatureValue", base64.b64encode(b"x" * 5).decode()),
    "huge SignatureValue": _huge,
    "no SignedInfo": _drop("ds:SignedInfo"),
    "digest not base64": _set("ds:SignedInfo/ds:Reference/ds:DigestValue", "%%%"),
    "unknown signature method": _set_attr("ds:SignedInfo/ds:SignatureMethod", "Algorithm", "urn:x-none"),
    "SHA-1 signature method": _set_attr("ds:SignedInfo/ds:SignatureMethod", "Algorithm",
                                        "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
    "unknown c14n": _set_attr("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm", "urn:x-c14n"),
    "external reference": _set_attr("ds:SignedInfo/ds:Reference", "URI", "http://127.0.0.1:9/x.xml"),
    "xpointer reference": _set_attr("ds:SignedInfo/ds:Reference", "URI", "#xpointer(/)"),
    "dangling reference": _set_attr("ds:SignedInfo/ds:Reference", "URI", "#nowhere"),
    "garbage certificate": _set("ds:KeyInfo/ds:X509Data/ds:X509Certificate", base64.b64encode(b"junk").decode()),
    "certificate not base64": _set("ds:KeyInfo/ds:X509Data/ds:X509Certificate", "***"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_signatures_become_findings(k: Keys, name: str) -> None:
    root = etree.fromstring(s.sign(poll(), k.ven.cert, k.ven.key))
    HOSTILE[name](root)
    rep = check(etree.tostring(root), k.ven.cert)  # must not raise
    assert rep.signed and not rep.verified
    assert rules_of(rep) and set(rules_of(rep)) <= {r.SIGNATURE, r.SIGNATURE_REPLAY}
    assert all(len(text) < 400 for _, text in rep.problems)


def test_without_key_info_only_a_known_certificate_can_verify(k: Keys) -> None:
    root = etree.fromstring(s.sign(poll(), k.ven.cert, k.ven.key))
    _drop("ds:KeyInfo")(root)  # KeyInfo is optional: the VTN knows the VEN's certificate
    assert check(etree.tostring(root), k.ven.cert).problems == []
    rep = check(etree.tostring(root), None)
    assert rules_of(rep) == [r.SIGNATURE] and "no certificate" in text_of(rep)


def test_an_unreadable_configured_certificate_is_a_finding(k: Keys) -> None:
    raw = s.sign(poll(), k.ven.cert, k.ven.key)
    rep = check(raw, b"not a certificate")
    assert rules_of(rep) == [r.SIGNATURE] and "cannot be read" in text_of(rep)


# --- interoperability with openleadr ---------------------------------------------------------------------------
def test_a_payload_signed_by_openleadr_verifies(k: Keys) -> None:
    messaging = pytest.importorskip("openleadr.messaging")
    text = messaging.create_message("oadrPoll", cert=k.ven.cert_pem(), key=k.ven.key_pem(), ven_id="VEN-1")
    raw = text.encode()
    rep = check(raw, k.ven.cert)
    assert rep.problems == [] and rep.verified and rep.authenticated
    assert codec.decode(raw).body["venID"] == "VEN-1"
    assert rules_of(check(raw.replace(b">VEN-1<", b">VEN-2<"), k.ven.cert)) == [r.SIGNATURE]


def test_openleadr_verifies_what_sign_produces(k: Keys) -> None:
    messaging = pytest.importorskip("openleadr.messaging")
    fingerprint = pytest.importorskip("openleadr.utils").certificate_fingerprint(k.ven.cert_pem(with_chain=False))
    raw = s.sign(poll(), k.ven.cert, k.ven.key)
    messaging.validate_xml_signature(etree.fromstring(raw), cert_fingerprint=fingerprint)  # raises if invalid
    with pytest.raises(Exception):
        messaging.validate_xml_signature(etree.fromstring(raw.replace(b">VEN-1<", b">VEN-2<")))

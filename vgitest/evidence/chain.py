"""Checking that a bundle's signing certificate chains to trust anchors the verifier gives (`report verify --ca`).

A key pinned with `--pubkey` proves one key signed; a lab that issues its signing keys from its own CA gives the
CA certificate instead, and each signing key's certificate must then chain to it. The checks are the ones that
matter for a signature made offline, done here with `cryptography` so that each failure is one line naming the
certificate and what failed: names link child to issuer, each issuer's signature on its child verifies, each issuer
is a CA (basicConstraints, its path length, keyCertSign when keyUsage is present), the leaf may sign
(digitalSignature when keyUsage is present), and every certificate was valid at the signing time. Revocation is not
checked (a bundle is verified offline, long after it was signed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bundleformat import BundleError
from .signing import describe, load_certificates


def load_anchors(path: Path) -> list[Any]:
    """The trust anchors of a PEM file of one or more certificates; BundleError when there are none."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise BundleError(f"trust anchors {path}: {exc}") from None
    return load_certificates(pem, f"trust anchors {path}")


@dataclass
class ChainCheck:
    problems: list[str] = field(default_factory=list)
    path: list[Any] = field(default_factory=list)  # leaf ... the trust anchor it reached (empty: none reached)


def check(chain: list[Any], anchors: list[Any], at: datetime.datetime) -> ChainCheck:
    """Problems, one line each, with the certificates `chain` (leaf first, then intermediates, as the bundle
    carries them) against the trust anchors at the time `at` (when the bundle was signed)."""
    result = ChainCheck()
    path = _build(chain, anchors, result.problems)
    if not path:
        return result
    result.path = path
    anchors_der = {_der(a) for a in anchors}
    roles = ["leaf"] + ["trust anchor" if _der(c) in anchors_der else "intermediate" for c in path[1:]]
    for cert, role in zip(path, roles):
        try:
            cert.extensions
        except ValueError as exc:  # a duplicated or malformed extension: nothing about it can be trusted
            result.problems.append(f"certificate {describe(cert, role)}: its extensions cannot be read ({exc})")
    if result.problems:
        return result
    leaf_usage = _extension(path[0], "KeyUsage")
    if leaf_usage is not None and not leaf_usage.digital_signature:
        result.problems.append(f"certificate {describe(path[0], roles[0])}: its keyUsage does not allow "
                               "digitalSignature, so it may not sign")
    for i in range(1, len(path)):
        issuer, role = path[i], roles[i]
        constraints = _extension(issuer, "BasicConstraints")
        if constraints is None or not constraints.ca:
            result.problems.append(f"certificate {describe(issuer, role)}: issued {describe(path[i - 1], roles[i - 1])}"
                                   " but is not a CA (basicConstraints ca=True " +
                                   ("missing)" if constraints is None else "is false)"))
        elif constraints.path_length is not None and i - 1 > constraints.path_length:
            result.problems.append(f"certificate {describe(issuer, role)}: its pathLenConstraint is "
                                   f"{constraints.path_length}, but {i - 1} intermediate CA(s) stand below it")
        usage = _extension(issuer, "KeyUsage")
        if usage is not None and not usage.key_cert_sign:
            result.problems.append(f"certificate {describe(issuer, role)}: its keyUsage does not allow keyCertSign, "
                                   "so it may not issue certificates")
    for cert, role in zip(path, roles):
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        if not start <= at <= end:
            when = "not yet valid" if at < start else "expired"
            result.problems.append(f"certificate {describe(cert, role)}: {when} at the signing time "
                                   f"{at:%Y-%m-%d %H:%M:%S} UTC (valid from {start:%Y-%m-%d %H:%M:%S} to "
                                   f"{end:%Y-%m-%d %H:%M:%S} UTC)")
    return result


def _build(chain: list[Any], anchors: list[Any], problems: list[str]) -> list[Any]:
    """The path from the leaf to a trust anchor, each step a certificate whose subject is its child's issuer
    and whose key verifies the child's signature (anchors tried before the bundle's own certificates);
    empty, with the reason in `problems`, when no anchor is reached."""
    from .. import pki
    anchors_der = {_der(a) for a in anchors}
    path = [chain[0]]
    for _ in range(len(chain) + 1):  # each step takes a certificate not yet on the path: bounded by the chain
        child = path[-1]
        if _der(child) in anchors_der:
            return path
        role = "leaf" if len(path) == 1 else "intermediate"
        named = [a for a in anchors if a.subject == child.issuer] + \
            [c for c in chain[1:] if c.subject == child.issuer and all(_der(c) != _der(p) for p in path)]
        if not named:
            problems.append(f"certificate {describe(child, role)}: its issuer '{child.issuer.rfc4514_string()}' is "
                            "neither a trust anchor (--ca) nor a certificate the bundle carries: it does not chain "
                            "to the trust anchors")
            return []
        issuer = next((c for c in named if pki.issued_by(child, c)), None)
        if issuer is None:
            problems.append(f"certificate {describe(child, role)}: its signature does not verify with the key of "
                            f"its issuer '{child.issuer.rfc4514_string()}' ({len(named)} certificate(s) of that "
                            "name tried): another CA of the same name issued it, or it was altered")
            return []
        path.append(issuer)
    problems.append(f"certificate {describe(chain[0], 'leaf')}: no trust anchor reached through the "
                    f"{len(chain)} certificate(s) the bundle carries")
    return []


def _extension(cert: Any, name: str) -> Any:
    """The value of the extension class `name` of `cryptography.x509`, None when the certificate has none."""
    from cryptography import x509
    try:
        return cert.extensions.get_extension_for_class(getattr(x509, name)).value
    except x509.ExtensionNotFound:
        return None


def _der(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return bytes(cert.public_bytes(serialization.Encoding.DER))

"""Per-request checks of the transport and identity rules, as small pure functions the server calls.

They take what the HTTP layer and the codec already have (a header value, a method, a decoded body, the
client certificate's LFDI) and return findings, so each rule can be provoked without a server running.
:func:`decode_findings` turns the codec's (rule id, message) problems into findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..findings import Finding
from . import identity, rules as r
from .codec import find
from .namespaces import MEDIA_TYPE

__all__ = ["content_type", "decode_findings", "http_method", "identity_findings"]


def decode_findings(problems: Iterable[tuple[str, str]], frame_index: int | None = None) -> list[Finding]:
    """The codec's problems (SEP2-XML-HOSTILE, -MALFORMED, -BODY-TOO-LARGE) as findings."""
    return [Finding.of(rule, message, frame_index) for rule, message in problems]


def content_type(header: str | None, frame_index: int | None = None) -> Finding | None:
    """SEP2-CONTENT-TYPE unless the media type is application/sep+xml (parameters such as charset and
    case are ignored, as HTTP media types are case-insensitive)."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media == MEDIA_TYPE:
        return None
    shown = f"'{header}'" if header else "no Content-Type"
    return Finding.of(r.CONTENT_TYPE, f"the body was sent with {shown}, not {MEDIA_TYPE}", frame_index,
                      content_type=header or "")


def http_method(method: str, allowed: Iterable[str], path: str, frame_index: int | None = None) -> Finding | None:
    """SEP2-HTTP-METHOD when ``method`` is not among the ``allowed`` methods of the resource at ``path``."""
    allowed_set = sorted({m.upper() for m in allowed})
    if method.upper() in allowed_set:
        return None
    return Finding.of(r.HTTP_METHOD, f"{method} {path}: the resource allows {', '.join(allowed_set) or 'no method'}",
                      frame_index, method=method, path=path, allowed=allowed_set)


# Where a client writes its own identity: resource name -> (LFDI field, SFDI field or None)
_IDENTITY_FIELDS: dict[str, tuple[str, str | None]] = {
    "EndDevice": ("lFDI", "sFDI"),
    "Response": ("endDeviceLFDI", None),
    "DERControlResponse": ("endDeviceLFDI", None),
    "PriceResponse": ("endDeviceLFDI", None),
    "TextResponse": ("endDeviceLFDI", None),
    "DrResponse": ("endDeviceLFDI", None),
}


def identity_findings(name: str | None, body: Any, cert_lfdi: str,
                      frame_index: int | None = None) -> list[Finding]:
    """SEP2-LFDI findings for a client's own EndDevice or Response whose LFDI/SFDI is not its certificate's.

    ``cert_lfdi`` is :func:`vgitest.sep2.identity.lfdi` of the client certificate. LFDIs compare
    case-insensitively (hexBinary); an absent optional ``lFDI`` is not a finding here (the schema and the
    scenario decide whether it is required). An aggregator registering EndDevices for other devices must
    not be checked with this function.
    """
    fields = _IDENTITY_FIELDS.get(name or "")
    if fields is None or not isinstance(body, dict):
        return []
    expected = identity.normalize_lfdi(cert_lfdi)
    if expected is None:
        raise ValueError(f"cert_lfdi is not an LFDI: {cert_lfdi!r}")
    out: list[Finding] = []
    lfdi_field, sfdi_field = fields
    written = find(body, lfdi_field)
    if isinstance(written, str) and identity.normalize_lfdi(written) != expected:
        out.append(Finding.of(r.LFDI, f"{name}/{lfdi_field} is {written!r}, the client certificate's LFDI is "
                              f"{expected}", frame_index, field=lfdi_field, written=written, expected=expected))
    written_sfdi = find(body, sfdi_field) if sfdi_field else None
    if isinstance(written_sfdi, str):
        want = identity.sfdi(expected)
        text = written_sfdi.strip()
        if not text.isdigit() or int(text) != want:
            out.append(Finding.of(r.LFDI, f"{name}/{sfdi_field} is {written_sfdi!r}, the client certificate's SFDI "
                                  f"is {want}", frame_index, field=sfdi_field, written=written_sfdi,
                                  expected=str(want)))
    return out

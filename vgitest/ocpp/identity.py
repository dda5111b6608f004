"""The charging-station identity in the connection URL, checked before it names a session.

OCPP-J puts the identity in the last path segment of the URL (1.6 §3.1.1, 2.0.1 Part 4 §3.1.1), percent-encoded
where needed; 2.0.1 Part 2 makes it a CiString48 of RFC 3986 "unreserved" characters (letters, digits, - . _ ~).
What cannot name a station at all (a broken %-escape, control or non-ASCII bytes, a "." / ".." dot segment that a
proxy would resolve away) is refused with 400; printable ASCII outside the unreserved set is reported (warn) and
accepted, since 1.6 only needs it percent-encoded."""

from __future__ import annotations

import re
import urllib.parse

from ..findings import Severity

UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def problem(segment: str) -> tuple[str, Severity] | None:
    """Why the raw (still percent-encoded) path segment `segment` is no clean identity, and how much it weighs."""
    bad = _BAD_ESCAPE.search(segment)
    if bad:
        return f"bad percent-encoding {segment[bad.start():bad.start() + 3]!r} at position {bad.start()}", Severity.FAIL
    if any(ord(c) > 0x7E for c in segment):
        return "raw non-ASCII characters in the URL path", Severity.FAIL
    data = urllib.parse.unquote_to_bytes(segment)
    if any(b < 0x20 or b == 0x7F for b in data):
        return f"control character(s) {data!r}", Severity.FAIL
    if any(b > 0x7F for b in data):
        try:
            data.decode("utf-8")
            kind = "non-ASCII characters"
        except UnicodeDecodeError:
            kind = "bytes that are not even valid UTF-8"
        return f"{kind} {data!r}", Severity.FAIL
    text = data.decode("ascii")
    if text in (".", ".."):
        return f"the dot segment {text!r} (RFC 3986 §3.3, §5.2.4: removed when the path is normalised)", Severity.FAIL
    odd = sorted({c for c in text if not UNRESERVED.fullmatch(c)} - {"/", ":"})  # those two: OCPPJ-IDENTITY, 404
    if odd:
        return f"characters {''.join(odd)!r} outside the unreserved set of RFC 3986 §2.3", Severity.WARN
    return None

"""CSIP-AUS service discovery of the reference DER client: where its DeviceCapability is.

In CSIP-AUS mode it asks the server's ``/.well-known/csipaus`` document first, at every start of its walk (power
on, reregister) and when its DeviceCapability is gone (404): the document lists, per CSIP-AUS version, the paths of
that version's DeviceCapability. It takes the first path of the first version it speaks (:data:`VERSIONS`, its
preference first) that lists one; a version it does not know (unsupported or malformed) is never used. Without the
document (404, or not JSON of that shape) it uses the DeviceCapability path it was configured with, as it does
outside CSIP-AUS mode and under the fault ``ignores_wellknown``."""

from __future__ import annotations

import json

from .core import Core
from .transport import CONN_ERRORS

WELL_KNOWN = "/.well-known/csipaus"
# the CSIP-AUS versions it names as its own, preferred first (its payloads are v1.2's, which v1.3 keeps)
VERSIONS = ("https://csipaus.org/ns/v1.3", "https://csipaus.org/ns/v1.2")


def choose(document: object) -> str | None:
    """The DeviceCapability path a well-known document offers it (None: none of its versions has one)."""
    versions = document.get("supportedSchemaVersions") if isinstance(document, dict) else None
    if not isinstance(versions, dict):
        return None
    for version in VERSIONS:
        entry = versions.get(version)
        paths = entry.get("dcap") if isinstance(entry, dict) else None
        if isinstance(paths, list):
            usable = [p for p in paths if isinstance(p, str) and p.startswith("/")]
            if usable:
                return usable[0]
    return None


async def dcap_href(core: Core, configured: str, csip_aus: bool) -> str:
    """Where to start the walk (see the module text)."""
    if not csip_aus or core.has("ignores_wellknown"):
        return configured
    try:
        status, _, raw = await core.http.get(WELL_KNOWN)
    except CONN_ERRORS as exc:
        core.log.append(f"GET {WELL_KNOWN}: {exc!r}; using {configured}")
        return configured
    if status != 200:
        return configured
    try:
        found = choose(json.loads(raw.decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        found = None
    if found is None:
        core.log.append(f"{WELL_KNOWN} offers no DeviceCapability of {', '.join(VERSIONS)}; using {configured}")
        return configured
    if found != configured:
        core.log.append(f"{WELL_KNOWN}: DeviceCapability at {found}")
    return found

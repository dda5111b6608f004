"""CSIP-AUS service discovery of the reference DER client: where its DeviceCapability is.

In CSIP-AUS mode it asks the server's ``/.well-known/csipaus`` document first, at every start of its walk (power
on, reregister) and when its DeviceCapability is gone (404): the document lists, per CSIP-AUS version, the paths of
that version's DeviceCapability. It takes the first path of the first version it accepts that lists one: the one
it speaks now first, then the others of :data:`VERSIONS` (v1.3 is among them: CACTUS's SDVN-01, which targets
v1.3-beta/storage and v1.3, lists its DeviceCapability under the v1.3 URI only). A version it does not know
(unsupported or malformed) is never used. Without the document (404, or not JSON of that shape) it uses the
DeviceCapability path it was configured with, as it does outside CSIP-AUS mode and under the fault
``ignores_wellknown``."""

from __future__ import annotations

import json

from .core import Core
from .transport import CONN_ERRORS

WELL_KNOWN = "/.well-known/csipaus"
# the CSIP-AUS version URIs it accepts in the document, by the version it speaks (see the module text)
URIS = {"v1.2": "https://csipaus.org/ns/v1.2", "v1.3-beta/storage": "https://csipaus.org/ns/v1.3-beta/storage",
        "v1.3": "https://csipaus.org/ns/v1.3"}
VERSIONS = tuple(URIS.values())


def preference(speaking: str) -> tuple[str, ...]:
    """The version URIs it looks for, the one of the version it speaks first."""
    first = URIS.get(speaking)
    return tuple(dict.fromkeys([*([first] if first else []), *VERSIONS]))


def choose(document: object, accepted: tuple[str, ...] = VERSIONS) -> str | None:
    """The DeviceCapability path a well-known document offers it (None: none of its versions has one)."""
    versions = document.get("supportedSchemaVersions") if isinstance(document, dict) else None
    if not isinstance(versions, dict):
        return None
    for version in accepted:
        entry = versions.get(version)
        paths = entry.get("dcap") if isinstance(entry, dict) else None
        if isinstance(paths, list):
            usable = [p for p in paths if isinstance(p, str) and p.startswith("/")]
            if usable:
                return usable[0]
    return None


async def dcap_href(core: Core, configured: str, csip_aus: bool, speaking: str = "v1.2") -> str:
    """Where to start the walk (see the module text); `speaking` is the CSIP-AUS version it speaks now."""
    if not csip_aus or core.has("ignores_wellknown"):
        return configured
    try:
        status, _, raw, _ = await core.http.get(WELL_KNOWN)
    except CONN_ERRORS as exc:
        core.log.append(f"GET {WELL_KNOWN}: {exc!r}; using {configured}")
        return configured
    if status != 200:
        return configured
    try:
        found = choose(json.loads(raw.decode("utf-8")), preference(speaking))
    except (ValueError, UnicodeDecodeError):
        found = None
    if found is None:
        core.log.append(f"{WELL_KNOWN} offers no DeviceCapability of {', '.join(VERSIONS)}; using {configured}")
        return configured
    if found != configured:
        core.log.append(f"{WELL_KNOWN}: DeviceCapability at {found}")
    return found

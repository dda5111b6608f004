"""The Local Authorization List of the OCPP 1.6 reference station (LocalAuthListManagement feature profile).

A mixin of `v16.Station16`. What it follows (OCPP 1.6 §5.10, §5.15, §9.2 and the Local Authorization List
section): GetLocalListVersion answers the version of the list (0 before any list was sent, -1 when the station has
no local list support); SendLocalList replaces the list (Full) or adds, changes and removes entries (Differential:
an entry without idTagInfo is removed), and answers VersionMismatch when a differential update does not raise the
version, Failed when the result would not fit LocalAuthListMaxLength, NotSupported without the feature. With
LocalAuthListEnabled and LocalPreAuthorize, an idTag the list holds as Accepted starts a transaction without asking
the CSMS.
Each fault is one `self.has(...)` branch next to the behaviour it breaks (catalog_v16_reservation.py).
"""

from __future__ import annotations

from typing import Any

from .config_v16 import Key, _bool

LIST_MAX = 20  # LocalAuthListMaxLength and SendLocalListMaxLength of the reference station


class LocalListMixin:
    """GetLocalListVersion / SendLocalList and the lookup `authorize` makes before asking the CSMS."""

    config: Any

    def init_local_list(self, supported: bool) -> None:
        self.local_list: dict[str, dict] = {}  # idTag -> idTagInfo
        self.local_list_version = 0
        self.local_list_supported = supported
        if supported:
            self.config.keys["LocalAuthListEnabled"] = Key("true", False, _bool)
            self.config.keys["LocalAuthListMaxLength"] = Key(str(LIST_MAX), True)
            self.config.keys["SendLocalListMaxLength"] = Key(str(LIST_MAX), True)

    def local_entry(self, tag: str) -> dict | None:
        """The idTagInfo the local list holds for `tag`, when the list is in use for it."""
        if not self.local_list_supported or self.has("local_list_ignored"):  # type: ignore[attr-defined]
            return None
        if not self.config.flag("LocalAuthListEnabled"):
            return None
        return self.local_list.get(tag)

    async def _get_local_list_version(self, p: dict) -> dict:
        if not self.local_list_supported:
            return {"listVersion": -1}
        if not self.local_list and self.has("empty_list_version_minus_one"):  # type: ignore[attr-defined]
            return {"listVersion": -1}  # an empty list taken for no list support
        return {"listVersion": self.local_list_version}

    async def _send_local_list(self, p: dict) -> dict:
        if not self.local_list_supported:
            accepted = self.has("local_list_accepted_unsupported")  # type: ignore[attr-defined]
            return {"status": "Accepted" if accepted else "NotSupported"}
        version, entries = p["listVersion"], p.get("localAuthorizationList", [])
        if len(entries) > int(self.config.get("SendLocalListMaxLength")):
            return {"status": "Failed"}
        if p["updateType"] == "Full":
            new = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
        else:
            unchecked = self.has("differential_version_unchecked")  # type: ignore[attr-defined]
            if version <= self.local_list_version and not unchecked:
                return {"status": "VersionMismatch"}
            new = dict(self.local_list)
            for e in entries:
                if "idTagInfo" in e:
                    new[e["idTag"]] = e["idTagInfo"]
                else:
                    new.pop(e["idTag"], None)
        if len(new) > int(self.config.get("LocalAuthListMaxLength")) \
                and not self.has("local_list_overflow_accepted"):  # type: ignore[attr-defined]
            return {"status": "Failed"}
        self.local_list = new
        if not self.has("local_list_version_not_updated"):  # type: ignore[attr-defined]
            self.local_list_version = version
        return {"status": "Accepted"}

"""OCPP 2.0.1 reference station: how it decides about an idToken (block C) — the authorization cache (C10-C12),
stopping with a token of the same group (C01, C09) and the master pass (C16). :class:`Station201` asks
:class:`Authorizer` instead of sending Authorize itself, and tells it every idTokenInfo the CSMS answers.

The cache keeps the idTokenInfo of every answer about a token (AuthorizeResponse and TransactionEventResponse,
whatever its status) while AuthCacheCtrlr.Enabled is true; an entry lives AuthCacheCtrlr.LifeTime seconds (and not
past its cacheExpiryDateTime) since it was last stored or used, and survives a reboot. With AuthCtrlr.LocalPreAuthorize true a cached Accepted token
is taken without asking the CSMS; a cached token of another status is asked about again, unless
AuthCacheCtrlr.DisablePostAuthorize is true. Faults: `catalog_v201_auth`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from .base import is_past

# The station (vgitest.ocpp.station.v201), typed loosely so that this module does not import its owner back
# (tests/test_import_graph.py).
Station201 = Evse = Tx = Any

INVALID = {"status": "Invalid"}


@dataclasses.dataclass
class CacheEntry:
    """One cached answer: the idTokenInfo as the CSMS gave it and when it was last stored or used (monotonic s)."""

    info: dict
    used: float


def group_of(info: dict | None) -> str | None:
    return ((info or {}).get("groupIdToken") or {}).get("idToken")


class Authorizer:
    """The station's authority on idTokens: its cache, the groups it learned, and the master pass."""

    def __init__(self, station: Station201) -> None:
        self.st = station
        self.cache: dict[str, CacheEntry] = {}
        self.known: dict[str, dict] = {}  # the last idTokenInfo per token, cache or not (the group of a running tx)

    # --- the cache ---------------------------------------------------------------------------------------------
    def _enabled(self) -> bool:
        return self.st.flag("AuthCacheCtrlr", "Enabled")

    def cached(self, token: str) -> dict | None:
        """The cached idTokenInfo of `token`, or None when there is none or it was unused too long (LifeTime counts
        from the last use); a hit counts as a use."""
        entry = self.cache.get(token)
        if entry is None:
            return None
        lifetime = float(self.st.var("AuthCacheCtrlr", "LifeTime") or 0)
        too_old = lifetime > 0 and time.monotonic() - entry.used > lifetime and \
            not self.st.has("cache_lifetime_ignored")
        if too_old or is_past(entry.info.get("cacheExpiryDateTime")):
            del self.cache[token]
            return None
        entry.used = time.monotonic()
        return entry.info

    def remember(self, token: str, info: dict | None, *, from_tx: bool = False) -> None:
        """An answer of the CSMS about `token` (C10: every AuthorizeResponse and TransactionEventResponse)."""
        if not info:
            return
        self.known[token] = info
        if not self._enabled() or (from_tx and self.st.has("cache_ignores_tx_response")):
            return
        if token in self.cache and self.st.has("cache_keeps_first_answer"):
            return
        self.cache[token] = CacheEntry(dict(info), time.monotonic())

    def power_loss(self) -> None:
        """The cache is kept over a restart (C10: persistent); the faulty station loses it."""
        if self.st.has("cache_not_persistent"):
            self.cache.clear()

    # --- deciding ----------------------------------------------------------------------------------------------
    async def authorize(self, id_token: dict) -> dict:
        """The idTokenInfo the station acts on: from the cache when LocalPreAuthorize lets it (C12), else the
        CSMS's answer to an Authorize (which is remembered)."""
        if self.st.has("skip_authorize"):
            return {"status": "Accepted"}
        if not self.st.txq.online():  # C01: the CSMS cannot be asked; only the cache can say yes
            return self.offline(id_token)
        token = id_token["idToken"]
        pre = self.st.flag("AuthCtrlr", "LocalPreAuthorize") or self.st.has("cache_used_without_preauthorize")
        entry = self.cached(token) if self._enabled() and pre and not self.st.has("cache_not_used") else None
        if entry is not None:
            if entry.get("status") == "Accepted":
                return entry
            post_disabled = self.st.flag("AuthCacheCtrlr", "DisablePostAuthorize") \
                and not self.st.has("post_authorize_when_disabled")
            if post_disabled or self.st.has("cached_status_trusted"):
                return entry
        res = await self.st.safe_call("Authorize", {"idToken": id_token})
        info = (res or {}).get("idTokenInfo") or INVALID
        self.remember(token, info)
        if info.get("status") == "Unknown" and self.st.has("unknown_token_accepted"):
            return {**info, "status": "Accepted"}
        return info

    def offline(self, id_token: dict) -> dict:
        """A token presented while the CSMS cannot be reached: its cached answer when that is Accepted and
        AuthCtrlr.LocalAuthorizeOffline is true, else Invalid (an unknown token is not allowed offline:
        OfflineTxForUnknownIdEnabled is not implemented)."""
        info = self.cached(id_token["idToken"]) if self._enabled() else None
        if (info or {}).get("status") == "Accepted" and self.st.flag("AuthCtrlr", "LocalAuthorizeOffline") \
                and not self.st.has("offline_auth_refused"):
            return info  # type: ignore[return-value]
        return {"status": "Invalid"}

    def master_pass(self, info: dict) -> bool:
        """C16: a token whose group is AuthCtrlr.MasterPassGroupId is a master pass."""
        wanted = self.st.var("AuthCtrlr", "MasterPassGroupId")
        return bool(wanted) and info.get("status") == "Accepted" and group_of(info) == wanted

    def may_stop(self, tx: Tx, id_token: dict, info: dict) -> bool:
        """C01/C09: another token stops a transaction when it is Accepted and has the group of the token that
        started it."""
        if self.st.has("stop_by_any_token"):
            return info.get("status") == "Accepted"
        if self.st.has("stop_by_group_ignored"):
            return False
        if info.get("status") != "Accepted" and not self.st.has("group_stop_ignores_status"):
            return False
        started = (tx.id_token or {}).get("idToken")
        group = group_of(info)
        return group is not None and group == group_of(self.known.get(started))

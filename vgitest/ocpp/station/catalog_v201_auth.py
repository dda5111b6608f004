"""OCPP 2.0.1 faults of the authorization cases (block C): the authorization cache, stopping with a token of the
same group, the master pass and the Unknown status. Each fault names the suite test(s) that must catch it and the
rule id; the behaviour they break is in `auth_v201` and `v201`. Imported by `catalog_v201`.
"""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.0.1"


def _f(name: str, description: str, test: str | tuple[str, ...], rule: str) -> None:
    tests = (test,) if isinstance(test, str) else test
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in tests), rule=rule)


# --- C01: statuses and stopping with another token ------------------------------------------------------------
_f("unknown_token_accepted", "An idToken the CSMS answers Unknown is taken as Accepted: a transaction starts",
   "TC_C_56_CS", r.FORBIDDEN_MESSAGE)
_f("stop_by_any_token", "Any Accepted idToken stops the running transaction, whatever its group",
   ("TC_C_04_CS", "TC_C_42_CS"), r.FORBIDDEN_MESSAGE)

# --- C10-C12: the authorization cache ---------------------------------------------------------------------------
_f("cache_not_used", "With LocalPreAuthorize true a token cached as Accepted is still sent in an Authorize first",
   ("TC_C_08_CS", "TC_C_13_CS", "TC_C_32_CS", "TC_C_33_CS", "TC_C_34_CS", "TC_C_41_CS"), r.FORBIDDEN_MESSAGE)
_f("cached_status_trusted", "A token cached as Invalid/Blocked/Expired is refused from the cache: the station does "
   "not ask the CSMS again (no Authorize) although DisablePostAuthorize is false",
   ("TC_C_09_CS", "TC_C_10_CS", "TC_C_11_CS", "TC_C_12_CS", "TC_C_44_CS"), r.EXPECTED_MESSAGE)
_f("cache_used_without_preauthorize", "A cached Accepted token is taken from the cache although LocalPreAuthorize is "
   "false: no Authorize", "TC_C_36_CS", r.EXPECTED_MESSAGE)
_f("post_authorize_when_disabled", "AuthCacheCtrlr.DisablePostAuthorize is ignored: a token cached with a status other "
   "than Accepted is sent in an Authorize", "TC_C_57_CS", r.FORBIDDEN_MESSAGE)
_f("cache_lifetime_ignored", "Cache entries never expire: AuthCacheCtrlr.LifeTime is ignored", "TC_C_46_CS",
   r.EXPECTED_MESSAGE)
_f("cache_not_persistent", "The authorization cache is lost when the station restarts", "TC_C_32_CS",
   r.FORBIDDEN_MESSAGE)
_f("cache_ignores_tx_response", "The idTokenInfo of a TransactionEventResponse does not go into the cache",
   "TC_C_34_CS", r.FORBIDDEN_MESSAGE)
_f("cache_keeps_first_answer", "A cache entry is never updated: a later AuthorizeResponse for a cached token is not "
   "stored", "TC_C_33_CS", r.FORBIDDEN_MESSAGE)

# --- C09: group ids; C16: master pass -----------------------------------------------------------------------------
_f("stop_by_group_ignored", "A different idToken of the transaction's group does not stop it",
   ("TC_C_39_CS", "TC_C_41_CS"), r.EXPECTED_MESSAGE)
_f("group_stop_ignores_status", "A token of the transaction's group stops it even when the CSMS answers it Invalid",
   "TC_C_44_CS", r.FORBIDDEN_MESSAGE)
_f("master_pass_starts_tx", "A master pass token (group = AuthCtrlr.MasterPassGroupId) starts a transaction",
   "TC_C_45_CS", r.FORBIDDEN_MESSAGE)
_f("master_pass_ignored", "A master pass token presented during transactions does not stop them", "TC_C_49_CS",
   r.EXPECTED_MESSAGE)

"""The 2.0.1 reference station's authorization decisions (vgitest/ocpp/station/auth_v201.py): when the cache is
consulted before the CSMS, when a cached token is asked about again, how entries age, and who may end a
transaction. Each rule is also shown broken by its catalogued fault, so none of these checks can pass vacuously."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from vgitest.ocpp.station.auth_v201 import Authorizer

TOKEN = {"idToken": "T1", "type": "ISO14443"}


class Station:
    """Just what the Authorizer reads of a station: variables, faults, and a CSMS that answers `answer`."""

    def __init__(self, faults: tuple[str, ...] = (), **variables: str) -> None:
        self.vars = {("AuthCacheCtrlr", "Enabled"): "true", ("AuthCtrlr", "LocalPreAuthorize"): "true",
                     ("AuthCacheCtrlr", "LifeTime"): "86400", ("AuthCacheCtrlr", "DisablePostAuthorize"): "false",
                     ("AuthCtrlr", "MasterPassGroupId"): ""}
        for name, value in variables.items():
            component, var = name.split("__")
            self.vars[(component, var)] = value
        self.faults = set(faults)
        self.answer: dict[str, Any] = {"status": "Accepted"}
        self.calls: list[dict] = []

    def var(self, component: str, name: str, instance: str | None = None) -> str:
        return self.vars.get((component, name), "")

    def flag(self, component: str, name: str) -> bool:
        return self.var(component, name) == "true"

    def has(self, fault: str) -> bool:
        return fault in self.faults

    async def safe_call(self, action: str, payload: dict) -> dict:
        self.calls.append(payload)
        return {"idTokenInfo": dict(self.answer)}


def ask(auth: Authorizer) -> dict:
    return asyncio.run(auth.authorize(TOKEN))


def test_a_cached_accepted_token_is_taken_without_asking_only_with_local_pre_authorize() -> None:
    st = Station()
    auth = Authorizer(st)
    ask(auth)
    assert len(st.calls) == 1 and ask(auth)["status"] == "Accepted" and len(st.calls) == 1
    st.vars[("AuthCtrlr", "LocalPreAuthorize")] = "false"
    ask(auth)
    assert len(st.calls) == 2  # LocalPreAuthorize false: the CSMS is asked although the token is cached
    bad = Station(("cache_not_used",))
    auth = Authorizer(bad)
    ask(auth), ask(auth)
    assert len(bad.calls) == 2


def test_a_cached_refused_token_is_asked_about_again_unless_post_authorize_is_disabled() -> None:
    st = Station()
    st.answer = {"status": "Blocked"}
    auth = Authorizer(st)
    ask(auth)
    st.answer = {"status": "Accepted"}
    assert ask(auth)["status"] == "Accepted" and len(st.calls) == 2  # C10.FR.03 / C12.FR.05
    off = Station(AuthCacheCtrlr__DisablePostAuthorize="true")
    off.answer = {"status": "Invalid"}
    auth = Authorizer(off)
    ask(auth)
    assert ask(auth)["status"] == "Invalid" and len(off.calls) == 1
    trusted = Station(("cached_status_trusted",))
    trusted.answer = {"status": "Invalid"}
    auth = Authorizer(trusted)
    ask(auth), ask(auth)
    assert len(trusted.calls) == 1


def test_an_entry_unused_longer_than_lifetime_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    st = Station(AuthCacheCtrlr__LifeTime="10")
    auth = Authorizer(st)
    ask(auth)
    now[0] += 8
    ask(auth)  # a use: the clock starts again
    now[0] += 8
    ask(auth)
    assert len(st.calls) == 1
    now[0] += 11
    ask(auth)
    assert len(st.calls) == 2
    bad = Station(("cache_lifetime_ignored",), AuthCacheCtrlr__LifeTime="10")
    auth = Authorizer(bad)
    ask(auth)
    now[0] += 100
    ask(auth)
    assert len(bad.calls) == 1


def test_an_entry_past_its_cache_expiry_date_is_gone() -> None:
    st = Station()
    st.answer = {"status": "Accepted", "cacheExpiryDateTime": "2000-01-01T00:00:00Z"}
    auth = Authorizer(st)
    ask(auth), ask(auth)
    assert len(st.calls) == 2
    st.answer = {"status": "Accepted", "cacheExpiryDateTime": "2999-01-01T00:00:00Z"}
    auth = Authorizer(st)
    ask(auth), ask(auth)
    assert len(st.calls) == 3


def test_transaction_answers_fill_the_cache_and_later_answers_replace_entries() -> None:
    st = Station()
    auth = Authorizer(st)
    auth.remember("T1", {"status": "Accepted"}, from_tx=True)
    ask(auth)
    assert st.calls == []
    auth.remember("T1", {"status": "Blocked"})
    assert auth.cached("T1") == {"status": "Blocked"}
    ignoring = Authorizer(Station(("cache_ignores_tx_response",)))
    ignoring.remember("T1", {"status": "Accepted"}, from_tx=True)
    assert ignoring.cached("T1") is None
    first = Authorizer(Station(("cache_keeps_first_answer",)))
    first.remember("T1", {"status": "Invalid"})
    first.remember("T1", {"status": "Accepted"})
    assert first.cached("T1") == {"status": "Invalid"}


class Tx:
    id_token = {"idToken": "A", "type": "ISO14443"}


def group(g: str, status: str = "Accepted") -> dict:
    return {"status": status, "groupIdToken": {"idToken": g, "type": "Central"}}


@pytest.mark.parametrize("faults, other, may", [
    ((), group("G"), True), ((), group("H"), False), ((), group("G", "Invalid"), False), ((), {"status": "Accepted"},
                                                                                           False),
    (("stop_by_any_token",), group("H"), True), (("stop_by_group_ignored",), group("G"), False),
    (("group_stop_ignores_status",), group("G", "Invalid"), True)])
def test_only_an_accepted_token_of_the_transactions_group_may_end_it(faults: tuple[str, ...], other: dict,
                                                                      may: bool) -> None:
    auth = Authorizer(Station(faults))
    auth.remember("A", group("G"))
    assert auth.may_stop(Tx(), {"idToken": "B"}, other) is may


def test_a_master_pass_is_an_accepted_token_of_the_configured_group() -> None:
    auth = Authorizer(Station(AuthCtrlr__MasterPassGroupId="M"))
    assert auth.master_pass(group("M")) and not auth.master_pass(group("M", "Blocked"))
    assert not auth.master_pass(group("G"))
    assert not Authorizer(Station()).master_pass(group(""))  # no MasterPassGroupId: no master pass

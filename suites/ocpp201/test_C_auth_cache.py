"""C: Authorization — the authorization cache (C10, C12): which tokens the station takes from its cache without
asking the CSMS, which it asks about again, and what fills, refreshes and ages the cache.

Every case starts from an empty cache (ClearCache) and fills it the way a driver would: EV plugged in, the token
presented, the CSMS's answer stored by the station. The cache is only consulted before the CSMS when
AuthCtrlr.LocalPreAuthorize is true; the cases set the variables they need and restore them (NOT_APPLICABLE for a
station that does not take them)."""

from __future__ import annotations

import time

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

NEEDS = ("Core", "AuthorizationCache")
PRE = {("AuthCacheCtrlr", "Enabled"): "true", ("AuthCtrlr", "LocalPreAuthorize"): "true"}
POST = ("AuthCacheCtrlr", "DisablePostAuthorize")
IF_IMPLEMENTED = (*PRE, POST)  # a station without these variables caches and pre-authorizes as the case needs
WHY = "the case judges how the station uses its authorization cache before asking the CSMS"


def fresh_cache(st) -> None:
    with preamble("an empty authorization cache (ClearCache Accepted)"):
        res = st.call("ClearCache", {})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"ClearCache: {res['status']}")


def plugged(st, dut, t) -> int:
    """EV plugged in (EVConnectedPreSession); returns the trace position before the plug-in."""
    start = s.mark(st)
    dut.perform("plug_in", connector=t.connector)
    s.require(st, "StatusNotification", start, t.wait, r.STATUS_TRANSITION, "plugging in the EV was not reported "
              "as Occupied", {"evseId": t.connector, "connectorStatus": "Occupied"})
    return start


def cache_token(st, dut, profile, t, token: str, status: str) -> None:
    """Memory state 'token cached with `status`': the CSMS answers `status` once the EV is plugged in and the token
    presented; then the station is brought back to idle."""
    with preamble(f"idToken {token} cached as {status}"):
        st.tokens[token] = status
        plugged(st, dut, t)
        start = s.mark(st)
        dut.perform("present_token", id_token=token, connector=t.connector)
        s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, f"presenting {token} to fill the cache",
                  {"idToken": {"idToken": token}})
        if status == "Accepted":  # the answer is in the cache once the transaction carries the token
            s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the accepted token did not "
                      "authorize the transaction", {"idToken": {"idToken": token}})
        notes = s.to_idle(st, dut, profile)
        st.check(not notes, r.EXPECTED_MESSAGE, "; ".join(notes))


def present(st, dut, t, token: str) -> int:
    start = s.mark(st)
    dut.perform("present_token", id_token=token, connector=t.connector)
    return start


def used_from_cache(st, t, token: str, start: int, why: str):
    """The station authorized `token` from its cache: a TransactionEvent carries it and no Authorize asked the
    CSMS about it (C12: a cached Accepted token needs no AuthorizeRequest when LocalPreAuthorize is true)."""
    ev = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, f"{why}: no TransactionEvent "
                   "carrying the idToken", {"idToken": {"idToken": token}})
    s.expect_quiet(st, "Authorize", start, t.quiet, f"{token} is cached as Accepted and LocalPreAuthorize is true "
                   f"({why})", {"idToken": {"idToken": token}})
    return ev


def asked_again(st, t, token: str, start: int, status: str) -> None:
    """A cached token that is not Accepted is sent to the CSMS again; answered `status` (not Accepted), no
    transaction is authorized with it."""
    s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, f"{token} is cached as {status}: the station must "
              "ask the CSMS again (C10: post-authorization) before refusing it", {"idToken": {"idToken": token}})
    s.expect_quiet(st, "TransactionEvent", start, t.quiet, f"the CSMS answered {token} {status}",
                   {"idToken": {"idToken": token}})


def _cached_refused(st, dut, profile, t, status: str) -> None:
    token = s.id_token(profile, "invalid_id_token")["idToken"]
    with s.configured(st, {**PRE, POST: "false"}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, profile, t, token, status)
            plugged(st, dut, t)
            asked_again(st, t, token, present(st, dut, t, token), status)
        finally:
            s.to_idle(st, dut, profile)


@pytest.mark.vgi_case("TC_C_08_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_08_CS(booted_station, dut, vgi_profile, t) -> None:
    """A token the cache holds as Accepted authorizes the plugged-in EV's transaction at once, without an
    Authorize to the CSMS."""
    st = booted_station
    token = s.id_token(vgi_profile)["idToken"]
    with s.configured(st, PRE, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Accepted")
            plugged(st, dut, t)
            used_from_cache(st, t, token, present(st, dut, t, token), "cached Accepted token")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_09_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_09_CS(booted_station, dut, vgi_profile, t) -> None:
    """A token the cache holds as Invalid is asked about again (Authorize); still Invalid, it authorizes nothing."""
    _cached_refused(booted_station, dut, vgi_profile, t, "Invalid")


@pytest.mark.vgi_case("TC_C_10_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_10_CS(booted_station, dut, vgi_profile, t) -> None:
    """A token the cache holds as Blocked is asked about again (Authorize); still Blocked, it authorizes nothing."""
    _cached_refused(booted_station, dut, vgi_profile, t, "Blocked")


@pytest.mark.vgi_case("TC_C_11_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_11_CS(booted_station, dut, vgi_profile, t) -> None:
    """A token the cache holds as Expired is asked about again (Authorize); still Expired, it authorizes nothing."""
    _cached_refused(booted_station, dut, vgi_profile, t, "Expired")


@pytest.mark.vgi_case("TC_C_12_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_12_CS(booted_station, dut, vgi_profile, t) -> None:
    """A token the cache holds as Invalid, which the CSMS now accepts: the station asks again and, told Accepted,
    authorizes the transaction with it."""
    st = booted_station
    token = s.id_token(vgi_profile, "invalid_id_token")["idToken"]
    with s.configured(st, {**PRE, POST: "false"}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Invalid")
            st.tokens[token] = "Accepted"
            plugged(st, dut, t)
            start = present(st, dut, t, token)
            s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, f"{token} is cached as Invalid: the station "
                      "must ask the CSMS again (C10: post-authorization)", {"idToken": {"idToken": token}})
            s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the CSMS now accepts the token, "
                      "but no TransactionEvent carries it", {"idToken": {"idToken": token}})
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_13_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_13_CS(booted_station, dut, vgi_profile, t) -> None:
    """A cached Accepted token presented before the cable: the station authorizes from its cache (no Authorize),
    and charging begins once the EV is plugged in. The case needs a transaction that starts at authorization
    (TxStartPoint with Authorized): it asks for it first, NOT_APPLICABLE if the station refuses."""
    st = booted_station
    token = s.id_token(vgi_profile)["idToken"]
    with s.configured(st, PRE, WHY, IF_IMPLEMENTED), s.tx_points(st, start="Authorized"):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Accepted")
            ev = used_from_cache(st, t, token, present(st, dut, t, token), "cached token, no cable yet")
            st.check(ev.body["transactionInfo"].get("chargingState") != "Charging", r.EXPECTED_MESSAGE,
                     "the station reports Charging before the EV is plugged in", ev)
            mark = s.mark(st)
            dut.perform("plug_in", connector=t.connector)
            s.require(st, "TransactionEvent", mark, t.wait, r.EXPECTED_MESSAGE, "plugging in after the cached "
                      "authorization did not start charging",
                      lambda b: b["transactionInfo"].get("chargingState") == "Charging")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_32_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_32_CS(booted_station, dut, vgi_profile, t) -> None:
    """The cache survives a restart: after a power cycle a token cached as Accepted is still taken from the
    cache (no Authorize)."""
    st = booted_station
    token = s.id_token(vgi_profile)["idToken"]
    with s.configured(st, PRE, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Accepted")
            with preamble("the station power-cycled and idle again"):
                s.reboot(st, dut, vgi_profile)
                s.booted(st, dut, vgi_profile)
            plugged(st, dut, t)
            used_from_cache(st, t, token, present(st, dut, t, token), "cached before the restart")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_33_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_33_CS(booted_station, dut, vgi_profile, t) -> None:
    """An AuthorizeResponse refreshes the cache: a token cached as Invalid that the CSMS then accepts is cached as
    Accepted, so the next time it is taken from the cache without an Authorize."""
    st = booted_station
    token = s.id_token(vgi_profile, "invalid_id_token")["idToken"]
    with s.configured(st, {**PRE, POST: "false"}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Invalid")
            with preamble(f"{token} asked about again and now accepted"):
                st.tokens[token] = "Accepted"
                plugged(st, dut, t)
                start = present(st, dut, t, token)
                s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, "the token cached as Invalid was not "
                          "asked about again", {"idToken": {"idToken": token}})
                s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the accepted token did not "
                          "authorize the transaction", {"idToken": {"idToken": token}})
                notes = s.to_idle(st, dut, vgi_profile)
                st.check(not notes, r.EXPECTED_MESSAGE, "; ".join(notes))
            plugged(st, dut, t)
            used_from_cache(st, t, token, present(st, dut, t, token), "the AuthorizeResponse said Accepted")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_34_CS", feature="Authorization", requires=NEEDS + ("RemoteStart",))
def test_TC_C_34_CS(booted_station, dut, vgi_profile, t) -> None:
    """A TransactionEventResponse fills the cache: a token the station only learned through the answer to its
    TransactionEvent (a remote start without Authorize) is later taken from the cache without an Authorize."""
    st = booted_station
    token = s.id_token(vgi_profile)
    with s.configured(st, {**PRE, ("AuthCtrlr", "AuthorizeRemoteStart"): "false"}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            with preamble(f"a remote start with {token['idToken']}, answered Accepted in the TransactionEventResponse"):
                st.tokens[token["idToken"]] = "Accepted"
                start = plugged(st, dut, t)
                res = st.call("RequestStartTransaction", {"idToken": token, "remoteStartId": 3401,
                                                          "evseId": t.connector})
                st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStartTransaction: {res['status']}")
                s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the remote start did not "
                          "authorize the transaction", {"idToken": {"idToken": token["idToken"]}})
                st.check(not s.calls(st, "Authorize", start), r.EXPECTED_MESSAGE, "the station sent an Authorize "
                         "for the remote start: the cache was not filled by the TransactionEventResponse alone")
                notes = s.to_idle(st, dut, vgi_profile)
                st.check(not notes, r.EXPECTED_MESSAGE, "; ".join(notes))
            plugged(st, dut, t)
            used_from_cache(st, t, token["idToken"], present(st, dut, t, token["idToken"]),
                            "the TransactionEventResponse said Accepted")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_36_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_36_CS(booted_station, dut, vgi_profile, t) -> None:
    """With LocalPreAuthorize false the cache is not consulted first: a token cached as Accepted is still sent in
    an Authorize (answered Invalid here, so no transaction is authorized with it)."""
    st = booted_station
    token = s.id_token(vgi_profile)["idToken"]
    with s.configured(st, {("AuthCacheCtrlr", "Enabled"): "true", ("AuthCtrlr", "LocalPreAuthorize"): "false"},
                      "the case needs the cache enabled and LocalPreAuthorize false"):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Accepted")
            st.tokens[token] = "Invalid"
            plugged(st, dut, t)
            start = present(st, dut, t, token)
            s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, "LocalPreAuthorize is false: the cached "
                      "token must be sent to the CSMS", {"idToken": {"idToken": token}})
            s.expect_quiet(st, "TransactionEvent", start, t.quiet, "the CSMS answered the token Invalid",
                           {"idToken": {"idToken": token}})
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_46_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_46_CS(booted_station, dut, vgi_profile, t) -> None:
    """Cache entries age out: with AuthCacheCtrlr.LifeTime set to a few seconds, a token cached as Accepted is sent
    to the CSMS again once that time has passed."""
    st = booted_station
    token = s.id_token(vgi_profile)["idToken"]
    lifetime = 1
    with s.configured(st, {**PRE, ("AuthCacheCtrlr", "LifeTime"): str(lifetime)}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Accepted")
            time.sleep(lifetime + 0.5)  # bounded: the entry is unused for longer than LifeTime now
            plugged(st, dut, t)
            start = present(st, dut, t, token)
            s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, f"the cache entry is older than "
                      f"AuthCacheCtrlr.LifeTime ({lifetime} s): the token must be sent to the CSMS again",
                      {"idToken": {"idToken": token}})
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_57_CS", feature="Authorization", requires=NEEDS)
def test_TC_C_57_CS(booted_station, dut, vgi_profile, t) -> None:
    """With AuthCacheCtrlr.DisablePostAuthorize true a token cached as Invalid is refused from the cache: no
    Authorize, no transaction authorized with it."""
    st = booted_station
    token = s.id_token(vgi_profile, "invalid_id_token")["idToken"]
    with s.configured(st, {**PRE, POST: "true"}, "the case needs DisablePostAuthorize true", tuple(PRE)):
        fresh_cache(st)
        try:
            cache_token(st, dut, vgi_profile, t, token, "Invalid")
            plugged(st, dut, t)
            start = present(st, dut, t, token)
            s.expect_quiet(st, "Authorize", start, t.quiet, f"{token} is cached as Invalid and DisablePostAuthorize "
                           "is true", {"idToken": {"idToken": token}})
            s.expect_quiet(st, "TransactionEvent", start, 0.1, f"{token} is cached as Invalid",
                           {"idToken": {"idToken": token}})
        finally:
            s.to_idle(st, dut, vgi_profile)


GROUP = "VGI-GROUP-A"


def _group_stop(st, dut, profile, t, status: str):
    """The other token cached with `status` and the transaction's group, a transaction started with the valid
    token, then the other token presented; returns (transaction, position before it, the other token)."""
    first = s.id_token(profile)["idToken"]
    second = s.second_token(profile)
    s.token_groups(st, {first: GROUP, second: GROUP})
    cache_token(st, dut, profile, t, second, status)
    with preamble(f"a transaction charging with {first} (group {GROUP})"):
        tx = s.transaction(st, dut, profile)
    return tx, present(st, dut, t, second), second


def _stopped(tx_id: str):
    return lambda b: b["transactionInfo"].get("transactionId") == tx_id and b.get("triggerReason") == "StopAuthorized"


@pytest.mark.vgi_case("TC_C_41_CS", feature="Authorization", requires=NEEDS + ("GroupIdToken",))
def test_TC_C_41_CS(booted_station, dut, vgi_profile, t) -> None:
    """A different idToken that the cache holds as Accepted with the transaction's group ends the transaction
    from the cache, without an Authorize. The case asks for a transaction that stops at authorization (TxStopPoint
    with Authorized), NOT_APPLICABLE if the station refuses."""
    st = booted_station
    with s.configured(st, PRE, WHY, IF_IMPLEMENTED), s.tx_points(st, stop="Authorized"):
        fresh_cache(st)
        try:
            tx, start, second = _group_stop(st, dut, vgi_profile, t, "Accepted")
            s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, f"{second} is cached with the "
                      f"transaction's group ({GROUP}) but did not end it",
                      lambda b: _stopped(tx["transaction_id"])(b) and b.get("eventType") == "Ended")
            s.expect_quiet(st, "Authorize", start, 0.1, f"{second} is cached as Accepted and LocalPreAuthorize is "
                           "true", {"idToken": {"idToken": second}})
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_44_CS", feature="Authorization", requires=NEEDS + ("GroupIdToken",))
def test_TC_C_44_CS(booted_station, dut, vgi_profile, t) -> None:
    """A different idToken of the transaction's group that the cache holds as Invalid is asked about again; still
    Invalid, it does not end the transaction."""
    st = booted_station
    with s.configured(st, {**PRE, POST: "false"}, WHY, IF_IMPLEMENTED):
        fresh_cache(st)
        try:
            tx, start, second = _group_stop(st, dut, vgi_profile, t, "Invalid")
            s.require(st, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, f"{second} is cached as Invalid: the "
                      "station must ask the CSMS again (C10: post-authorization)", {"idToken": {"idToken": second}})
            s.expect_quiet(st, "TransactionEvent", start, t.quiet, f"the CSMS answered {second} Invalid",
                           _stopped(tx["transaction_id"]))
        finally:
            s.to_idle(st, dut, vgi_profile)

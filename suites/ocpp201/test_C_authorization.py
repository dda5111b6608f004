"""C: Authorization — idTokens the CSMS does not accept, and the authorization cache (C01, C11)."""

from __future__ import annotations

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def refused_token(station, dut, profile, t, status: str) -> None:
    """Present a token the CSMS answers with `status`: the station asks, and starts no transaction."""
    token = s.id_token(profile, "invalid_id_token")
    station.tokens[token["idToken"]] = status
    start = s.mark(station)
    dut.perform("present_token", id_token=token["idToken"], connector=t.connector)
    s.require(station, "Authorize", start, t.wait, r.EXPECTED_MESSAGE, "the presented idToken was not authorized",
              {"idToken": {"idToken": token["idToken"]}})
    s.expect_quiet(station, "TransactionEvent", start, t.quiet, f"the CSMS answered the idToken {status}")


@pytest.mark.vgi_case("TC_C_02_CS", feature="Authorization", requires=("Core",))
def test_TC_C_02_CS(booted_station, dut, vgi_profile, t) -> None:
    """An idToken the CSMS reports Invalid does not start a transaction."""
    refused_token(booted_station, dut, vgi_profile, t, "Invalid")


@pytest.mark.vgi_case("TC_C_06_CS", feature="Authorization", requires=("Core",))
def test_TC_C_06_CS(booted_station, dut, vgi_profile, t) -> None:
    """An idToken the CSMS reports Blocked does not start a transaction."""
    refused_token(booted_station, dut, vgi_profile, t, "Blocked")


@pytest.mark.vgi_case("TC_C_07_CS", feature="Authorization", requires=("Core",))
def test_TC_C_07_CS(booted_station, dut, vgi_profile, t) -> None:
    """An idToken the CSMS reports Expired does not start a transaction."""
    refused_token(booted_station, dut, vgi_profile, t, "Expired")


@pytest.mark.vgi_protocol("ocpp", "2.0.1")  # no 2.1 fault carries it yet
@pytest.mark.vgi_case("TC_C_56_CS", feature="Authorization", requires=("Core",))
def test_TC_C_56_CS(booted_station, dut, vgi_profile, t) -> None:
    """An idToken the CSMS reports Unknown does not start a transaction."""
    refused_token(booted_station, dut, vgi_profile, t, "Unknown")


@pytest.mark.vgi_protocol("ocpp", "2.0.1")  # no 2.1 fault carries it yet
@pytest.mark.vgi_case("TC_C_04_CS", feature="Authorization", requires=("Core",))
def test_TC_C_04_CS(booted_station, dut, vgi_profile, t) -> None:
    """During a transaction, a different idToken (accepted by the CSMS, no group shared with the transaction's
    token) does not stop it: only the token that started it, or one of its group, may."""
    st = booted_station
    other = s.second_token(vgi_profile)
    try:
        with preamble("a transaction charging with the valid idToken"):
            tx = s.transaction(st, dut, vgi_profile)
        st.tokens[other] = "Accepted"
        start = s.mark(st)
        dut.perform("present_token", id_token=other, connector=t.connector)
        s.expect_quiet(st, "TransactionEvent", start, t.quiet, f"{other} is not the token that started the "
                       "transaction", lambda b: b["transactionInfo"].get("transactionId") == tx["transaction_id"]
                       and b.get("triggerReason") == "StopAuthorized")
    finally:
        s.to_idle(st, dut, vgi_profile)


def set_cache(station, enabled: bool) -> str:
    res = station.call("SetVariables", {"setVariableData": [
        {"component": {"name": "AuthCacheCtrlr"}, "variable": {"name": "Enabled"},
         "attributeValue": "true" if enabled else "false"}]})
    return res["setVariableResult"][0]["attributeStatus"]


@pytest.mark.vgi_case("TC_C_37_CS", feature="Authorization", requires=("Core", "AuthorizationCache"))
def test_TC_C_37_CS(booted_station) -> None:
    """With the authorization cache enabled, ClearCache is Accepted."""
    st = booted_station
    st.check(set_cache(st, True) == "Accepted", r.STATION_RESPONSE, "AuthCacheCtrlr.Enabled cannot be set true")
    res = st.call("ClearCache", {})
    st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"ClearCache with the cache enabled: {res['status']}")


@pytest.mark.vgi_case("TC_C_38_CS", feature="Authorization", requires=("Core", "AuthorizationCache"))
def test_TC_C_38_CS(booted_station) -> None:
    """With the authorization cache disabled, ClearCache is Rejected."""
    st = booted_station
    try:
        st.check(set_cache(st, False) == "Accepted", r.STATION_RESPONSE, "AuthCacheCtrlr.Enabled cannot be set false")
        res = st.call("ClearCache", {})
        st.check(res["status"] == "Rejected", r.STATION_RESPONSE, f"ClearCache with the cache disabled: "
                 f"{res['status']}")
    finally:
        set_cache(st, True)

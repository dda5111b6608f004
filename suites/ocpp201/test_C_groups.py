"""C: Authorization — ending a transaction with another idToken: one of the same group (groupIdToken, C09) may,
one of another group may not, and a master pass (AuthCtrlr.MasterPassGroupId, C16) ends transactions but never
starts one. The fake CSMS gives the tokens their groups in every idTokenInfo it answers."""

from __future__ import annotations

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

GROUP, OTHER_GROUP, MASTER = "VGI-GROUP-A", "VGI-GROUP-B", "VGI-MASTER"


def tokens(profile) -> tuple[str, str]:
    return s.id_token(profile)["idToken"], s.second_token(profile)


def stopped_by(tx_id: str):
    def pred(b: dict) -> bool:
        return b["transactionInfo"].get("transactionId") == tx_id and b.get("triggerReason") == "StopAuthorized"
    return pred


def present_second(st, dut, profile, t, group: str) -> tuple[dict, int, str]:
    """A transaction started with the valid token (group GROUP), then the other token (group `group`, Accepted)
    presented at the same EVSE; returns the transaction, the position before the second token, and its id."""
    first, second = tokens(profile)
    st.tokens[second] = "Accepted"
    s.token_groups(st, {first: GROUP, second: group})
    with preamble(f"a transaction charging with {first} (group {GROUP})"):
        tx = s.transaction(st, dut, profile)
    start = s.mark(st)
    dut.perform("present_token", id_token=second, connector=t.connector)
    return tx, start, second


def not_stopped(st, t, tx: dict, start: int, why: str) -> None:
    s.expect_quiet(st, "TransactionEvent", start, t.quiet, why, stopped_by(tx["transaction_id"]))


@pytest.mark.vgi_case("TC_C_39_CS", feature="Authorization", requires=("Core", "GroupIdToken"))
def test_TC_C_39_CS(booted_station, dut, vgi_profile, t) -> None:
    """A different idToken that the CSMS accepts with the same groupIdToken as the one that started the
    transaction ends it (StopAuthorized). The case asks for a transaction that stops at authorization
    (TxStopPoint with Authorized), NOT_APPLICABLE if the station refuses."""
    st = booted_station
    with s.tx_points(st, stop="Authorized"):
        try:
            tx, start, second = present_second(st, dut, vgi_profile, t, GROUP)
            s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, f"{second} has the transaction's "
                      f"group ({GROUP}) but did not end it", lambda b: stopped_by(tx["transaction_id"])(b)
                      and b.get("eventType") == "Ended")
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_42_CS", feature="Authorization", requires=("Core", "GroupIdToken"))
def test_TC_C_42_CS(booted_station, dut, vgi_profile, t) -> None:
    """A different idToken, accepted by the CSMS but of another group, does not end the transaction."""
    st = booted_station
    try:
        tx, start, second = present_second(st, dut, vgi_profile, t, OTHER_GROUP)
        not_stopped(st, t, tx, start, f"{second} belongs to {OTHER_GROUP}, the transaction to {GROUP}")
    finally:
        s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_45_CS", feature="Authorization", requires=("Core", "MasterPass"))
def test_TC_C_45_CS(booted_station, dut, vgi_profile, t) -> None:
    """A master pass (an idToken whose group is AuthCtrlr.MasterPassGroupId) starts no transaction."""
    st = booted_station
    master = s.second_token(vgi_profile)
    with s.configured(st, {("AuthCtrlr", "MasterPassGroupId"): MASTER}, "the case needs a master pass group"):
        try:
            st.tokens[master] = "Accepted"
            s.token_groups(st, {master: MASTER})
            start = s.mark(st)
            dut.perform("present_token", id_token=master, connector=t.connector)
            s.expect_quiet(st, "TransactionEvent", start, t.quiet, f"{master} is a master pass (group {MASTER})",
                           {"idToken": {"idToken": master}})
        finally:
            s.to_idle(st, dut, vgi_profile)


@pytest.mark.vgi_case("TC_C_49_CS", feature="Authorization", requires=("Core", "MasterPass", "!MasterPassUI"))
def test_TC_C_49_CS(booted_station, dut, vgi_profile, t) -> None:
    """A station without a user interface for the master pass ends every transaction when one is presented
    (eventType Ended, stoppedReason MasterPass)."""
    st = booted_station
    first, master = tokens(vgi_profile)
    with s.configured(st, {("AuthCtrlr", "MasterPassGroupId"): MASTER}, "the case needs a master pass group"):
        try:
            st.tokens[master] = "Accepted"
            s.token_groups(st, {first: GROUP, master: MASTER})
            with preamble(f"a transaction charging with {first}"):
                tx = s.transaction(st, dut, vgi_profile)
            start = s.mark(st)
            dut.perform("present_token", id_token=master, connector=t.connector)
            ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, f"the master pass {master} "
                              "did not end the transaction", lambda b: b.get("eventType") == "Ended" and
                              b["transactionInfo"].get("transactionId") == tx["transaction_id"])
            reason = ended.body["transactionInfo"].get("stoppedReason")
            st.check(reason == "MasterPass", r.EXPECTED_MESSAGE, f"a transaction ended by a master pass has "
                     f"stoppedReason {reason!r}, not MasterPass", ended)
        finally:
            s.to_idle(st, dut, vgi_profile)

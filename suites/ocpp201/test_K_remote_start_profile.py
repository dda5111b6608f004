"""K: Smart charging — the one Core case of block K: a station without smart charging takes a remote start that
carries a charging profile, ignoring the profile (F01/K05 on a station without SmartCharging)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")

PROFILE = {"id": 38, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
           "chargingSchedule": [{"id": 38, "chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}]}]}


@pytest.mark.vgi_case("TC_K_38_CS", feature="SmartCharging", requires=("Core", "RemoteStart", "!SmartCharging"))
def test_TC_K_38_CS(booted_station, dut, vgi_profile, t) -> None:
    """EV plugged in, then a RequestStartTransaction with a TxProfile: a station without smart charging ignores the
    profile, accepts the request and starts charging (triggerReason RemoteStart, the request's remoteStartId)."""
    st = booted_station
    token = s.id_token(vgi_profile)
    st.tokens[token["idToken"]] = "Accepted"
    try:
        mark = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        s.wait_call(st, "StatusNotification", mark, t.wait, {"evseId": t.connector, "connectorStatus": "Occupied"})
        start = s.mark(st)
        res = st.call("RequestStartTransaction", {"idToken": token, "remoteStartId": 3801, "evseId": t.connector,
                                                  "chargingProfile": PROFILE})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"RequestStartTransaction with a chargingProfile: "
                 f"{res['status']}, expected Accepted (a station without smart charging ignores the profile)")
        ev = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no TransactionEvent for the remote "
                       "start", {"triggerReason": "RemoteStart"})
        got = ev.body["transactionInfo"].get("remoteStartId")
        st.check(got == 3801, r.EXPECTED_MESSAGE, f"the remote start's event carries remoteStartId {got!r}, expected "
                 "3801", ev)
        s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the remote start did not make the EV "
                  "charge", lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    finally:
        s.end_transactions(st, vgi_profile)
        dut.perform("unplug", connector=t.connector)

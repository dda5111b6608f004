"""F: Remote control — the conditional remote unlock case (F05) of a connector with no cable in it."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


@pytest.mark.vgi_case("TC_F_07_CS", feature="RemoteControl", requires=("Core", "UnlockConnector"))
def test_TC_F_07_CS(booted_station, t) -> None:
    """No transaction and no cable at the connector: a remote unlock has nothing to release and answers Unlocked;
    the connector stays Available (no transaction, no status change)."""
    st = booted_station
    start = s.mark(st)
    res = st.call("UnlockConnector", {"evseId": t.connector, "connectorId": 1})
    st.check(res["status"] == "Unlocked", r.STATION_RESPONSE, f"UnlockConnector of a connector without a cable: "
             f"{res['status']}, expected Unlocked")
    s.expect_quiet(st, "TransactionEvent", start, min(t.quiet, 1.0), "unlocking an empty connector starts nothing")

"""B: Provisioning — the conditional reset case of a station that cannot reset one EVSE (B11/B12 with C-13 absent)
while a transaction runs."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


@pytest.mark.vgi_case("TC_B_29_CS", feature="Provisioning", requires=("Core", "!C-13"))
def test_TC_B_29_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """A station that cannot reset a single EVSE rejects an immediate reset of the EVSE that has a transaction; the
    transaction goes on (no Ended event) and the station does not restart."""
    st, tx = booted_station, running_transaction
    try:
        start = s.mark(st)
        res = st.call("Reset", {"type": "Immediate", "evseId": t.connector})
        st.check(res["status"] == "Rejected", r.STATION_RESPONSE, f"Reset of EVSE {t.connector} during a transaction: "
                 f"{res['status']}, expected Rejected (no reset of a single EVSE)")
        s.expect_quiet(st, "TransactionEvent", start, t.quiet, "the EVSE reset was rejected, so the transaction goes on",
                       lambda b: b.get("eventType") == "Ended"
                       and b["transactionInfo"]["transactionId"] == tx["transaction_id"])
        s.expect_quiet(st, "BootNotification", start, 0.1, "the EVSE reset was rejected")
    finally:
        s.end_transactions(st, vgi_profile)
        dut.perform("unplug", connector=t.connector)

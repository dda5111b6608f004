"""OCPP 1.6 power failure during a transaction (module 14): the transaction the outage cut must still be ended
towards the CSMS once the station is back."""

from __future__ import annotations

import pytest

from helpers16 import calls, wait_s
from vgitest.ocpp import rules as r
from vgitest.ocpp.states_v16 import reboot

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

# the reasons a StopTransaction for a transaction a power cut ended may give: PowerLoss says what happened; Local
# (also what an omitted reason means, OCPP 1.6 §6.48) is what a station that cannot tell reports
POWER_CUT_REASONS = ("PowerLoss", "Local")


@pytest.mark.vgi_case("TC_032_2_CS", feature="Power Failure (Non-Happy)", requires=("Core",))
def test_TC_032_2_CS(running_transaction, dut, vgi_profile, station):
    """The power fails while a transaction runs. When the power returns, the station boots, reports its
    connectors, and ends the cut transaction with a StopTransaction for the same transaction id (reason PowerLoss;
    Local is tolerated), with a meterStop not below the meterStart; a stop sent before the power went down counts
    too."""
    tx, start = running_transaction["transaction_id"], running_transaction["start"]
    mark = len(station.csms.trace)
    boot = reboot(station, dut, vgi_profile)
    stop = next(iter(calls(station, "StopTransaction", mark, {"transactionId": tx})), None)
    if stop is None:
        try:
            stop = station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx},
                                  since=boot.index)
        except AssertionError:
            station.fail(r.EXPECTED_MESSAGE, f"transaction {tx} was cut by the power failure but the station never "
                         "ended it with a StopTransaction after it came back")
    reason = stop.body.get("reason", "Local")
    station.check(reason in POWER_CUT_REASONS, r.EXPECTED_MESSAGE,
                  f"the transaction the power cut was stopped with reason {reason}; expected PowerLoss (or Local)", stop)
    station.check(int(stop.body.get("meterStop", -1)) >= int(start.body.get("meterStart", 0)), r.METER_ORDER,
                  f"meterStop {stop.body.get('meterStop')} is below meterStart {start.body.get('meterStart')}", stop)


@pytest.mark.vgi_case("TC_032_1_CS", feature="Power Failure (Non-Happy)", requires=("Core", "StopTxBeforePowerLoss"))
def test_TC_032_1_CS(running_transaction, dut, vgi_profile, station):
    """The power fails while a transaction runs, on a station configured to end its transactions before it goes
    down (it has the energy to, PICS StopTxBeforePowerLoss): the StopTransaction of that transaction, reason
    PowerLoss, arrives before the station's connection drops; when the power returns the station boots and
    reports its connectors."""
    tx, start = running_transaction["transaction_id"], running_transaction["start"]
    mark = len(station.csms.trace)
    boot = reboot(station, dut, vgi_profile)
    down = next((f.index for f in station.frames(mark) if f.kind == "CLOSE"), boot.index)
    stop = next(iter(calls(station, "StopTransaction", mark, {"transactionId": tx})), None)
    station.check(stop is not None and stop.index < down, r.EXPECTED_MESSAGE,
                  f"transaction {tx} was not ended before the station went down "
                  + ("(its StopTransaction came after the power returned)" if stop is not None else "(no StopTransaction)"),
                  stop)
    station.check(stop.body.get("reason") == "PowerLoss", r.EXPECTED_MESSAGE,
                  f"the transaction ended before the power cut has reason {stop.body.get('reason', 'Local')}, "
                  "expected PowerLoss", stop)
    station.check(int(stop.body.get("meterStop", -1)) >= int(start.body.get("meterStart", 0)), r.METER_ORDER,
                  f"meterStop {stop.body.get('meterStop')} is below meterStart {start.body.get('meterStart')}", stop)

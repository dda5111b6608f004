"""The DUT adapter actions of a CACTUS procedure's operator (declared to the run by vgitest/sep2/protocol.py, so
kept light; which step asks for which is in :mod:`.operator`)."""

from __future__ import annotations

from ...actions import CASES, Action

SUITES = ("csip_aus",)
COMMON = (("procedure", "the CACTUS procedure id (ALL-07)"), ("step", "the procedure's step"),
          ("instructions", "the step's instructions to the operator, as the installed procedure words them"))


def actions() -> tuple[Action, ...]:
    return (
        Action("cactus_proceed", "the operator's go-ahead in a CACTUS procedure: carry out or observe what the "
               "step's instructions say, then return (a proceed step fires when it returns; with a timeout it also "
               "fires at the end of that time). The harness does not judge the observation: it is the lab's",
               (*COMMON, ("observe", "what there is to observe, in vgitest's words (energized, connected, control, "
                          "default; empty when the instructions alone say it)"),
                ("timeout_s", "how long the step waits for the go-ahead (s, scaled; 0: no timeout)")), ("sep2",),
               uses=((SUITES, CASES, "the proceed steps: ALL-30 and PRC-02 need it (no timeout); ALL-26, ALL-27 and "
                      "P-03 fire at their timeout without it"),)),
        Action("der_grid", "disconnect the DER from the grid (connected false) or reconnect it (true); the client "
               "reports it in its DERStatus (genConnectStatus)", (*COMMON, ("connected", "true or false")),
               ("sep2",), uses=((SUITES, CASES, "CACTUS ALL-07 (connection status)"),)),
        Action("der_run", "stop the DER from importing or exporting (running false) or let it run again (true); the "
               "client reports it in its DERStatus (operationalModeStatus 1 off, 2 operational)",
               (*COMMON, ("running", "true or false")), ("sep2",),
               uses=((SUITES, CASES, "CACTUS ALL-08 (operational mode status)"),)),
        Action("der_units_off", "power off DER units behind the client: one of them, all of them, or none (all on "
               "again); the client reports the state of its units together in its DERStatus",
               (*COMMON, ("which", "one, all or none")), ("sep2",),
               uses=((SUITES, CASES, "CACTUS MUL-01 (DERStatus of several DER)"),)),
    )

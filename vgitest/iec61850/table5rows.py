"""FLOW D3.1 Table 5's rows as size budgets (``schemas/budgets/flow_d31_table5.toml`` through
:class:`vgitest.budgets.Budgets`), by row number: the flow names its frames by row, and two rows share a message
name (rows 1 and 3 are both ``MMS_req``), so a name lookup cannot tell them apart."""

from __future__ import annotations

from ..budgets import Budgets, SizeBudget
from ..verdict import HarnessError

PROTOCOL = "iec61850"
# What each row is, as the flow builds it: the file must list the rows in this order with these messages.
ROWS = {1: ("MMS_req", "EV->EVSE"), 2: ("MMS_res", "EVSE->EV"), 3: ("MMS_req", "EVSE->EV"), 4: ("MMS_res", "EV->EVSE"),
        5: ("GOOSE", "EVSE->EV"), 6: ("SV", "EV->EVSE"), 7: ("GOOSE", "EVSE->EV")}
EV_ROWS = (1, 4, 6)  # the rows whose frames the EV sends
EVSE_ROWS = (2, 3, 5, 7)


def row_budgets(budgets: Budgets | None = None) -> dict[int, SizeBudget]:
    """Row number -> its budget; a HarnessError when the file no longer has the seven rows in Table 5's order."""
    sizes = (budgets or Budgets.load()).sizes(PROTOCOL)
    got = {i + 1: (b.message, b.direction) for i, b in enumerate(sizes)}
    if got != ROWS:
        raise HarnessError(f"the {PROTOCOL} size budgets are not Table 5's seven rows in order: {got}")
    return {i + 1: b for i, b in enumerate(sizes)}

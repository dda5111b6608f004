"""Rule ids of the Table 5 flow (:mod:`vgitest.iec61850.flow`): the device takes its steps, and each frame fits its
Table 5 row. The GOOSE, SV and MMS frames themselves are judged by the rules of :mod:`vgitest.iec61850.rules` and
:mod:`vgitest.iec61850.mms_rules`.

``IEC-TABLE5-SIZE`` is registered as a warning; each finding takes its severity from the row's entry in
``schemas/budgets/flow_d31_table5.toml``. A frame exactly at the row's figure is within it.
"""

from __future__ import annotations

from ..findings import RULES

P = "iec61850"
V = ("ed2",)  # the flow's frames, GOOSE/SV and MMS, are all Edition 2 (as the GOOSE, SV and MMS rules)

RULES.add("IEC-FLOW-STEP", "fail", "The device takes its next step of the Table 5 flow (acknowledge the power "
          "request, read the EV's parameters, initiate, publish its state of charge, terminate) within the harness's "
          "step timeout", "FLOW D3.1 Table 5 (message sequence)", protocol=P, versions=V)
RULES.add("IEC-TABLE5-SIZE", "warn", "A frame of the Table 5 flow is no larger than its row's figure (the whole "
          "frame: Ethernet to the end of the PDU, FCS excluded; for MMS the TPKT plus 54 bytes of Ethernet, IPv4 and "
          "TCP headers)", "FLOW D3.1 Table 5 (message sizes)", protocol=P, versions=V)

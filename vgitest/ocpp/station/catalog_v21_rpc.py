"""OCPP 2.1 faults of the RPC framework (the station side of 2.1 Part 4 §4): frames that take no answer and the
identity-wide scope of message ids. The faults themselves live in `rpc_v21`; imported by `catalog_v21`."""

from __future__ import annotations

from .. import rules as r
from .faults import fault
from .rpc_v21 import FAULTS

V = "2.1"

for _name, _case, _rule in (("unknown_type_answered_21", "TC_VGI_RPC21_01_CS", r.FORBIDDEN_MESSAGE),
                            ("callresulterror_answered", "TC_VGI_RPC21_02_CS", r.FORBIDDEN_MESSAGE),
                            ("send_answered", "TC_VGI_RPC21_03_CS", r.FORBIDDEN_MESSAGE),
                            ("msgid_reset_on_reconnect", "TC_VGI_RPC21_04_CS", r.MSGID_REUSED)):
    fault(_name, FAULTS[_name], version=V, tests=(f"test_{_case}",), rule=_rule)

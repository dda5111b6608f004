"""Fault catalogs of the reference EV and EVSE of the Table 5 flow: each fault of :mod:`vgitest.iec61850.flow`, the
suites/iec61850 test(s) that must catch it and the rule id they must report (tests/test_fault_matrix.py runs every
row; docs/faults.md lists them). Faults whose rule is a warning (the Table 5 sizes) run with --vgi-strict."""

from __future__ import annotations

from ..faults import FaultCatalog
from .flow import EV_FAULTS, EVSE_FAULTS

VERSION = "ed2"
FLOW_EV_FAULTS = FaultCatalog("IEC 61850 EV")
FLOW_EVSE_FAULTS = FaultCatalog("IEC 61850 EVSE")
WARN_RULES = {"IEC-TABLE5-SIZE"}
EVSE_CASE, EV_CASE = "TC_VGI_61850_EVSE_", "TC_VGI_61850_EV_"

# reference EVSE, caught by the fake EV (suites/iec61850/test_61850_evse.py): fault -> (description, rule, cases)
_EVSE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "no_retransmission": ("publishes each GOOSE state once, without the retransmission curve", "GOOSE-TAL-EXPIRED",
                          ("GOOSE_001",)),
    "sqnum_skip": ("skips one sqNum in the retransmissions of a GOOSE state", "GOOSE-SQNUM", ("GOOSE_001",)),
    "stnum_stuck": ("terminates charging without a new stNum", "GOOSE-DATA-CHANGE", ("GOOSE_001",)),
    "tal_too_short": ("announces a timeAllowedtoLive of half the retransmission interval, so every GOOSE expires "
                      "before the next", "GOOSE-TAL-EXPIRED", ("GOOSE_001",)),
    "oversized_goose": ("names its GOOSE control block, data set and goID at length: the GOOSE frames exceed Table 5 "
                        "rows 5 and 7", "IEC-TABLE5-SIZE", ("SIZE_001",)),
    "oversized_read": ("reads the EV's five attributes by name instead of its three functional constraints: the read "
                       "request exceeds Table 5 row 3", "IEC-TABLE5-SIZE", ("SIZE_002",)),
    "wrong_invoke_id": ("answers each MMS request under the next invokeID", "MMS-INVOKE-ID", ("FLOW_001",)),
    "accept_read_only_writes": ("accepts an MMS write to a read-only (ST) attribute", "MMS-READONLY-WRITE",
                                ("MMS_001",)),
}

# reference EV, caught by the fake EVSE (suites/iec61850/test_61850_ev.py)
_EV: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "smpcnt_gap": ("skips one smpCnt value in its SoC updates", "SV-SMPCNT", ("SV_001",)),
    "wrong_svid": ("publishes its SoC updates under another svID than configured", "SV-SVID", ("SV_001",)),
    "oversized_sv": ("adds voltage, current and power to every SoC update: the SV frames exceed Table 5 row 6",
                     "IEC-TABLE5-SIZE", ("SIZE_001",)),
    "oversized_read_response": ("keeps a 200-character identifier among its set points: its answer to the "
                                "parameter read exceeds Table 5 row 4", "IEC-TABLE5-SIZE", ("SIZE_002",)),
    "wrong_invoke_id": ("answers each MMS request under the next invokeID", "MMS-INVOKE-ID", ("FLOW_001",)),
    "accept_read_only_writes": ("accepts an MMS write to a read-only (MX) attribute", "MMS-READONLY-WRITE",
                                ("MMS_001",)),
}


def _register(cat: FaultCatalog, table: dict[str, tuple[str, str, tuple[str, ...]]], prefix: str,
              known: set[str]) -> None:
    if set(table) != known:
        raise RuntimeError(f"{cat.protocol}: catalog and role faults differ: {sorted(set(table) ^ known)}")
    for name, (description, rule, cases) in table.items():
        cat.fault(name, description, version=VERSION, tests=tuple(f"test_{prefix}{c}" for c in cases), rule=rule,
                  strict=rule in WARN_RULES)


_register(FLOW_EVSE_FAULTS, _EVSE, EVSE_CASE, set(EVSE_FAULTS))
_register(FLOW_EV_FAULTS, _EV, EV_CASE, set(EV_FAULTS))


def catalog_for(kind: str) -> FaultCatalog:
    """The catalog of the reference device of ``kind`` ("ev" or "evse")."""
    return FLOW_EV_FAULTS if kind == "ev" else FLOW_EVSE_FAULTS

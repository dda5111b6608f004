"""Fault catalogs of the reference SLAC EV and EVSE: each fault of :mod:`vgitest.slac.roles`, the suites/slac test(s)
that must catch it and the rule id they must report (tests/test_fault_matrix.py runs every row; docs/faults.md
lists them). Faults whose rule is a warning are run with --vgi-strict (``strict``)."""

from __future__ import annotations

from ..faults import FaultCatalog
from .roles import EV_FAULTS as _EV_ROLE_FAULTS
from .roles import EVSE_FAULTS as _EVSE_ROLE_FAULTS

VERSION = "15118-3"
SLAC_EV_FAULTS = FaultCatalog("SLAC EV")
SLAC_EVSE_FAULTS = FaultCatalog("SLAC EVSE")
WARN_RULES = {"SLAC-FRAME-PADDING", "SLAC-START-ATTEN-COUNT", "SLAC-BATCH-INTERVAL", "SLAC-PARM-RETRY",
              "SLAC-ATTEN-CHAR-SOUNDS", "SLAC-SOUND-COUNTER"}

# reference EVSE, caught by the fake EV (suites/slac/test_slac_secc.py, suites/slac_fuzz): fault -> test ids
# without "test_"
_EVSE: dict[str, tuple[str, ...]] = {
    "no_parm_cnf": ("TC_SECC_CMN_VTB_CmSlacParm_001", "TC_SECC_CMN_VTB_CmSlacParm_002"),
    "late_parm_cnf": ("TC_SECC_CMN_VTB_CmSlacParm_001", "TC_SECC_CMN_VTB_CmSlacParm_002"),
    "wrong_run_id": ("TC_SECC_CMN_VTB_CmSlacParm_001",),
    "no_atten_char_ind": ("TC_SECC_CMN_VTB_AttenuationCharacterization_001",
                          "TC_SECC_CMN_VTB_AttenuationCharacterization_002"),
    "atten_char_ind_late": ("TC_SECC_CMN_VTB_AttenuationCharacterization_001",
                            "TC_SECC_CMN_VTB_AttenuationCharacterization_003"),
    "truncated_atten_char_ind": ("TC_SECC_CMN_VTB_AttenuationCharacterization_001",
                                 "TC_SECC_CMN_VTB_AttenuationCharacterization_002"),
    "no_match_cnf": ("TC_SECC_CMN_VTB_CmSlacMatch_001",),
    "late_match_cnf": ("TC_SECC_CMN_VTB_CmSlacMatch_001",),
    "match_cnf_wrong_run_id": ("TC_SECC_CMN_VTB_CmSlacMatch_001", "TC_SECC_CMN_VTB_CmSlacMatch_002"),
    "wrong_mvf_length": ("TC_SECC_CMN_VTB_CmSlacMatch_001",),
    "match_cnf_wrong_mac": ("TC_SECC_CMN_VTB_CmSlacMatch_001",),
    "set_key_mismatch": ("TC_SECC_CMN_VTB_CmSlacMatch_003",),
    # robustness faults, caught by the fuzz suite (suites/slac_fuzz)
    "parm_any_app_type": ("TC_VGI_FUZZ_SLAC_01_SECC",),
    "parm_reserved_security": ("TC_VGI_FUZZ_SLAC_01_SECC",),
    "match_any_mvf_length": ("TC_VGI_FUZZ_SLAC_01_SECC",),
    "crash_on_cut_frame": ("TC_VGI_FUZZ_SLAC_01_SECC",),
    "deaf_after_unknown_mmtype": ("TC_VGI_FUZZ_SLAC_01_SECC",),
}

# reference EV, caught by the fake EVSE (suites/slac/test_slac_evcc.py, suites/slac_fuzz)
_EV: dict[str, tuple[str, ...]] = {
    "parm_req_flood": ("TC_EVCC_CMN_VTB_CmSlacParm_001", "TC_EVCC_CMN_VTB_CmSlacParm_002"),
    "unpadded_frames": ("TC_EVCC_CMN_VTB_CmSlacParm_003",),
    "too_few_sounds": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_001",),
    "single_start_atten": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_001",),
    "slow_sounds": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_002",),
    "fast_sounds": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_002",),
    "no_atten_char_rsp": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_003",),
    "late_atten_char_rsp": ("TC_EVCC_CMN_VTB_AttenuationCharacterization_003",),
    "no_match_req": ("TC_EVCC_CMN_VTB_CmSlacMatch_001", "TC_EVCC_CMN_VTB_CmSlacMatch_003"),
    "late_match_req": ("TC_EVCC_CMN_VTB_CmSlacMatch_001",),
    "wrong_mvf_length": ("TC_EVCC_CMN_VTB_CmSlacMatch_001", "TC_EVCC_CMN_VTB_CmSlacParm_003"),
    "wrong_run_id_in_match": ("TC_EVCC_CMN_VTB_CmSlacMatch_002", "TC_EVCC_CMN_VTB_CmSlacMatch_003"),
    # robustness faults, caught by the fuzz suite (suites/slac_fuzz)
    "parm_cnf_any_app_type": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
    "parm_cnf_any_run_id": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
    "atten_ind_any_run_id": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
    "atten_ind_any_groups": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
    "crash_on_cut_frame": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
    "match_cnf_any_run_id": ("TC_VGI_FUZZ_SLAC_01_EVCC",),
}


def _register(cat: FaultCatalog, table: dict[str, tuple[str, ...]], role_faults: dict) -> None:
    missing = set(role_faults) - set(table)
    if missing:
        raise RuntimeError(f"{cat.protocol}: faults without a catching test: {sorted(missing)}")
    for name, tests in table.items():
        f = role_faults[name]
        cat.fault(name, f.description, version=VERSION, tests=tuple(f"test_{t}" for t in tests), rule=f.rule,
                  strict=f.rule in WARN_RULES)


_register(SLAC_EVSE_FAULTS, _EVSE, _EVSE_ROLE_FAULTS)
_register(SLAC_EV_FAULTS, _EV, _EV_ROLE_FAULTS)


def catalog_for(kind: str) -> FaultCatalog:
    """The catalog of the reference device of ``kind`` ("ev" or "evse")."""
    return SLAC_EV_FAULTS if kind == "ev" else SLAC_EVSE_FAULTS

"""ISO 15118-3 SLAC fuzzing: frames of a matching broken in one place, sent to an EVSE (the harness is the EV) or an
EV (the harness is the EVSE).

vgitest's own ids (TC_VGI_FUZZ_SLAC_nn_SECC: the EVSE is under test; TC_VGI_FUZZ_SLAC_nn_EVCC: the EV is): ISO 15118-5
has no property-based cases. Each case is a property over many examples, as many as the fuzz profile says
(`--vgi-fuzz-profile`: pr, nightly, cert; docs/fuzz-suites.md); each (message, kind of break) is its own run, so every
one is sent. A counterexample is shrunk, reported with its rule id and written to counterexample.json, which
`vgitest replay` runs again. The bodies are in vgitest.slac.fuzzcases.
"""

from __future__ import annotations

import pytest

from vgitest.slac.fuzzcases import ev_case, evse_case
from vgitest.slac.suite import PROTOCOL

pytestmark = PROTOCOL


@pytest.mark.vgi_case("TC_VGI_FUZZ_SLAC_01_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_SLAC_01_SECC(slac_ev, vgi_fuzz):
    """Broken requests: in each matching the fake EV sends its CM_SLAC_PARM.REQ or CM_SLAC_MATCH.REQ first broken in
    one place (cut short, an MMV other than 0x01, an unknown MMTYPE, an application type other than 0x00, a reserved
    security type; for CM_SLAC_MATCH.REQ also another session's RunID or a wrong MVFLength), then, after
    TT_match_response and a tolerance, the good one. The EVSE answers nothing to the broken frame, and the matching
    still completes."""
    evse_case(slac_ev, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_SLAC_01_EVCC", feature="Robustness", requires=("Ev",))
def test_TC_VGI_FUZZ_SLAC_01_EVCC(slac_evse, vgi_fuzz):
    """Broken confirmations: in each matching the fake EVSE sends its CM_SLAC_PARM.CNF, CM_ATTEN_CHAR.IND or
    CM_SLAC_MATCH.CNF first broken in one place (cut short, an MMV other than 0x01, an unknown MMTYPE, an application
    type other than 0x00, a reserved security type, another session's RunID, NumSounds or Time_Out 0, NumGroups other
    than 58, a wrong MVFLength), then, after TT_match_response and a tolerance, the good one. The EV takes no step of
    the matching on the broken frame (no sounding, no CM_ATTEN_CHAR.RSP, no CM_SLAC_MATCH.REQ; where it shows its own
    recording, no key to its modem), and the matching still completes."""
    ev_case(slac_evse, vgi_fuzz)

"""DIN SPEC 70121 fuzzing: the cases of suites/iso15118_2_fuzz, run in DIN's message set (DC only: payment selection
is ServicePaymentSelection, authorization ContractAuthentication; no Pause, no DepartureTime or charging profile in
the positive data). The bodies are the same (vgitest.iso15118.fuzzcases, vgitest.iso15118.models): the profile's
[dut] version picks the family; docs/fuzz-suites.md describes them.
"""

from __future__ import annotations

import pytest

from vgitest.iso15118.fuzzcases import ev_case, evse_case, model_case

pytestmark = pytest.mark.vgi_protocol("iso15118", "din")


@pytest.mark.vgi_case("TC_VGI_FUZZ_01_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_01_SECC(evcc, vgi_profile, vgi_fuzz):
    """Negative data: a session in order up to a drawn request (SessionSetup to PreCharge), which is then sent broken
    in one place (a value over its maxLength, an enumeration or integer past its range, the EXI stream cut short, a
    bad V2GTP header). The EVSE never answers it with an OK code, and a new V2G session still works afterwards."""
    evse_case("negative", evcc, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_03_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_03_SECC(evcc, vgi_profile, vgi_fuzz):
    """Session state machine, as a stateful model: generated programs of new sessions, the next request, the same
    request again, a request skipped, an earlier request and SessionStop. A request out of sequence is answered
    FAILED_SequenceError, the next request in order OK; every new session gets a SessionID no earlier session of the
    program had."""
    model_case(evcc, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_01_EVCC", feature="Robustness", requires=("Ev",))
def test_TC_VGI_FUZZ_01_EVCC(secc, dut, vgi_profile, vgi_fuzz):
    """Broken responses: one response of a session is replaced by a FAILED code, a response with a value over its
    maxLength or past its range, an EXI stream cut short, or a response of another type. The EV sends no further
    request and closes the connection, and its next session after plug-in runs to SessionStop."""
    ev_case(secc, dut, vgi_profile, vgi_fuzz)

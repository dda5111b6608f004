"""ISO 15118-2 fuzzing: generated and broken V2G messages sent to an EVSE (the harness is the EV) or an EV (the
harness is the EVSE).

vgitest's own ids (TC_VGI_FUZZ_nn_SECC: the EVSE is under test; TC_VGI_FUZZ_nn_EVCC: the EV is): ISO 15118-4 has no
property-based cases. Each case is a property over many examples, as many as the fuzz profile says
(`--vgi-fuzz-profile`: pr, nightly, cert; docs/fuzz-suites.md). A counterexample is shrunk to the smallest one found
within the profile's time budget, reported with its rule id and written to counterexample.json in the case's
evidence, which `vgitest replay` runs again. The bodies are in vgitest.iso15118.fuzzcases and vgitest.iso15118.models.
"""

from __future__ import annotations

import pytest

from vgitest.iso15118.fuzzcases import ev_case, evse_case, model_case

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-2")


@pytest.mark.vgi_case("TC_VGI_FUZZ_01_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_01_SECC(evcc, vgi_profile, vgi_fuzz):
    """Negative data: a session in order up to a drawn request, which is then sent broken in one place (a string or
    binary value over its maxLength, an enumeration or integer past its range, the EXI stream cut short, a V2GTP
    header with a wrong version, inverse version, payload type or length). The EVSE never answers it with an OK code
    (a frame with a bad header gets no answer at all), and a new V2G session still works afterwards."""
    evse_case("negative", evcc, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_02_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_02_SECC(evcc, vgi_profile, vgi_fuzz):
    """Positive data: a whole session in order whose requests carry generated schema-valid values an EVSE must take
    (any unicast MAC address as EVCCID, any ServiceScope text, any state of charge and departure time, a charging
    profile of 1 to 24 entries within the EVSE's own PMax): every answer has an OK code and stays within its length
    facets, and a new session still works afterwards."""
    evse_case("positive", evcc, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_03_SECC", feature="Robustness", requires=("Evse",))
def test_TC_VGI_FUZZ_03_SECC(evcc, vgi_profile, vgi_fuzz):
    """Session state machine, as a stateful model: generated programs of new sessions, the next request, the same
    request again, a request skipped, an earlier request, SessionStop (Terminate or Pause) and resuming the paused
    session. A request out of sequence is answered FAILED_SequenceError, the next request in order OK; every new
    session gets a SessionID no earlier session of the program had; a paused session is joined again with its own."""
    model_case(evcc, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_01_EVCC", feature="Robustness", requires=("Ev",))
def test_TC_VGI_FUZZ_01_EVCC(secc, dut, vgi_profile, vgi_fuzz):
    """Broken responses: one response of a session is replaced by a FAILED code, a response with a value over its
    maxLength or past its range, an EXI stream cut short, or a response of another type. The EV sends no further
    request and closes the connection, and its next session after plug-in runs to SessionStop."""
    ev_case(secc, dut, vgi_profile, vgi_fuzz)

"""Fuzz cases for a VEN speaking OpenADR 2.0b (simple HTTP pull): generated and broken payloads the fake VTN hands
the VEN on its polls.

vgitest's own ids (TC_VGI_OADR_FUZZ_nn): the certification test harness has no property-based cases. Each case
is a property over many examples, as many as the fuzz profile says (`--vgi-fuzz-profile`: pr, nightly, cert; see
docs/fuzz-suites.md). A counterexample is shrunk to the smallest one found within the profile's time budget,
reported with its rule id and written to counterexample.json in the case's evidence, which `vgitest replay` runs
again. The bodies are in vgitest.openadr.fuzzcases.
"""

from __future__ import annotations

import pytest

from vgitest.openadr.fuzzcases import fuzz_case, lifecycle_case

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


@pytest.mark.vgi_case("TC_VGI_OADR_FUZZ_01", feature="Robustness", requires=("HttpPull",))
def test_TC_VGI_OADR_FUZZ_01(registered_ven, dut, vgi_profile, vgi_fuzz):
    """Negative data: a payload the VEN must answer (oadrDistributeEvent; oadrCreateReport, oadrCancelReport and
    oadrRegisterReport with reports), drawn from oadr_20b.xsd and broken in one place (a required element left
    out, a value of another type, outside its enumeration or bounds, too long, an unknown element, a wrong
    namespace), handed over on a poll. The VEN must not act on it (no answer with response code 200) and must
    poll again; a refusal without response code 454, or none at all, is NON_STRICT."""
    fuzz_case("negative", registered_ven, dut, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_OADR_FUZZ_02", feature="Robustness", requires=("HttpPull",))
def test_TC_VGI_OADR_FUZZ_02(registered_ven, dut, vgi_profile, vgi_fuzz):
    """Malformed XML: a coherent oadrDistributeEvent cut short or garbled (a stray '<', '&', ']]>', a comment
    opener), anywhere or right after an element ends, handed over on a poll.
    The VEN must not act on it and must poll again; a refusal without 454, or a silent one, is NON_STRICT."""
    fuzz_case("malformed", registered_ven, dut, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_OADR_FUZZ_03", feature="Robustness", requires=("HttpPull",))
def test_TC_VGI_OADR_FUZZ_03(registered_ven, dut, vgi_profile, vgi_fuzz):
    """Positive data: coherent, schema-valid events with generated values (one to three events, one or two
    signals of matching name, type, units and values, one to four intervals, durations, start, priority,
    modification number, notification/ramp/recovery, extra targets, ids and reasons in printable ASCII) are each
    answered with a schema-valid oadrCreatedEvent carrying response code 200, the event's modification and the
    distribute's requestID."""
    fuzz_case("positive", registered_ven, dut, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_OADR_FUZZ_04", feature="Robustness", requires=("HttpPull",))
def test_TC_VGI_OADR_FUZZ_04(registered_ven, dut, vgi_profile, vgi_fuzz):
    """Positive data in full Unicode: as TC_VGI_OADR_FUZZ_03, with ids and reasons drawn from every character XML
    carries (other scripts, symbols, emoji, no control characters)."""
    fuzz_case("positive-unicode", registered_ven, dut, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_OADR_FUZZ_05", feature="Robustness")
def test_TC_VGI_OADR_FUZZ_05(registered_ven, dut, vgi_profile, vgi_fuzz):
    """Event life cycle, as a stateful model: generated programs of new events (two at most, overlapping),
    modifications, cancellations, the same events sent again, time passing into and out of their active periods,
    and the VEN opting out of or into an event (with EiOpt) or changing its decision. Every distribute is answered
    with oadrCreatedEvent for every event it carries, with its current modificationNumber, the distribute's
    requestID and code 200 (a new event with the VEN's current opt); no eventResponse or oadrCreateOpt ever names a
    stale version of an event, or an event after it was cancelled and dropped. Pull and push VENs."""
    lifecycle_case(registered_ven, dut, vgi_profile, vgi_fuzz)

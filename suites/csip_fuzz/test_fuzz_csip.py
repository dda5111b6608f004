"""Fuzz cases for an IEEE 2030.5 (CSIP) DER client: broken, generated and unusual resources from the server.

vgitest's own ids (VGI-SEP2-FUZZ-nn): the CSIP test procedures have no property-based cases. Each case is a property
over many examples, as many as the fuzz profile says (`--vgi-fuzz-profile`: pr, nightly, cert; docs/fuzz-suites.md).
A counterexample is shrunk to the smallest one found within the profile's time budget, reported with its rule id
and written to counterexample.json in the case's evidence, which `vgitest replay` runs again. The bodies are in
vgitest.sep2.fuzzcases (the liveness probe, what is served) and vgitest.sep2.models (the control-precedence model).
"""

from __future__ import annotations

import pytest

from vgitest.sep2.fuzzcases import fuzz_case
from vgitest.sep2.models import precedence_case

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


@pytest.mark.vgi_case("VGI-SEP2-FUZZ-01", feature="Robustness", requires=("DerClient",))
def test_VGI_SEP2_FUZZ_01(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz):
    """Negative data: the DERControlList (an event active now, 10 %) or the DefaultDERControl (10 %) of the case's
    program, broken in one place (a required element or attribute left out, a value of another type or out of
    its bounds, a string over its length, an unknown element, an element in a wrong namespace, the XML cut short or
    garbled), is not acted on (no Response naming the event; the power stays at the valid default's 50 %), and the
    client polls the resource again afterwards. Acting on a schema-invalid resource is NON_STRICT, on XML that is not
    well-formed a FAIL."""
    fuzz_case("negative", following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz)


@pytest.mark.vgi_case("VGI-SEP2-FUZZ-02", feature="Robustness", requires=("DerClient",))
def test_VGI_SEP2_FUZZ_02(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz):
    """Positive data: a random schema-valid DERControlList, DefaultDERControl or DERCurveList with printable-ASCII
    values (hrefs pinned to the case's program, no Response asked for, events in the past) is read without
    trouble: the client polls it again, and what it writes meanwhile is schema-valid."""
    fuzz_case("positive", following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz)


@pytest.mark.vgi_case("VGI-SEP2-FUZZ-03", feature="Robustness", requires=("DerClient",))
def test_VGI_SEP2_FUZZ_03(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz):
    """Positive data in full Unicode: as VGI-SEP2-FUZZ-02, with text drawn from any XML character (other scripts,
    emoji), time-zone-free numbers as the schema allows."""
    fuzz_case("positive-unicode", following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz)


@pytest.mark.vgi_case("VGI-SEP2-FUZZ-04", feature="Robustness", requires=("DerClient",))
def test_VGI_SEP2_FUZZ_04(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz):
    """Broken HTTP answers: one to three polls of a resource answered with a body cut before its Content-Length, a
    wrong media type, 500, 503, a body of 3 MiB or an empty body. The client survives them and polls the resource
    again within 3 pollRates + tolerance of the last one."""
    fuzz_case("robustness", following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz)


@pytest.mark.vgi_case("VGI-SEP2-FUZZ-05", feature="Robustness", requires=("DerClient", "Metering"))
def test_VGI_SEP2_FUZZ_05(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz):
    """Control precedence, as a stateful model: generated sequences of creating an event, superseding it with a
    later one of the same program, cancelling one, swapping the primacy of two programs and cancelling every
    event, each sequence with two fresh programs (primacy 1 with a 60 % default, primacy 5 with 80 %). Every step
    must cause the Responses it should (received, started, superseded, cancelled, never started for an event that
    loses) and the power the client reports must follow the control the model says is in force."""
    precedence_case(following_client, dut, vgi_profile, vgi_budgets, vgi_fuzz)

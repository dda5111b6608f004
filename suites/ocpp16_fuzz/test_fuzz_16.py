"""Fuzz cases for a charging station speaking OCPP 1.6J: generated and broken CSMS requests.

vgitest's own ids (TC_VGI_FUZZ_nn_CS): the official test tools have no property-based cases. Each case is a
property over many examples, as many as the fuzz profile says (`--vgi-fuzz-profile`: pr, nightly, cert; see
docs/fuzzing.md). A counterexample is shrunk to the smallest one found within the profile's time budget, reported
with its rule id and written to counterexample.json in the case's evidence, which `vgitest replay` runs again.
The bodies are in vgitest.ocpp.fuzzcases (shared with the other OCPP version).
"""

from __future__ import annotations

import pytest

from vgitest.ocpp.fuzzcases import fuzz_case, lifecycle_case

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_VGI_FUZZ_01_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_01_CS(booted_station, vgi_profile, vgi_fuzz):
    """Negative data: a request of a declared action, broken in one place (a required field left out, a value of
    another type, an unknown enumeration value, a string over its length, a number out of bounds, an unknown
    field, a payload that is no object), is refused with a CALLERROR, and the station still answers a valid
    request afterwards. A CALLERROR that names another kind of violation, or no answer at all, is NON_STRICT."""
    fuzz_case("negative", booted_station, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_02_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_02_CS(booted_station, vgi_profile, vgi_fuzz):
    """Positive data: schema-valid requests with generated printable-ASCII values, of declared actions that leave
    no lasting effect, are answered with a schema-valid CALLRESULT; a CALLERROR that calls the request malformed,
    an InternalError or no answer fails."""
    fuzz_case("positive", booted_station, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_03_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_03_CS(booted_station, vgi_profile, vgi_fuzz):
    """Positive data in full Unicode: as TC_VGI_FUZZ_02_CS, with text values drawn from every Unicode character a
    JSON string can carry (control characters, other scripts, emoji)."""
    fuzz_case("positive-unicode", booted_station, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_04_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_04_CS(booted_station, vgi_profile, vgi_fuzz):
    """Broken frames: a cut or garbled frame, a message id that is no string, an unknown action or message type,
    an answer to a request never sent, a frame that is no RPC array. The station answers what it can read (an
    unknown action with NotImplemented), never crashes or drops the connection, and still answers a valid
    request afterwards."""
    fuzz_case("frame", booted_station, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_05_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_05_CS(booted_station, vgi_profile, vgi_fuzz):
    """Bursts: up to twenty valid requests sent at once, with answers to requests never sent slotted in between.
    A CSMS must not do this (one outstanding request at a time): this negative case does it on purpose to see that
    the station survives it and still answers a valid request afterwards."""
    fuzz_case("burst", booted_station, vgi_profile, vgi_fuzz)


@pytest.mark.vgi_case("TC_VGI_FUZZ_06_CS", feature="Robustness", requires=("Core",))
def test_TC_VGI_FUZZ_06_CS(booted_station, dut, vgi_profile, vgi_fuzz):
    """Transaction life cycle, as a stateful model: generated sequences of plugging the EV in and out, presenting the
    valid token, remote start, remote stop (of the running transaction and of an unknown one) and charging a while,
    each sequence from an idle station. Every step must cause what it should (a transaction starts, stops, a remote
    request gets the right status), and across the sequence every meter value and stop carries the id of the
    transaction running when it was sent, and the energy register never goes back."""
    lifecycle_case(booted_station, dut, vgi_profile, vgi_fuzz)

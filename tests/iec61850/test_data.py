"""MMS Data: every alternative round trips; malformed values are one BerError with the offset."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vgitest.iec61850 import ber, data

leaves = st.one_of(
    st.booleans().map(data.boolean), st.integers(-(1 << 40), 1 << 40).map(data.integer),
    st.integers(0, 1 << 40).map(data.unsigned),
    st.floats(width=32, allow_nan=False).map(data.float32),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20).map(data.visible),
    st.lists(st.booleans(), max_size=16).map(lambda b: data.bits(*b)),
    st.builds(data.UtcTime, st.integers(0, 2**32 - 1), st.integers(0, 2**24 - 1), st.integers(0, 255)).map(data.utc),
    st.binary(max_size=10).map(lambda b: data.Data("octet-string", b)),
)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4).map(lambda m: data.structure(*m)),
                      max_leaves=12)


@given(values)
def test_every_value_round_trips(v: data.Data) -> None:
    assert data.decode(ber.decode(v.encode())) == v


def test_a_float_carries_the_exponent_width_octet() -> None:
    assert data.float32(1.0).encode().hex() == "8705083f800000"


def test_utc_time_is_eight_octets_with_quality() -> None:
    t = data.UtcTime.from_float(1_700_000_000.5)
    assert t.encode().hex() == "6553f100" + "800000" + "0a" and data.UtcTime.decode(t.encode()) == t


@pytest.mark.parametrize("wire, why", [("8a02 0041", "VisibleString"), ("8502 0001", "minimal"),
                                       ("8603 0001ff", "minimal"), ("8701 08", "floating-point"),
                                       ("9101 00", "UtcTime"), ("8801 00", "not an MMS Data"),
                                       ("a300", "constructed bit"), ("8302 0102", "BOOLEAN of 2")])
def test_malformed_values_are_one_ber_error(wire: str, why: str) -> None:
    with pytest.raises(ber.BerError, match=why):
        data.decode(ber.decode(bytes.fromhex(wire.replace(" ", ""))))

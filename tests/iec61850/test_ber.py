"""BER codec: round trips, strictness on what a device may send, totality on garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgitest.iec61850 import ber


@given(st.integers(min_value=-(1 << 70), max_value=1 << 70))
def test_integers_round_trip_minimally(v: int) -> None:
    b = ber.encode_int(v)
    assert ber.decode_int(b) == v and ber.int_is_minimal(b)


@pytest.mark.parametrize("v, wire", [(0, "00"), (127, "7f"), (128, "0080"), (-128, "80"), (-129, "ff7f"),
                                     (256, "0100")])
def test_integer_content_octets_are_the_x690_ones(v: int, wire: str) -> None:
    assert ber.encode_int(v).hex() == wire


def test_a_padded_integer_is_not_minimal() -> None:
    assert not ber.int_is_minimal(bytes.fromhex("007f")) and not ber.int_is_minimal(bytes.fromhex("ff80"))


@given(st.lists(st.booleans(), max_size=40))
def test_bit_strings_round_trip(bits: list[bool]) -> None:
    assert ber.decode_bits(ber.encode_bits(bits)) == tuple(bits)


@pytest.mark.parametrize("arcs, wire", [((1, 0, 9506, 2, 1), "28ca220201"), ((2, 2, 1, 0, 1), "52010001"),
                                        ((1, 0, 9506, 2, 3), "28ca220203")])
def test_object_identifiers_encode_as_x690_says(arcs: tuple[int, ...], wire: str) -> None:
    assert ber.encode_oid(arcs).hex() == wire
    assert ber.decode_oid(bytes.fromhex(wire)) == arcs


@pytest.mark.parametrize("n, wire", [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100")])
def test_lengths_take_the_shortest_form(n: int, wire: str) -> None:
    assert ber.encode_length(n).hex() == wire


def test_a_tree_round_trips_with_offsets() -> None:
    tree = ber.cons(ber.app(1), ber.prim(ber.ctx(0), b"abc"), ber.cons(ber.ctx(1, True), ber.prim(ber.ctx(2), b"")),
                    ber.prim(ber.ctx(40), b"\x01"))
    wire = tree.encode()
    back = ber.decode(wire)
    assert back.encode() == wire and back.size == len(wire)
    assert back.child(ber.ctx(0)).value == b"abc" and back.child(ber.ctx(0)).offset == 2
    assert back.child(ber.ctx(40)).tag.number == 40


def test_a_long_form_length_is_kept_as_a_note() -> None:
    wire = bytes.fromhex("80 81 02 41 42".replace(" ", ""))
    tlv = ber.decode(wire)
    assert tlv.value == b"AB" and tlv.long_form and tlv.size == 5 and ber.non_minimal_lengths(tlv) == [tlv]


@pytest.mark.parametrize("wire, why", [("30", "length missing"), ("3005 0101", "overruns"), ("3080 0000", "indefinite"),
                                       ("1f", "identifier truncated"), ("3000 0500", "top-level"),
                                       ("04 85 0000000001 00", "length field")])
def test_malformed_input_is_one_ber_error(wire: str, why: str) -> None:
    with pytest.raises(ber.BerError, match=why):
        ber.decode(bytes.fromhex(wire.replace(" ", "")))


def test_nesting_is_bounded() -> None:
    wire = b""
    for _ in range(ber.MAX_DEPTH + 5):
        wire = b"\x30" + ber.encode_length(len(wire)) + wire
    with pytest.raises(ber.BerError, match="nesting"):
        ber.decode(wire)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_decoding_is_total(data: bytes) -> None:
    try:
        ber.decode_all(data)
    except ber.BerError:
        pass

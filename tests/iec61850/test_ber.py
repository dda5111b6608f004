"""BER codec: round trips, strictness on what a device may send, totality on garbage."""

from __future__ import annotations

import dataclasses

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


def _python_calls(decode: object, data: bytes) -> int:
    """Python-level function calls made while ``decode(data)`` runs (a count, so the test does not depend on the
    machine's speed; the collector is off meanwhile, so no finalizer of the earlier tests' garbage is counted)."""
    import gc
    import sys

    calls = [0]

    def profile(frame: object, event: str, arg: object) -> None:
        if event == "call":
            calls[0] += 1

    gc.disable()
    sys.setprofile(profile)
    try:
        decode(data)  # type: ignore[operator]
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls[0]


def test_decoding_makes_one_python_call_per_element() -> None:
    """The self-fuzz (benchmarks/fuzz_parsers.py, iec61850-ber) found 40-65 KB inputs of small elements taking 50-90
    ms: each element built its Tag (an enum lookup and a frozen dataclass) and a frozen Tlv through the
    dataclass's per-field __setattr__, five Python calls and ~2.5-3.7 us an element. A TSDU may hold up to 1 MiB of
    them. Now a table gives the Tag of every one-octet identifier and a decoded Tlv is built inline: one call per
    element, and one more per constructed element for its contents."""
    flat = bytes.fromhex("800100") * 3000  # 3,000 primitive elements
    nested = bytes.fromhex("a107020101a5028100") * 1000  # 4,000 elements, 2,000 of them constructed
    for data, elements, constructed in ((flat, 3000, 0), (nested, 4000, 2000)):
        assert len(list(t for root in ber.decode_all(data) for t in root.walk())) == elements
        calls = _python_calls(ber.decode_all, data)
        assert calls <= elements + constructed + 5, (calls, elements)
    # the count sees what it should: an extra call per element is counted
    assert _python_calls(lambda d: [ber.encode_length(1) for _ in range(3000)], b"") >= 3000


def test_a_decoded_tree_equals_the_built_one_and_keeps_its_offsets() -> None:
    """Decoded elements are the same values the builders make (equality, hashing, sizes), with the offsets and
    header lengths of the input, long forms flagged, and high tag numbers read."""
    built = ber.cons(ber.app(1), ber.prim(ber.ctx(0), b"ab"), ber.cons(ber.ctx(40, True), ber.prim(ber.univ(2), b"\x05")))
    wire = built.encode()
    root = ber.decode(wire)
    strip = lambda t: ber.Tlv(t.tag, t.value, tuple(strip(c) for c in t.children))  # noqa: E731
    assert strip(root) == built and hash(strip(root)) == hash(built) and root.size == len(wire)
    assert [(t.offset, t.header_len) for t in root.walk()] == [(0, 2), (2, 2), (6, 3), (9, 2)]
    assert root.children[1].tag == ber.Tag(ber.TagClass.CONTEXT, True, 40)
    long = ber.decode(bytes.fromhex("0481020000"))
    assert long.long_form and long.value == b"\x00\x00" and long.header_len == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        root.offset = 1  # type: ignore[misc]


def test_a_bit_string_decodes_without_a_python_call_per_bit() -> None:
    """A 64 KB MMS Data bit-string (half a million bits) took ~50 ms: a generator yielded each bit. Now the bits
    come from a table of octets, with no Python-level call per bit or per octet."""
    content = bytes([3]) + bytes(range(256)) * 32  # 65,533 bits
    bits = ber.decode_bits(content)
    assert len(bits) == 8 * 256 * 32 - 3 and bits[:16] == (False,) * 15 + (True,)
    assert bits[-5:] == (True,) * 5 and bits == ber.decode_bits(ber.encode_bits(bits))
    assert _python_calls(ber.decode_bits, content) <= 5
    assert _python_calls(lambda b: tuple(bool(x) for x in b), content) >= len(content)  # a generator is counted


def test_a_long_object_identifier_arc_decodes_in_linear_time() -> None:
    """MMS Data obj-id has no length limit: a 64 KB arc of continuation octets took ~320 ms as the value was shifted
    seven bits at a time (each shift copies the whole growing integer). Best of three, in CPU time: a quadratic
    decode of 64 KB costs several times the bound on any machine that runs the rest of the suite."""
    import time

    arc = b"\x81" * 65000 + b"\x01"
    expected = int("0000001" * 65001, 2)
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        arcs = ber.decode_oid(b"\x2b" + arc + b"\x05")
        best = min(best, time.process_time() - t)
    assert arcs[:2] == (1, 3) and arcs[2] == expected and arcs[3] == 5
    assert best < 0.1, f"{best * 1e3:.1f} ms of CPU for a 64 KB arc"
    assert ber.decode_oid(ber.encode_oid((2, 999, 1 << 70, 0))) == (2, 999, 1 << 70, 0)
    with pytest.raises(ber.BerError, match="leading 0x80"):
        ber.decode_oid(b"\x2b\x80\x01")


def test_a_decoded_element_knows_its_size_without_walking_its_subtree() -> None:
    """The presentation layer cuts the MMS PDU's exact bytes out of a TSDU by the element's size; for a decoded
    constructed element that summed its children's sizes, a Python call per element below it. Its children fill
    its content end to end, so the last child's end gives it: the same sizes, a call per level."""
    deep = bytes.fromhex("800100")
    for _ in range(20):  # 20 levels, each with a primitive first and a long form now and then
        deep = bytes.fromhex("a1") + ber.encode_length(len(deep) + 3) + bytes.fromhex("800101") + deep
    wide = bytes.fromhex("30820258") + bytes.fromhex("020101") * 200  # a long form, 200 children
    for data in (deep, wide, bytes.fromhex("3000"), bytes.fromhex("a1813000")[:2] + b""):
        try:
            root = ber.decode(data)
        except ber.BerError:
            continue
        for t in root.walk():
            assert t.size == t.header_len + (sum(c.size for c in t.children) if t.tag.constructed else len(t.value))
        assert root.size == len(data)
    wide_root = ber.decode(wide)
    assert _python_calls(lambda d: wide_root.size, b"") < 10  # 200 children: not summed one by one
    deep_root = ber.decode(deep)
    assert _python_calls(lambda d: deep_root.size, b"") < 3 * 22
    # built elements (no header) are still measured by encoding them
    built = ber.cons(ber.univ(16, True), ber.prim(ber.univ(2), b"\x01"))
    assert built.size == len(built.encode()) == 5


def test_walk_is_document_order_and_tags_are_shared() -> None:
    """``walk`` (and so ``non_minimal_lengths``) gives every element in document order, from a stack rather than a
    generator per level; the tag builders give the decoder's own Tag objects, equal to built ones."""
    data = bytes.fromhex("a10a8001aaa2058101bb8200a3008100")
    roots = ber.decode_all(data)

    def order(t: ber.Tlv) -> list[ber.Tlv]:
        return [t] + [x for c in t.children for x in order(c)]
    assert [list(r.walk()) for r in roots] == [order(r) for r in roots]
    assert [t.offset for t in roots[0].walk()] == [0, 2, 5, 7, 10]
    assert ber.ctx(1, True) is ber.ctx(1, True) and ber.ctx(1, True) == ber.Tag(ber.TagClass.CONTEXT, True, 1)
    assert ber.app(40) == ber.Tag(ber.TagClass.APPLICATION, True, 40) and ber.univ(2).number == 2
    long_form = ber.decode(bytes.fromhex("a106818101aa8100"))
    assert ber.non_minimal_lengths(long_form) == [long_form.children[0]]

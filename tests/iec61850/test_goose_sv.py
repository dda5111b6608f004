"""GOOSE and SV frames: round trips, byte layouts checked by hand, malformed frames (each one clear FrameError),
and a total decoder (random and mutated input gives a frame or FrameError, nothing else)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgitest.iec61850 import ber, data, ether, goose, strategies, sv
from vgitest.iec61850.ether import FrameError

SRC = bytes.fromhex("020000000e01")


@given(strategies.goose_frames)
def test_goose_frames_round_trip(f: goose.GooseFrame) -> None:
    raw = f.encode()
    assert goose.decode(raw) == f
    assert len(raw) == max(ether.MIN_FRAME_LEN, f.frame_size) and f.apdu_size <= len(raw)


@given(strategies.sv_frames)
def test_sv_frames_round_trip(f: sv.SvFrame) -> None:
    raw = f.encode()
    assert sv.decode(raw) == f
    assert sv.decode(f.encode(pad=False)) == f


def h(s: str) -> bytes:
    return bytes.fromhex("".join(line.split("#")[0].replace(" ", "") for line in s.splitlines()))


# The "initiate" example, field by field (hand-assembled from the IEC 61850-8-1 layout, not from the encoder).
GOOSE_WIRE = h("""
    010ccd010001 020000000e01  # dst, src
    8100 8000  # 802.1Q: priority 4, VLAN 0
    88b8 0001 006a 0000 0000  # EtherType, APPID 1, Length 106, Reserved 1, Reserved 2
    61 60  # goosePdu, 96 octets of content
      80 16 45565345312f4c4c4e3024474f246763625374617274  # gocbRef EVSE1/LLN0$GO$gcbStart
      81 02 07d0  # timeAllowedtoLive 2000
      82 12 45565345312f4c4c4e302464735374617274  # datSet EVSE1/LLN0$dsStart
      83 08 6763625374617274  # goID gcbStart
      84 08 6553f100 000000 0a  # t: 1700000000 s, quality 0x0a
      85 01 01  86 01 00  87 01 00  # stNum 1, sqNum 0, simulation FALSE
      88 01 01  89 01 00  8a 01 02  # confRev 1, ndsCom FALSE, numDatSetEntries 2
      ab 08 8301ff 8403 03 0000  # allData: TRUE, 13-bit quality
""")


def test_goose_byte_layout() -> None:
    f = goose.example_initiate()
    assert f.encode() == GOOSE_WIRE
    assert goose.decode(GOOSE_WIRE) == f and f.apdu_size == 106 and f.frame_size == len(GOOSE_WIRE) == 124


SV_WIRE = h("""
    010ccd040001 020000000e02 8100 8000
    88ba 4000 0030 0000 0000  # EtherType, APPID 0x4000, Length 48
    60 26 80 01 01  # savPdu, noASDU 1
      a2 21 30 1f  # seqASDU, one ASDU
        80 06 455631536f43  # svID EV1SoC
        82 02 0000  83 04 00000001  85 01 00  # smpCnt 0, confRev 1, smpSynch none
        87 08 3f000000 00000000  # seqData: 0.5 and quality 0
""")


def test_sv_byte_layout() -> None:
    f = sv.example_soc()
    assert f.encode() == SV_WIRE and sv.decode(SV_WIRE) == f
    assert (f.apdu_size, f.frame_size) == (48, 66)
    assert sv.example_soc(vlan=None).frame_size == 62


def test_short_frames_are_padded_and_padding_is_not_apdu() -> None:
    asdu = sv.Asdu("a", 1, 1, 2, b"")
    f = sv.frame(sv.SavPdu.of(asdu), SRC, vlan=None)
    raw = f.encode()
    assert len(raw) == 60 and raw[f.apdu_size + 14:] == bytes(60 - 14 - f.apdu_size)
    assert sv.decode(raw) == f and sv.decode(f.encode(pad=False)) == f
    assert ether.split(raw, ether.ETHERTYPE_SV).padding == 60 - 14 - f.apdu_size


def test_simulation_bit_is_reserved1_top_bit() -> None:
    p = goose.example_initiate().pdu
    sim = goose.frame(dataclass_replace(p, simulation=True), SRC)
    assert sim.header.simulation and sim.encode()[22:24] == b"\x80\x00"
    assert goose.decode(sim.encode()).header.reserved1 == 0x8000


def dataclass_replace(obj, **kw):  # type: ignore[no-untyped-def]
    import dataclasses
    return dataclasses.replace(obj, **kw)


def test_table5_size_reading() -> None:
    """The numbers the goose module docstring argues from (which size Table 5's 104 B means)."""
    f = goose.example_initiate()
    assert (f.apdu_size, f.frame_size, goose.example_initiate(vlan=None).frame_size) == (106, 124, 120)
    short = goose.GoosePdu.of("EV1/LLN0$GO$gcb1", "EV1/LLN0$ds1", f.pdu.all_data, t=f.pdu.t, go_id="gcb1")
    assert goose.frame(short, SRC, vlan=None).frame_size == 104
    assert 14 + 20 + 20 == 54  # Table 5 row 2: a bare TCP ACK on Ethernet/IPv4, as a capture lists it
    # SV row (72 B): the one-value SoC update is 66 octets tagged; a 12-character svID makes it 72.
    soc = sv.example_soc()
    longer = sv.frame(sv.SavPdu.of(dataclass_replace(soc.pdu.asdus[0], sv_id="EV1LD0/SoC01")), SRC)
    assert (soc.frame_size, longer.frame_size, longer.apdu_size) == (66, 72, 54)


def test_measure_reports_both_sizes_of_the_bytes_sent() -> None:
    m = ether.measure(GOOSE_WIRE, ether.ETHERTYPE_GOOSE)
    assert (m.frame, m.apdu, m.padding, m.tagged, m.on_cable) == (124, 106, 0, True, 128)
    short = sv.frame(sv.SavPdu.of(sv.Asdu("a", 1, 1, 2, b"")), SRC, vlan=None).encode()
    m = ether.measure(short, ether.ETHERTYPE_SV)
    assert (m.frame, m.tagged) == (60, False) and m.apdu + 14 + m.padding == 60
    with pytest.raises(FrameError):
        ether.measure(short, ether.ETHERTYPE_GOOSE)


def _patch(raw: bytes, at: int, new: str) -> bytes:
    b = h(new)
    return raw[:at] + b + raw[at + len(b):]


G = GOOSE_WIRE
GOOSE_BAD = [
    (G[:13], "shorter than an Ethernet header"),
    (G[:15], "802.1Q tag truncated"),
    (_patch(G, 16, "88ba"), "EtherType 0x88BA where 0x88B8"),
    (G[:22], "header truncated"),
    (_patch(G, 20, "0007"), "less than the 8-octet header"),
    (_patch(G, 20, "0100"), "overruns"),
    (G + b"\x00", "after the APDU"),
    (_patch(G, 20, "006c") + b"\x05\x00", "1 element\\(s\\) after the goosePdu"),
    (_patch(G, 26, "60"), "goosePdu tag"),
    (_patch(G, 27, "69"), "overruns"),
    (_patch(G, 28, "81"), "out of order or repeated"),
    (_patch(G, 28, "8d"), "unexpected component"),
    (_patch(G, 114, "8b"), "allData must be constructed"),
    (_patch(G, 30, "09"), "gocbRef has a character outside VisibleString"),
    (_patch(G, 54, "0000"), "timeAllowedtoLive INTEGER not in its minimal form"),
    (_patch(G, 54, "8000"), "timeAllowedtoLive -32768 outside"),
    (_patch(G, 105, "82"), "out of order or repeated"),
    (_patch(G, 114, "ab08 8302ffff 84020300"), "BOOLEAN of 2"),
    (_patch(G, 116, "88"), "not an MMS Data alternative"),
]


@pytest.mark.parametrize("raw, why", GOOSE_BAD, ids=[w for _, w in GOOSE_BAD])
def test_malformed_goose_is_one_clear_error(raw: bytes, why: str) -> None:
    with pytest.raises(FrameError, match=why) as exc:
        goose.decode(raw)
    assert 0 <= exc.value.offset <= len(raw)


def test_missing_mandatory_field_and_long_names() -> None:
    p = goose.example_initiate().pdu
    tlv = p.tlv()
    no_stnum = type(tlv)(tlv.tag, children=tuple(c for c in tlv.children if c.tag.number != 5))
    raw = ether.Header(goose.MULTICAST_PREFIX + b"\0\1", SRC, ether.ETHERTYPE_GOOSE, 1).encode(no_stnum.encode())
    with pytest.raises(FrameError, match=r"mandatory stNum \[5\] missing"):
        goose.decode(raw)
    long_ref = goose.frame(dataclass_replace(p, gocb_ref="x" * 130), SRC).encode()
    with pytest.raises(FrameError, match="gocbRef of 130 characters"):
        goose.decode(long_ref)
    assert goose.decode(goose.frame(dataclass_replace(p, gocb_ref="x" * 129), SRC).encode()).pdu.gocb_ref


def test_absent_default_booleans_read_as_false() -> None:
    p = goose.example_initiate().pdu
    tlv = p.tlv()
    lean = type(tlv)(tlv.tag, children=tuple(c for c in tlv.children if c.tag.number not in (7, 9)))
    raw = ether.Header(goose.MULTICAST_PREFIX + b"\0\1", SRC, ether.ETHERTYPE_GOOSE, 1).encode(lean.encode())
    got = goose.decode(raw).pdu
    assert got == p and not got.simulation and not got.nds_com


S = SV_WIRE


def _sv_with(number: int, content: str | None, pdu_number: int | None = None) -> bytes:
    """The example SV frame with ASDU component [number] given ``content`` (hex; None removes it), or, with
    ``pdu_number``, that savPdu component."""
    f = sv.example_soc()
    root = f.pdu.tlv()

    def swap(parent: ber.Tlv, n: int) -> ber.Tlv:
        kids = [c for c in parent.children if c.tag.number != n]
        if content is not None:
            kids.append(ber.prim(ber.ctx(n), h(content)))
        return ber.Tlv(parent.tag, children=tuple(sorted(kids, key=lambda c: c.tag.number)))

    if pdu_number is not None:
        root = swap(root, pdu_number)
    else:
        seq = root.children[-1]
        root = ber.Tlv(root.tag, children=root.children[:-1] + (ber.Tlv(seq.tag, children=(
            swap(seq.children[0], number),)),))
    return f.header.encode(root.encode())


SV_BAD = [
    (_patch(S, 16, "88b8"), "EtherType 0x88B8 where 0x88BA"),
    (_patch(S, 26, "61"), "savPdu tag"),
    (_patch(S, 28, "83"), "unexpected component"),
    (_patch(S, 31, "a3"), "unexpected component"),
    (_patch(S, 33, "31"), "ASDU tag"),
    (_sv_with(2, "00"), "smpCnt of 1 octets"),
    (_sv_with(3, "000001"), "confRev of 3 octets"),
    (_sv_with(5, ""), "smpSynch of 0 octets"),
    (_sv_with(0, "41 7f"), "svID has a character outside"),
    (_sv_with(0, None), r"mandatory svID \[0\] missing"),
    (_sv_with(4, "0102"), "refrTm UtcTime of 2 octets"),
    (_sv_with(9, "01020304050607"), "gmIdentity of 7 octets"),
    (_sv_with(0, "010000", pdu_number=0), "noASDU 65536 outside"),
]


@pytest.mark.parametrize("raw, why", SV_BAD, ids=[w for _, w in SV_BAD])
def test_malformed_sv_is_one_clear_error(raw: bytes, why: str) -> None:
    with pytest.raises(FrameError, match=why):
        sv.decode(raw)


def _mutations() -> st.SearchStrategy[bytes]:
    valid = st.one_of(strategies.goose_frames.map(lambda f: f.encode()), strategies.sv_frames.map(lambda f: f.encode()))

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        raw = bytearray(draw(valid))
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
            i = draw(st.integers(0, max(0, len(raw) - 1)))
            if op == "flip" and raw:
                raw[i] ^= 1 << draw(st.integers(0, 7))
            elif op == "set" and raw:
                raw[i] = draw(st.integers(0, 255))
            elif op == "cut":
                del raw[i:]
            elif op == "insert":
                raw[i:i] = draw(st.binary(min_size=1, max_size=3))
            elif raw:
                del raw[i]
        return bytes(raw)
    return mutate()


def _decode_any(raw: bytes) -> None:
    for dec in (goose.decode, sv.decode):
        try:
            f = dec(raw)
        except FrameError as exc:
            assert isinstance(exc.offset, int) and str(exc)
        else:
            assert f.encode(pad=False) and f.pdu  # a decoded frame re-encodes


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | st.binary(max_size=40).map(lambda b: GOOSE_WIRE[:26] + b)
       | st.binary(max_size=40).map(lambda b: SV_WIRE[:26] + b))
def test_decode_is_total_on_random_bytes(raw: bytes) -> None:
    _decode_any(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_decode_is_total_on_mutated_frames(raw: bytes) -> None:
    _decode_any(raw)


def test_security_any_may_be_constructed() -> None:
    """security is an ANY: its [n] tag is explicit, so a constructed form wrapping one element is read too."""
    inner = bytes.fromhex("0402abcd")
    f = sv.example_soc()
    root = f.pdu.tlv()
    tlv = ber.Tlv(root.tag, children=(root.children[0], ber.cons(ber.ctx(1, True), ber.decode(inner)),
                                      root.children[1]))
    assert sv.decode(f.header.encode(tlv.encode())).pdu.security == inner


def test_deep_nesting_is_bounded() -> None:
    v = data.boolean(True)
    for _ in range(40):
        v = data.structure(v)
    raw = goose.frame(goose.GoosePdu.of("a", "b", [v], t=data.UtcTime(0)), SRC).encode()
    with pytest.raises(FrameError, match="nesting deeper"):
        goose.decode(raw)


def test_float_values_travel_in_all_data() -> None:
    p = goose.GoosePdu.of("a/b", "a/c", [data.float32(0.25), data.structure(data.integer(-1))],
                          t=data.UtcTime(1))
    raw = goose.frame(p, SRC).encode()
    assert goose.decode(raw).pdu.all_data[0].value == 0.25 and struct.pack(">f", 0.25) in raw


def test_a_wrong_length_is_sent_as_given_and_refused_on_decode() -> None:
    f = goose.example_initiate()
    long = goose.GooseFrame(dataclass_replace(f.header, length=f.apdu_size + 4), f.pdu).encode()
    assert long[20:22] == (f.apdu_size + 4).to_bytes(2, "big")
    with pytest.raises(FrameError, match="overruns"):
        goose.decode(long)
    short = goose.GooseFrame(dataclass_replace(f.header, length=f.apdu_size - 4), f.pdu).encode()
    with pytest.raises(FrameError):
        goose.decode(short)

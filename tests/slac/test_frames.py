"""SLAC MME codec: byte layouts from the field tables, decode errors, a round trip and a fuzz test."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgitest.slac.frames import (
    AAG_GROUPS,
    BROADCAST,
    ETHERTYPE,
    MATCH_CNF_MVF_LENGTH,
    MATCH_REQ_MVF_LENGTH,
    MESSAGES,
    MIN_FRAME_LEN,
    AttenCharInd,
    AttenCharRsp,
    Frame,
    MMType,
    MnbcSoundInd,
    SetKeyCnf,
    SetKeyReq,
    SlacFrameError,
    SlacMatchCnf,
    SlacMatchReq,
    SlacParmCnf,
    SlacParmReq,
    StartAttenCharInd,
    decode,
    encode,
)

EV = bytes.fromhex("020000000b01")
EVSE = bytes.fromhex("020000000a01")
RUN = bytes(range(1, 9))
HDR = 19  # Ethernet 14 + MMV, MMTYPE, FMI, FMSN

# Body sizes that follow from the field tables (RunID 8, NID 7, NMK 16, station id 17, 58 groups).
BODY_SIZES = {SlacParmReq: 1 + 1 + 8, SlacParmCnf: 6 + 1 + 1 + 1 + 6 + 1 + 1 + 8,
              StartAttenCharInd: 1 + 1 + 1 + 1 + 1 + 6 + 8, MnbcSoundInd: 1 + 1 + 17 + 1 + 8 + 8 + 16,
              AttenCharInd: 1 + 1 + 6 + 8 + 17 + 17 + 1 + 1 + 58, AttenCharRsp: 1 + 1 + 6 + 8 + 17 + 17 + 1,
              SlacMatchReq: 1 + 1 + 2 + MATCH_REQ_MVF_LENGTH, SlacMatchCnf: 1 + 1 + 2 + MATCH_CNF_MVF_LENGTH,
              SetKeyReq: 1 + 4 + 4 + 1 + 2 + 1 + 1 + 7 + 1 + 16, SetKeyCnf: 1 + 4 + 4 + 1 + 2 + 1 + 1}


@pytest.mark.parametrize("cls", list(BODY_SIZES), ids=lambda c: c.__name__)
def test_body_size_matches_field_table(cls: type) -> None:
    assert cls.size() == BODY_SIZES[cls]


def test_parm_req_bytes_and_padding() -> None:
    raw = encode(Frame(BROADCAST, EV, SlacParmReq(run_id=RUN)))
    assert len(raw) == MIN_FRAME_LEN
    assert raw[:12] == BROADCAST + EV
    assert raw[12:14] == b"\x88\xe1"  # EtherType big-endian
    assert raw[14] == 0x01 and raw[15:17] == b"\x64\x60" and raw[17:19] == b"\x00\x00"  # MMV, LE MMTYPE, FMI/FMSN
    assert raw[19:29] == b"\x00\x00" + RUN
    assert raw[29:] == bytes(MIN_FRAME_LEN - 29)


def test_parm_cnf_layout() -> None:
    body = encode(Frame(EV, EVSE, SlacParmCnf(run_id=RUN, forwarding_sta=EV)))[HDR:]
    assert body[0:6] == BROADCAST and body[6] == 10 and body[7] == 6 and body[8] == 1
    assert body[9:15] == EV and body[15:17] == b"\x00\x00" and body[17:25] == RUN


def test_mnbc_sound_layout() -> None:
    body = encode(Frame(BROADCAST, EV, MnbcSoundInd(run_id=RUN, count=7, rnd=b"\xaa" * 16)))[HDR:]
    assert body[19] == 7 and body[20:28] == RUN and body[28:36] == bytes(8) and body[36:52] == b"\xaa" * 16


def test_atten_char_ind_layout() -> None:
    aag = bytes(range(AAG_GROUPS))
    raw = encode(Frame(EV, EVSE, AttenCharInd(run_id=RUN, source_address=EV, num_sounds=10, aag=aag)))
    assert len(raw) == HDR + 110
    body = raw[HDR:]
    assert body[2:8] == EV and body[8:16] == RUN and body[50] == 10 and body[51] == AAG_GROUPS
    assert body[52:110] == aag


def test_match_req_and_cnf_layout() -> None:
    req = encode(Frame(EVSE, EV, SlacMatchReq(run_id=RUN, pev_mac=EV, evse_mac=EVSE)))[HDR:]
    assert req[2:4] == struct.pack("<H", 0x3E)
    assert req[21:27] == EV and req[44:50] == EVSE and req[50:58] == RUN and len(req[4:66]) == 0x3E
    nid, nmk = bytes(range(7)), bytes(range(100, 116))
    cnf_raw = encode(Frame(EV, EVSE, SlacMatchCnf(run_id=RUN, pev_mac=EV, evse_mac=EVSE, nid=nid, nmk=nmk)))
    assert cnf_raw[15:17] == b"\x7d\x60"
    cnf = cnf_raw[HDR:]
    assert cnf[2:4] == struct.pack("<H", 0x56) and len(cnf) == 4 + 0x56
    assert cnf[66:73] == nid and cnf[73] == 0 and cnf[74:90] == nmk


def test_set_key_layout() -> None:
    nid, nmk = bytes(range(7)), bytes(range(16))
    body = encode(Frame(EVSE, EV, SetKeyReq(nid=nid, new_key=nmk, my_nonce=0x01020304)))[HDR:]
    assert body[0] == 0x01 and body[1:5] == b"\x04\x03\x02\x01" and body[9] == 0x04
    assert body[14:21] == nid and body[21] == 0x01 and body[22:38] == nmk


def test_mmtype_values() -> None:
    assert {m.name: m.value for m in MMType} == {
        "CM_SET_KEY_REQ": 0x6008, "CM_SET_KEY_CNF": 0x6009, "CM_SLAC_PARM_REQ": 0x6064,
        "CM_SLAC_PARM_CNF": 0x6065, "CM_START_ATTEN_CHAR_IND": 0x606A, "CM_ATTEN_CHAR_IND": 0x606E,
        "CM_ATTEN_CHAR_RSP": 0x606F, "CM_MNBC_SOUND_IND": 0x6076, "CM_VALIDATE_REQ": 0x6078,
        "CM_VALIDATE_CNF": 0x6079, "CM_SLAC_MATCH_REQ": 0x607C, "CM_SLAC_MATCH_CNF": 0x607D}


def _good() -> bytes:
    return encode(Frame(BROADCAST, EV, SlacParmReq(run_id=RUN)))


@pytest.mark.parametrize("mutate, why", [
    (lambda b: b[:18], "truncated"),
    (lambda b: b[:12] + b"\x08\x00" + b[14:], "EtherType"),
    (lambda b: b[:14] + b"\x00" + b[15:], "MMV"),
    (lambda b: b[:15] + b"\x34\x12" + b[17:], "unknown MMTYPE"),
    (lambda b: b[:17] + b"\x10" + b[18:], "fragmented"),
    (lambda b: b[:15] + b"\x7d\x60" + b[17:], "body has"),  # a MATCH.CNF header on a 41-byte body
])
def test_decode_rejects(mutate, why: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SlacFrameError, match=why):
        decode(mutate(_good()))


def test_strict_decode_rejects_wrong_mvf_length() -> None:
    raw = encode(Frame(EVSE, EV, SlacMatchReq(run_id=RUN, pev_mac=EV, evse_mac=EVSE, mvf_length=0x56)))
    assert decode(raw).mme.problems() == ["MVFLength 0x0056 (must be 0x003e)"]
    with pytest.raises(SlacFrameError, match="MVFLength"):
        decode(raw, strict=True)


def test_encode_checks_field_sizes() -> None:
    with pytest.raises(ValueError, match="run_id must be 8 bytes"):
        encode(Frame(BROADCAST, EV, SlacParmReq(run_id=b"short")))


def _mme(cls: type) -> st.SearchStrategy:  # type: ignore[type-arg]
    fields = {}
    for name, code in cls.LAYOUT:
        if code.endswith("s"):
            n = int(code[:-1])
            fields[name] = st.binary(min_size=n, max_size=n)
        else:
            fields[name] = st.integers(0, (1 << (8 * struct.calcsize("<" + code))) - 1)
    return st.builds(cls, **fields)


MACS = st.binary(min_size=6, max_size=6)
FRAMES = st.builds(Frame, MACS, MACS, st.one_of([_mme(c) for c in MESSAGES.values()]),
                   st.just(0), st.integers(0, 255))


@settings(max_examples=300, deadline=None)
@given(FRAMES)
def test_round_trip(frame: Frame) -> None:
    raw = encode(frame)
    assert len(raw) >= MIN_FRAME_LEN and int.from_bytes(raw[12:14], "big") == ETHERTYPE
    assert decode(raw) == frame


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=160),
                 st.builds(lambda mt, tail: b"\xff" * 12 + b"\x88\xe1\x01" + mt.to_bytes(2, "little") + tail,
                           st.sampled_from([int(m) for m in MMType] + [0x6066, 0xA000]), st.binary(max_size=120))))
def test_decode_never_raises_anything_else(data: bytes) -> None:
    try:
        frame = decode(data)
    except SlacFrameError:
        return
    assert isinstance(frame, Frame)
    frame.mme.problems()  # must not raise either

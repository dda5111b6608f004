"""The OSI layers under MMS: hand-checked byte layouts of an association, round trips, one clear error per
malformed layer, totality on random and mutated frames."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgitest.iec61850 import mms, osi


def h(text: str) -> bytes:
    """Hex with spaces and comments (``#`` to the end of a line) stripped."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()).replace(" ", ""))


# The association as an IEC 61850 client sends it, layer by layer (each layer checked against its standard by
# hand: the tag, the length, the content).
COTP_CR = h("""
03 00 00 16              # TPKT v3, 22 bytes
11 e0 0000 0001 00       # LI 17, CR, dst-ref 0, src-ref 1, class 0
c0 01 0a                 # TPDU size 1024
c1 02 0001               # calling TSAP
c2 02 0001               # called TSAP
""")
COTP_CC = h("03 00 00 16  11 d0 0001 0001 00  c0 01 0a  c1 02 0001  c2 02 0001")
INITIATE_REQUEST = h("""
a8 26                    # initiate-RequestPDU
  80 03 00fde8           # localDetailCalling 65000
  81 01 05  82 01 05     # max outstanding calling / called
  83 01 0a               # nesting level 10
  a4 16                  # mmsInitRequestDetail
    80 01 01             # version 1
    81 03 05 f100        # parameter CBB: 11 bits, str1 str2 vnam valt vlis
    82 0c 03 ee1c00000408000079ef18   # services supported: 85 bits
""")
def association_request() -> bytes:
    return osi.connect_frame(mms.Initiate().encode())


def test_cotp_connection_request_and_confirm_bytes() -> None:
    assert osi.tpkt_encode(osi.CotpConnect().encode()) == COTP_CR
    assert osi.tpkt_encode(osi.CotpConnect(confirm=True, dst_ref=1).encode()) == COTP_CC
    assert osi.cotp_decode(COTP_CR[4:]) == osi.CotpConnect()


def test_association_request_bytes_layer_by_layer() -> None:
    assert mms.Initiate().encode() == INITIATE_REQUEST and len(INITIATE_REQUEST) == 40
    aarq = h("""
    60 3a                                  # AARQ, 58 bytes
      a1 07 06 05 28ca220203               # application context name 1.0.9506.2.3
      be 2f 28 2d                          # user-information: one EXTERNAL
        02 01 03                           # indirect-reference: presentation context 3 (MMS)
        a0 28                              # single-ASN1-type: the initiate-Request (40 bytes)
    """) + INITIATE_REQUEST
    cp = h("""
    31 7d                                  # CP-type SET, 125 bytes
      a0 03 80 01 01                       # mode-selector: normal mode
      a2 76                                # normal-mode-parameters, 118 bytes
        81 04 00000001  82 04 00000001     # calling / called presentation selector
        a4 23                              # presentation context definition list
          30 0f 02 01 01 06 04 52010001 30 04 06 02 5101      # 1: ACSE 2.2.1.0.1, BER 2.1.1
          30 10 02 01 03 06 05 28ca220201 30 04 06 02 5101    # 3: MMS 1.0.9506.2.1, BER 2.1.1
        61 43 30 41 02 01 01 a0 3c         # fully-encoded data: one PDV-list, context 1 (ACSE), the AARQ
    """) + aarq
    connect = h("""
    0d 95                                  # CONNECT SPDU, 149 bytes of parameters
      05 06 13 01 00 16 01 02              # connect/accept item: protocol options 0, version 2
      14 02 0002                           # session user requirements: duplex
      33 02 0001  34 02 0001               # calling / called session selector
      c1 7f                                # user data: the CP-type (127 bytes)
    """) + cp
    assert association_request() == h("03 00 00 9e  02 f0 80") + connect  # TPKT 158 bytes, COTP DT with EOT
    assert len(association_request()) == 158


def test_association_response_bytes() -> None:
    frame = osi.accept_frame(mms.Initiate(response=True).encode())
    initiate = h("a9 26") + INITIATE_REQUEST[2:]  # initiate-Response: the same parameters, tag [9]
    aare = h("""
    61 46 a1 07 06 05 28ca220203           # AARE, application context
      a2 03 02 01 00                       # result: accepted
      a3 05 a1 03 02 01 00                 # result-source-diagnostic: service user, null
      be 2f 28 2d 02 01 03 a0 28           # user-information: EXTERNAL, context 3
    """) + initiate
    cpa = h("""
    31 72 a0 03 80 01 01 a2 6b             # CPA-PPDU, normal mode
      83 04 00000001                       # responding presentation selector
      a5 12 30 07 80 01 00 81 02 5101 30 07 80 01 00 81 02 5101   # two acceptances, BER
      61 4f 30 4d 02 01 01 a0 48           # fully-encoded data, context 1 (ACSE)
    """) + aare
    accept = h("0e 86  05 06 13 01 00 16 01 02  14 02 0002  34 02 0001  c1 74") + cpa
    assert frame == h("03 00 00 8f 02 f0 80") + accept and len(frame) == 143
    upper = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(frame)).data)
    assert upper.acse.kind == osi.AARE and upper.acse.result == 0 and upper.mms == initiate


def test_read_request_frame_bytes_and_sizes() -> None:
    read = mms.ReadRequest((mms.Name("DEEV1$MX$Soc$mag$f", "EV1"),))
    pdu = h("""
    a0 28 02 01 01                         # confirmed-Request, invokeID 1
      a4 23 a1 21 a0 1f 30 1d              # Read, variableAccessSpecification, listOfVariable, one entry
        a0 1b a1 19                        # variableSpecification name, domain-specific
          1a 03 455631                     # "EV1"
          1a 12 4445455631244d58245 36f63246d6167246 6   # "DEEV1$MX$Soc$mag$f"
    """)
    assert mms.ConfirmedRequest(1, read).encode() == pdu
    frame = mms.request_frame(1, read)
    assert frame == h("03 00 00 3e  02 f0 80  01 00 01 00  61 31 30 2f 02 01 03 a0 2a") + pdu
    assert mms.sizes(frame) == mms.Sizes(frame=62, pdu=42)


def test_release_and_abort_round_trip() -> None:
    for kind, si in ((osi.RLRQ, osi.SI_FINISH), (osi.RLRE, osi.SI_DISCONNECT), (osi.ABRT, osi.SI_ABORT)):
        upper = osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(osi.release_frame(kind))).data)
        assert upper.spdu.si == si and upper.acse is not None and upper.acse.kind == kind


@pytest.mark.parametrize("tpdu", [osi.CotpConnect(), osi.CotpConnect(True, 7, 9, None, None, b"\x00\x02"),
                                  osi.CotpData(b"x", False), osi.CotpDisconnect(1, 2, 128 + 1),
                                  osi.CotpError(1, 2, b"\x01\x02")])
def test_cotp_round_trips(tpdu: osi.Cotp) -> None:
    assert osi.cotp_decode(tpdu.encode()) == tpdu


def test_session_long_length_indicator_round_trips() -> None:
    big = osi.Spdu(osi.SI_FINISH, b"\x61" + b"\x00" * 400, requirements=None)
    wire = big.encode()
    assert wire[1] == 0xFF and osi.session_decode(wire) == big


MALFORMED = [
    ("TPKT", lambda f: b"\x02" + f[1:], "version 2"),
    ("TPKT", lambda f: f[:2] + (len(f) + 1).to_bytes(2, "big") + f[4:], "length field"),
    ("COTP", lambda f: f[:5] + b"\x10" + f[6:], "TPDU code 0x10"),
    ("COTP", lambda f: f[:4] + b"\x03" + f[5:], "DT with length indicator 3"),
    ("session", lambda f: f[:7] + b"\x0b" + f[8:], "SPDU type 11"),
    ("session", lambda f: f[:8] + bytes([f[8] + 1]) + f[9:], "CONNECT length"),
    ("session", lambda f: f[:19] + b"\x00\x01" + f[21:], "without duplex"),
    ("presentation", lambda f: f[:31] + b"\x30" + f[32:], "where CP-type"),
    ("presentation", lambda f: f[:37] + b"\x02" + f[38:], "mode-value 2 out of range"),
    ("ACSE", lambda f: f.replace(bytes.fromhex("a1070605"), bytes.fromhex("a1070405")), "not one OID"),
    ("ACSE", lambda f: f.replace(bytes.fromhex("020103a0"), bytes.fromhex("020103a1")), "EXTERNAL"),
]


@pytest.mark.parametrize("layer, mutate, why", MALFORMED, ids=[f"{m[0]}-{m[2]}" for m in MALFORMED])
def test_malformed_association_is_one_clear_error(layer: str, mutate, why: str) -> None:
    frame = mutate(association_request())
    with pytest.raises(osi.OsiError, match=why) as err:
        osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(frame)).data)
    assert err.value.layer == layer


def _decode_all(frame: bytes) -> None:
    try:
        cotp = osi.cotp_decode(osi.tpkt_decode(frame))
        if isinstance(cotp, osi.CotpData):
            upper = osi.upper_decode(cotp.data)
            if upper.mms is not None:
                mms.decode(upper.mms)
    except (osi.OsiError, mms.MmsError):
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_decoding_random_bytes_is_total(data: bytes) -> None:
    _decode_all(osi.tpkt_encode(data) if len(data) < 60000 else data)
    try:
        osi.session_decode(data)
    except osi.OsiError:
        pass
    try:
        osi.presentation_decode(data)
    except osi.OsiError:
        pass
    try:
        osi.acse_decode(data)
    except osi.OsiError:
        pass


VALID = [association_request(), osi.accept_frame(mms.Initiate(response=True).encode()), osi.release_frame(),
         osi.release_frame(osi.ABRT)]


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1,
                                        max_size=4), st.integers(0, 3))
def test_decoding_mutated_frames_is_total(frame: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    b = bytearray(frame)
    for pos, value in flips:
        b[pos % len(b)] = value
    _decode_all(bytes(b[:len(b) - cut]))


def test_stream_reader_bounds_size_and_time() -> None:
    async def run() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(osi.tpkt_encode(osi.CotpData(b"x" * 100).encode()))
        with pytest.raises(osi.OsiError, match="exceeds the 50-byte limit"):
            await osi.read_tpkt(reader, 1.0, max_len=50)
        slow = asyncio.StreamReader()
        slow.feed_data(b"\x03\x00\x00\x10")  # promises 16 bytes, sends 4
        with pytest.raises(asyncio.TimeoutError):
            await osi.read_tpkt(slow, 0.05)
        ok = asyncio.StreamReader()
        frame = osi.release_frame()
        ok.feed_data(frame + b"\x03")
        assert await osi.read_tpkt(ok, 1.0) == frame
    asyncio.run(run())


def test_a_cr_proposing_8192_bytes_decodes_as_libiec61850_sends_it() -> None:
    # libiec61850's CR: TPDU size code 13 (8192, above class 0's 2048), called TSAP before calling TSAP
    cr = osi.cotp_decode(osi.tpkt_decode(h("03 00 00 16 11 e0 0000 0001 00 c0 01 0d c2 02 0001 c1 02 0001")))
    assert cr == osi.CotpConnect(tpdu_size=13)
    with pytest.raises(osi.OsiError, match="TPDU size parameter 0e"):
        osi.cotp_decode(h("11 e0 0000 0001 00 c0 01 0e c2 02 0001 c1 02 0001"))


def test_session_parameters_x225_allows_are_accepted_and_segmentation_is_refused() -> None:
    accept = osi.session_decode(osi.cotp_decode(osi.tpkt_decode(
        osi.accept_frame(mms.Initiate(True).encode()))).data)
    cpa = accept.user_data
    # ACCEPT with a connection identifier (PGI 1), a token item (16) and an enclosure item for a whole SSDU (25)
    params = (h("01 03 0a 01 00  05 06 13 01 00 16 01 02  10 01 00  14 02 0002  19 01 03  34 02 0001 c1")
              + bytes([len(cpa)]) + cpa)
    spdu = osi.session_decode(bytes([osi.SI_ACCEPT, len(params)]) + params)
    assert spdu.user_data == cpa and spdu.called == b"\x00\x01"
    segmented = params.replace(h("19 01 03"), h("19 01 01"))
    with pytest.raises(osi.OsiError, match="segmented SSDUs are not supported"):
        osi.session_decode(bytes([osi.SI_ACCEPT, len(segmented)]) + segmented)


def test_octet_aligned_values_and_a_direct_reference_are_accepted() -> None:
    pdu = mms.Conclude().encode()
    octet_aligned = h("61 09 30 07 02 01 03 81 02") + pdu  # PDV-list with octet-aligned [1]
    assert osi.presentation_data_decode(octet_aligned) == (osi.MMS_ID, pdu)
    aarq = h("""
    60 1a a1 07 06 05 28ca220203
      be 0f 28 0d 06 02 5101 02 01 03 81 04 a8 02 8000   # EXTERNAL: direct-reference, indirect, octet-aligned
    """)
    assert osi.acse_decode(aarq).user_data == h("a8 02 80 00") and osi.acse_decode(aarq).user_context == 3


def test_an_aarq_with_password_authentication_decodes() -> None:
    initiate = mms.Initiate().encode()
    auth = h("8a 02 0780  8b 03 520301  ac 0a 80 08") + b"password"  # requirements, mechanism 2.2.3.1, value
    body = h("a1 07 06 05 28ca220203") + auth + h("be 2f 28 2d 02 01 03 a0 28") + initiate
    aarq = osi.acse_decode(bytes([0x60, len(body)]) + body)
    assert aarq.kind == osi.AARQ and aarq.user_data == initiate


def test_a_connect_without_an_mms_context_is_refused() -> None:
    cp = osi.PresentationConnect(b"", contexts=(osi.Context(1, osi.ACSE_AS),))
    frame = osi.connect_frame(mms.Initiate().encode(), ppdu=cp)
    with pytest.raises(osi.OsiError, match="no presentation context for MMS over BER"):
        osi.upper_decode(osi.cotp_decode(osi.tpkt_decode(frame)).data)


def test_reading_buffered_frames_takes_no_task_per_frame() -> None:
    """The self-fuzz found the MMS peer spending two thirds of a small frame's cost in ``asyncio.wait_for``, which
    runs every read in a task of its own and a turn of the event loop. The bound is now a timeout scope on the
    reading task: frames already buffered are read without a task (``wait_for`` would make one per frame) and a
    slow peer still times out (test_stream_reader_bounds_size_and_time)."""
    frame = osi.release_frame()

    async def run(read) -> int:  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        made = [0]
        create = loop.create_task

        def counting(coro, **kw):  # type: ignore[no-untyped-def]
            made[0] += 1
            return create(coro, **kw)
        loop.create_task = counting  # type: ignore[method-assign]
        reader = asyncio.StreamReader()
        reader.feed_data(frame * 50)
        for _ in range(50):
            assert await read(reader) == frame
        return made[0]

    async def with_wait_for(reader: asyncio.StreamReader) -> bytes:
        return await asyncio.wait_for(reader.readexactly(len(frame)), 1.0)
    assert asyncio.run(run(lambda r: osi.read_tpkt(r, 1.0))) == 0
    assert asyncio.run(run(with_wait_for)) == 50  # what the count catches


def test_the_long_form_count_comes_with_the_decode_and_is_not_part_of_the_value() -> None:
    """The MMS checks count long-form lengths in a TSDU's session user data; they decoded it again for that (a
    fourth decode of every frame). ``Upper.long_forms`` is counted on the tree the presentation layer decoded:
    the same count for every kind of TSDU, and not part of the decoded value (equality, repr)."""
    import dataclasses

    from vgitest.iec61850 import ber

    short = bytes.fromhex("61093007020103a0028b00")  # fully-encoded data: context 3, an MMS conclude-Request
    long = bytes.fromhex("61810a308107020103a0028b00")  # the same, two lengths in long form
    assert osi.presentation_data_decode(short) == osi.presentation_data_decode(long) == (3, mms.Conclude().encode())
    for tsdu, expected in ((osi.Spdu(osi.SI_DATA, short).encode(), 0), (osi.Spdu(osi.SI_DATA, long).encode(), 2),
                           (osi.connect_spdu(mms.Initiate().encode()), 0), (osi.release_spdu(osi.RLRQ), 0),
                           (osi.Spdu(osi.SI_FINISH, bytes.fromhex("61810a308107020101a0026200"),  # RLRQ
                                     requirements=None).encode(), 2)):
        upper = osi.upper_decode(tsdu)
        assert upper.long_forms == len(ber.non_minimal_lengths(ber.decode(upper.spdu.user_data))) == expected
    upper = osi.upper_decode(osi.Spdu(osi.SI_DATA, long).encode())
    other = dataclasses.replace(upper, long_forms=0)
    assert upper == other and repr(upper) == repr(other) and hash(upper.spdu) == hash(other.spdu)

"""MMS PDUs: hand-checked layouts, round trips, one clear error per malformed PDU, totality."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgitest.iec61850 import data, mms

from .test_osi import h

N = mms.Name("DEEV1$SP$WChaTgt$setMag$f", "EV1")
STRUCT = mms.TypeSpec("structure", components=(
    ("f", mms.TypeSpec("floating-point", 32)), ("s", mms.TypeSpec("visible-string", -64)),
    ("a", mms.TypeSpec("array", 3, element=mms.TypeSpec("boolean"))), ("t", mms.TypeSpec("utc-time")),
    ("q", mms.TypeSpec("bit-string", 13)), ("i", mms.TypeSpec("integer", 32)), ("u", mms.TypeSpec("unsigned", 8))))
PDUS = [
    mms.Initiate(), mms.Initiate(True, None, 1, 1, None), mms.InitiateError(8, 2),
    mms.ConfirmedRequest(1, mms.ReadRequest((N, mms.Name("vmd")), with_result=True)),
    mms.ConfirmedResponse(1, mms.ReadResponse((data.float32(7000.0), mms.OBJECT_NON_EXISTENT,
                                               data.structure(data.boolean(True), data.visible("x"))))),
    mms.ConfirmedRequest(0xFFFFFFFF, mms.WriteRequest((N,), (data.float32(1.5),))),
    mms.ConfirmedResponse(2, mms.WriteResponse((None, mms.OBJECT_ACCESS_DENIED))),
    mms.ConfirmedRequest(3, mms.GetNameListRequest()),
    mms.ConfirmedRequest(3, mms.GetNameListRequest(mms.NAMED_VARIABLE, "EV1", "DEEV1$MX")),
    mms.ConfirmedResponse(3, mms.GetNameListResponse(("EV1", "EVSE1"), True)),
    mms.ConfirmedResponse(3, mms.GetNameListResponse(())),
    mms.ConfirmedRequest(4, mms.GetVarAccessAttributesRequest(N)),
    mms.ConfirmedResponse(4, mms.GetVarAccessAttributesResponse(STRUCT)),
    mms.ConfirmedError(5, mms.ERR_ACCESS, 2), mms.Reject(5, mms.REJECT_CONFIRMED_REQUEST, mms.UNRECOGNIZED_SERVICE),
    mms.Reject(None), mms.Conclude(), mms.Conclude(True),
]


@pytest.mark.parametrize("pdu", PDUS, ids=[type(p).__name__ for p in PDUS])
def test_pdus_round_trip(pdu: mms.Pdu) -> None:
    assert mms.decode(pdu.encode()) == pdu


def test_write_and_its_answers_bytes() -> None:
    write = mms.ConfirmedRequest(2, mms.WriteRequest((mms.Name("a$SP$b", "LD"),), (data.boolean(True),)))
    assert write.encode() == h("""
    a0 1e 02 01 02                  # confirmed-Request, invokeID 2
      a5 19                         # Write
        a0 12 30 10 a0 0e a1 0c     # listOfVariable, one entry, name, domain-specific
          1a 02 4c44                # "LD"
          1a 06 612453502462        # "a$SP$b"
        a0 03 83 01 ff              # listOfData: boolean TRUE
    """)
    denied = mms.ConfirmedResponse(2, mms.WriteResponse((mms.OBJECT_ACCESS_DENIED,)))
    assert denied.encode() == h("a1 08 02 01 02 a5 03 80 01 03")  # failure [0] object-access-denied (3)
    assert mms.ConfirmedResponse(2, mms.WriteResponse((None,))).encode() == h("a1 07 02 01 02 a5 02 81 00")


def test_get_name_list_sends_more_follows_false() -> None:
    # moreFollows is DEFAULT TRUE: an answer that ends must say false
    assert mms.ConfirmedResponse(1, mms.GetNameListResponse(("LD",))).encode() == \
        h("a1 0e 02 01 01 a1 09 a0 04 1a 02 4c44 81 01 00")
    assert mms.decode(h("a1 0c 02 01 01 a1 07 a0 05 1a 03 4c4431")).service.more_follows is True


def test_an_unknown_service_is_its_own_error_with_the_invoke_id() -> None:
    identify = h("a0 05 02 01 07 82 00")  # Identify (service [2])
    with pytest.raises(mms.UnknownService) as err:
        mms.decode(identify)
    assert err.value.invoke_id == 7


MALFORMED = [
    ("a0 03 02 01 01", "not \\(invokeID, service\\)"),
    ("a0 06 02 02 0001 a4 00", "invokeID is not a minimal INTEGER"),
    ("a1 08 02 01 01 a5 03 80 01 0c", "DataAccessError 12 out of range"),
    ("a0 0b 02 01 01 a4 06 a1 04 a1 02 80 00", "variable access specification \\[1\\]c"),
    ("a0 0d 02 01 01 a4 08 a1 06 a0 04 30 02 a0 00", "only name|variable specification"),
    ("a0 09 02 01 01 a5 04 a0 00 a0 00", "empty listOfVariable"),
    ("8b 01 00", "conclude PDU is not an empty NULL"),
    ("a8 03 80 01 01", "initiate-Request without \\[1\\]"),
    ("a1 0c 02 01 01 a1 07 a0 05 1a 03 4c0a31", "identifier is not a VisibleString"),
    ("a1 09 02 01 01 a4 04 a1 02 88 00", "\\[8\\] is not an MMS Data alternative"),
    ("bf 20 00", "is not a constructed MMS PDU|not supported"),
    ("30 00", "is not an MMS PDU"),
    ("a0 02 02", "overruns|length missing"),
]


@pytest.mark.parametrize("wire, why", MALFORMED)
def test_malformed_pdus_are_one_clear_error(wire: str, why: str) -> None:
    with pytest.raises(mms.MmsError, match=why):
        mms.decode(h(wire))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_decoding_random_bytes_is_total(b: bytes) -> None:
    try:
        mms.decode(b)
    except mms.MmsError:
        pass


@settings(max_examples=800, deadline=None)
@given(st.sampled_from([p.encode() for p in PDUS]),
       st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), min_size=1, max_size=3))
def test_decoding_mutated_pdus_is_total(wire: bytes, flips: list[tuple[int, int]]) -> None:
    b = bytearray(wire)
    for pos, value in flips:
        b[pos % len(b)] = value
    try:
        mms.decode(bytes(b))
    except mms.MmsError:
        pass

"""Negative data for the V2G fuzz cases (vgitest/iso15118/negative.py): every mutation is really broken for the
harness's own decoder or length check, and a valid message is not."""

from __future__ import annotations

import pytest

from vgitest.exi import ExiError, decode, encode
from vgitest.exi.datatypes import Unchecked
from vgitest.iso15118 import family as fam
from vgitest.iso15118 import negative as neg
from vgitest.iso15118 import v2gtp
from vgitest.iso15118.iso2 import Iso2Ev
from vgitest.iso15118.params import EvParams

F = fam.get("iso-2")
EV = Iso2Ev(EvParams(), "DC")
REQUESTS = [EV.first(), ("ServiceDiscoveryReq", {"ServiceScope": "vgitest"}), EV._cpd(), EV._precharge(),
            EV._power_delivery("Start"), EV._current_demand()]


def _msg(name: str, body: dict) -> dict:
    return F.wrap(name, body, bytes(8))


def test_an_unchecked_enumeration_index_is_written_and_refused_by_the_decoder() -> None:
    msg = _msg("PowerDeliveryReq", dict(EV._power_delivery("Start")[1], ChargeProgress=Unchecked(3)))
    payload = encode(msg, "iso-2")  # ExiError before Unchecked existed: the encoder refused the value
    with pytest.raises(ExiError, match="enumeration index 3"):
        decode(payload, "iso-2")


@pytest.mark.parametrize("name,body", REQUESTS, ids=[n for n, _ in REQUESTS])
def test_every_mutation_is_broken_and_the_valid_message_is_not(name: str, body: dict) -> None:
    msg = _msg(name, body)
    payload = encode(msg, "iso-2")
    assert neg.length_problems(decode(payload, "iso-2"), "iso-2") == []
    for pick in range(4):
        for extra in range(3):
            long = neg.too_long(msg, "iso-2", pick, extra)
            assert long is not None and neg.length_problems(decode(long.payload, "iso-2"), "iso-2"), long.what
            oor = neg.out_of_range(msg, "iso-2", pick, extra)
            if oor is not None:
                with pytest.raises(ExiError):
                    decode(oor.payload, "iso-2")
    cut = neg.garbled(payload, "iso-2", len(payload))
    with pytest.raises(ExiError):
        decode(cut.payload, "iso-2")
    assert msg == _msg(name, body)  # the mutations work on copies


@pytest.mark.parametrize("kind", neg.HEADER_KINDS)
def test_a_broken_header_is_one_the_reader_notices(kind: str) -> None:
    payload = encode(_msg(*EV.first()), "iso-2")
    b = neg.header(payload, kind, 5)
    problems = v2gtp.header_problems(b.header)
    declared = int.from_bytes(b.header[4:8], "big")
    assert problems or declared != len(payload), (kind, b.header.hex())


def test_body_only_leaves_the_header_session_id_alone() -> None:
    msg = _msg("SessionSetupRes", {"ResponseCode": "OK", "EVSEID": "DE*VGI*E1", "EVSETimeStamp": 0})
    b = neg.too_long(msg, "iso-2", 0, 0, body_only=True)
    assert b is not None and b.what.startswith("EVSEID")
    assert F.unwrap(b.msg)[2] == bytes(8)


def test_the_previous_step_fault_takes_only_the_request_before_the_last() -> None:
    from types import SimpleNamespace

    from vgitest.iso15118.robustness import evse_allows
    server = SimpleNamespace(faults=frozenset({"accepts_previous_step"}))
    reqs = [SimpleNamespace(name=n) for n in ("SessionSetupReq", "ServiceDiscoveryReq", "PaymentServiceSelectionReq",
                                              "ServiceDiscoveryReq")]
    assert evse_allows(server, reqs, "PaymentServiceSelection", "ServiceDiscovery")
    assert not evse_allows(server, reqs, "PaymentServiceSelection", "SessionSetup")
    assert not evse_allows(SimpleNamespace(faults=frozenset()), reqs, "PaymentServiceSelection", "ServiceDiscovery")

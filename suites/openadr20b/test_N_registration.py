"""N: registration (EiRegisterParty) of a pull VEN: query, create, cadence, re-registration, cancellation."""

from __future__ import annotations

import pytest

from vgitest.findings import Severity
from vgitest.openadr import messages as m
from vgitest.openadr import rules as r

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


@pytest.mark.vgi_case("N1_0010_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0010_TH_VTN_1(ven, dut, t) -> None:
    """Registering from scratch, the VEN first asks the VTN whether it is registered, then creates its
    registration, and then polls with the venID the VTN assigned."""
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    create = ven.expect("oadrCreatePartyRegistration", t.wait)
    queries = [f for f in ven.frames(start) if f.name == "oadrQueryRegistration" and f.index < create.index]
    ven.check(queries, r.REG_QUERY_FIRST, "oadrCreatePartyRegistration came without an oadrQueryRegistration first",
              create)
    answer = ven.answer_to(create)
    ven.check(answer is not None and answer.body["eiResponse"]["responseCode"] == "200", r.EXPECTED_MESSAGE,
              "the registration was not accepted")
    ven.expect("oadrPoll", t.wait, {"venID": ven.ven_id})


@pytest.mark.vgi_case("N1_0020_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0020_TH_VTN_1(ven, dut, vgi_profile, t) -> None:
    """The registration names profile 2.0b, the simple-HTTP transport and the pull model, and declares XML
    signatures only when the VEN's PICS says it signs."""
    dut.perform("reregister")
    create = ven.expect("oadrCreatePartyRegistration", t.wait)
    body = create.body
    ven.check(body.get("oadrProfileName") == "2.0b", r.SCHEMA, f"profile {body.get('oadrProfileName')!r}", create)
    ven.check(body.get("oadrTransportName") == "simpleHttp", r.SCHEMA,
              f"transport {body.get('oadrTransportName')!r}", create)
    ven.check(body.get("oadrHttpPullModel", "true") == "true", r.SCHEMA, "a pull VEN must declare oadrHttpPullModel "
              "true (or leave it out)", create)
    signs = "true" if vgi_profile.supports("XmlSignature") else "false"
    ven.check(body.get("oadrXmlSignature") in (signs, None), r.SCHEMA,
              f"oadrXmlSignature is {body.get('oadrXmlSignature')!r}, the PICS says {signs}", create)
    ven.expect("oadrPoll", t.wait)


@pytest.mark.vgi_case("N1_0030_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0030_TH_VTN_1(registered_ven, t) -> None:
    """A registered VEN keeps polling at the frequency the VTN granted: never faster (checked over every
    pair of polls), and not much slower."""
    ven = registered_ven
    polls = [ven.expect("oadrPoll", t.wait, fresh=(i == 0)) for i in range(4)]
    gaps = [(b.t_ns - a.t_ns) / 1e9 for a, b in zip(polls, polls[1:])]
    slow = [g for g in gaps if g > 2 * t.poll + t.tolerance]
    ven.check(not slow, r.EXPECTED_MESSAGE, f"polls came {max(slow or [0]):.2f} s apart; the VTN asked for one "
              f"every {t.poll:g} s")


@pytest.mark.vgi_case("N1_0040_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0040_TH_VTN_1(registered_ven, t) -> None:
    """When the VTN asks for re-registration on a poll, the VEN acknowledges and registers again with its
    current registrationID and venID."""
    ven = registered_ven
    reg, ven_id = ven.state.registration_id, ven.ven_id
    ven.cursor = len(ven.vtn.trace)  # only a registration after the request counts
    ven.queue("oadrRequestReregistration", {"venID": ven_id})
    ven.wait_delivered(t.wait)
    create = ven.expect("oadrCreatePartyRegistration", t.wait)
    ven.check(create.body.get("registrationID") == reg, r.REGISTRATION_ID,
              f"re-registration with registrationID {create.body.get('registrationID')!r}, expected {reg!r}", create)
    ven.expect("oadrPoll", t.wait, {"venID": ven_id})


@pytest.mark.vgi_case("N1_0050_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0050_TH_VTN_1(registered_ven, t) -> None:
    """When the VTN cancels the registration, the VEN confirms with oadrCanceledPartyRegistration and stops
    polling."""
    ven = registered_ven
    ven.queue("oadrCancelPartyRegistration", m.cancel_party_registration(ven.state.registration_id, ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCanceledPartyRegistration", t.wait)
    ven.state.forget_registration()
    ven.expect_none("oadrPoll", t.quiet)


@pytest.mark.vgi_case("N1_0060_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0060_TH_VTN_1(registered_ven, dut, t) -> None:
    """The VEN can cancel its own registration: oadrCancelPartyRegistration names its registrationID, the VTN
    confirms, and the VEN polls no more."""
    ven = registered_ven
    reg = ven.state.registration_id
    dut.perform("cancel_registration")
    cancel = ven.expect("oadrCancelPartyRegistration", t.wait)
    ven.check(cancel.body.get("registrationID") == reg, r.REGISTRATION_ID,
              f"cancellation of registrationID {cancel.body.get('registrationID')!r}, expected {reg!r}", cancel)
    ven.expect_none("oadrPoll", t.quiet)


@pytest.mark.vgi_case("N1_0070_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0070_TH_VTN_1(registered_ven, t) -> None:
    """Every poll carries the venID the VTN assigned at registration."""
    ven = registered_ven
    for _ in range(2):
        poll = ven.expect("oadrPoll", t.wait, fresh=True)
        ven.check(poll.body.get("venID") == ven.ven_id, r.VEN_ID,
                  f"poll with venID {poll.body.get('venID')!r}, assigned {ven.ven_id!r}", poll)


@pytest.mark.vgi_case("N1_0080_TH_VTN_1", feature="Registration", requires=("HttpPull",))
def test_N1_0080_TH_VTN_1(registered_ven, dut, t) -> None:
    """After a restart the VEN queries its registration, finds it still valid and goes on polling with the
    same venID (registering anew is allowed, and reported as information)."""
    ven = registered_ven
    ven.cursor = len(ven.vtn.trace)
    dut.perform("reboot")
    query = ven.expect("oadrQueryRegistration", t.wait)
    ven.expect("oadrPoll", t.wait, {"venID": ven.ven_id})
    again = [f for f in ven.frames(query.index) if f.name == "oadrCreatePartyRegistration"]
    if again:
        ven.record(r.REG_QUERY_FIRST, "the VEN registered anew although its registration was still valid", again[0],
                   severity=Severity.INFO)

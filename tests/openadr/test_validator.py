"""OadrValidator: valid payloads pass, each schema defect is one OADR-SCHEMA finding naming the element."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lxml import etree

from vgitest import upstream
from vgitest.findings import Severity
from vgitest.openadr import rules
from vgitest.openadr.validator import OadrValidator, payload_name

from .payloads import POLL, VALID, create_party_registration, distribute_event, wrap

pytestmark = pytest.mark.usefixtures("oadr_schema_dir")

SO = "/oadrPayload/oadrSignedObject"


@pytest.fixture(scope="module")
def validator() -> OadrValidator:
    return OadrValidator()


@pytest.mark.parametrize("prefix", ["", "oadr", "o"])
@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_payloads_pass(validator: OadrValidator, name: str, prefix: str) -> None:
    doc = wrap(VALID[name], oadr_prefix=prefix)
    assert validator.is_valid(doc)
    assert validator.validate(doc, 4) == []
    assert validator.is_valid(doc.getroottree())


def only(findings: list) -> object:  # noqa: ANN001
    assert len(findings) == 1, [str(f) for f in findings]
    return findings[0]


def test_missing_required_ven_id(validator: OadrValidator) -> None:
    doc = wrap(POLL.replace("<ei:venID>ven-1</ei:venID>", ""))
    assert not validator.is_valid(doc)
    f = only(validator.validate(doc, frame_index=7))
    assert f.rule_id == rules.SCHEMA == "OADR-SCHEMA"
    assert f.severity is Severity.FAIL and f.frame_index == 7
    assert f.details["path"] == f"{SO}/oadrPoll"
    assert f.message == f"{SO}/oadrPoll: ei:venID is missing here"
    assert "Missing child element" in f.details["xsd_message"] and f.details["line"] == 3


def test_element_out_of_order_names_its_path(validator: OadrValidator) -> None:
    f = only(validator.validate(wrap(create_party_registration(ven_after_profile=True))))
    assert f.details["path"] == f"{SO}/oadrCreatePartyRegistration/ei:venID"
    assert f.message.endswith("ei:venID is not allowed here; expected oadrTransportName")
    assert f.details["line"] == 7


def test_wrong_enumeration_value(validator: OadrValidator) -> None:
    f = only(validator.validate(wrap(create_party_registration(transport="mqtt"))))
    assert f.details["path"] == f"{SO}/oadrCreatePartyRegistration/oadrTransportName"
    assert "'mqtt' is not an allowed value (allowed: simpleHttp, xmpp)" in f.message


def test_unknown_element(validator: OadrValidator) -> None:
    doc = wrap(POLL.replace("</ei:venID>", "</ei:venID><{o}oadrPollFrequency>5</{o}oadrPollFrequency>"))
    f = only(validator.validate(doc))
    assert f.details["path"] == f"{SO}/oadrPoll/oadrPollFrequency"
    assert "oadrPollFrequency is not allowed here" in f.message


@pytest.mark.parametrize(("ns_decl", "shown"), [
    ('xmlns="http://docs.oasis-open.org/ns/energyinterop/201110/payloads"', "pyld:venID"),  # a sibling namespace
    ('xmlns="urn:example:not-openadr"', "{urn:example:not-openadr}venID"),
    ('xmlns=""', "venID"),  # no namespace at all
])
def test_wrong_namespace_is_visible(validator: OadrValidator, ns_decl: str, shown: str) -> None:
    doc = wrap(POLL.replace("<ei:venID>ven-1</ei:venID>", f"<venID {ns_decl}>ven-1</venID>"))
    f = only(validator.validate(doc))
    assert f.details["path"] == f"{SO}/oadrPoll/{shown}"
    assert f.message.endswith(f"{shown} is not allowed here; expected ei:venID")


def test_findings_do_not_depend_on_prefixes(validator: OadrValidator) -> None:
    body = distribute_event(status="started", second_value="high")
    a = validator.validate(wrap(body))
    b = validator.validate(wrap(body, oadr_prefix="x"))
    assert [f.message for f in a] == [f.message for f in b] and len(a) == 2


def test_every_complaint_is_a_finding_with_its_line(validator: OadrValidator) -> None:
    fs = validator.validate(wrap(distribute_event(status="started", second_value="high")), 2)
    event = f"{SO}/oadrDistributeEvent/oadrEvent/ei:eiEvent"
    assert [(f.details["path"], f.details["line"]) for f in fs] == [
        (f"{event}/ei:eventDescriptor/ei:eventStatus", 13),
        (f"{event}/ei:eiEventSignals/ei:eiEventSignal/strm:intervals/ei:interval[2]/ei:signalPayload"
         "/ei:payloadFloat/ei:value", 24),
    ]
    assert "'started' is not an allowed value" in fs[0].message and "active" in fs[0].message
    assert fs[1].message.endswith("'high' is not a valid xs:float")
    assert all(f.frame_index == 2 and f.rule_id == "OADR-SCHEMA" for f in fs)


def test_attribute_not_allowed(validator: OadrValidator) -> None:
    f = only(validator.validate(wrap(POLL.replace('ei:schemaVersion="2.0b"', 'ei:schemaVersion="2.0b" mode="x"'))))
    assert f.details["path"] == f"{SO}/oadrPoll/@mode"
    assert f.message.endswith("the attribute 'mode' is not allowed.")


def test_text_where_only_elements_belong(validator: OadrValidator) -> None:
    f = only(validator.validate(wrap(POLL.replace("<ei:venID>", "oops<ei:venID>"))))
    assert f.details["path"] == f"{SO}/oadrPoll" and "text is not allowed here" in f.message


def test_document_that_is_not_a_payload(validator: OadrValidator) -> None:
    f = only(validator.validate(etree.fromstring(b'<oadrPoll xmlns="urn:example:x"/>')))
    assert f.details["path"] == "/{urn:example:x}oadrPoll"
    assert "not an element the OpenADR 2.0b schema accepts as a document root" in f.message


def test_lenient_mode_warns_with_the_same_findings(validator: OadrValidator) -> None:
    doc = wrap(distribute_event(status="started"))
    strict = validator.validate(doc)
    lenient = OadrValidator(lenient=True).validate(doc)
    assert [f.severity for f in strict] == [Severity.FAIL]
    assert [f.severity for f in lenient] == [Severity.WARN]
    assert [f.message for f in lenient] == [f.message for f in strict]
    assert OadrValidator(lenient=True).validate(wrap(POLL)) == []


def test_unavailable_schema_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(upstream.UpstreamError, match="VGITEST_OPENADR_SCHEMAS"):
        OadrValidator(schema_path=tmp_path)


def test_schema_path_is_used(schema_copy: Path) -> None:
    """A user folder with a stricter edit of the schema changes the verdict: the path is really read."""
    xsd = schema_copy / "oadr_20b.xsd"
    xsd.write_text(xsd.read_text(encoding="utf-8").replace('<xs:enumeration value="xmpp"/>', ""), encoding="utf-8")
    doc = wrap(create_party_registration(transport="xmpp"))
    assert OadrValidator().is_valid(doc)
    assert not OadrValidator(schema_path=schema_copy).is_valid(doc)


def test_shared_validator_in_two_threads(validator: OadrValidator) -> None:
    good, bad = wrap(VALID["oadrDistributeEvent"]), wrap(distribute_event(status="started"))
    results: list[tuple[bool, bool, int]] = []

    def work() -> None:
        for _ in range(200):
            results.append((validator.is_valid(good), validator.is_valid(bad), len(validator.validate(bad))))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert len(results) == 400 and set(results) == {(True, False, 1)}


@pytest.mark.parametrize("name", sorted(VALID))
def test_payload_name(name: str) -> None:
    assert payload_name(wrap(VALID[name], oadr_prefix="p")) == name
    assert payload_name(wrap(VALID[name]).getroottree()) == name


def test_payload_name_of_other_documents() -> None:
    assert payload_name(etree.fromstring(b"<oadrPayload/>")) is None  # no namespace
    assert payload_name(etree.fromstring(b'<oadrPoll xmlns="http://openadr.org/oadr-2.0b/2012/07"/>')) is None
    empty = b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject><!-- --></oadrSignedObject></oadrPayload>'
    assert payload_name(etree.fromstring(empty)) is None
    assert payload_name(etree.fromstring(b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"/>')) is None

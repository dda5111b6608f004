"""Every OpenADR 2.0b payload has a strategy whose documents the harness's validator accepts, and every mutated
payload is refused by it (or does not parse)."""

from __future__ import annotations

import pytest
from hypothesis import given
from lxml import etree

from vgitest.openadr import rules, strategies as S
from vgitest.openadr.validator import OadrValidator, payload_name
from vgitest.upstream import UpstreamError
from vgitest.xmlhttp import mutations as mut

from ..strategy_settings import drawn_settings


def _names() -> tuple[str, ...]:
    try:
        return S.payload_names()
    except UpstreamError:
        return ()


NAMES = _names()


def test_the_payloads_are_the_choices_of_oadrSignedObject(oadr_schema_dir) -> None:
    """23 payloads in oadr_20b.xsd (the openleadr wheel's); a schema that adds one adds a strategy."""
    assert len(NAMES) == 23 and {"oadrDistributeEvent", "oadrPoll", "oadrCreatePartyRegistration",
                                 "oadrRegisterReport", "oadrCancelOpt"} <= set(NAMES)


@pytest.mark.parametrize("profile", ["ascii", "unicode"])
@pytest.mark.parametrize("name", NAMES)
def test_drawn_payloads_are_schema_valid(oadr_schema_dir, name: str, profile: str) -> None:
    validator = OadrValidator()

    @drawn_settings()
    @given(S.payload(name, profile=profile))
    def check(drawn) -> None:
        doc = etree.fromstring(drawn.tostring())
        assert payload_name(doc) == name
        assert validator.validate(doc) == [], drawn.tostring()
        if profile == "ascii":
            assert drawn.tostring().isascii()
    check()


@pytest.mark.parametrize("name", NAMES)
def test_mutated_payloads_are_refused(oadr_schema_dir, name: str) -> None:
    validator = OadrValidator()

    @drawn_settings()
    @given(S.mutated_payload(name))
    def check(m: mut.Mutated) -> None:
        assert m.document != m.original and m.mutation.description
        try:
            doc = etree.fromstring(m.document)
        except etree.XMLSyntaxError:
            assert m.mutation.kind in mut.SYNTAX_KINDS
            return
        assert m.mutation.kind in mut.SCHEMA_KINDS
        assert not validator.is_valid(doc), m
        assert validator.is_valid(etree.fromstring(m.original))
    check()


@pytest.mark.parametrize("kind", [k for k in mut.Kind if k not in (mut.Kind.REMOVE_REQUIRED_ATTRIBUTE,
                                                                   mut.Kind.OVERSIZE_STRING)])
def test_each_mutation_kind_is_drawn(oadr_schema_dir, kind: mut.Kind) -> None:
    """Each kind asked for alone yields refused documents (OpenADR 2.0b payloads have no required attribute,
    and maxLength only in Green Button data, which the draws seldom reach: those two are shown on 2030.5)."""
    validator = OadrValidator()
    name = {mut.Kind.BREAK_BOUND: "oadrDistributeEvent"}.get(kind, "oadrCreateOpt")

    @drawn_settings(10)
    @given(S.mutated_payload(name, kinds=[kind]))
    def check(m: mut.Mutated) -> None:
        assert m.mutation.kind == kind and m.mutation.path.startswith("/")
        if kind in mut.SCHEMA_KINDS:
            assert not validator.is_valid(etree.fromstring(m.document))
    check()


def test_every_kind_names_the_rule_a_ven_must_follow() -> None:
    assert set(S.MUTATION_RULES) == set(mut.Kind)
    assert {S.MUTATION_RULES[k] for k in mut.SCHEMA_KINDS} == {rules.FUZZ_INVALID_DATA}
    assert {S.MUTATION_RULES[k] for k in mut.SYNTAX_KINDS} == {rules.FUZZ_MALFORMED}


def test_an_unknown_payload_is_refused(oadr_schema_dir) -> None:
    with pytest.raises(ValueError, match="not an OpenADR 2.0b payload"):
        S.payload("oadrNoSuchThing")

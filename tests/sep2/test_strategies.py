"""Every IEEE 2030.5 resource the fake server serves or a DER client sends has a strategy whose documents the
harness's validator accepts (2018, 2018 with CSIP-AUS, 2023), and every mutated resource is refused by it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import find, given
from lxml import etree

from vgitest.sep2 import handlers, rules, strategies as S
from vgitest.sep2.validator import Sep2Validator
from vgitest.xmlhttp import mutations as mut

from ..strategy_settings import drawn_settings

VARIANTS = [("2018", False), ("2018", True), ("2023", False)]


def test_the_served_list_is_what_the_handlers_answer() -> None:
    """SERVED must follow the server: every resource a handler answers a GET with is in it."""
    source = Path(handlers.__file__).read_text(encoding="utf-8")
    answered = set(re.findall(r'Reply\(200, "(\w+)"', source)) | set(handlers.DER_PARTS.values())
    assert answered <= set(S.SERVED), answered - set(S.SERVED)


@pytest.mark.parametrize("version,csip_aus", VARIANTS)
def test_every_resource_is_in_the_schema(sep2_schema_dir, version: str, csip_aus: bool) -> None:
    assert S.resource_names(version, csip_aus=csip_aus) == S.RESOURCES


@pytest.mark.parametrize("version,csip_aus,profile", [(v, c, p) for v, c in VARIANTS for p in ("ascii", "unicode")
                                                      if p == "ascii" or (v, c) == ("2018", True)])
@pytest.mark.parametrize("name", S.RESOURCES)
def test_drawn_resources_are_schema_valid(sep2_schema_dir, name: str, version: str, csip_aus: bool,
                                          profile: str) -> None:
    validator = Sep2Validator(version, csip_aus)

    @drawn_settings()
    @given(S.resource(name, version=version, csip_aus=csip_aus, profile=profile))
    def check(drawn) -> None:
        doc = etree.fromstring(drawn.tostring())
        assert etree.QName(doc).localname == name
        assert validator.validate(doc) == [], drawn.tostring()
    check()


@pytest.mark.parametrize("name", S.RESOURCES)
def test_mutated_resources_are_refused(sep2_schema_dir, name: str) -> None:
    validator = Sep2Validator("2018", True)

    @drawn_settings()
    @given(S.mutated_resource(name, csip_aus=True))
    def check(m: mut.Mutated) -> None:
        try:
            doc = etree.fromstring(m.document)
        except etree.XMLSyntaxError:
            assert m.mutation.kind in mut.SYNTAX_KINDS
            return
        assert m.mutation.kind in mut.SCHEMA_KINDS
        assert not validator.is_valid(doc), m
    check()


def test_the_pinned_schemas_have_no_enumeration(sep2_schema_dir) -> None:
    """Why break-enumeration is not drawn for 2030.5: the pinned XSDs declare no xs:enumeration (2030.5 codes are
    integers documented in annotations). If a schema gains one, the kind test below must cover it."""
    from xmlschema import names as xn
    for version, csip_aus in VARIANTS:
        types = S.builder(version, csip_aus=csip_aus).schema.maps.types.values()
        assert not [t.name for t in types if t.is_simple() and t.is_atomic()
                    and t.get_facet(xn.XSD_ENUMERATION) is not None
                    and not t.name.startswith("{http://www.w3.org/")], (version, csip_aus)


@pytest.mark.parametrize("kind", [k for k in mut.Kind if k != mut.Kind.BREAK_ENUMERATION])
def test_each_mutation_kind_is_drawn(sep2_schema_dir, kind: mut.Kind) -> None:
    validator = Sep2Validator("2018")
    name = {mut.Kind.OVERSIZE_STRING: "DERProgram", mut.Kind.REMOVE_REQUIRED_ATTRIBUTE: "EndDeviceList"}.get(
        kind, "EndDevice")

    @drawn_settings(10)
    @given(S.mutated_resource(name, kinds=[kind]))
    def check(m: mut.Mutated) -> None:
        assert m.mutation.kind == kind
        if kind in mut.SCHEMA_KINDS:
            assert not validator.is_valid(etree.fromstring(m.document)), m
        else:
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(m.document)
    check()


def test_every_kind_names_the_rule_a_client_must_follow() -> None:
    assert set(S.MUTATION_RULES) == set(mut.Kind)
    assert {S.MUTATION_RULES[k] for k in mut.SCHEMA_KINDS} == {rules.FUZZ_INVALID_RESOURCE}
    assert {S.MUTATION_RULES[k] for k in mut.SYNTAX_KINDS} == {rules.FUZZ_MALFORMED_RESOURCE}


def test_a_notification_resource_carries_its_derived_type(sep2_schema_dir) -> None:
    """Notification/Resource is drawn with xsi:type naming a type derived from Resource (as the server sends)."""
    def typed(drawn) -> bool:
        res = drawn.root.find("{urn:ieee:std:2030.5:ns}Resource")
        return res is not None and res.get("{http://www.w3.org/2001/XMLSchema-instance}type") not in (None, "Resource")
    found = find(S.resource("Notification"), typed, settings=drawn_settings(500))
    assert Sep2Validator("2018").validate(etree.fromstring(found.tostring())) == []

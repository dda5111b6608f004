"""The generic XSD -> hypothesis builder on a small schema that uses every construct it claims to handle:
facets (enumeration, exclusive/inclusive bounds, lengths, patterns on two derivation steps, totalDigits and
fractionDigits), lists, unions, a choice, an abstract element with a substitute, an abstract type drawn with
xsi:type, xs:ID uniqueness, an optional recursion (and a required one, which has no instance), a required lax wildcard
and a fixed attribute. Every document
must pass libxml2 (the harness's validator) and the draws must actually reach each construct."""

from __future__ import annotations

import io

import pytest
import xmlschema
from hypothesis import find, given
from lxml import etree

from vgitest.xmlhttp import mutations as mut
from vgitest.xmlhttp.strategies import XSI_TYPE, XsdStrategies

from .strategy_settings import drawn_settings

XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t"
    elementFormDefault="qualified">
  <xs:simpleType name="Code"><xs:restriction base="xs:string">
    <xs:enumeration value="a"/><xs:enumeration value="b c"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Pct"><xs:restriction base="xs:decimal"><xs:minExclusive value="0"/>
    <xs:maxInclusive value="100"/><xs:totalDigits value="5"/><xs:fractionDigits value="2"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Small"><xs:restriction base="xs:int"><xs:minInclusive value="-3"/>
    <xs:maxExclusive value="7"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Word"><xs:restriction base="xs:token"><xs:minLength value="2"/>
    <xs:maxLength value="5"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Tag"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]\\d{3}"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Tag2"><xs:restriction base="t:Tag"><xs:pattern value="[A-M].*"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Nums"><xs:list itemType="xs:unsignedByte"/></xs:simpleType>
  <xs:simpleType name="NumOrCode"><xs:union memberTypes="xs:int t:Code"/></xs:simpleType>
  <xs:simpleType name="Hex"><xs:restriction base="xs:hexBinary"><xs:maxLength value="4"/></xs:restriction>
  </xs:simpleType>
  <xs:complexType name="ItemBase" abstract="true"><xs:sequence/></xs:complexType>
  <xs:complexType name="Apple"><xs:complexContent><xs:extension base="t:ItemBase"><xs:sequence>
    <xs:element name="weight" type="t:Pct"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
  <xs:element name="item" abstract="true" type="t:ItemBase"/>
  <xs:element name="apple" type="t:Apple" substitutionGroup="t:item"/>
  <xs:complexType name="Shape" abstract="true"><xs:attribute name="id" type="xs:ID" use="required"/>
  </xs:complexType>
  <xs:complexType name="Circle"><xs:complexContent><xs:extension base="t:Shape">
    <xs:attribute name="r" type="t:Small" use="required"/></xs:extension></xs:complexContent></xs:complexType>
  <xs:complexType name="Square"><xs:complexContent><xs:extension base="t:Shape"><xs:sequence>
    <xs:element name="side" type="xs:double"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
  <xs:complexType name="Node"><xs:sequence><xs:element name="node" type="t:Node" minOccurs="0" maxOccurs="2"/>
    </xs:sequence><xs:attribute name="key" type="xs:ID"/></xs:complexType>
  <xs:element name="root"><xs:complexType><xs:sequence>
    <xs:element name="code" type="t:Code"/>
    <xs:element name="pct" type="t:Pct" maxOccurs="unbounded"/>
    <xs:element name="small" type="t:Small" minOccurs="0"/>
    <xs:element name="word" type="t:Word"/>
    <xs:element name="tag" type="t:Tag2"/>
    <xs:element name="nums" type="t:Nums"/>
    <xs:element name="either" type="t:NumOrCode"/>
    <xs:element name="hex" type="t:Hex"/>
    <xs:element name="when" type="xs:dateTime"/>
    <xs:element name="span" type="xs:duration"/>
    <xs:element name="uri" type="xs:anyURI"/>
    <xs:element ref="t:item" maxOccurs="3"/>
    <xs:element name="shape" type="t:Shape" maxOccurs="4"/>
    <xs:choice><xs:element name="left" type="xs:boolean"/><xs:element name="right" type="xs:date"/></xs:choice>
    <xs:element name="node" type="t:Node" minOccurs="0"/>
    <xs:element name="ext"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="lax"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence>
  <xs:attribute name="version" type="xs:string" fixed="1.0" use="required"/>
  <xs:attribute name="lang" type="xs:language"/>
  </xs:complexType></xs:element>
  <xs:complexType name="Loop"><xs:sequence><xs:element name="loop" type="t:Loop"/></xs:sequence></xs:complexType>
  <xs:element name="impossible" type="t:Loop"/>
  <xs:element name="empty"><xs:complexType/></xs:element>
</xs:schema>"""

T = "{urn:t}"


@pytest.fixture(scope="module")
def schemas() -> tuple[xmlschema.XMLSchema, etree.XMLSchema]:
    return xmlschema.XMLSchema(io.BytesIO(XSD)), etree.XMLSchema(etree.fromstring(XSD))


@pytest.mark.parametrize("profile", ["ascii", "unicode"])
def test_every_drawn_document_validates_and_reaches_each_construct(schemas, profile: str) -> None:
    xs, lx = schemas
    strategies = XsdStrategies(xs, profile, nsmap={"t": "urn:t"})
    seen: set[str] = set()

    @drawn_settings(100)
    @given(strategies.element(f"{T}root"))
    def check(drawn) -> None:
        doc = etree.fromstring(drawn.tostring())
        assert lx.validate(doc), (lx.error_log.last_error, drawn.tostring())
        seen.update(etree.QName(e).localname for e in doc.iter() if isinstance(e.tag, str))
        seen.update(f"type={s.get(XSI_TYPE)}" for s in doc.iter(f"{T}shape"))
        if doc.find(f"{T}node/{T}node") is not None:
            seen.add("nested-node")
        ids = [e.get("id") or e.get("key") for e in doc.iter() if e.get("id") or e.get("key")]
        assert len(ids) == len(set(ids))
        assert doc.get("version") == "1.0"
        if profile == "ascii":
            assert drawn.tostring().isascii()
    check()
    assert {"apple", "left", "right", "small", "nested-node", "vgiWildcard", "type=t:Circle",
            "type=t:Square"} <= seen, seen


def test_the_smallest_document_has_only_required_content(schemas) -> None:
    xs, lx = schemas
    drawn = find(XsdStrategies(xs).element(f"{T}root"), lambda d: True)
    doc = etree.fromstring(drawn.tostring())
    assert lx.validate(doc)
    assert doc.find(f"{T}small") is None and doc.find(f"{T}node") is None and len(doc.findall(f"{T}pct")) == 1


def test_an_element_with_no_instance_is_refused(schemas) -> None:
    with pytest.raises(ValueError, match="cannot be drawn"):
        XsdStrategies(schemas[0]).element(f"{T}impossible")


def test_an_element_with_empty_content_is_found(schemas) -> None:
    """(xmlschema's XsdElement is falsy when its content is empty: the lookup must not test truthiness.)"""
    find(XsdStrategies(schemas[0]).element(f"{T}empty"), lambda d: True)
    assert XsdStrategies(schemas[0]).global_element(f"{T}empty").name == f"{T}empty"


@pytest.mark.parametrize("kind", list(mut.Kind))
def test_each_mutation_breaks_the_document(schemas, kind: mut.Kind) -> None:
    xs, lx = schemas

    @drawn_settings(15)
    @given(mut.mutated(XsdStrategies(xs, nsmap={"t": "urn:t"}).element(f"{T}root"), lx.validate, kinds=[kind]))
    def check(m: mut.Mutated) -> None:
        assert m.mutation.kind == kind
        try:
            doc = etree.fromstring(m.document)
        except etree.XMLSyntaxError:
            assert kind in mut.SYNTAX_KINDS
            return
        assert kind in mut.SCHEMA_KINDS and not lx.validate(doc), m
        assert lx.validate(etree.fromstring(m.original))
    check()

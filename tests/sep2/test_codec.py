"""The IEEE 2030.5 codec: hand-written resources round-trip and validate; hostile, oversized and malformed
bodies become findings (rule id + message), never exceptions, and nothing is expanded or fetched."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from vgitest.sep2 import codec, rules
from vgitest.sep2.namespaces import CSIPAUS, SEP, XSI
from vgitest.sep2.validator import Sep2Validator

from .payloads import CSIP_AUS_DER_CONTROL, LFDI, MIRROR_USAGE_POINT, RESOURCES, SFDI


@pytest.fixture(scope="module")
def v2018(sep2_schema_dir: object) -> Sep2Validator:
    return Sep2Validator()


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_resources_validate_and_round_trip(v2018: Sep2Validator, name: str) -> None:
    raw = codec.encode(name, RESOURCES[name])
    decoded = codec.decode(raw)
    assert decoded.ok and decoded.name == name
    assert v2018.validate(decoded.doc) == []
    assert decoded.body == RESOURCES[name]  # insertion order too: dicts compare equal, keys listed below
    assert list(decoded.body) == list(RESOURCES[name])
    assert codec.encode(name, decoded.body) == raw


def test_encoding_is_in_the_2030_5_namespace_with_attributes() -> None:
    raw = codec.encode("EndDevice", RESOURCES["EndDevice"])
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<EndDevice xmlns=\"urn:ieee:std:2030.5:ns\"")
    assert b'href="/edev/3"' in raw and b"<lFDI>" + LFDI.encode() + b"</lFDI>" in raw
    assert b"xmlns:csipaus" not in raw  # extension prefixes only when used
    assert codec.encode("Time", {"currentTime": "1"}, xml_declaration=False) == (
        b'<Time xmlns="urn:ieee:std:2030.5:ns"><currentTime>1</currentTime></Time>')


def test_dict_form_keeps_strings_lists_and_attributes(sep2_schema_dir: object) -> None:
    body = codec.decode(codec.encode("MirrorUsagePoint", MIRROR_USAGE_POINT)).body
    readings = body["MirrorMeterReading"]
    assert isinstance(readings, list) and len(readings) == 2  # repeated -> list
    assert codec.find(body, "MirrorMeterReading/Reading/value") == "-1250"  # first item on the way, a str
    assert codec.as_list(codec.find(body, "deviceLFDI")) == [LFDI]
    assert body["roleFlags"] == "03"  # hex stays as written
    edev = codec.decode(codec.encode("EndDevice", RESOURCES["EndDevice"])).body
    assert edev["sFDI"] == SFDI and edev["enabled"] == "true"  # no int/bool guessing
    assert edev["DERListLink"] == {"@href": "/edev/3/der", "@all": "1"}
    assert codec.find(edev, "nope/x", "default") == "default" and codec.as_list(None) == []


def test_extension_and_xsi_type_keys() -> None:
    raw = codec.encode("DERControl", CSIP_AUS_DER_CONTROL)
    assert f'xmlns:csipaus="{CSIPAUS}"'.encode() in raw and b"<csipaus:opModExpLimW>" in raw
    body = codec.decode(raw).body
    assert body["DERControlBase"]["csipaus:opModExpLimW"] == {"multiplier": "3", "value": "5"}
    note = {"subscribedResource": "/edev/3/fsa", "Resource": {"@xsi:type": "FunctionSetAssignmentsList",
                                                              "@all": "0", "@results": "0"},
            "status": "0", "subscriptionURI": "/edev/3/sub/1"}
    raw = codec.encode("Notification", note)
    assert f'xmlns:xsi="{XSI}"'.encode() in raw and b'xsi:type="FunctionSetAssignmentsList"' in raw
    assert codec.decode(raw).body == note
    with pytest.raises(KeyError, match="unknown namespace prefix"):
        codec.encode("EndDevice", {"zz:x": "1"})


def test_wrong_or_missing_namespace_is_visible_in_the_dict_form() -> None:
    d = codec.decode(b"<EndDevice><sFDI>1</sFDI></EndDevice>")
    assert d.ok and d.name == "{}EndDevice" and d.body == {"{}sFDI": "1"}
    d = codec.decode(b'<EndDevice xmlns="urn:ieee:std:2030.5"><sFDI>1</sFDI></EndDevice>')
    assert d.name == "{urn:ieee:std:2030.5}EndDevice"
    assert codec.decode(f'<s:Time xmlns:s="{SEP}"><s:currentTime>1</s:currentTime></s:Time>'.encode()).name == "Time"


# --- bodies the codec must refuse ---------------------------------------------------------------------------
@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A local TCP port that must never be connected to (an external entity or DTD pointing at it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(0.3)
    yield s
    s.close()


def _no_connection(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except (TimeoutError, socket.timeout):
        return True
    conn.close()
    return False


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']>\n<EndDevice xmlns="urn:ieee:std:2030.5:ns"><sFDI>&lol9;</sFDI></EndDevice>')


def _external(port: int) -> dict[str, bytes]:
    url = f"http://127.0.0.1:{port}/x"
    entity = f'<!DOCTYPE e [<!ENTITY x SYSTEM "{url}">]><EndDevice xmlns="{SEP}"><sFDI>&x;</sFDI></EndDevice>'
    return {
        "external entity": entity.encode(),
        "external DTD": f'<!DOCTYPE EndDevice SYSTEM "{url}"><EndDevice xmlns="{SEP}"/>'.encode(),
        "parameter entity": f'<!DOCTYPE e [<!ENTITY % p SYSTEM "{url}"> %p;]><EndDevice xmlns="{SEP}"/>'.encode(),
        "UTF-16 with BOM": ('<?xml version="1.0" encoding="UTF-16"?>' + entity).encode("utf-16"),
        "UTF-16BE": ('<?xml version="1.0" encoding="UTF-16BE"?>' + entity).encode("utf-16-be"),
        "UTF-32": entity.encode("utf-32"),
        # UTF-7 writes '!' as +ACE-, so no byte pattern matches: refused after parsing, from the doctype
        "UTF-7 (no byte marker)": (b'<?xml version="1.0" encoding="UTF-7"?>\n<+ACE-DOCTYPE e +AFs-<+ACE-ENTITY x '
                                   b'SYSTEM "' + url.encode() + b'">+AF0->\n<EndDevice xmlns="' + SEP.encode()
                                   + b'"><sFDI>&x;</sFDI></EndDevice>'),
    }


def test_billion_laughs_is_refused_without_expansion() -> None:
    d = codec.decode(BILLION_LAUGHS)
    assert d.doc is None and d.body is None and [p[0] for p in d.problems] == [rules.XML_HOSTILE]


@pytest.mark.parametrize("case", list(_external(1)))
def test_external_references_are_refused_and_never_fetched(listener: socket.socket, case: str) -> None:
    raw = _external(listener.getsockname()[1])[case]
    d = codec.decode(raw)
    assert d.doc is None and [p[0] for p in d.problems] == [rules.XML_HOSTILE], d.problems
    assert _no_connection(listener), f"{case}: the parser connected to the entity's URL"


def test_oversized_body_is_refused_before_parsing() -> None:
    raw = codec.encode("EndDevice", RESOURCES["EndDevice"])
    d = codec.decode(raw, max_bytes=len(raw) - 1)
    assert d.doc is None and d.problems[0][0] == rules.BODY_TOO_LARGE and str(len(raw)) in d.problems[0][1]
    assert codec.decode(raw, max_bytes=len(raw)).ok
    huge = b"<EndDevice>" + b" " * codec.DEFAULT_MAX_BODY + b"</EndDevice>"
    assert codec.decode(huge).problems[0][0] == rules.BODY_TOO_LARGE


@pytest.mark.parametrize("raw", [b"", b"<EndDevice>", b"<EndDevice></Time>", b"not xml", b"\xff\xfe\x00garbage",
                                 b'<?xml version="1.0" encoding="no-such-enc"?><a/>', b"<a>&undefined;</a>"])
def test_malformed_body_is_a_finding(raw: bytes) -> None:
    d = codec.decode(raw)
    assert d.doc is None and not d.ok and [p[0] for p in d.problems] == [rules.XML_MALFORMED], d.problems

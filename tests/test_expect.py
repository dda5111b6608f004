"""One `match` semantics and one expect/expect_none for every request/response peer (vgitest.expect).

The fakes used to hold three copies with three meanings of ``match=``: the CSMS recursive with equal-length
lists, the VTN recursive with a list taken as containment, the 2030.5 server flat keys only. These tests pin
the one meaning on all three peers, on frames put straight into their traces (no device needed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vgitest
from vgitest.expect import PeerSession, matches
from vgitest.ocpp import rules as ocpp_rules
from vgitest.ocpp.csms import FakeCsms
from vgitest.openadr import rules as oadr_rules
from vgitest.openadr.vtn import FakeVtn
from vgitest.sep2 import rules as sep2_rules
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction, Frame
from vgitest.verdict import NonConformance


@pytest.mark.parametrize("body, match, expected", [
    ({"a": 1, "b": 2}, {"a": 1}, True),  # other keys do not matter
    ({"a": 1}, {"a": 1, "b": 2}, False),  # every key of the match is needed
    ({"a": None}, {"b": None}, False),  # a missing key is not None
    ({"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}, True),  # recursive
    ({"a": {"x": 1}}, {"a": {"x": 2}}, False),
    ({"a": [1, 2]}, {"a": [1, 2]}, True),  # a list matches item by item
    ({"a": [{"x": 1, "y": 0}, {"x": 2}]}, {"a": [{"x": 1}, {"x": 2}]}, True),
    ({"a": [1, 2, 3]}, {"a": [1, 2]}, False),  # ... of the same length
    ({"a": [2, 1]}, {"a": [1, 2]}, False),  # ... in order
    ({"a": [1, 2]}, {"a": 2}, True),  # a plain value against a list: one item matches
    ({"a": [{"x": 1}, {"x": 2, "y": 3}]}, {"a": {"x": 2}}, True),  # a dict against a list: one item matches
    ({"a": [{"x": 1}]}, {"a": {"x": 2}}, False),
    ({"a": "1"}, {"a": 1}, False),  # no type coercion
    ({"a": 1}, lambda b: b["a"] == 1, True),
    ({"a": 1}, lambda b: b["missing"], False),  # a callable that raises is a no
    ("text", {"a": 1}, False),
])
def test_the_one_match_semantics(body: object, match: object, expected: bool) -> None:
    assert matches(body, match) is expected


def _frame(body: object, name: str, kind: str, **meta: object) -> Frame:
    return Frame(0, 0.0, Direction.IN, "test", "0", "c1", kind, name, "x1", b"", body, meta=dict(meta))


def test_the_vtn_matches_nested_dicts_in_a_repeated_element() -> None:
    """The VTN's old copy refused a dict pattern against a repeated element (a list): a report among several
    could not be waited for by a part of it."""
    vtn = FakeVtn(validate=False)
    vtn.trace.append(_frame({"oadrReport": [{"reportRequestID": "a", "x": "1"}, {"reportRequestID": "b"}]},
                            "oadrUpdateReport", "REQUEST"))
    frame = vtn.session.expect("oadrUpdateReport", 0.2, {"oadrReport": {"reportRequestID": "b"}})
    assert frame.index == 0 and vtn.session.cursor == 1
    with pytest.raises(NonConformance, match="expected oadrUpdateReport .* from the VEN"):
        vtn.session.expect("oadrUpdateReport", 0.05, {"oadrReport": {"reportRequestID": "b"}})
    assert [f.rule_id for f in vtn.trace.findings] == [oadr_rules.EXPECTED_MESSAGE]


def test_the_2030_5_server_matches_nested_parts_of_a_body() -> None:
    """The server's old copy compared top-level keys for equality only: a part of a nested element never
    matched."""
    srv = FakeSep2Server(validate=False)
    body = {"setMaxW": {"multiplier": "0", "value": "5000"}, "setGradW": "2000"}
    srv.trace.append(_frame(body, "PUT /edev/1/der/1/derg", "REQUEST", method="PUT", path="/edev/1/der/1/derg"))
    frame = srv.session.expect("PUT", "/edev/*/der/1/derg", 0.2, {"setMaxW": {"value": "5000"}})
    assert frame.index == 0
    srv.session.cursor = 0
    with pytest.raises(NonConformance) as err:
        srv.session.expect("PUT", "/edev/*/der/1/derg", 0.05, {"setMaxW": {"value": "4000"}})
    assert err.value.findings[0].rule_id == sep2_rules.EXPECTED_REQUEST
    assert "received PUT /edev/1/der/1/derg" in str(err.value)


def test_the_csms_matches_a_value_in_a_list() -> None:
    """The CSMS's old copy compared a plain value with a list for equality: never a match."""
    csms = FakeCsms()
    session = csms.session("CP1")
    csms.trace.append(_frame({"connectorId": 1, "meterValue": [{"timestamp": "t1"}, {"timestamp": "t2"}]},
                             "MeterValues", "CALL", identity="CP1"))
    assert session.expect("MeterValues", 0.2, {"meterValue": {"timestamp": "t2"}}).index == 0
    with pytest.raises(NonConformance) as err:
        session.expect("MeterValues", 0.05, {"meterValue": [{"timestamp": "t2"}]})  # a list: item by item
    assert err.value.findings[0].rule_id == ocpp_rules.EXPECTED_MESSAGE


@pytest.mark.parametrize("make, send, rule", [
    (lambda: FakeVtn(validate=False), ("oadrPoll",), oadr_rules.FORBIDDEN_MESSAGE),
    (lambda: FakeSep2Server(validate=False), ("GET", "/dcap"), sep2_rules.FORBIDDEN_REQUEST),
    (lambda: FakeCsms(), ("Heartbeat",), ocpp_rules.FORBIDDEN_MESSAGE),
])
def test_expect_none_is_one_verdict_on_every_peer(make: object, send: tuple, rule: str) -> None:
    """A forbidden message inside the window fails with the peer's rule, on the frame that shows it."""
    import threading
    peer = make()  # type: ignore[operator]
    session = peer.session("CP1") if isinstance(peer, FakeCsms) else peer.session
    name = " ".join(send)
    meta = {"identity": "CP1", "method": send[0], "path": send[-1]}
    kind = "CALL" if isinstance(peer, FakeCsms) else "REQUEST"
    threading.Timer(0.05, lambda: peer.trace.append(_frame({}, name, kind, **meta))).start()
    with pytest.raises(NonConformance) as err:
        session.expect_none(*send, within=2)
    assert err.value.findings[0].rule_id == rule and err.value.findings[0].frame_index == 0
    assert peer.trace[0].findings == err.value.findings


def test_one_expect_and_one_match_in_vgitest() -> None:
    """Every request/response peer's session is a PeerSession, and no module but vgitest/expect.py defines a
    body matcher of its own (a second module-level `matches` / `_matches` is how the three meanings came
    about; methods of that name, e.g. a budget's glob, are other things)."""
    from vgitest.ocpp.csms import StationSession
    from vgitest.openadr.vtn import VenSession
    from vgitest.sep2.server import Sep2Session
    assert all(issubclass(cls, PeerSession) for cls in (StationSession, VenSession, Sep2Session))
    root = Path(vgitest.__file__).parent
    defined = [f"{p.relative_to(root)}:{node.lineno}" for p in root.rglob("*.py")
               for node in ast.parse(p.read_text(encoding="utf-8")).body
               if isinstance(node, ast.FunctionDef) and node.name in ("matches", "_matches")]
    assert defined == [f"expect.py:{_line_of_matches()}"]


def _line_of_matches() -> int:
    import inspect
    return inspect.getsourcelines(matches)[1]

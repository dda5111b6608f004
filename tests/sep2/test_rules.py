"""Every SEP2 rule is registered for protocol 'sep2' and provoked here (SEP2-SCHEMA in test_validator.py,
the codec's rules in test_codec.py too), through the pure checks the fake server will call."""

from __future__ import annotations

import time

import pytest

from vgitest.findings import RULES, Finding, Severity, register_all
from vgitest.sep2 import checks, codec, identity, rules
from vgitest.sep2.validator import Sep2Validator

from .payloads import END_DEVICE, LFDI, RESPONSE, SFDI

OTHER_LFDI = "854D10A201CA99E5E90D3C3E1F9BC1C3BD075F3B"
PROVOKED: set[str] = set()


def provoked(found: list[Finding] | Finding | None) -> list[Finding]:
    out = [found] if isinstance(found, Finding) else list(found or [])
    PROVOKED.update(f.rule_id for f in out)
    return out


def test_rules_are_registered_for_sep2() -> None:
    assert "vgitest.sep2.rules" in __import__("vgitest.findings").findings.RULE_MODULES
    ids = {r.id for r in register_all().for_protocol("sep2")}
    assert {"SEP2-CONTENT-TYPE", "SEP2-HTTP-METHOD", "SEP2-BODY-TOO-LARGE", "SEP2-XML-MALFORMED", "SEP2-XML-HOSTILE",
            "SEP2-SCHEMA", "SEP2-LFDI"} <= ids
    shoulds = {rules.REQUEST_INCOMPLETE, rules.POLL_TOO_OFTEN, rules.POLL_MISSED,  # 2030.5: clients SHOULD poll at pollRate
               rules.FUZZ_INVALID_RESOURCE}  # no clause says what a client does with a schema-invalid resource
    for rule in RULES.for_protocol("sep2"):  # all MUSTs, but a request the client cut short and the poll cadence
        assert (rule.severity is Severity.FAIL or rule.id in shoulds) and rule.ref and rule.title \
            and rule.id.startswith("SEP2-")


@pytest.mark.parametrize("header", ["application/sep+xml", "application/sep+xml; charset=utf-8",
                                    "Application/SEP+XML", " application/sep+xml ;level=1"])
def test_sep_media_type_passes(header: str) -> None:
    assert checks.content_type(header) is None


@pytest.mark.parametrize("header", [None, "", "application/xml", "text/xml", "application/sep-exi",
                                    "application/sep+xml-oops"])
def test_content_type(header: str | None) -> None:
    [f] = provoked(checks.content_type(header, frame_index=2))
    assert f.rule_id == rules.CONTENT_TYPE and f.frame_index == 2 and "application/sep+xml" in f.message


def test_http_method() -> None:
    assert checks.http_method("put", ["GET", "PUT", "DELETE"], "/edev/3") is None
    [f] = provoked(checks.http_method("POST", ["GET", "HEAD"], "/dcap", 5))
    assert f.rule_id == rules.HTTP_METHOD and f.message == "POST /dcap: the resource allows GET, HEAD"
    assert f.details == {"method": "POST", "path": "/dcap", "allowed": ["GET", "HEAD"]}


def test_decode_problems_become_findings() -> None:
    for raw, rule in ((b"<a>", rules.XML_MALFORMED), (b"<!DOCTYPE a><a/>", rules.XML_HOSTILE),
                      (b"<a>" + b" " * 64 + b"</a>", rules.BODY_TOO_LARGE)):
        [f] = provoked(checks.decode_findings(codec.decode(raw, max_bytes=32).problems, 9))
        assert f.rule_id == rule and f.frame_index == 9


def test_schema_finding(sep2_schema_dir: object) -> None:
    d = codec.decode(codec.encode("Response", {**RESPONSE, "status": "x"}))
    [f] = provoked(Sep2Validator().validate(d.doc))
    assert f.rule_id == rules.SCHEMA


def test_end_device_identity() -> None:
    assert checks.identity_findings("EndDevice", END_DEVICE, LFDI) == []
    assert checks.identity_findings("EndDevice", {**END_DEVICE, "lFDI": LFDI.lower()}, LFDI.lower()) == []
    no_lfdi = {k: v for k, v in END_DEVICE.items() if k != "lFDI"}
    assert checks.identity_findings("EndDevice", no_lfdi, LFDI) == []  # optional in the schema

    found = provoked(checks.identity_findings("EndDevice", END_DEVICE, OTHER_LFDI, 3))
    assert [f.details["field"] for f in found] == ["lFDI", "sFDI"]
    assert all(f.rule_id == rules.LFDI and f.frame_index == 3 for f in found)
    assert found[1].details["expected"] == str(identity.sfdi(OTHER_LFDI)) == "357827241281"

    wrong_sfdi = {**END_DEVICE, "sFDI": str(int(SFDI) + 10)}
    [f] = provoked(checks.identity_findings("EndDevice", wrong_sfdi, LFDI))
    assert f.details["field"] == "sFDI" and f.message == (
        f"EndDevice/sFDI is '{int(SFDI) + 10}', the client certificate's SFDI is {SFDI}")
    [f] = checks.identity_findings("EndDevice", {**END_DEVICE, "sFDI": "n/a"}, LFDI)
    assert f.details["written"] == "n/a"


def test_response_identity() -> None:
    assert checks.identity_findings("Response", RESPONSE, LFDI) == []
    [f] = provoked(checks.identity_findings("DERControlResponse", RESPONSE, OTHER_LFDI))
    assert f.details["field"] == "endDeviceLFDI" and OTHER_LFDI in f.message
    assert checks.identity_findings("DeviceCapability", {"@href": "/dcap"}, OTHER_LFDI) == []
    assert checks.identity_findings(None, None, OTHER_LFDI) == []
    with pytest.raises(ValueError):
        checks.identity_findings("Response", RESPONSE, "not-an-lfdi")


def test_every_rule_is_provoked(sep2_schema_dir: object) -> None:
    """Self-contained (pytest-xdist spreads the tests above over workers): one provoking call per rule."""
    found = [checks.content_type("text/xml"), checks.http_method("POST", ["GET"], "/dcap")]
    for raw in (b"<a>", b"<!DOCTYPE a><a/>", b"<a>" + b" " * 64 + b"</a>"):
        found += checks.decode_findings(codec.decode(raw, max_bytes=32).problems, 0)
    found += checks.decode_findings(codec.decode(b"<a " + b" ".join(b'a%d=""' % i for i in range(300)) + b"/>").problems)
    found += _bad_http_findings()
    found += Sep2Validator().validate(codec.decode(codec.encode("Response", {**RESPONSE, "status": "x"})).doc)
    found += checks.identity_findings("EndDevice", END_DEVICE, OTHER_LFDI)
    found += _scenario_findings()
    found += _subscription_findings()
    from .test_trace_checks import Script
    script = Script()
    script.get(0, "/dcap", 60), script.get(1, "/dcap", 60), script.get(200, "/dcap", 60)
    script.serve_control(0, "A1"), script.respond(1, "A1", 3), script.respond(2, "Z9", 1)
    found += checks.run_all(list(script.trace), 0, __import__("vgitest.budgets").budgets.Budgets.load())
    # the rules only a scenario can break are provoked by the reference client's faults (tests/test_fault_matrix.py
    # runs each one and requires its rule id)
    from vgitest.sep2.client.catalog import SEP2_FAULTS
    by_faults = {d.rule for f in SEP2_FAULTS.faults.values() for _, d in f.detections}
    # (the fuzz suite's rules, SEP2-FUZZ-*, are provoked by the reference client's robustness faults)
    to_come: set[str] = set()
    provoked = {f.rule_id for f in found if f is not None} | by_faults
    missing = {r.id for r in RULES.for_protocol("sep2")} - provoked - to_come
    assert missing == set(), f"sep2 rules no test provokes: {sorted(missing)}"
    assert not provoked & to_come, "provoked now: drop them from to_come"


def _bad_http_findings() -> list[Finding]:
    """What the server makes of a request that is not HTTP/1.1 (SEP2-HTTP-MALFORMED): TLS on a plain port."""
    from vgitest.sep2.server import FakeSep2Server

    from ..hostile_http import exchange, framing, wait_for

    with FakeSep2Server(validate=False) as srv:
        exchange(srv.host, srv.port, framing("TLS to plain HTTP", "/", ""))
        assert wait_for(lambda: len(srv.trace) >= 1)
        return [f for fr in srv.trace for f in fr.findings]


def _subscription_findings() -> list[Finding]:
    """A Subscription the server refuses, and the answers to Notifications it judges (pure functions)."""
    from vgitest.sep2 import handlers
    from vgitest.sep2.notify import TAKEN, Delivery, Notifier
    from vgitest.sep2.resources import Sep2State

    state = Sep2State()
    dev = state.register_device(LFDI)
    sub = {"subscribedResource": f"/edev/{dev.number}", "encoding": "0", "level": "+S1", "limit": "1",
           "notificationURI": "http://127.0.0.1:9/n"}
    reply = handlers.answer(state, handlers.Request("POST", f"/edev/{dev.number}/sub", {}, "Subscription", sub, None))
    assert reply.status == 400  # an EndDevice is not offered for subscription
    found = [Finding.of(rule, text) for rule, text in reply.problems]
    d = Delivery("http://127.0.0.1:9/n", sub, b"", None, TAKEN, "change")
    for answer in ({"status": 204}, {"stage": "connect", "error": "refused"}):
        found += [Finding.of(rule, text) for rule, text in Notifier._judge(d, answer)]
    return found


def _scenario_findings() -> list[Finding]:
    """What a test's expectations report: a request that never came, and one that came although forbidden."""
    import threading
    import urllib.request

    from vgitest.sep2.server import FakeSep2Server
    from vgitest.verdict import NonConformance

    srv = FakeSep2Server(validate=False).start()
    try:
        with pytest.raises(NonConformance):
            srv.session.expect("GET", "/edev", 0.1)
        threading.Timer(0.1, lambda: urllib.request.urlopen(srv.url, timeout=5).read()).start()
        with pytest.raises(NonConformance):
            srv.session.expect_none("GET", "/dcap", 3)
        import socket  # a body the client announces and then cuts short
        host, port = srv.base_url.split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /rsps/1/rsp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<Resp")
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1024)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(f.meta.get("incomplete") for f in srv.trace):
            time.sleep(0.05)
        return list(srv.trace.findings) + [f for fr in srv.trace for f in fr.findings]
    finally:
        srv.stop()

"""The fake 2030.5 server from a dumb client's side: the CSIP walk answers with schema-valid resources and the
right status codes, what a client writes lands in the server's state, and bad requests become findings
(with a 4xx answer where HTTP has one), never a crash; over TLS the client is known by its LFDI."""

from __future__ import annotations

import http.client
import ssl
import time
from pathlib import Path
from typing import Iterator

import pytest

from vgitest.sep2 import codec, identity, rules as r, testpki
from vgitest.sep2.server import FakeSep2Server, Raw
from vgitest.sep2.validator import Sep2Validator
from vgitest.verdict import NonConformance

from .payloads import LFDI, RESPONSE

SEP = "application/sep+xml"


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(max_body_bytes=64 * 1024).start()
    yield srv
    srv.stop()


def call(srv: FakeSep2Server, method: str, path: str, body: bytes | None = None, *, ctype: str = SEP,
         ctx: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], codec.Decoded | None]:
    conn = (http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=5) if ctx
            else http.client.HTTPConnection(srv.host, srv.port, timeout=5))
    try:
        conn.request(method, path, body=body, headers={"Content-Type": ctype} if body is not None else {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.getheaders()), codec.decode(data) if data else None
    finally:
        conn.close()


def rules_on(srv: FakeSep2Server) -> list[str]:
    return [f.rule_id for fr in srv.trace for f in fr.findings]


def valid(doc: codec.Decoded | None) -> bool:
    assert doc is not None and doc.doc is not None
    return Sep2Validator().is_valid(doc.doc)


def test_the_csip_walk_is_served_with_valid_resources(server: FakeSep2Server) -> None:
    st = server.state
    st.poll_rate_s = 60
    dev = st.register_device(LFDI, pin=111115)
    prog = st.add_program(1, description="site limits", default={"opModMaxLimW": "10000"})
    ctl = st.add_control(prog, {"opModMaxLimW": "5000"}, start_in_s=120, duration_s=600, randomize_start=30)
    p, c = f"/derp/{prog.number}", f"/derp/{prog.number}/derc/{ctl.number}"
    walk = ["/dcap", "/tm", "/edev", f"/edev/{dev.number}", f"/edev/{dev.number}/rg", f"/edev/{dev.number}/fsa",
            f"/edev/{dev.number}/fsa/1", f"/edev/{dev.number}/fsa/1/derp", p, f"{p}/dderc",
            f"{p}/derc", c, f"{p}/actderc", f"{p}/dc", f"/edev/{dev.number}/der",
            f"/edev/{dev.number}/der/1", "/rsps", "/rsps/1/rsp", "/mup"]
    for path in walk:
        status, headers, doc = call(server, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(SEP), path
        assert valid(doc), (path, Sep2Validator().validate(doc.doc))
    _, _, dcap = call(server, "GET", "/dcap")
    assert dcap.body["@pollRate"] == "60" and dcap.body["EndDeviceListLink"]["@href"] == "/edev"
    _, _, ed = call(server, "GET", f"/edev/{dev.number}")
    assert ed.body["lFDI"] == LFDI and identity.valid_sfdi(ed.body["sFDI"])
    _, _, rg = call(server, "GET", f"/edev/{dev.number}/rg")
    assert rg.body["pIN"] == "111115"
    _, _, got = call(server, "GET", c)
    assert got.body["DERControlBase"] == {"opModMaxLimW": "5000"} and got.body["randomizeStart"] == "30"
    assert got.body["@replyTo"] == "/rsps/1/rsp"
    assert rules_on(server) == []


def test_curves_and_default_settings_are_served_valid(server: FakeSep2Server) -> None:
    """A DERCurve a control links to is served on its own and in its program's list; the DefaultDERControl
    carries its setGradW/setES* after the DERControlBase (whose elements are put in schema order), and an
    empty default (no mode) is still one."""
    st = server.state
    vv = st.add_program(1, default={})
    href = st.add_curve(vv, 11, [(92, 30), (98, 0), (102, 0), (108, -30)], y_ref_type=1, open_loop_tms=100)
    pf = st.add_curve(vv, 13, [(0, 100, False), (100, 90, True)], y_multiplier=-2, description="watt-pf")
    vv.default_base = {"opModWattPF": {"@href": pf}, "opModVoltVar": {"@href": href}}  # served in schema order
    vv.default_settings = {"setESDelay": "0", "setGradW": "2000"}
    bare = st.add_program(2, default={}, default_settings={"setGradW": "500"})
    wv = st.add_curve(vv, 14, [(20, 0), (50, 0), (100, -40)], y_ref_type=2)
    ctl = st.add_control(bare, {"opModVoltVar": {"@href": href}, "opModTargetW": {"multiplier": "0", "value": "-3500"},
                                "opModFixedPFInjectW": {"displacement": "90", "excitation": "true", "multiplier": "-2"},
                                "opModWattVar": {"@href": wv}, "opModEnergize": "false",
                                "opModFixedVar": {"refType": "2", "value": "-2000"}})
    for path in (href, pf, wv, f"/derp/{vv.number}/dc", f"/derp/{vv.number}/dderc", f"/derp/{bare.number}/dderc",
                 f"/derp/{vv.number}", f"/derp/{bare.number}/derc/{ctl.number}"):
        status, _, doc = call(server, "GET", path)
        assert status == 200 and valid(doc), (path, Sep2Validator().validate(doc.doc))
    _, _, curve = call(server, "GET", pf)
    assert curve.body["CurveData"][1] == {"excitation": "true", "xvalue": "100", "yvalue": "90"}
    _, _, dflt = call(server, "GET", f"/derp/{bare.number}/dderc")
    assert dflt.body["DERControlBase"] is not None and dflt.body["setGradW"] == "500" and dflt.body["mRID"]
    assert call(server, "GET", f"/derp/{vv.number}/dc/999")[0] == 404
    with pytest.raises(ValueError):
        st.add_program(3, default={}, default_settings={"setNothing": "1"})


def test_paging_of_lists(server: FakeSep2Server) -> None:
    for primacy in (3, 1, 2):
        server.state.add_program(primacy)
    dev = server.state.register_device(LFDI)
    _, _, doc = call(server, "GET", f"/edev/{dev.number}/fsa/1/derp?s=1&l=1")
    assert doc.body["@all"] == "3" and doc.body["@results"] == "1"
    assert doc.body["DERProgram"]["primacy"] == "2"  # sorted by primacy, second one


def test_what_the_client_writes_is_kept(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    cap = codec.encode("DERCapability", {"modesSupported": "00500088", "rtgMaxW": {"multiplier": "0", "value": "7000"},
                                         "type": "4"})
    status, _, _ = call(server, "PUT", f"/edev/{dev.number}/der/1/dercap", cap)
    assert status == 204 and dev.der["dercap"]["type"] == "4"
    status, headers, _ = call(server, "POST", "/rsps/1/rsp", codec.encode("Response", RESPONSE))
    assert status == 201 and headers["Location"] == "/rsps/1/rsp/1"
    frame = server.session.expect_response(RESPONSE["subject"], 1, timeout=1)
    assert frame.meta["payload"] == "Response"
    mup = codec.encode("MirrorUsagePoint", {"mRID": "0F" * 16, "roleFlags": "03", "serviceCategoryKind": "0",
                                            "status": "1", "deviceLFDI": LFDI})
    status, headers, _ = call(server, "POST", "/mup", mup)
    assert status == 201 and headers["Location"].startswith("/mup/")
    assert rules_on(server) == []


def test_a_mirror_usage_point_is_read_back_updated_and_deleted(server: FakeSep2Server) -> None:
    """The WADL gives a MirrorUsagePoint GET/HEAD (optional) and PUT/POST/DELETE (mandatory for a server): a client
    reading its mirror back (py20305 does, for the postRate) must get it, not a 405 counted against the client."""
    body = {"mRID": "0F" * 16, "roleFlags": "03", "serviceCategoryKind": "0", "status": "1", "deviceLFDI": LFDI}
    status, headers, _ = call(server, "POST", "/mup", codec.encode("MirrorUsagePoint", body))
    href = headers["Location"]
    status, _, doc = call(server, "GET", href)
    assert status == 200 and valid(doc) and doc.body["@href"] == href and doc.body["deviceLFDI"] == LFDI
    assert call(server, "HEAD", href)[0] == 200
    status, _, _ = call(server, "PUT", href, codec.encode("MirrorUsagePoint", {**body, "status": "0"}))
    assert status == 204 and call(server, "GET", href)[2].body["status"] == "0"
    assert call(server, "PUT", href, codec.encode("Response", RESPONSE))[0] == 400
    assert call(server, "DELETE", href)[0] == 204
    assert call(server, "GET", href)[0] == 404 and call(server, "DELETE", href)[0] == 404
    assert rules_on(server) == []


def test_unknown_paths_and_methods(server: FakeSep2Server) -> None:
    assert call(server, "GET", "/nowhere")[0] == 404
    status, headers, _ = call(server, "DELETE", "/dcap")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert rules_on(server) == [r.HTTP_METHOD]


def test_bad_bodies_are_findings_and_400(server: FakeSep2Server) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
              b"<Response>&b;</Response>")
    t0 = time.monotonic()
    status, _, _ = call(server, "POST", "/rsps/1/rsp", laughs)
    assert status == 400 and time.monotonic() - t0 < 2
    assert server.trace[0].raw == laughs and r.XML_HOSTILE in rules_on(server)
    status, _, _ = call(server, "POST", "/rsps/1/rsp", b"<Response><subject>")
    assert status == 400 and r.XML_MALFORMED in rules_on(server)
    status, _, _ = call(server, "POST", "/rsps/1/rsp", codec.encode("Response", {**RESPONSE, "status": "x"}))
    assert status == 400 and r.SCHEMA in rules_on(server)
    status, _, _ = call(server, "POST", "/rsps/1/rsp", codec.encode("Response", RESPONSE), ctype="application/xml")
    assert status == 201 and r.CONTENT_TYPE in rules_on(server)  # served, but flagged


def test_session_expectations_and_shaping(server: FakeSep2Server) -> None:
    s = server.session
    s.reset_for_test()
    call(server, "GET", "/dcap")
    assert s.expect("GET", "/dc*", 1).meta["path"] == "/dcap"
    with pytest.raises(NonConformance):
        s.expect("GET", "/edev/*", 0.2)
    assert r.EXPECTED_REQUEST in [f.rule_id for f in server.trace.findings]
    s.override("GET", "/tm", Raw(503), once=True)
    assert call(server, "GET", "/tm")[0] == 503 and call(server, "GET", "/tm")[0] == 200
    s.outage(0.5)
    assert call(server, "GET", "/dcap")[0] == 500
    time.sleep(0.6)
    assert call(server, "GET", "/dcap")[0] == 200


def test_a_forbidden_request_is_a_finding_on_its_frame(server: FakeSep2Server) -> None:
    """`forbid(method, glob)` works as on the other peers: the request is answered, with SEP2-FORBIDDEN-REQUEST on
    its frame, until `allow`."""
    s = server.session
    s.reset_for_test()
    s.forbid("get", "/edev/*", "the client must not read its EndDevice here")
    assert call(server, "GET", "/edev/1")[0] in (200, 404)
    frame = s.expect("GET", "/edev/*", 1)
    assert [f.rule_id for f in frame.findings] == [r.FORBIDDEN_REQUEST]
    assert "must not read its EndDevice" in frame.findings[0].message
    s.allow("GET", "/edev/*")
    call(server, "GET", "/edev/1")
    assert s.expect("GET", "/edev/*", 1).findings == []


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> testpki.CsipPki:
    return testpki.make(Path(tmp_path_factory.mktemp("csip")))


def test_over_tls_the_client_is_known_by_its_lfdi(sep2_schema_dir: object, pki: testpki.CsipPki) -> None:
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        ctx = pki.client_context(3)
        mine = srv.state.register_device(identity.lfdi(pki.clients[3].cert))
        other = srv.state.register_device(identity.lfdi(pki.clients[4].cert))
        status, _, doc = call(srv, "GET", "/edev", ctx=ctx)
        assert status == 200 and doc.body["@all"] == "1" and doc.body["EndDevice"]["lFDI"] == mine.lfdi
        assert call(srv, "GET", f"/edev/{other.number}", ctx=ctx)[0] == 403
        req = srv.trace[0]
        assert req.meta["client_lfdi"] == mine.lfdi and req.meta["tls"]["cipher"] == "ECDHE-ECDSA-AES128-CCM8"
        wrong = codec.encode("Response", {**RESPONSE, "endDeviceLFDI": other.lfdi})
        assert call(srv, "POST", "/rsps/1/rsp", wrong, ctx=ctx)[0] == 201
        assert rules_on(srv) == [r.LFDI]
    finally:
        srv.stop()


def test_in_band_registration(sep2_schema_dir: object, pki: testpki.CsipPki) -> None:
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        lfdi = identity.lfdi(pki.clients[3].cert)
        body = codec.encode("EndDevice", {"lFDI": lfdi, "sFDI": str(identity.sfdi(lfdi)), "changedTime": "0"})
        status, headers, _ = call(srv, "POST", "/edev", body, ctx=pki.client_context(3))
        assert status == 201 and srv.state.devices[lfdi].number == int(headers["Location"].rsplit("/", 1)[1])
        srv.state.allow_registration = False
        status, _, _ = call(srv, "POST", "/edev", codec.encode("EndDevice", {
            "lFDI": identity.lfdi(pki.clients[2].cert), "sFDI": str(identity.sfdi(identity.lfdi(pki.clients[2].cert))),
            "changedTime": "0"}), ctx=pki.client_context(2))
        assert status == 403
    finally:
        srv.stop()


def test_a_body_cut_short_by_the_client_is_incomplete_not_malformed(server: FakeSep2Server) -> None:
    """A client that closes its connection half-way through a body it announced (a crash, a restart) has not
    sent malformed XML: the request is recorded with what arrived, marked incomplete (an informational
    finding), and never decoded."""
    import socket

    host, port = server.base_url.split("//")[1].split(":")
    body = codec.encode("Response", RESPONSE)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"POST /rsps/1/rsp HTTP/1.1\r\nHost: {host}\r\nContent-Type: {SEP}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)  # the server's answer or the close: either ends the exchange
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(f.meta.get("incomplete") for f in server.trace):
        time.sleep(0.05)
    frame = next(f for f in server.trace if f.meta.get("incomplete"))
    assert frame.raw == body[: len(body) // 2]
    assert [f.rule_id for f in frame.findings] == [r.REQUEST_INCOMPLETE]
    assert not [f for fr in server.trace for f in fr.findings if f.rule_id == r.XML_MALFORMED]


def test_a_cut_answer_announces_more_than_it_sends_then_closes(server: FakeSep2Server) -> None:
    """Raw(announce=n) (the fuzz suites' cut body): the header says Content-Length n, fewer bytes follow, and the
    connection is closed, as when a server dies mid-answer; the trace records what was sent and the length
    announced, so the checks know no resource came of it."""
    import socket

    full = codec.encode("DERControlList", {"@href": "/derp/1/derc", "@all": "0", "@results": "0",
                                           "@subscribable": "0"})
    server.session.reset_for_test()
    server.session.override("GET", "/derp/1/derc", Raw(200, full[:30], {"Content-Type": SEP}, announce=len(full)))
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /derp/1/derc HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while chunk := sock.recv(65536):  # ends: the server closes the connection
            got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and f"Content-Length: {len(full)}".encode() in head
    assert body == full[:30]
    answer = next(f for f in server.trace if f.direction.name == "OUT")
    assert answer.raw == full[:30] and answer.meta["announced"] == len(full)


def test_events_served_as_raw_bytes_may_be_answered(server: FakeSep2Server) -> None:
    """A DERControlList served through Raw (a fuzz case's broken or generated body: the server never decoded it)
    still told the client of its event: a Response naming it is no SEP2-RESPONSE-SUBJECT."""
    from vgitest.budgets import Budgets
    from vgitest.sep2 import checks

    mrid = "F0E1D2C3B4A5968778695A4B3C2D1E0F"
    doc = (f'<DERControlList xmlns="urn:ieee:std:2030.5:ns" href="/derp/1/derc" all="1" results="1">'
           f'<DERControl href="/derp/1/derc/1"><mRID>{mrid}</mRID></DERControl></DERControlList>').encode()
    server.session.reset_for_test()
    server.session.override("GET", "/derp/1/derc", Raw(200, doc, {"Content-Type": SEP}), once=True)
    assert call(server, "GET", "/derp/1/derc")[0] == 200
    rsp = codec.encode("Response", {**RESPONSE, "subject": mrid})
    call(server, "POST", "/rsps/1/rsp", rsp)
    posted = server.session.expect("POST", "/rsps/1/rsp", 2)
    assert posted.body["subject"] == mrid  # the Response was read
    found = checks.run_all(list(server.trace), 0, Budgets.load())
    assert r.RESPONSE_SUBJECT not in [f.rule_id for f in found], [str(f) for f in found]


def test_the_runs_start_of_the_client_is_noted_as_a_restart(sep2_schema_dir: object) -> None:
    """A simulated DUT started by the run walks its resources (py20305: twice, 1.5 s apart, the second once its
    telemetry is up). The peer notes that start as it notes every restart a test asks for, so that walk is no
    SEP2-POLL-TOO-OFTEN in the first case's frames; polls after it are judged as ever."""
    from vgitest.budgets import Budgets
    from vgitest.sep2 import checks
    from vgitest.sep2.peer import Sep2Peer

    peer = Sep2Peer(validate=False).start()
    try:
        peer.state.poll_rate_s = 10
        status = [call(peer, "GET", "/dcap")[0]]
        peer.simulator_started(object())  # the simulator's start() returned once it had its first answer
        time.sleep(1.2)
        status += [call(peer, "GET", "/dcap")[0]]  # its second start-up walk
        assert status == [200, 200]
        assert [f.rule_id for f in checks.run_all(list(peer.trace), 0, Budgets.load())] == []
        time.sleep(checks.RESTART_BURST_S + 0.2)
        call(peer, "GET", "/dcap")  # past the start-up burst: a poll 2 s after the last is too soon
        assert [f.rule_id for f in checks.run_all(list(peer.trace), 0, Budgets.load())] == [r.POLL_TOO_OFTEN]
    finally:
        peer.stop()

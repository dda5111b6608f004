"""Subscription and Notification on the fake 2030.5 server, against a dumb listener that answers what the test
scripts: Subscriptions are refused when they cannot work (404/400 with a finding), a change of a subscribed
resource is POSTed as a schema-valid Notification honouring the limit, every exchange is two frames, and a
wrong, missing or undeliverable answer is a finding, never a crash or a stalled server; over CSIP TLS the
server notifies with its own certificate and checks the listener's."""

from __future__ import annotations

import asyncio
import http.client
import ssl
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiohttp import web

from vgitest.loop import BackgroundLoop
from vgitest.sep2 import codec, rules as r, testpki
from vgitest.sep2.server import FakeSep2Server
from vgitest.sep2.validator import Sep2Validator
from vgitest.trace import Direction, Frame

from .payloads import LFDI

SEP = "application/sep+xml"


class Listener:
    """A notification listener on loopback that answers each POST with the next scripted status (201 when the
    script is empty), optionally after a delay; it keeps what it received."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.statuses: list[int] = []
        self.delay = 0.0
        self.received: list[bytes] = []
        self.bg = BackgroundLoop("test-listener")
        self._runner: web.AppRunner | None = None
        self.port = self.bg.run(self._start(ssl_context))
        self.uri = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}/ntfy"

    async def _start(self, ctx: ssl.SSLContext | None) -> int:
        app = web.Application()
        app.router.add_post("/ntfy", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _answer(self, request: web.Request) -> web.Response:
        self.received.append(await request.read())
        await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 201)

    def stop(self) -> None:
        if self._runner is not None:
            self.bg.run(self._runner.cleanup())
        self.bg.stop()


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(notify_timeout_s=1.5).start()
    yield srv
    srv.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.stop()


def call(srv: FakeSep2Server, method: str, path: str, body: bytes | None = None,
         ctx: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], codec.Decoded | None]:
    conn = (http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=5) if ctx
            else http.client.HTTPConnection(srv.host, srv.port, timeout=5))
    try:
        conn.request(method, path, body=body, headers={"Content-Type": SEP} if body is not None else {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.getheaders()), codec.decode(data) if data else None
    finally:
        conn.close()


def subscribe(srv: FakeSep2Server, dev: int, resource: str, uri: str, limit: int = 255,
              ctx: ssl.SSLContext | None = None) -> tuple[int, dict[str, str]]:
    body = codec.encode("Subscription", {"subscribedResource": resource, "encoding": "0", "level": "+S1",
                                         "limit": str(limit), "notificationURI": uri})
    status, headers, _ = call(srv, "POST", f"/edev/{dev}/sub", body, ctx)
    return status, headers


def answers(srv: FakeSep2Server, n: int, timeout: float = 5.0) -> list[Frame]:
    """Wait for `n` answers (or failed deliveries) to Notifications."""
    deadline = time.monotonic() + timeout
    while True:
        got = [f for f in srv.trace if f.direction is Direction.IN and f.kind == "RESPONSE"
               and f.meta.get("notification")]
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def sent(srv: FakeSep2Server) -> list[Frame]:
    return [f for f in srv.trace if f.direction is Direction.OUT and f.meta.get("notification")]


def rules_on(frames: Any) -> list[str]:
    return [x.rule_id for f in frames for x in f.findings]


def test_subscriptions_are_kept_listed_and_refused_when_they_cannot_work(server: FakeSep2Server) -> None:
    st = server.state
    dev = st.register_device(LFDI)
    prog = st.add_program(1, default={"opModMaxLimW": "9000"})
    n = dev.number
    for path in (f"/edev/{n}/fsa", f"/edev/{n}/fsa/1/derp", f"/derp/{prog.number}/derc",
                 f"/derp/{prog.number}/dderc"):
        _, _, doc = call(server, "GET", path)
        assert doc is not None and doc.body["@subscribable"] == "1", path
    status, headers = subscribe(server, n, f"/derp/{prog.number}/derc", "http://127.0.0.1:9/ntfy")
    assert status == 201 and headers["Location"].startswith(f"/edev/{n}/sub/")
    assert subscribe(server, n, f"/derp/{prog.number}/derc", "http://127.0.0.1:9/ntfy")[0] == 204  # the same one
    assert subscribe(server, n, "/derp/999/derc", "http://127.0.0.1:9/ntfy")[0] == 404  # no such resource
    assert subscribe(server, n, f"/derp/{prog.number}", "http://127.0.0.1:9/ntfy")[0] == 400  # not subscribable
    assert subscribe(server, n, f"/derp/{prog.number}/derc", "/ntfy")[0] == 400  # not an absolute URI
    assert rules_on(server.trace) == [r.SUBSCRIPTION, r.SUBSCRIPTION]
    status, _, doc = call(server, "GET", f"/edev/{n}/sub")
    assert status == 200 and doc is not None and doc.body["@all"] == "1"
    assert Sep2Validator().is_valid(doc.doc)
    href = headers["Location"]
    assert call(server, "GET", href)[0] == 200
    assert call(server, "DELETE", href)[0] == 204 and call(server, "GET", href)[0] == 404
    assert not dev.subscriptions and server.session.subscriptions() == []


def test_a_change_is_notified_with_the_limit_and_recorded(server: FakeSep2Server, listener: Listener) -> None:
    st = server.state
    dev = st.register_device(LFDI)
    prog = st.add_program(1)
    derc = f"/derp/{prog.number}/derc"
    assert subscribe(server, dev.number, derc, listener.uri, limit=1)[0] == 201
    assert subscribe(server, dev.number, f"/edev/{dev.number}/fsa/1/derp", listener.uri, limit=0)[0] == 201
    time.sleep(0.4)
    assert sent(server) == []  # nothing changed since the subscriptions were made
    first = st.add_control(prog, {"opModMaxLimW": "5000"})
    st.add_control(prog, {"opModMaxLimW": "4000"})
    got = answers(server, 2)
    assert got and not rules_on(got) and all(f.meta["status"] == 201 for f in got)
    notes = [f for f in sent(server) if f.meta["subscribed"] == derc]
    last = codec.decode(notes[-1].raw)
    assert last.doc is not None and Sep2Validator().is_valid(last.doc)
    res = last.body["Resource"]
    assert res["@xsi:type"] == "DERControlList" and res["@all"] == "2" and res["@results"] == "1"
    assert res["DERControl"]["mRID"] == first.mrid  # at most `limit` items
    assert last.body["subscriptionURI"] == f"{server.base_url}/edev/{dev.number}/sub/" + \
        notes[-1].meta["subscription"].rsplit("/", 1)[1]
    lists = [codec.decode(f.raw).body for f in sent(server) if f.meta["subscribed"].endswith("/derp")]
    assert lists and all(b["Resource"]["@results"] == "0" and "DERProgram" not in b["Resource"] for b in lists)
    notify_wires = [w for w in server.wires if w.connection.startswith("notify-")]
    assert len(notify_wires) == len(listener.received) == len(sent(server))  # one connection each


def test_fewer_items_than_the_limit_and_the_end_of_a_subscription(server: FakeSep2Server, listener: Listener) -> None:
    st, s = server.state, server.session
    dev = st.register_device(LFDI)
    prog = st.add_program(1)
    derc = f"/derp/{prog.number}/derc"
    subscribe(server, dev.number, derc, listener.uri)
    s.limit_notification_items(1)
    st.add_control(prog, {"opModMaxLimW": "5000"})
    st.add_control(prog, {"opModMaxLimW": "4000"})
    assert answers(server, 1)
    s.expect_notification(derc, 3, since=0)
    body = codec.decode(sent(server)[-1].raw).body
    assert body["Resource"]["@results"] == "1"
    st.programs.remove(prog)  # not through a helper: the sweep still hears of it
    deadline = time.monotonic() + 3
    while dev.subscriptions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not dev.subscriptions
    gone = codec.decode(sent(server)[-1].raw).body
    assert gone["status"] == "4" and "Resource" not in gone


def test_wrong_missing_and_undeliverable_answers_are_findings(server: FakeSep2Server, listener: Listener) -> None:
    st, s = server.state, server.session
    dev = st.register_device(LFDI)
    prog = st.add_program(1)
    derc = f"/derp/{prog.number}/derc"
    subscribe(server, dev.number, derc, listener.uri)
    listener.statuses = [200]
    mark = len(server.trace)
    ctl = st.add_control(prog, {"opModMaxLimW": "5000"})
    frame = s.expect_notification(derc, 3, since=mark)
    assert frame.meta["status"] == 200 and rules_on([frame]) == [r.NOTIFICATION_ANSWER]
    listener.delay = 3.0  # longer than the server waits (1.5 s): no answer
    mark = len(server.trace)
    st.cancel(ctl)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.5:  # meanwhile the server answers its clients as ever
        assert call(server, "GET", "/dcap")[0] == 200
    frame = s.expect_notification(derc, 3, since=mark)
    assert "error" in frame.meta and rules_on([frame]) == [r.NOTIFICATION_ANSWER]
    listener.delay = 0
    frame = s.notify(derc, b"<Notification><broken", expect=400)  # the listener says 201 to anything
    assert frame.meta["status"] == 201 and rules_on([frame]) == [r.NOTIFICATION_ANSWER]
    listener.statuses = [201]
    frame = s.cancel_subscription(derc)
    body = codec.decode(sent(server)[-1].raw).body
    assert body["status"] == "1" and "Resource" not in body and not rules_on([frame]) and not dev.subscriptions
    subscribe(server, dev.number, derc, "http://127.0.0.1:9/ntfy")  # nothing listens there
    mark = len(server.trace)
    st.add_control(prog, {"opModMaxLimW": "3000"})
    frame = s.expect_notification(derc, 5, since=mark)
    assert frame.name == "(not delivered)" and rules_on([frame]) == [r.NOTIFICATION_URI]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> testpki.CsipPki:
    return testpki.make(Path(tmp_path_factory.mktemp("csip-notify")))


def test_over_csip_tls_the_server_notifies_with_its_certificate(sep2_schema_dir: object,
                                                                pki: testpki.CsipPki) -> None:
    srv = FakeSep2Server(ssl_context=pki.server_context(3), notify_ssl_context=pki.notifier_context(3),
                         notify_timeout_s=2).start()
    files = pki.files(3)
    from vgitest.sep2 import security
    good = Listener(security.server_context_files(files["tls_cert"], files["tls_key"], files["tls_ca"]))
    stranger = Listener(security.server_context(pki.foreign_client, pki.foreign_serca, pki.folder / "stranger"))
    try:
        ctx = pki.client_context(3)
        dev = srv.state.register_device(files["lfdi"])
        prog = srv.state.add_program(1)
        derc = f"/derp/{prog.number}/derc"
        assert subscribe(srv, dev.number, derc, good.uri, ctx=ctx)[0] == 201
        srv.state.add_control(prog, {"opModMaxLimW": "5000"})
        frame = srv.session.expect_notification(derc, 5, since=0)
        assert frame.meta["status"] == 201 and not frame.findings
        wire = next(w for w in srv.wires if w.connection.startswith("notify"))
        assert wire.tls
        assert subscribe(srv, dev.number, f"/edev/{dev.number}/fsa/1/derp", stranger.uri, ctx=ctx)[0] == 201
        mark = len(srv.trace)
        srv.state.add_program(2)
        frame = srv.session.expect_notification("/edev/*/fsa/1/derp", 5, since=mark)
        assert rules_on([frame]) == [r.NOTIFICATION_URI]  # its certificate is not under our SERCA
    finally:
        good.stop()
        stranger.stop()
        srv.stop()

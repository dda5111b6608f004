"""The reference DER client in subscription mode, against the real fake 2030.5 server on loopback: over CSIP TLS
it subscribes to what it follows, answers Notifications 201 and acts on them long before its next poll (the
pollRate here is 30 s), reads a partial list in full, refuses what it cannot read with 400 and forgets a
subscription the server ended; and its subscription faults show on the wire."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from vgitest.budgets import Budgets
from vgitest.sep2 import checks, rules as r, testpki
from vgitest.sep2.client.reference import ReferenceDerClient
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction


POLL_S = 30  # a Response within a few seconds of a change can only come from the Notification
SOON_S = 3.0
LIMIT = {"opModMaxLimW": "5000"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> testpki.CsipPki:
    return testpki.make(Path(tmp_path_factory.mktemp("csip-sub")))


@pytest.fixture
def server(sep2_schema_dir: object, pki: testpki.CsipPki) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(ssl_context=pki.server_context(3), notify_ssl_context=pki.notifier_context(3),
                         notify_timeout_s=2).start()
    srv.state.poll_rate_s = POLL_S
    yield srv
    srv.stop()


@contextlib.contextmanager
def running(srv: FakeSep2Server, pki: testpki.CsipPki, *faults: str) -> Iterator[ReferenceDerClient]:
    params: dict[str, Any] = {**pki.files(3), "subscribe": True, "post_rate_s": 5, "random_seed": 7}
    srv.state.register_device(params["lfdi"])
    client = ReferenceDerClient(srv.url, faults=faults, params=params).start()
    try:
        yield client
    finally:
        client.stop()


def findings(srv: FakeSep2Server) -> list[str]:
    return ([f.rule_id for fr in srv.trace for f in fr.findings]
            + [f.rule_id for f in checks.run_all(list(srv.trace), 0, Budgets.load())])


def test_subscribes_answers_201_and_acts_at_once(server: FakeSep2Server, pki: testpki.CsipPki) -> None:
    st, s = server.state, server.session
    prog = st.add_program(1, default={"opModMaxLimW": "9000"})
    with running(server, pki) as client:
        for path in ("/edev/*/fsa", "/edev/*/fsa/1/derp", f"/derp/{prog.number}/derc",
                     f"/derp/{prog.number}/dderc"):
            s.expect_subscription(path, 8)
        assert all(sub["notificationURI"] == client.notification_uri for sub in s.subscriptions())
        late = st.add_program(2)  # heard of by the program list's Notification, not by a poll
        s.expect_subscription(f"/derp/{late.number}/derc", SOON_S)
        mark = len(server.trace)
        ctl = st.add_control(late, LIMIT, start_in_s=20)
        answer = s.expect_notification(f"/derp/{late.number}/derc", SOON_S, since=mark)
        assert answer.meta["status"] == 201
        got = s.expect_response(ctl.mrid, 1, SOON_S)
        assert got.t_ns - answer.t_ns < SOON_S * 1e9
        st.cancel(ctl)
        s.expect_response(ctl.mrid, 6, SOON_S)
        wire = next(w for w in server.wires if w.connection.startswith("notify"))
        assert wire.tls
    assert findings(server) == []


def test_partial_lists_malformed_and_ended_subscriptions(server: FakeSep2Server, pki: testpki.CsipPki) -> None:
    st, s = server.state, server.session
    prog = st.add_program(1)
    derc = f"/derp/{prog.number}/derc"
    with running(server, pki) as client:
        s.expect_subscription(derc, 8)
        s.limit_notification_items(1)
        first = st.add_control(prog, LIMIT, start_in_s=20)
        second = st.add_control(prog, {"opModMaxLimW": "4000"}, start_in_s=25)
        s.expect_response(first.mrid, 1, SOON_S)
        s.expect_response(second.mrid, 1, SOON_S)  # it read the rest of the list
        broken = s.notify(derc, b"<Notification xmlns='urn:ieee:std:2030.5:ns'><subscribedResource>")
        assert broken.meta["status"] == 400 and not broken.findings
        ended = s.cancel_subscription(derc)
        assert ended.meta["status"] == 201 and not ended.findings
        assert derc in client.ended_subscriptions and derc not in client.subscriptions
    assert findings(server) == []


def test_answering_200_and_subscribing_to_the_program_show(server: FakeSep2Server, pki: testpki.CsipPki) -> None:
    st, s = server.state, server.session
    prog = st.add_program(1)
    with running(server, pki, "notification_wrong_status", "subscribes_to_wrong_resource"):
        s.expect_subscription("/edev/*/fsa/1/derp", 8)
        mark = len(server.trace)
        st.add_program(2)
        answer = s.expect_notification("/edev/*/fsa/1/derp", SOON_S, since=mark)
        assert answer.meta["status"] == 200 and [f.rule_id for f in answer.findings] == [r.NOTIFICATION_ANSWER]
        refused = s.expect("POST", "/edev/*/sub", SOON_S, {"subscribedResource": f"/derp/{prog.number}"}, fresh=False)
        assert s.answer_to(refused).meta["status"] == 400
        assert [f.rule_id for f in refused.findings] == [r.SUBSCRIPTION]


def test_ignoring_notifications_waits_for_the_poll(server: FakeSep2Server, pki: testpki.CsipPki) -> None:
    st, s = server.state, server.session
    prog = st.add_program(1)
    with running(server, pki, "ignores_notifications"):
        s.expect_subscription(f"/derp/{prog.number}/derc", 8)
        ctl = st.add_control(prog, LIMIT, start_in_s=20)
        s.expect_notification(f"/derp/{prog.number}/derc", SOON_S, since=0)
        time.sleep(SOON_S)
        assert not [f for f in s.requests(0) if f.direction is Direction.IN and isinstance(f.body, dict)
                    and f.body.get("subject") == ctl.mrid]


def test_a_subscription_the_server_failed_is_made_again_but_a_refused_one_is_not() -> None:
    """The reference client's Subscription POST answered 5xx (the server was down, as in ERR-001's outage) is
    tried again at its next read of the list; a refusal (4xx) is final. Before, a 500 was taken as a refusal, and
    ERR-002 after ERR-001 found the client without the subscriptions its preamble needs."""
    import asyncio
    from types import SimpleNamespace

    from vgitest.sep2.client.subscriptions import Subscriber

    answers: list[int] = []

    async def write(method: str, url: str, name: str, body: dict) -> tuple[int, dict, None]:
        status = answers.pop(0)
        return status, ({"Location": "/edev/1/sub/1"} if status == 201 else {}), None

    sub = Subscriber.__new__(Subscriber)
    sub.core = SimpleNamespace(has=lambda fault: False, http=SimpleNamespace(write=write))
    sub.registration = SimpleNamespace(edev_links={"SubscriptionListLink": "/edev/1/sub"})
    sub.subscriptions, sub.ended, sub.port = {}, set(), 4321
    sub.core.http.ssl_context = None
    listed = {"@subscribable": "1"}

    def subscribe(status: int) -> dict[str, str]:
        answers.append(status)
        asyncio.run(sub.subscribe("/edev/1/fsa/1/derp", "DERProgramList", listed))
        return dict(sub.subscriptions)

    assert subscribe(500) == {} and subscribe(503) == {}  # the next read tries again
    assert subscribe(201) == {"/edev/1/fsa/1/derp": "/edev/1/sub/1"}
    sub.subscriptions.clear()
    assert subscribe(400) == {"/edev/1/fsa/1/derp": ""}  # refused: not asked again
    answers.append(201)
    asyncio.run(sub.subscribe("/edev/1/fsa/1/derp", "DERProgramList", listed))
    assert answers == [201]  # no second POST

"""The fake OpenADR 3 VTN playing 3.1.0 (vgitest/openadr3/versions.py): each difference from 3.0.1 shown on a good
request (no finding) and on the bad one, which is the other version's form (the finding)."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import HTTPServer
from typing import Iterator

import pytest

from tests.openadr3.test_vtn import _Hook, call, last_request, rules_of, token
from vgitest.openadr3 import rules as r
from vgitest.openadr3.store import Client
from vgitest.openadr3.versions import dialect
from vgitest.openadr3.vtn import FakeVtn3


@pytest.fixture
def vtn31() -> Iterator[FakeVtn3]:
    with FakeVtn3(clients=(Client("ven", "s3cret"),), version="3.1.0") as v:
        yield v


def _event(start: dt.datetime) -> dict:
    return {"intervalPeriod": {"start": start.isoformat(), "duration": "PT1H"},
            "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}]}


def test_it_serves_below_its_own_version_and_only_that() -> None:
    with FakeVtn3(version="3.1.0") as v:
        assert v.url.endswith("/openadr3/3.1.0") and v.version == "3.1.0"
        assert call(v, "GET", "/auth/server") == (200, {"tokenURL": v.url + "/auth/token"})
        assert call(v, "GET", "/../3.0.1/auth/server")[0] == 404
        assert rules_of(last_request(v)) == [r.HTTP_PATH]
    with pytest.raises(ValueError, match="3.0.1, 3.1.0"):
        dialect("3.2")


def test_notifiers_answer_webhook_in_310_and_are_no_path_of_301(vtn31: FakeVtn3) -> None:
    tok = token(vtn31)[1]["access_token"]
    assert call(vtn31, "GET", "/notifiers", token=tok) == (200, {"WEBHOOK": True})
    assert rules_of(last_request(vtn31)) == [] and rules_of(vtn31.trace[-1]) == []  # the answer checks too
    assert call(vtn31, "GET", "/notifiers")[0] == 401  # the token is required
    with FakeVtn3(clients=(Client("ven", "s3cret"),)) as v301:
        tok = token(v301)[1]["access_token"]
        assert call(v301, "GET", "/notifiers", token=tok)[0] == 404
        assert rules_of(last_request(v301)) == [r.HTTP_PATH]


def test_a_ven_writes_its_ven_object_as_a_ven_ven_request(vtn31: FakeVtn3) -> None:
    tok = token(vtn31)[1]["access_token"]
    code, ven = call(vtn31, "POST", "/vens", {"objectType": "VEN_VEN_REQUEST", "venName": "a"}, token=tok)
    assert code == 201 and ven["objectType"] == "VEN" and rules_of(last_request(vtn31)) == []
    assert call(vtn31, "POST", "/vens", {"venName": "b"}, token=tok)[0] == 400  # 3.0.1's form: no request type
    assert rules_of(last_request(vtn31)) == [r.SCHEMA]
    assert call(vtn31, "POST", "/vens", {"objectType": "VEN", "venName": "c"}, token=tok)[0] == 400
    assert rules_of(last_request(vtn31)) == [r.SCHEMA]
    assert call(vtn31, "POST", f"/vens/{ven['id']}/resources", {"resourceName": "r"}, token=tok)[0] == 404
    assert rules_of(last_request(vtn31)) == [r.HTTP_PATH]  # 3.1.0 moved resources to /resources


def test_subscriptions_and_notifications_name_crud_operations(vtn31: FakeVtn3) -> None:
    hook = type("Hook", (_Hook,), {"status": 200, "seen": []})
    server = HTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tok = token(vtn31)[1]["access_token"]
        url = f"http://127.0.0.1:{server.server_port}/n"
        old = {"clientName": "c", "programID": vtn31.session.program_id,
               "objectOperations": [{"objects": ["EVENT"], "operations": ["POST"], "callbackUrl": url}]}
        assert call(vtn31, "POST", "/subscriptions", old, token=tok)[0] == 400
        assert rules_of(last_request(vtn31)) == [r.SCHEMA]
        new = {**old, "objectOperations": [{"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": url}]}
        assert call(vtn31, "POST", "/subscriptions", new, token=tok)[0] == 201
        start = len(vtn31.trace)
        ev = vtn31.session.create_event(_event(dt.datetime.now(dt.timezone.utc)))
        done = vtn31.wait_notified(start, 5)
        assert done is not None and done.meta["status"] == 200
        assert hook.seen == [{"objectType": "EVENT", "operation": "CREATE", "object": ev}]
        sent = [f for f in vtn31.trace.since(start) if f.kind == "NOTIFY"]
        assert len(sent) == 1 and rules_of(sent[0]) == []
    finally:
        server.shutdown()
        server.server_close()


def test_the_events_window_filters_and_a_bad_moment_is_refused(vtn31: FakeVtn3) -> None:
    tok = token(vtn31)[1]["access_token"]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    soon = vtn31.session.create_event(_event(now + dt.timedelta(hours=1)), notify=False)
    late = vtn31.session.create_event(_event(now + dt.timedelta(days=10)), notify=False)
    q = f"dateStart={(now - dt.timedelta(days=1)).isoformat()}&dateEnd={(now + dt.timedelta(days=4)).isoformat()}"
    code, found = call(vtn31, "GET", "/events?" + q.replace("+00:00", "Z"), token=tok)
    assert code == 200 and [e["id"] for e in found] == [soon["id"]] and rules_of(last_request(vtn31)) == []
    assert {e["id"] for e in call(vtn31, "GET", "/events", token=tok)[1]} == {soon["id"], late["id"]}
    assert call(vtn31, "GET", "/events?dateStart=tomorrow", token=tok)[0] == 400
    assert rules_of(last_request(vtn31)) == [r.QUERY]
    assert call(vtn31, "GET", "/events?dateEnd=2026-12-07T10:00:00", token=tok)[0] == 400  # no offset
    assert rules_of(last_request(vtn31)) == [r.QUERY]


def test_a_report_may_name_its_event_only(vtn31: FakeVtn3) -> None:
    tok = token(vtn31)[1]["access_token"]
    ev = vtn31.session.create_event(_event(dt.datetime.now(dt.timezone.utc)), notify=False)
    report = {"eventID": ev["id"], "clientName": "c", "resources": []}
    assert call(vtn31, "POST", "/reports", report, token=tok)[0] == 201 and rules_of(last_request(vtn31)) == []
    assert call(vtn31, "POST", "/reports", {**report, "programID": "program-x"}, token=tok)[0] == 400
    assert rules_of(last_request(vtn31)) == [r.REPORT_REFERENCE]  # a program it names must still be the event's
    with FakeVtn3(clients=(Client("ven", "s3cret"),)) as v301:  # 3.0.1 requires the program
        tok = token(v301)[1]["access_token"]
        ev = v301.session.create_event(_event(dt.datetime.now(dt.timezone.utc)), notify=False)
        assert call(v301, "POST", "/reports", {**report, "eventID": ev["id"]}, token=tok)[0] == 400
        assert rules_of(last_request(v301)) == [r.SCHEMA]

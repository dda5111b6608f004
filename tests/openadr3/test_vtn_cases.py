"""What the fake OpenADR 3 VTN adds for the cases TC_VGI_OA3_14..31, each shown on a good request (no finding)
and a bad one (the finding): token expiry, a 404 for an object the VTN's side deleted (excused once), a second
resource of one name, a forced answer's headers (Retry-After), event changes notified as PUT, and a raw body
posted to a callback."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from http.server import HTTPServer
from typing import Iterator

import pytest

from vgitest.openadr3 import rules as r
from vgitest.openadr3.store import Client
from vgitest.openadr3.vtn import IN_FLIGHT_S, FakeVtn3, Raw

from .test_vtn import _Hook, call, last_request, rules_of, token

EVENT = {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}],
         "reportDescriptors": [{"payloadType": "USAGE"}]}


@pytest.fixture
def vtn() -> Iterator[FakeVtn3]:
    with FakeVtn3(clients=(Client("ven", "s3cret"),)) as v:
        yield v


def test_an_expired_token_is_refused_and_late_use_is_a_finding(vtn: FakeVtn3) -> None:
    vtn.session.set_token_lifetime(1)
    tok = token(vtn)[1]
    assert tok["expires_in"] == 1
    assert call(vtn, "GET", "/events", token=tok["access_token"])[0] == 200
    time.sleep(1 + IN_FLIGHT_S + 0.1)
    assert call(vtn, "GET", "/events", token=tok["access_token"])[0] == 401
    frame = last_request(vtn)
    assert frame.meta["auth"] == "expired" and rules_of(frame) == [r.AUTH_EXPIRED]
    vtn.session.reset_for_test()  # the next case gets the default lifetime back
    assert token(vtn)[1]["expires_in"] == vtn.token_lifetime_s


def test_a_404_for_what_the_vtn_deleted_is_excused_once(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    ev = vtn.session.create_event(EVENT)
    report = {"programID": ev["programID"], "eventID": ev["id"], "clientName": "c", "resources": []}
    status, made = call(vtn, "POST", "/reports", report, token=tok)
    assert status == 201
    vtn.session.delete_object("reports", made["id"])
    assert call(vtn, "PUT", f"/reports/{made['id']}", report, token=tok)[0] == 404
    assert rules_of(last_request(vtn)) == []  # the VEN could not know
    time.sleep(IN_FLIGHT_S + 0.1)
    assert call(vtn, "PUT", f"/reports/{made['id']}", report, token=tok)[0] == 404
    assert rules_of(last_request(vtn)) == [r.NOT_FOUND]  # after that 404 it could


def test_a_second_resource_of_one_name_is_refused(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    _, ven = call(vtn, "POST", "/vens", {"venName": "v"}, token=tok)
    res = {"resourceName": "r1"}
    assert call(vtn, "POST", f"/vens/{ven['id']}/resources", res, token=tok)[0] == 201
    assert rules_of(last_request(vtn)) == []
    assert call(vtn, "POST", f"/vens/{ven['id']}/resources", res, token=tok)[0] == 409
    assert rules_of(last_request(vtn)) == [r.RESOURCE_DUPLICATE]


def test_a_forced_answer_carries_its_headers(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    vtn.session.override("GET /events", Raw(429, {"status": 429, "title": "Too Many Requests"},
                                            {"Retry-After": "2"}), once=True)
    req = urllib.request.Request(vtn.url + "/events", headers={"Authorization": f"Bearer {tok}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "2"
    assert call(vtn, "GET", "/events", token=tok)[0] == 200  # once only


def test_a_changed_event_is_notified_as_put_and_a_raw_body_is_posted_unchecked(vtn: FakeVtn3) -> None:
    hook = type("Hook", (_Hook,), {"status": 200, "seen": []})
    server = HTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/n"
    try:
        tok = token(vtn)[1]["access_token"]
        sub = {"clientName": "c", "programID": vtn.session.program_id, "objectOperations": [
            {"objects": ["EVENT"], "operations": ["PUT"], "callbackUrl": url}]}
        assert call(vtn, "POST", "/subscriptions", sub, token=tok)[0] == 201
        ev = vtn.session.create_event(EVENT)  # POST: not asked for
        start = len(vtn.trace)
        new = vtn.session.update_event(ev, {"eventName": "changed"})
        assert new["modificationDateTime"] >= ev["modificationDateTime"] and new["eventName"] == "changed"
        done = vtn.wait_notified(start, 5)
        assert done is not None and rules_of(done) == []
        assert [(n["operation"], n["object"]["eventName"]) for n in hook.seen] == [("PUT", "changed")]
        answer = vtn.session.post_raw(url, b'{"objectType": "EVENT"}', None, 5)
        assert answer is not None and answer.meta["status"] == 200 and answer.meta["raw"]
        sent = [f for f in vtn.trace if f.kind == "NOTIFY" and f.meta.get("raw")]
        assert len(sent) == 1 and rules_of(sent[0]) == []  # not a notification, and not judged as the fake's
        assert vtn.wait_notified(done.index + 1, 0.2) is None  # a raw post is not a notification's answer
    finally:
        server.shutdown()
        server.server_close()

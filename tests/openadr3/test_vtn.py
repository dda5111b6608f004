"""The fake OpenADR 3 VTN on its own (no DUT): what it answers and which finding each bad request leaves, the
page a search returns, notifications to a callback URL, and the body checks (structural, or the user's OpenAPI
document). Every check is shown on a good request (no finding) and a bad one (the finding)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from vgitest.openadr3 import rules as r
from vgitest.openadr3.schema import STRUCTURAL_LABEL, Schemas
from vgitest.openadr3.store import Client
from vgitest.openadr3.vtn import FakeVtn3
from vgitest.trace import Direction, Frame


@pytest.fixture
def vtn() -> Iterator[FakeVtn3]:
    with FakeVtn3(clients=(Client("ven", "s3cret"), Client("bl", "bl-secret", role="bl"))) as v:
        yield v


def call(vtn: FakeVtn3, method: str, path: str, body: Any = None, *, token: str | None = None,
         ctype: str = "application/json", raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(vtn.url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def token(vtn: FakeVtn3, client: str = "ven", secret: str = "s3cret") -> tuple[int, Any]:
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client,
                                   "client_secret": secret}).encode()
    return call(vtn, "POST", "/auth/token", raw=form, ctype="application/x-www-form-urlencoded")


def last_request(vtn: FakeVtn3) -> Frame:
    return [f for f in vtn.trace if f.direction is Direction.IN and f.kind == "REQUEST"][-1]


def rules_of(frame: Frame) -> list[str]:
    return [f.rule_id for f in frame.findings]


def test_a_token_is_issued_for_the_right_secret_only(vtn: FakeVtn3) -> None:
    status, doc = token(vtn, secret="wrong")
    assert status == 401 and rules_of(last_request(vtn)) == [r.AUTH_CLIENT]
    status, doc = token(vtn)
    assert status == 200 and doc["token_type"] == "Bearer" and rules_of(last_request(vtn)) == []
    assert last_request(vtn).body["client_secret"] == "***"  # the secret is not kept in the evidence
    status, _ = call(vtn, "POST", "/auth/token", {"grant_type": "client_credentials"})  # JSON, not a form
    assert status == 400 and rules_of(last_request(vtn)) == [r.CONTENT_TYPE]


def test_a_resource_request_needs_a_valid_bearer_token(vtn: FakeVtn3) -> None:
    assert call(vtn, "GET", "/events")[0] == 401
    assert rules_of(last_request(vtn)) == [r.AUTH_MISSING]
    assert call(vtn, "GET", "/events", token="never-issued")[0] == 401
    assert rules_of(last_request(vtn)) == [r.AUTH_MISSING]
    good = token(vtn)[1]["access_token"]
    assert call(vtn, "GET", "/events", token=good) == (200, [])
    assert rules_of(last_request(vtn)) == []


def test_a_revoked_token_is_refused_once_without_a_finding_then_with_one(vtn: FakeVtn3,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from vgitest.openadr3 import vtn as vtn_module
    monkeypatch.setattr(vtn_module, "IN_FLIGHT_S", 0.0)
    good = token(vtn)[1]["access_token"]
    vtn.session.revoke_tokens()
    assert call(vtn, "GET", "/programs", token=good)[0] == 401
    assert rules_of(last_request(vtn)) == []  # the VTN's doing: the VEN could not know
    assert call(vtn, "GET", "/programs", token=good)[0] == 401
    assert rules_of(last_request(vtn)) == [r.AUTH_MISSING]  # sent again after the refusal: the VEN's


def test_paging_and_its_limits(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    made = [vtn.session.create_event({"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [i]}]}]},
                                     notify=False)["id"] for i in range(55)]
    status, first = call(vtn, "GET", "/events?limit=50", token=tok)
    assert status == 200 and [e["id"] for e in first] == made[:50]
    status, rest = call(vtn, "GET", "/events?skip=50&limit=50", token=tok)
    assert [e["id"] for e in rest] == made[50:]
    for bad in ("limit=51", "skip=-1", "limit=x"):
        assert call(vtn, "GET", f"/events?{bad}", token=tok)[0] == 400
        assert rules_of(last_request(vtn)) == [r.QUERY], bad


def test_bodies_are_judged_and_a_duplicate_ven_refused(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    status, problem = call(vtn, "POST", "/vens", {"objectType": "VEN"}, token=tok)
    frame = last_request(vtn)
    assert status == 400 and rules_of(frame) == [r.SCHEMA] and "venName" in problem["detail"]
    assert frame.findings[0].details["checked_by"] == STRUCTURAL_LABEL
    assert call(vtn, "POST", "/vens", {"venName": "v1"}, token=tok)[0] == 201
    assert rules_of(last_request(vtn)) == []
    assert call(vtn, "POST", "/vens", {"venName": "v1"}, token=tok)[0] == 409
    assert rules_of(last_request(vtn)) == [r.VEN_DUPLICATE]
    assert call(vtn, "POST", "/vens", raw=b"{not json", token=tok)[0] == 400
    assert rules_of(last_request(vtn)) == [r.JSON_MALFORMED]
    assert call(vtn, "POST", "/vens", {"venName": "v2"}, token=tok, ctype="text/plain")[0] == 415
    assert rules_of(last_request(vtn)) == [r.CONTENT_TYPE]


def test_a_ven_does_not_write_events_the_business_logic_does(vtn: FakeVtn3) -> None:
    body = {"programID": vtn.session.program_id, "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE",
                                                                                        "values": [1]}]}]}
    assert call(vtn, "POST", "/events", body, token=token(vtn)[1]["access_token"])[0] == 403
    assert rules_of(last_request(vtn)) == [r.FORBIDDEN_WRITE]
    assert call(vtn, "POST", "/events", body, token=token(vtn, "bl", "bl-secret")[1]["access_token"])[0] == 201
    assert rules_of(last_request(vtn)) == []


def test_paths_methods_and_references(vtn: FakeVtn3) -> None:
    tok = token(vtn)[1]["access_token"]
    assert call(vtn, "GET", "/nowhere", token=tok)[0] == 404 and rules_of(last_request(vtn)) == [r.HTTP_PATH]
    assert call(vtn, "PATCH", "/events", token=tok)[0] == 405 and rules_of(last_request(vtn)) == [r.HTTP_METHOD]
    assert call(vtn, "DELETE", "/subscriptions/nope", token=tok)[0] == 404
    assert rules_of(last_request(vtn)) == [r.NOT_FOUND]
    ev = vtn.session.create_event({"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}]})
    report = {"programID": ev["programID"], "eventID": ev["id"], "clientName": "c",
              "resources": [{"resourceName": "r", "intervals": [{"id": 0, "payloads": [{"type": "USAGE",
                                                                                         "values": [1]}]}]}]}
    assert call(vtn, "POST", "/reports", report, token=tok)[0] == 201 and rules_of(last_request(vtn)) == []
    assert call(vtn, "POST", "/reports", {**report, "eventID": "nope"}, token=tok)[0] == 400
    assert rules_of(last_request(vtn)) == [r.REPORT_REFERENCE]


class _Hook(BaseHTTPRequestHandler):
    status = 200
    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        type(self).seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("answer,finding", [(200, []), (500, [r.NOTIFY_ANSWER])])
def test_an_event_is_notified_to_the_subscribers_callback(vtn: FakeVtn3, answer: int, finding: list[str]) -> None:
    hook = type("Hook", (_Hook,), {"status": answer, "seen": []})
    server = HTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tok = token(vtn)[1]["access_token"]
        sub = {"clientName": "c", "programID": vtn.session.program_id, "objectOperations": [
            {"objects": ["EVENT"], "operations": ["POST"], "callbackUrl": f"http://127.0.0.1:{server.server_port}/n"}]}
        assert call(vtn, "POST", "/subscriptions", sub, token=tok)[0] == 201
        start = len(vtn.trace)
        ev = vtn.session.create_event({"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [2]}]}]})
        done = vtn.wait_notified(start, 5)
        assert done is not None and done.meta["status"] == answer and rules_of(done) == finding
        assert hook.seen[0]["objectType"] == "EVENT" and hook.seen[0]["object"]["id"] == ev["id"]
    finally:
        server.shutdown()
        server.server_close()


def test_the_users_openapi_document_replaces_the_structural_checks(tmp_path: Path) -> None:
    """A document of our own making in the OpenAPI layout (components/schemas, `nullable`): bodies are judged by it
    and findings name it."""
    doc = {"openapi": "3.0.0", "info": {"version": "9.9.9"}, "components": {"schemas": {
        "ven": {"type": "object", "required": ["venName", "colour"],
                "properties": {"venName": {"type": "string"}, "colour": {"type": "string", "nullable": True}}}}}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    schemas = Schemas.load(path)
    assert schemas.official and "spec.json (version 9.9.9)" in schemas.label
    assert schemas.errors("ven", {"venName": "v", "colour": None}) == []
    assert schemas.errors("ven", {"venName": "v"}) == ["(top): 'colour' is a required property"]
    assert Schemas.load().errors("ven", {"venName": "v"}) == []  # the structural checks ask for no colour


def test_the_fakes_own_answers_are_checked_on_the_harness_side(vtn: FakeVtn3) -> None:
    """A valid answer leaves no finding; an answer a case forces that is not a valid object (here a program
    without its name) leaves an OA3-SCHEMA finding marked as the harness's, which never judges the VEN."""
    from vgitest.openadr3.vtn import Raw
    tok = token(vtn)[1]["access_token"]
    assert call(vtn, "GET", "/programs", token=tok)[0] == 200
    answers = [f for f in vtn.trace if f.direction is Direction.OUT and f.kind == "RESPONSE"]
    assert answers[-1].findings == []
    vtn.session.override("GET /programs", Raw(200, [{"id": "p1"}]), once=True)
    assert call(vtn, "GET", "/programs", token=tok)[0] == 200
    answer = [f for f in vtn.trace if f.direction is Direction.OUT and f.kind == "RESPONSE"][-1]
    assert rules_of(answer) == [r.SCHEMA] and answer.findings[0].details["side"] == "harness"


def test_a_client_writes_only_its_own_objects(vtn: FakeVtn3) -> None:
    vtn.store.clients["other"] = Client("other", "o")
    mine, theirs = token(vtn)[1]["access_token"], token(vtn, "other", "o")[1]["access_token"]
    status, ven = call(vtn, "POST", "/vens", {"venName": "mine"}, token=mine)
    assert status == 201
    assert call(vtn, "PUT", f"/vens/{ven['id']}", {"venName": "mine"}, token=mine)[0] == 200
    assert rules_of(last_request(vtn)) == []
    assert call(vtn, "DELETE", f"/vens/{ven['id']}", token=theirs)[0] == 403
    assert rules_of(last_request(vtn)) == [r.FORBIDDEN_WRITE]
    assert call(vtn, "POST", f"/vens/{ven['id']}/resources", {"resourceName": "x"}, token=theirs)[0] == 403
    assert rules_of(last_request(vtn)) == [r.FORBIDDEN_WRITE]
    assert call(vtn, "POST", f"/vens/{ven['id']}/resources", {"resourceName": "x"}, token=mine)[0] == 201
    assert rules_of(last_request(vtn)) == []


def test_reusing_a_refused_token_counts_only_after_what_may_have_been_in_flight(
        vtn: FakeVtn3, monkeypatch: pytest.MonkeyPatch) -> None:
    from vgitest.openadr3 import vtn as vtn_module
    monkeypatch.setattr(vtn_module, "IN_FLIGHT_S", 60.0)
    good = token(vtn)[1]["access_token"]
    vtn.session.revoke_tokens()
    for _ in range(2):  # both within the in-flight allowance: the VEN may have sent them before the first 401
        assert call(vtn, "GET", "/programs", token=good)[0] == 401
        assert rules_of(last_request(vtn)) == []
    monkeypatch.setattr(vtn_module, "IN_FLIGHT_S", 0.0)
    assert call(vtn, "GET", "/programs", token=good)[0] == 401
    assert rules_of(last_request(vtn)) == [r.AUTH_MISSING]


def test_the_spec_in_the_environment_judges_the_vtns_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """VGITEST_OPENADR3_SPEC reaches the fake VTN: a ven it defines is judged by it (a finding naming it); an object
    it does not define (here a resource) is judged by the structural checks, and the finding says so."""
    doc = {"info": {"version": "0.0.1"}, "components": {"schemas": {
        "ven": {"type": "object", "required": ["venName", "colour"]}}}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("VGITEST_OPENADR3_SPEC", str(path))
    with FakeVtn3(clients=(Client("ven", "s3cret"),)) as v:
        tok = token(v)[1]["access_token"]
        assert call(v, "POST", "/vens", {"venName": "v"}, token=tok)[0] == 400
        finding = last_request(v).findings[0]
        assert finding.rule_id == r.SCHEMA and finding.details["checked_by"] == "OpenAPI document spec.json " \
            "(version 0.0.1)"
        status, ven = call(v, "POST", "/vens", {"venName": "v", "colour": "red"}, token=tok)
        assert status == 201 and last_request(v).findings == []
        assert call(v, "POST", f"/vens/{ven['id']}/resources", {"venID": ven["id"]}, token=tok)[0] == 400
        finding = last_request(v).findings[0]
        assert finding.details["checked_by"].startswith(STRUCTURAL_LABEL) and "no resource" in \
            finding.details["checked_by"]

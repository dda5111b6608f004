"""The VEN's webhook: changed events notified, answering at once, refusing bodies that are not notifications and
notifications without the subscription's bearer token, and its subscription kept right across a restart."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers_oa3 import event, ok, reports_of, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.states import ven_name
from vgitest.openadr3.vtn import Raw
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1")


def event_callback(ven: Any, profile: Any) -> tuple[str, str | None]:
    """The callback URL and bearer token of the VEN's subscription to events (Inconclusive without one)."""
    for sub in ven.store.find("subscriptions", clientName=ven_name(profile)):
        for op in sub.get("objectOperations") or []:
            if "EVENT" in (op.get("objects") or []):
                return str(op.get("callbackUrl")), op.get("bearerToken")
    raise Inconclusive("the VEN holds no subscription to events")


@pytest.mark.vgi_case("TC_VGI_OA3_21", feature="Notifications", requires=("Webhooks", "Reports"))
def test_TC_VGI_OA3_21(registered_ven3, t) -> None:
    """A change of an event reaches the VEN by notification (its subscription asks for changed events too): with
    its polls answered empty, the VEN still updates its report when the event changes."""
    ven = registered_ven3
    ven.override("GET /events", Raw(200, []))
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="changed by notification", report="USAGE"))
    _, made = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"]))
    ven.update_event(ev, {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [4]}]}]})
    ven.expect_answered("PUT /reports/{reportID}", t.wait,
                        lambda q, a: q.meta["params"].get("reportID") == made.body["id"] and status(a) == 200)


@pytest.mark.vgi_case("TC_VGI_OA3_22", feature="Notifications", requires=("Webhooks",))
def test_TC_VGI_OA3_22(registered_ven3, vgi_profile, t) -> None:
    """The VEN's callback answers a notification within the budget (PIXIT notify_answer_s, 1 s by default: the
    answer comes first, the work after)."""
    ven = registered_ven3
    budget = float(vgi_profile.param("notify_answer_s", 1))
    start = len(ven.vtn.trace)
    ev = ven.create_event(event(name="answer at once"))
    answer = ven.vtn.wait_notified(start, t.wait)
    ven.check(answer is not None, r.NOTIFY_ANSWER, f"the notification of {ev['id']} got no answer within "
              f"{t.wait:g} s")
    took = (answer.t_ns - answer.meta["sent_t_ns"]) / 1e9
    ven.check(took <= budget, r.NOTIFY_TIMELY, f"the callback answered after {took:.2f} s (budget {budget:g} s)",
              answer)


@pytest.mark.vgi_case("TC_VGI_OA3_23", feature="Notifications", requires=("Webhooks",))
def test_TC_VGI_OA3_23(registered_ven3, vgi_profile, t) -> None:
    """The VEN's callback answers 4xx to bodies that are not notifications (not JSON, a JSON list, an object
    without its operation and object), and still takes the next real notification and acts on it."""
    ven = registered_ven3
    url, bearer = event_callback(ven, vgi_profile)
    for data in (b"{not json", b"[]", json.dumps({"objectType": "EVENT"}).encode()):
        answer = ven.post_raw(url, data, bearer, t.wait)
        ven.check(answer is not None, r.NOTIFY_BAD_BODY, f"no answer to the body {data!r} within {t.wait:g} s")
        ven.check(400 <= (status(answer) or 0) < 500, r.NOTIFY_BAD_BODY, f"the body {data!r} was answered "
                  f"{status(answer) or answer.meta.get('error')}", answer)
    ven.cursor = start = len(ven.vtn.trace)
    ev = ven.create_event(event(name="after the bad bodies", report="USAGE"))
    answer = ven.vtn.wait_notified(start, t.wait)
    ven.check(answer is not None and 200 <= (status(answer) or 0) < 300, r.NOTIFY_ANSWER,
              f"the notification after the bad bodies was answered {status(answer)}", answer)
    ven.expect("POST /reports", t.wait, {"eventID": ev["id"]})


@pytest.mark.vgi_case("TC_VGI_OA3_30", feature="Notifications", requires=("Webhooks", "WebhookAuth"))
def test_TC_VGI_OA3_30(registered_ven3, vgi_profile, t) -> None:
    """The VEN's subscription gives a bearer token for its callback, and the callback refuses (401 or 403) a
    notification that comes without it or with another token."""
    ven = registered_ven3
    url, bearer = event_callback(ven, vgi_profile)
    ven.check(bool(bearer), r.NOTIFY_AUTH, "the VEN's subscription gives no bearerToken for its callback")
    note = {"objectType": "EVENT", "operation": "POST",
            "object": {**event(name="forged"), "id": "event-forged", "programID": ven.program_id,
                       "objectType": "EVENT"}}
    for token in (None, "not-the-token-you-gave"):
        answer = ven.post_raw(url, json.dumps(note).encode(), token, t.wait)
        ven.check(answer is not None, r.NOTIFY_AUTH, f"no answer within {t.wait:g} s")
        ven.check(status(answer) in (401, 403), r.NOTIFY_AUTH, f"a notification "
                  f"{'without a token' if token is None else 'with another token'} was answered "
                  f"{status(answer) or answer.meta.get('error')}", answer)


@pytest.mark.vgi_case("TC_VGI_OA3_31", feature="Subscriptions", requires=("Webhooks", "Reports"))
def test_TC_VGI_OA3_31(registered_ven3, dut, vgi_profile, t) -> None:
    """After a restart (its callback may now listen elsewhere) the VEN still holds one subscription, and a new
    event is notified to a callback that accepts it."""
    ven = registered_ven3
    name = ven_name(vgi_profile)
    ven.cursor = len(ven.vtn.trace)
    dut.perform("reboot")
    ven.expect_answered("GET /events", t.register, ok(200))
    subs = ven.store.find("subscriptions", clientName=name)
    ven.check(len(subs) == 1, r.SUBSCRIPTION_DUPLICATE, f"the VTN holds {len(subs)} subscriptions of {name!r}")
    start = len(ven.vtn.trace)
    ev = ven.create_event(event(name="after the restart", report="USAGE"))
    ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"], created=False))
    answers = [f for f in ven.vtn.trace.since(start) if f.kind == "NOTIFY-ANSWER" and not f.meta.get("raw")]
    ven.check(bool(answers), r.NOTIFY_ANSWER, "the new event was not notified (the VEN has no subscription)")
    bad = [f for f in answers if not 200 <= (status(f) or 0) < 300]
    ven.check(not bad, r.NOTIFY_ANSWER, f"the notification to {bad[0].meta.get('url') if bad else ''} was "
              f"answered {status(bad[0]) if bad else ''} {bad[0].meta.get('error') or '' if bad else ''}",
              bad[0] if bad else None)

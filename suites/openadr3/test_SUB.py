"""Subscriptions: created with a callback URL for event notifications, and deleted."""

from __future__ import annotations

import pytest

from helpers_oa3 import ok
from vgitest.openadr3 import rules as r
from vgitest.openadr3.states import ven_name

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1", "3.1.0")


@pytest.mark.vgi_case("TC_VGI_OA3_07", feature="Subscriptions", requires=("Webhooks",))
def test_TC_VGI_OA3_07(ven3, dut, vgi_profile, t) -> None:
    """A VEN without a subscription creates one for its program that asks for event notifications (new and
    changed events) at a callback URL, under the VEN's own name as client name."""
    name = ven_name(vgi_profile)
    ven3.forget_subscriptions(name)
    ven3.cursor = len(ven3.vtn.trace)
    dut.perform("reregister")
    create, answer = ven3.expect_answered("POST /subscriptions", t.register, ok(201))
    ops = [op for op in (create.body or {}).get("objectOperations") or [] if isinstance(op, dict)]
    create_op = ven3.vtn.dialect.operation("POST")  # 3.1.0 names it CREATE
    events = [op for op in ops if "EVENT" in (op.get("objects") or []) and create_op in (op.get("operations") or [])]
    ven3.check(events, r.EXPECTED_REQUEST, "the subscription does not ask for notifications of new events", create)
    ven3.check(create.body.get("clientName") == name, r.EXPECTED_REQUEST, f"the subscription's clientName is "
               f"{create.body.get('clientName')!r}, the VEN's name is {name!r}", create)


@pytest.mark.vgi_case("TC_VGI_OA3_10", feature="Subscriptions", requires=("Webhooks",))
def test_TC_VGI_OA3_10(registered_ven3, dut, vgi_profile, t) -> None:
    """Asked to unsubscribe, the VEN deletes its own subscription (DELETE /subscriptions/{id})."""
    ven = registered_ven3
    name = ven_name(vgi_profile)
    mine = {s["id"] for s in ven.store.find("subscriptions", clientName=name)}
    ven.cursor = len(ven.vtn.trace)
    dut.perform("unsubscribe")
    ven.expect_answered("DELETE /subscriptions/{subscriptionID}", t.wait,
                        lambda q, a: ok(200)(q, a) and q.meta["params"].get("subscriptionID") in mine)

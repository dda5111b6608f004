"""The XML-over-HTTP kit's outbound clients work from an `Outbound` alone: no VTN or 2030.5 server behind them.

(They used to take their owner whole and reach into it, which made the import circles push.py <-> vtn.py and
notify.py <-> server.py.) Each test sends to a loopback port nothing listens on, so the exchange ends at once."""

from __future__ import annotations

import asyncio
import socket

from vgitest.openadr import rules as oadr_rules
from vgitest.openadr.push import PushClient
from vgitest.sep2 import rules as sep2_rules
from vgitest.sep2.notify import TAKEN, Delivery, Notifier
from vgitest.sep2.resources import Sep2State
from vgitest.trace import Direction, Trace
from vgitest.xmlhttp.client import Outbound


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_push_client_needs_only_its_outbound_context() -> None:
    trace = Trace()
    client = PushClient(Outbound(trace, [], timeout_s=2.0))
    url = f"http://127.0.0.1:{_closed_port()}/ven"

    async def push() -> None:
        try:
            await client.push(url, "oadrDistributeEvent", {"eiResponse": {"responseCode": "200"}}, 1)
        finally:
            await client.close()

    asyncio.run(push())
    out, answer = trace.since(0)
    assert (out.direction, out.kind, out.name) == (Direction.OUT, "REQUEST", "oadrDistributeEvent")
    assert (answer.direction, answer.kind, answer.name) == (Direction.IN, "RESPONSE", "(no answer)")
    assert "error" in answer.meta and out.meta["answered_by"] == answer.index
    assert [f.rule_id for f in answer.findings] == [oadr_rules.PUSH_RESPONSE]


def test_a_notifier_needs_only_its_outbound_context_and_the_data() -> None:
    trace = Trace()
    notifier = Notifier(Outbound(trace, [], timeout_s=2.0), Sep2State(), loop=lambda: None,
                        base_url=lambda: "http://server")
    uri = f"http://127.0.0.1:{_closed_port()}/notify"
    sub = {"@href": "/edev/1/sub/1", "subscribedResource": "/edev/1", "notificationURI": uri}
    assert notifier.notification(sub, 0)["subscriptionURI"] == "http://server/edev/1/sub/1"

    async def deliver() -> None:
        try:
            await notifier._deliver(Delivery(uri, sub, b"<Notification/>", None, TAKEN, "probe"))
        finally:
            await notifier.close()

    asyncio.run(deliver())
    out, answer = trace.since(0)
    assert (out.direction, out.name) == (Direction.OUT, "(made-up Notification)")
    assert (answer.name, answer.meta["stage"]) == ("(not delivered)", "connect")
    assert [f.rule_id for f in answer.findings] == [sep2_rules.NOTIFICATION_URI]

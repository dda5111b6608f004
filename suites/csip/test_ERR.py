"""ERR: error handling of a DER client: it rides out a spell of server errors and comes back; it refuses a
Notification it cannot read and goes on taking the good ones."""

from __future__ import annotations

import pytest

from helpers_csip import between_polls, limit
from vgitest.case import preamble
from vgitest.sep2 import codec, rules as r

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


@pytest.mark.vgi_case("ERR-001", feature="Errors", requires=("DerClient",))
def test_ERR_001(following_client, t) -> None:
    """The server answers every request with HTTP 500 for three pollRates; afterwards the client polls its
    program list again (with back-off, but without giving up)."""
    client = following_client
    client.outage(3 * t.poll)
    client.expect("GET", "**", t.wait, fresh=True)  # it keeps trying during the outage
    client.expect("GET", "/edev/*/fsa/1/derp", 3 * t.poll + 2 * t.wait, fresh=True)


@pytest.mark.vgi_case("ERR-002", feature="Subscriptions", requires=("DerClient", "Subscriptions"))
def test_ERR_002(csip, t) -> None:
    """A Notification the client cannot read is refused with 400 Bad Request and changes nothing: the server
    sends one that is not well-formed XML, then one that is well-formed but lacks the elements every
    Notification has (status, subscriptionURI). Afterwards the client still takes a real Notification (201)
    and answers the event it announces received (1) within the notification wait. The client's subscriptions
    are the preamble (CORE-018 judges them): without them the case is INCONCLUSIVE."""
    client = csip.client
    with preamble("the client subscribed to its program list, then to a new program's control list (what "
                  "CORE-018 judges)"):
        client.expect_subscription("/edev/*/fsa/1/derp", t.wait)  # so that it hears of the program
        prog = csip.program(1, description="notification errors")
        derc = f"/derp/{prog.number}/derc"
        client.expect_subscription(derc, t.wait)
    head = f"<Notification xmlns='urn:ieee:std:2030.5:ns'><subscribedResource>{derc}</subscribedResource>"
    client.notify(derc, head.encode(), expect=400)  # cut short: not XML
    client.notify(derc, codec.encode("Notification", {"subscribedResource": derc}), expect=400)
    between_polls(client, derc, t)
    mark = client.cursor = len(client.server.trace)
    ctl = csip.event(prog, limit(50), start_in=t.lead + t.notify)
    answer = client.expect_notification(derc, t.notify, since=mark)
    client.check(answer.meta.get("status") is not None, r.NOTIFICATION_URI,
                 f"the Notification of {derc} after the unreadable ones was not delivered", answer)
    client.expect_response(ctl.mrid, 1, t.notify, rule=r.NOTIFICATION_IGNORED)


"""ERR: error handling of a DER client: it rides out a spell of server errors and comes back."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


@pytest.mark.vgi_case("ERR-001", feature="Errors", requires=("DerClient",))
def test_ERR_001(following_client, t) -> None:
    """The server answers every request with HTTP 500 for three pollRates; afterwards the client polls its
    program list again (with back-off, but without giving up)."""
    client = following_client
    client.outage(3 * t.poll)
    client.expect("GET", "**", t.wait, fresh=True)  # it keeps trying during the outage
    client.expect("GET", "/edev/*/fsa/1/derp", 3 * t.poll + 2 * t.wait, fresh=True)

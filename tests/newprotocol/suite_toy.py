"""The toy protocol's suite: one case."""

import pytest

pytestmark = pytest.mark.vgi_protocol("toyecho", "1")


@pytest.mark.vgi_case("TOY_001")
def test_TOY_001(echo_peer, dut) -> None:
    start = len(echo_peer.trace)
    dut.perform("say_hello")
    said = echo_peer.trace.wait_for(lambda f: f.direction.name == "IN", start, 5)
    echo_peer.check(said is not None, "TOY-SAID", "the device said nothing within 5 s of being asked")

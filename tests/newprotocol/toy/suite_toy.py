"""The toy protocol's suite: one case."""

import pytest

pytestmark = pytest.mark.vgi_protocol("toyecho", "1")


@pytest.mark.vgi_case("TOY_001", requires=("Hello",))
def test_TOY_001(echo_peer, dut, vgi_profile) -> None:
    start = len(echo_peer.trace)
    dut.perform("say_hello")
    wait = float(vgi_profile.param("hello_wait", 5))
    said = echo_peer.trace.wait_for(lambda f: f.direction.name == "IN", start, wait)
    echo_peer.check(said is not None, "TOY-SAID", f"the device said nothing within {wait:g} s of being asked")

"""Reusable states of a DER client for the CSIP suites: registered and following the server's programs.

They speak only 2030.5 and the DUT adapter, so they work for any client. When the client cannot reach the
state they raise NonConformance naming the missing request; in a fixture the plugin reports INCONCLUSIVE.
"""

from __future__ import annotations

import time
from typing import Any

from ..trace import Direction
from .server import Sep2Session

WALK = ("/dcap", "/edev", "/edev/*/fsa", "/edev/*/fsa/1/derp")


def following(session: Sep2Session, dut: Any, profile: Any) -> None:
    """The client has walked from DeviceCapability to its DERProgramList and polls it.

    Fast when it polled the program list within about two pollRates; otherwise it is asked to start over
    (adapter action `reregister`) and the state waits for the whole walk."""
    poll = float(session.state.poll_rate_s)
    wait = float(profile.param("register_wait", 15)) + 2 * poll
    recent = time.monotonic_ns() - int((2 * poll + 1) * 1e9)
    probe = session.server.trace.wait_for(
        lambda f: f.direction is Direction.IN and f.meta.get("method") == "GET" and f.t_ns >= recent
        and str(f.meta.get("path", "")).endswith("/fsa/1/derp"), 0, 2 * poll + 1)
    if probe is not None:
        return
    start = len(session.server.trace)
    dut.perform("reregister")
    session.cursor = start
    for path in WALK:
        session.expect("GET", path, wait)

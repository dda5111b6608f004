"""`vgitest profile check` for ISO 15118 / DIN SPEC 70121 devices: what a cheap first contact with the device checks (see
vgitest.profilecheck)."""

from __future__ import annotations

from ..profilecheck import Check, FAILED, OK
from ..trace import Direction


def plan(c: Check) -> None:
    fake = c.run.peer
    if c.run.dut_role == "ev":
        wait = c.wait("session_wait", 60)

        def sdp(start: int, _: float) -> tuple[bool, str]:
            f = fake.trace.wait_for(lambda x: x.direction is Direction.IN, start, wait)
            return (True, f"the EV sent {f.name or f.kind} to the fake SECC") if f else \
                (False, f"no SDP request or V2G message within {wait:g} s (the fake SECC answers SDP on port "
                        f"{fake.server.sdp_port})")

        if c.supported("power_on"):
            c.act("power_on")
        c.act("plug_in", sdp)
        c.act("unplug")
        return
    from . import sdp
    if c.supported("power_on"):
        c.act("power_on")
    target, port = fake.sdp_target, int(fake.sdp_port)
    loop = fake.loop
    answer = loop.run(sdp.discover(target, port, max_requests=3), timeout=30) if loop else None
    if answer is None:
        c.add("sdp", FAILED, f"no SDP answer from {target} port {port} to 3 requests")
    else:
        c.add("sdp", OK, f"the EVSE answered SDP: V2G at [{answer.address}]:{answer.port}")
    c.act("plug_in", needed=False)  # the fake EVCC is the EV: the suites ask for no action of an EVSE
    c.act("unplug", needed=False)

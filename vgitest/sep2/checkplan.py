"""`vgitest profile check` for IEEE 2030.5 devices: what a cheap first contact with the device checks (see
vgitest.profilecheck)."""

from __future__ import annotations

from ..profilecheck import Check, first_contact, off_and_on
from ..trace import Direction


def plan(c: Check) -> None:
    server = c.run.peer
    poll = float(c.profile.param("poll_rate_s", 900))
    register = c.wait("register_wait", 15) + 2 * poll

    def gets_dcap(start: int, after: str) -> tuple[bool, str]:
        f = server.trace.wait_for(lambda x: x.direction is Direction.IN and x.meta.get("method") == "GET"
                                  and str(x.meta.get("path", "")).split("?")[0] == "/dcap", start, register)
        if f is None:
            other = [x for x in server.trace.since(start) if x.direction is Direction.IN and x.meta.get("method")]
            seen = f" (it asked for {other[0].meta.get('method')} {other[0].meta.get('path')})" if other else ""
            return False, f"no GET /dcap at {server.url} within {register:g} s {after}{seen}"
        return True, f"the client GET /dcap {after}"

    powered = first_contact(c, gets_dcap, "the fake server")
    c.act("reregister", lambda s, _: gets_dcap(s, "after reregister"))
    c.act("reboot", lambda s, _: gets_dcap(s, "after reboot"))
    c.act("set_power", w=0)
    c.act("set_grid", v=float(c.profile.param("nominal_v", 240)), hz=float(c.profile.param("nominal_hz", 60)))
    c.act("alarm")
    off_and_on(c, powered, lambda s, _: gets_dcap(s, "after power_on"))
    for action in ("der_grid", "der_run", "der_units_off", "cactus_proceed"):  # a CACTUS operator's (csip-aus.md)
        if c.dut is not None and c.dut.supports(action):
            c.skip(action, "asked for at its CACTUS procedure's step only: here it would change the DER or wait "
                           "for an operator")

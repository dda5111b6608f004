"""`vgitest profile check` for SLAC devices: what a cheap first contact with the device checks (see
vgitest.profilecheck)."""

from __future__ import annotations

from ..profilecheck import Check, FAILED, OK


def plan(c: Check) -> None:
    fake = c.run.peer
    if fake.unavailable:
        c.add("link", FAILED, fake.unavailable)
    else:
        c.add("link", OK, f"the fake SLAC peer runs on {fake.link_description}")
    if c.supported("power_on"):
        c.act("power_on")
    c.act("plug_in")
    c.act("unplug")

"""BASIC-002 and 003: group management. A utility reaches a DER through the groups it belongs to (service
point, transformer, feeder, ...), one FunctionSetAssignments each; the client must read all of them, rank
their programs together, and follow the server when its groups change."""

from __future__ import annotations

import pytest

from helpers_csip import Run, limit

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


@pytest.mark.vgi_case("BASIC-002", feature="Groups", requires=("DerClient", "Metering"))
def test_BASIC_002(csip, dut, t) -> None:
    """Three more groups, each with one program: feeder (primacy 3, default 80 %), transformer (primacy 2,
    50 %) and service point (primacy 1, 20 %), listed in that order. The client reads every group's program
    list, and the service point's default, listed last, is the one in force."""
    run = Run(csip, dut, t)
    plan = (("feeder 4", 3, 80), ("transformer 9", 2, 50), ("service point 1", 1, 20))
    groups = []
    for name, primacy, pct in plan:
        group = csip.group(name)
        groups.append((group, csip.program(primacy, group=group, default=limit(pct), description=name)))
    for group, prog in groups:
        run.client.cursor = run.since_frame
        run.client.expect("GET", f"/edev/*/fsa/{group}/derp", t.wait)
        run.client.expect("GET", f"/derp/{prog.number}/dderc", t.wait)
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 20, what="the three groups' default controls")


@pytest.mark.vgi_case("BASIC-003", feature="Groups", requires=("DerClient", "Metering"))
def test_BASIC_003(csip, dut, t) -> None:
    """The client moves from one group to another: the server replaces the transformer group (primacy 1,
    default 30 %) by another (primacy 2, default 50 %). The old group's program no longer applies."""
    run = Run(csip, dut, t)
    old = csip.group("transformer 9")
    old_prog = csip.program(1, group=old, default=limit(30))
    run.client.cursor = run.since_frame
    run.client.expect("GET", f"/derp/{old_prog.number}/dderc", t.wait)
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 30, what="the first group's default control")
    csip.ungroup(old)
    new = csip.group("transformer 11")
    new_prog = csip.program(2, group=new, default=limit(50))
    run.client.expect("GET", f"/derp/{new_prog.number}/dderc", t.wait, fresh=True)
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 50, 30, what="the new group's default control")

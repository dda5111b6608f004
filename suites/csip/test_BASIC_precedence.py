"""BASIC-016 to 026: which control is in force when programs, default controls and events meet.

Each test builds its own programs (all others are taken off the list while it runs), makes the EV ask for
full power, and reads the power the client reports in each phase of the scenario. Limits are in percent of
the client's rated power (DERCapability rtgMaxW), so a phase is identified by the limit in force: a reading
must not exceed it, and where a stricter control must *not* be in force, the reading must stay above that
one. Programs: "service point" (primacy 1) ranks before "system" (primacy 5). Event times are relative to
the PIXIT lead (the client must have seen an event before it starts).
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers_csip import PF_090, Run, limit as _limit

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")

def _event(run: Run, program: Any, base: dict, start: float, end: float) -> Any:
    """An event from `start` to `end` seconds after the lead."""
    return run.csip.event(program, base, start_in=run.t.lead + start, duration=end - start)


@pytest.mark.vgi_case("BASIC-016", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_016(csip, dut, t) -> None:
    """Two programs, each with a default control and no event: the default of the program with the lower
    primacy number is the one in force (20 %, not the other's 70 %)."""
    run = Run(csip, dut, t)
    strong, weak = csip.program(1, default=_limit(20)), csip.program(5, default=_limit(70))
    for prog in (strong, weak):  # the client must know both before it can choose
        run.client.cursor = run.since_frame
        run.client.expect("GET", f"/derp/{prog.number}/dderc", t.wait)
    now = csip.state.now()
    run.phase(now, now + 2 * t.poll + 1, 20, what="the two default controls")


@pytest.mark.vgi_case("BASIC-017", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_017(csip, dut, t) -> None:
    """One program without a default control and one event: the event's 30 % limit holds while it runs."""
    run = Run(csip, dut, t)
    ctl = _event(run, csip.program(1), _limit(30), 0, 2 * t.poll + 3)
    run.answered(ctl, 2, t.lead + t.wait)
    run.phase(ctl.start, ctl.start + ctl.duration, 30, what="the event")


@pytest.mark.vgi_case("BASIC-018", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_018(csip, dut, t) -> None:
    """One program with a default control (60 %) and one event (20 %): the event holds while it runs, the
    default before and after it."""
    run = Run(csip, dut, t)
    prog = csip.program(1, default=_limit(60))
    ctl = _event(run, prog, _limit(20), 0, 2 * t.poll + 3)
    run.phase(ctl.start, ctl.start + ctl.duration, 20, what="the event")
    end = ctl.start + ctl.duration
    run.phase(end, end + 2 * t.poll + 1, 60, 20, what="the default control after the event")
    run.answered(ctl, 3, t.wait)


@pytest.mark.vgi_case("BASIC-019", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_019(csip, dut, t) -> None:
    """One program with a default control and two events of the same mode one after the other (40 %, then
    30 %): the client takes both, and each holds in its turn."""
    run = Run(csip, dut, t)
    prog = csip.program(1, default=_limit(60))
    first = _event(run, prog, _limit(40), 0, 2 * t.poll + 2)
    second = _event(run, prog, _limit(30), 3 * t.poll + 2, 5 * t.poll + 4)
    run.answered(first, 1, t.wait)
    run.answered(second, 1, t.wait)
    run.phase(first.start, first.start + first.duration, 40, 30, what="the first event")
    run.phase(second.start, second.start + second.duration, 30, what="the second event")
    for ctl in (first, second):
        run.answered(ctl, 2, t.wait)
        run.answered(ctl, 3, t.wait)


@pytest.mark.vgi_case("BASIC-020", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_020(csip, dut, t) -> None:
    """Two programs with default controls (service point 60 %, system 80 %) and one event in each, apart in
    time: each event holds in its turn, between them the service point's default; each event is answered
    received, started, completed."""
    run = Run(csip, dut, t)
    sp, system = csip.program(1, default=_limit(60)), csip.program(5, default=_limit(80))
    first = _event(run, sp, _limit(40), 0, 2 * t.poll + 2)
    second = _event(run, system, _limit(30), 5 * t.poll + 2, 7 * t.poll + 4)
    run.phase(first.start, first.start + first.duration, 40, what="the service point's event")
    run.phase(first.start + first.duration, second.start, 60, 40, what="the gap between the events")
    run.phase(second.start, second.start + second.duration, 30, what="the system's event")
    for ctl in (first, second):
        for status in (1, 2, 3):
            run.answered(ctl, status, t.wait)


@pytest.mark.vgi_case("BASIC-021", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_021(csip, dut, t) -> None:
    """Overlapping events of the same mode in two programs, over the same time; the system's is sent first:
    the service point's (20 %) holds, and the system's (30 %) is reported superseded."""
    run = Run(csip, dut, t)
    sp, system = csip.program(1, default=_limit(60)), csip.program(5, default=_limit(80))
    weak = _event(run, system, _limit(30), 0, 2 * t.poll + 3)
    run.answered(weak, 1, t.wait)
    strong = _event(run, sp, _limit(20), 0, 2 * t.poll + 3)
    run.phase(strong.start, strong.start + strong.duration, 20, what="the overlapping events")
    run.answered(weak, 7, t.wait)
    run.answered(strong, 3, t.wait)


@pytest.mark.vgi_case("BASIC-022", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_022(csip, dut, t) -> None:
    """The system's event (30 %) runs first; the service point's (20 %) starts while it runs: from then on the
    service point's holds and the system's is reported superseded."""
    run = Run(csip, dut, t)
    sp, system = csip.program(1, default=_limit(60)), csip.program(5, default=_limit(80))
    weak = _event(run, system, _limit(30), 0, 6 * t.poll + 2)
    strong = _event(run, sp, _limit(20), 2 * t.poll + 1, 5 * t.poll + 2)
    run.phase(weak.start, strong.start, 30, 20, what="the system's event alone")
    run.phase(strong.start, strong.start + strong.duration, 20, what="both events")
    run.answered(weak, 7, t.wait)
    run.answered(strong, 3, t.wait)


@pytest.mark.vgi_case("BASIC-023", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_023(csip, dut, t) -> None:
    """The service point's event (20 %) starts inside the system's (30 %) and ends first: the system's event
    was superseded and stays over, so after the service point's event the default control (60 %) holds."""
    run = Run(csip, dut, t)
    sp, system = csip.program(1, default=_limit(60)), csip.program(5, default=_limit(80))
    weak = _event(run, system, _limit(30), 0, 6 * t.poll + 2)
    strong = _event(run, sp, _limit(20), t.poll, 3 * t.poll)
    run.answered(weak, 7, t.lead + t.poll + t.wait)
    end = strong.start + strong.duration
    run.phase(end, weak.start + weak.duration, 60, 30, what="the rest of the superseded system event")
    run.answered(strong, 3, t.wait)


def _independent(run: Run, csip: Any, t: Any, sys_span: tuple[float, float], sp_span: tuple[float, float]) -> None:
    """The system's event sets a fixed power factor, the service point's a 20 % limit: different modes, so
    both hold together and neither supersedes the other."""
    sp, system = csip.program(1, default=_limit(60)), csip.program(5, default=_limit(80))
    pf = _event(run, system, PF_090, *sys_span)
    lim = _event(run, sp, _limit(20), *sp_span)
    run.answered(lim, 2, t.lead + sp_span[0] + t.wait)
    run.sleep_until(csip.state.now() + 1)
    run.never_said(pf, 7, "its power-factor mode is not set by the overlapping event (a power limit)")
    run.phase(lim.start, lim.start + lim.duration, 20, what="the power limit")
    if sys_span[1] > sp_span[1]:
        end = lim.start + lim.duration
        run.phase(end, pf.start + pf.duration, 60, 20, what="the power-factor event after the limit ended "
                  "(the default's limit holds for the mode no event sets)")
    for ctl in (pf, lim):
        run.answered(ctl, 2, t.wait)
        run.answered(ctl, 3, t.wait)
    run.never_said(pf, 7, "no overlapping event set its mode")


@pytest.mark.vgi_case("BASIC-024", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_024(csip, dut, t) -> None:
    """Overlapping events of independent modes (power factor, power limit) over the same time: both hold and
    both complete; neither is superseded."""
    run = Run(csip, dut, t)
    span = (0, 2 * t.poll + 3)
    _independent(run, csip, t, span, span)


@pytest.mark.vgi_case("BASIC-025", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_025(csip, dut, t) -> None:
    """Independent modes, staggered starts: the power limit starts while the power-factor event runs; the
    power-factor event is not superseded."""
    run = Run(csip, dut, t)
    _independent(run, csip, t, (0, 4 * t.poll + 2), (2 * t.poll, 4 * t.poll + 2))


@pytest.mark.vgi_case("BASIC-026", feature="Precedence", requires=("DerClient", "Metering"))
def test_BASIC_026(csip, dut, t) -> None:
    """Independent modes, staggered ends: the power limit ends first; the power-factor event goes on to its
    end and completes, with the default's limit back for the mode it does not set."""
    run = Run(csip, dut, t)
    _independent(run, csip, t, (0, 5 * t.poll + 2), (t.poll, 3 * t.poll))

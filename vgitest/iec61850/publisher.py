"""A GOOSE publisher with the retransmission curve: what the fake EVSE sends for "initiate" and "terminate".

After a state change (new allData) the publisher increments stNum, restarts sqNum at 0, stamps ``t`` and sends at
once; it then repeats the unchanged message at growing intervals (``first``, times ``factor`` each time) up to
``maximum``, the steady heartbeat, incrementing sqNum each time. Every message carries timeAllowedtoLive =
``tal_factor`` times the interval until the next one, so a subscriber that misses one message still waits long
enough for the following one. Counters wrap after 2**32-1 to 1 (0 is sqNum's "first after a change").

The curve's parameters are PIXIT-like settings of the harness (IEC 61850 leaves them to the device and its
configuration); the defaults follow common practice: first repeat after 4 ms, doubling, heartbeat 1 s, TAL twice
the interval.

:meth:`GoosePublisher.schedule` is pure (times relative to the first change), so the curve and the faults are
tested without a network; :meth:`GoosePublisher.run` sends the schedule in real time on an
:class:`~vgitest.iec61850.l2.L2Endpoint`. ``faults`` make a non-conforming publisher for the checks' tests
and a fault catalog: ``no_retransmission`` (only the message of each change), ``sqnum_skip`` (sqNum jumps by 2
once), ``stnum_stuck`` (a change keeps the old stNum), ``tal_too_short`` (TAL half the interval, so the next
message always arrives after it expired).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator, Sequence

from .data import Data, UtcTime
from .goose import GooseFrame

U32 = (1 << 32) - 1
FAULTS = frozenset({"no_retransmission", "sqnum_skip", "stnum_stuck", "tal_too_short"})


def next_counter(v: int) -> int:
    """stNum/sqNum after ``v``: +1, and after 2**32-1 back to 1."""
    return 1 if v >= U32 else v + 1


@dataclasses.dataclass(frozen=True)
class RetransmissionCurve:
    """Retransmission intervals in seconds (PIXIT-like defaults, see the module docstring)."""

    first: float = 0.004
    factor: float = 2.0
    maximum: float = 1.0
    tal_factor: float = 2.0

    def intervals(self) -> Iterator[float]:
        """The gaps after a state change: first, first*factor, ... capped at maximum, then maximum forever."""
        gap = self.first
        while True:
            yield min(gap, self.maximum)
            gap = min(gap * self.factor, self.maximum)

    def tal_ms(self, interval: float) -> int:
        return max(1, round(self.tal_factor * interval * 1000))


@dataclasses.dataclass
class GoosePublisher:
    """One GOOSE control block's publisher. ``template`` gives gocbRef, datSet, goID, confRev and the header;
    stNum starts at ``template.pdu.st_num - 1`` so that the first change sends the template's stNum."""

    template: GooseFrame
    curve: RetransmissionCurve = dataclasses.field(default_factory=RetransmissionCurve)
    faults: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = self.faults - FAULTS
        if unknown:
            raise ValueError(f"unknown publisher faults {sorted(unknown)}")

    def schedule(self, changes: Sequence[tuple[float, Sequence[Data]]], until: float,
                 epoch: float = 0.0) -> list[tuple[float, GooseFrame]]:
        """Every message sent from 0 to ``until`` s for state changes at the given times (ascending), with the
        ``t`` of each change at ``epoch`` + its time."""
        out: list[tuple[float, GooseFrame]] = []
        pending = list(changes)
        if not pending:
            return out
        st = (self.template.pdu.st_num - 1) or U32
        skipped = False
        now, values = pending.pop(0)
        while now <= until:
            if not out or "stnum_stuck" not in self.faults:  # stnum_stuck: later changes keep the old stNum
                st = next_counter(st)
            pdu = dataclasses.replace(self.template.pdu, st_num=st, sq_num=0, t=UtcTime.from_float(epoch + now),
                                      num_dat_set_entries=len(values), all_data=tuple(values))
            change_at = pending[0][0] if pending else None
            for gap in self.curve.intervals():
                tal = self.curve.tal_ms(gap)
                if "tal_too_short" in self.faults:
                    tal = max(1, round(gap * 1000 / 2))
                out.append((now, GooseFrame(self.template.header, dataclasses.replace(pdu, time_allowed_to_live=tal))))
                repeat_at = now + gap
                if "no_retransmission" in self.faults or (change_at is not None and change_at <= repeat_at) \
                        or repeat_at > until:
                    break
                now = repeat_at
                sq = next_counter(pdu.sq_num)
                if "sqnum_skip" in self.faults and not skipped and sq == 2:
                    sq, skipped = 3, True
                pdu = dataclasses.replace(pdu, sq_num=sq)
            if change_at is None:
                break
            now, values = pending.pop(0)
        return out

    async def run(self, send: Callable[[GooseFrame], Awaitable[object]],
                  changes: Sequence[tuple[float, Sequence[Data]]], until: float, epoch: float) -> int:
        """Send :meth:`schedule` in real time (loop clock); returns the number of messages sent."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        plan = self.schedule(changes, until, epoch)
        for at, frame in plan:
            delay = start + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await send(frame)
        return len(plan)


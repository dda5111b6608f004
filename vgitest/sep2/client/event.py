"""One DERControl as the reference DER client tracks it (what the events and the responses it sends share)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Event:
    """One DERControl as the client tracks it, across polls, by mRID."""

    mrid: str
    program: str  # href of its DERProgram
    primacy: int
    creation: int
    start: int
    duration: int
    base: dict
    reply_to: str | None
    response_required: int
    server_status: int
    start_offset: float  # randomizeStart draw, kept for the event's life
    duration_offset: float
    seq: int  # order of first sight (breaks creationTime ties)
    state: str = "scheduled"  # scheduled -> active -> done
    sent: list[int] = dataclasses.field(default_factory=list)
    held_received: bool = False  # wrong_response_status_order: 1 waits until after 2

    @property
    def eff_start(self) -> float:
        return self.start + self.start_offset

    @property
    def eff_end(self) -> float:
        return self.eff_start + self.duration + self.duration_offset

"""The Table 5 flow's side of the fake-peer contract: the fake EVSE (an EV under test) or fake EV (an EVSE under
test) a run builds from its PIXIT, on a veth pair in namespaces. It judges every frame itself; the evidence is the
trace (GOOSE, SV and the MMS frames of both associations, each with its two sizes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from .fake import FakeFlowEv, FakeFlowEvse, from_pixit

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun


class _Sizes(RunPeer):
    harness_name = "FAKE-61850"

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        """Every Table 5 frame of the test, measured (judged only by the size cases)."""
        rows = [{"row": f.meta["row"], "name": f.name, "direction": f.direction.value, "frame": f.index,
                 "frame_size": f.meta["frame_size"], "apdu_size": f.meta.get("apdu_size")}
                for f in self.trace.since(start) if f.meta.get("row")]
        return {"sizes": rows} if rows else {}


class FlowEvsePeer(FakeFlowEvse, _Sizes):
    """The fake EVSE as a run's peer."""


class FlowEvPeer(FakeFlowEv, _Sizes):
    """The fake EV as a run's peer."""


def make(run: VgiRun) -> RunPeer:
    """Its `unavailable` says why not when namespaces cannot be made (the cases are then NOT_APPLICABLE)."""
    peer = from_pixit(run.dut_role, run.require_profile().pixit, classes=(FlowEvsePeer, FlowEvPeer))
    return peer.start()  # type: ignore[return-value]

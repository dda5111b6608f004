"""The Table 5 flow's side of the fake-peer contract: the fake EVSE (an EV under test) or fake EV (an EVSE under
test) a run builds from its PIXIT, on a veth pair in namespaces. It judges every frame itself; the evidence is the
trace (GOOSE, SV and the MMS frames of both associations, each with its two sizes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..peer import RunPeer
from .fake import FakeFlowEv, FakeFlowEvse, from_pixit

if TYPE_CHECKING:
    from ..budgets import Budgets
    from ..run import VgiRun
    from ..trace import Frame


class _Sizes(RunPeer):
    harness_name = "FAKE-61850"

    def after_test(self, start: int, budgets: Budgets, record: dict[str, Any]) -> dict[str, Any]:
        """Every Table 5 frame of the test, measured and set against its row (findings only in the size cases)."""
        from .table5rows import row_budgets
        limits = row_budgets(budgets)
        rows = []
        for f in self.trace.since(start):
            n = f.meta.get("row")
            if n:
                size, b = f.meta["frame_size"], limits[n]
                rows.append({"row": n, "name": f.name, "direction": f.direction.value, "frame": f.index,
                             "frame_size": size, "apdu_size": f.meta.get("apdu_size"), "budget_bytes": b.max_bytes,
                             "budget_ref": b.ref, "within": size <= b.max_bytes})
        return {"sizes": rows} if rows else {}

    def evidence(self, frames: list[Frame], folder: Path) -> dict[str, str]:
        from .capture import write_pcapng
        path = folder / "capture.pcapng"
        return {"pcapng": str(path)} if write_pcapng(frames, path) else {}


class FlowEvsePeer(FakeFlowEvse, _Sizes):
    """The fake EVSE as a run's peer."""


class FlowEvPeer(FakeFlowEv, _Sizes):
    """The fake EV as a run's peer."""


def make(run: VgiRun) -> RunPeer:
    """Its `unavailable` says why not when namespaces cannot be made (the cases are then NOT_APPLICABLE)."""
    peer = from_pixit(run.dut_role, run.require_profile().pixit, classes=(FlowEvsePeer, FlowEvPeer))
    return peer.start()  # type: ignore[return-value]

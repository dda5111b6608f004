"""ISO 15118-3 SLAC's side of the fake-peer contract: the fake SLAC EVSE (an EV under test) or fake SLAC EV (an
EVSE under test) a run builds from its PIXIT, on a veth pair in namespaces or the vendor's interface. It judges
every frame itself; its evidence is an Ethernet capture of the test's SLAC frames (layer 2, no TCP)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..peer import RunPeer
from .fake import FakeSlacEv, FakeSlacEvse, from_pixit

if TYPE_CHECKING:
    from ..run import VgiRun
    from ..trace import Frame


class _Evidence(RunPeer):
    harness_name = "FAKE-SLAC"

    def evidence(self, frames: list[Frame], folder: Path) -> dict[str, str]:
        from .capture import write_pcapng
        return {"pcapng": str(folder / "capture.pcapng")} if write_pcapng(frames, folder / "capture.pcapng") else {}


class SlacEvsePeer(FakeSlacEvse, _Evidence):
    """The fake SLAC EVSE as a run's peer."""


class SlacEvPeer(FakeSlacEv, _Evidence):
    """The fake SLAC EV as a run's peer."""


def make(run: VgiRun) -> RunPeer:
    """Its `unavailable` says why not when namespaces cannot be made (the cases are then NOT_APPLICABLE)."""
    peer = from_pixit(run.dut_role, run.require_profile().pixit, run.budgets, classes=(SlacEvsePeer, SlacEvPeer))
    return peer.start()

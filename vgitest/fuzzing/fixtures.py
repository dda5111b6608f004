"""The ``vgi_fuzz`` fixture: a fuzz case's property runner, set up with the run's fuzz profile and seed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ..evidence import bundle
from ..fixturekit import run_of
from . import profiles, replay

if TYPE_CHECKING:
    from .property import PropertyRunner


class _LazyTrace:
    """The run's fake peer's trace, looked up when used: the peer may be started by a fixture set up later."""

    def __init__(self, run: object) -> None:
        self.run = run

    def _trace(self):
        peer = getattr(self.run, "peer", None)
        return peer.trace if peer is not None else None

    def __len__(self) -> int:
        t = self._trace()
        return len(t) if t is not None else 0

    def since(self, start: int) -> list:
        t = self._trace()
        return t.since(start) if t is not None else []


@pytest.fixture
def vgi_fuzz(request: pytest.FixtureRequest) -> PropertyRunner:
    """Runs a property against the device: ``vgi_fuzz.run(strategy, body, session)`` (see vgitest.fuzzing)."""
    run = run_of(request)
    s = run.settings
    test_file = str(request.node.path)
    marker = request.node.get_closest_marker("vgi_case")
    case = {"test_file": test_file, "test": request.node.name, "nodeid": request.node.nodeid,
            "case": marker.args[0] if marker and marker.args else None, "profile": s.profile,
            "run_name": s.run_name, "faults": list(s.faults), "strict": bool(s.strict)}
    from .property import PropertyRunner  # hypothesis: loaded by the cases that fuzz, not by every run

    return PropertyRunner(profiles.get(s.fuzz_profile), s.fuzz_seed,
                          folder=run.run_dir / "tests" / bundle.folder_name(request.node.name), case=case,
                          trace=_LazyTrace(run), replay_file=replay.wanted_by(test_file, request.node.name))

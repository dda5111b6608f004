"""What a protocol package's pytest fixtures need from the plugin: the run, the test's record, and opening the
test's window on a fake peer that its set-up started.

The plugin keeps one record per test (``RECORD``): the case id, where the test's frames begin in the peer's trace
(its window), and what fixtures note for the after-test checks (e.g. the heartbeat interval a station had when
the test began).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from . import case as vcase
from .verdict import Inconclusive, NotApplicable, Verdict

if TYPE_CHECKING:
    from .run import VgiRun

RUN = pytest.StashKey["VgiRun"]()
RECORD = pytest.StashKey[dict]()


def run_of(request: pytest.FixtureRequest) -> VgiRun:
    return request.config.stash[RUN]


def record_of(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """The test's record (None outside a test, e.g. in a session fixture)."""
    return request.node.stash.get(RECORD, None)


def open_window(record: dict, peer: Any) -> None:
    """The test's frames begin where the peer's trace stands now."""
    record["start"], record["fstart"] = peer.trace.mark(test_start=True)
    record["start_ns"] = time.monotonic_ns()
    for wire in list(getattr(peer, "wires", None) or []):  # the evidence of finished tests is written: their
        wire.release(record["start_ns"])  # bytes are no longer needed, only counted (issue 13)
    record["window"] = vcase.Window(peer.trace, (record["start"], record["fstart"]))
    vcase.begin(record["window"])


def started(peer: Any, request: pytest.FixtureRequest) -> Any:
    """A fake peer started during this test's set-up: the test's frames begin where its trace stands now."""
    rec = record_of(request)
    if rec is not None and rec.get("window") is None:
        open_window(rec, peer)
    return peer


def peer_for_test(request: pytest.FixtureRequest, protocol: str, role: str | None = None) -> Any:
    """The run's fake peer of `protocol`, started, reset for this test and reading from its first frame. With
    `role`, the DUT must play that role ([dut] role), else the case is INCONCLUSIVE naming the mismatch; a peer that
    cannot work here (its `unavailable`) makes the case NOT_APPLICABLE."""
    run = run_of(request)
    if role is not None and run.dut_role != role:
        raise Inconclusive(f"the {request.fixturename} fixture tests a DUT whose [dut] role is \"{role}\"; this "
                           f"profile's is \"{run.dut_role}\"")
    peer = run.ensure_peer(protocol)
    if peer.unavailable:
        not_applicable(request, peer.unavailable)
    return started(peer, request)


def generated_pki(request: pytest.FixtureRequest, what: str) -> Any:
    """The test PKI the run's peer generated (PIXIT tls_material = "generated"); INCONCLUSIVE naming `what` the
    test does with it when there is none (the lab gave its own certificates)."""
    pki = run_of(request).pki
    if pki is None:
        raise Inconclusive(f"this test {what}: it needs the generated test PKI (PIXIT tls_material = \"generated\")")
    return pki


def session_for_test(session: Any, request: pytest.FixtureRequest) -> Any:
    """A peer's session with this test's settings back to defaults, reading from the test's first frame."""
    session.reset_for_test()
    rec = record_of(request)
    if rec is not None:
        session.cursor = rec["start"]
    return session


def not_applicable(request: pytest.FixtureRequest | None, reason: str, rec: dict[str, Any] | None = None) -> None:
    """Skip as NOT_APPLICABLE (noted in the test's record), reported at the test's own location."""
    rec = record_of(request) if request is not None else rec
    if rec is not None:
        rec["verdict"] = Verdict.NOT_APPLICABLE
    raise NotApplicable(f"NOT_APPLICABLE: {reason}" if not reason.startswith("NOT_APPLICABLE") else reason)

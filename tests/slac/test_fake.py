"""The fake SLAC peers' plumbing without namespaces: link URLs, the harness's link-level variations, the
NOT_APPLICABLE path, and that every role fault is catalogued with a suite test."""

from __future__ import annotations

import asyncio

import pytest

from vgitest.slac import fake, netns
from vgitest.slac.catalog import SLAC_EV_FAULTS, SLAC_EVSE_FAULTS
from vgitest.slac.frames import MMType
from vgitest.slac.link import MemoryLink
from vgitest.slac.roles import EV_FAULTS, EVSE_FAULTS, SlacEv, SlacEvse
from vgitest.slac.timers import SlacTimers


def test_link_urls() -> None:
    assert fake.parse_url("slac+netns://vgislac-1-a/slac0") == ("vgislac-1-a", "slac0")
    assert fake.parse_url("slac://eth1") == (None, "eth1")
    with pytest.raises(ValueError):
        fake.parse_url("ws://x")


def test_every_role_fault_is_catalogued() -> None:
    assert set(SLAC_EVSE_FAULTS.faults) == set(EVSE_FAULTS)
    assert set(SLAC_EV_FAULTS.faults) == set(EV_FAULTS)
    for cat in (SLAC_EV_FAULTS, SLAC_EVSE_FAULTS):
        for f in cat.faults.values():
            (version, d), = f.detections
            assert version == "15118-3" and d.tests and d.rule.startswith("SLAC-")


def test_unavailable_namespaces_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netns, "available", lambda: (False, "not root"))
    peer = fake.from_pixit("evse", {"interface": "veth"}).start()
    try:
        assert peer.unavailable and "not root" in peer.unavailable
        with pytest.raises(RuntimeError):
            peer.match()
    finally:
        peer.stop()


def test_pixit_timers_override_the_harness_only() -> None:
    peer = fake.from_pixit("ev", {"interface": "eth9", "timers": {"batch_tolerance": 0.015},
                                  "match_session_timeout": 2})
    assert isinstance(peer, fake.FakeSlacEvse) and peer.url == "slac://eth9"
    assert peer.timers.batch_tolerance == 0.015 and peer.session_timeout == 2.0
    assert SlacTimers.from_budgets().batch_tolerance == 0.005


def test_drop_first_and_decoy_over_memory() -> None:
    """The harness EV ignores the first CM_SLAC_PARM.CNF (so it repeats its request) and sends a CM_SLAC_MATCH.REQ
    with a foreign RunID before the real one: the EVSE ignores the decoy and the matching completes."""
    async def main() -> tuple:
        a, b = MemoryLink.pair()
        shaped = fake.ShapedLink(b, drop_first=[MMType.CM_SLAC_PARM_CNF], decoy_match=True)  # type: ignore[arg-type]
        evse = SlacEvse(a, session_timeout=1.0)
        ev = SlacEv(shaped)
        return await asyncio.gather(evse.run(), ev.run()), shaped, b.records

    (evse_res, ev_res), shaped, records = asyncio.run(main())
    assert shaped.dropped == [MMType.CM_SLAC_PARM_CNF]
    sent = [r.frame() for r in records if r.direction == "tx" and r.via == "plc"]
    parm = [f for f in sent if f and f.mmtype is MMType.CM_SLAC_PARM_REQ]
    match = [f for f in sent if f and f.mmtype is MMType.CM_SLAC_MATCH_REQ]
    assert len(parm) == 2  # the first answer was dropped: the EV repeated its request
    assert len(match) == 2 and match[0].mme.run_id != parm[0].mme.run_id == match[1].mme.run_id
    assert evse_res.ok and ev_res.ok

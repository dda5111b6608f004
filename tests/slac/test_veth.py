"""End to end over real AF_PACKET sockets: the EVSE role in one network namespace, the EV role in another,
joined by a veth pair. Skipped (with the reason) where namespaces cannot be made."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from vgitest.slac import netns
from vgitest.slac.checks import check
from vgitest.slac.frames import MIN_FRAME_LEN
from vgitest.slac.pair import PairConfig, run_over_veth
from vgitest.slac.roles import EV_FAULTS, EVSE_FAULTS

OK, WHY = netns.available()
pytestmark = pytest.mark.skipif(not OK, reason=f"network namespaces unavailable: {WHY}")

# A quick subset over the wire (the whole matrix runs in memory in test_roles.py).
VETH_FAULTS = [("evse", "late_parm_cnf"), ("evse", "no_match_cnf"), ("evse", "wrong_mvf_length"),
               ("evse", "set_key_mismatch"), ("evse", "match_cnf_wrong_run_id"), ("ev", "too_few_sounds"),
               ("ev", "fast_sounds"), ("ev", "single_start_atten"), ("ev", "unpadded_frames"),
               ("ev", "late_match_req"), ("ev", "no_atten_char_rsp")]


@pytest.fixture(scope="module")
def pair() -> Iterator[netns.NetnsPair]:
    with netns.NetnsPair() as p:
        yield p


def _namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10,
                          check=True).stdout


def test_clean_match_over_veth(pair: netns.NetnsPair) -> None:
    run = run_over_veth(pair, PairConfig())
    assert run.evse.ok and run.ev.ok, (run.evse, run.ev)
    assert run.ev.nmk == run.evse.nmk and run.ev.nid == run.evse.nid
    assert check(run.ev_records, "evse") == [] and check(run.evse_records, "ev") == []
    assert check(run.evse_records, "evse", "evse") == []
    # Real frames crossed the link: the EV saw the EVSE's answers, padded to the minimum.
    rx = [r for r in run.ev_records if r.direction == "rx" and r.via == "plc"]
    assert len(rx) == 3 and all(len(r.raw) >= MIN_FRAME_LEN for r in rx)
    stamps = [r.t_ns for r in run.ev_records]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("side, fault", VETH_FAULTS, ids=[f"{s}-{n}" for s, n in VETH_FAULTS])
def test_fault_caught_over_veth(pair: netns.NetnsPair, side: str, fault: str) -> None:
    cfg = PairConfig.of([fault] if side == "evse" else [], [fault] if side == "ev" else [])
    run = run_over_veth(pair, cfg)
    if fault == "set_key_mismatch":
        got = check(run.evse_records, "evse", "evse")
    else:
        got = check(run.ev_records if side == "evse" else run.evse_records, side)
    expected = (EVSE_FAULTS if side == "evse" else EV_FAULTS)[fault].rule
    assert expected in {f.rule_id for f in got}, [str(f) for f in got]


def test_pairs_have_unique_names_and_are_removed() -> None:
    with netns.NetnsPair() as p1, netns.NetnsPair() as p2:
        assert len({p1.a, p1.b, p2.a, p2.b}) == 4
        listed = _namespaces()
        assert p1.a in listed and p2.b in listed
    listed = _namespaces()
    assert p1.a not in listed and p2.b not in listed


def test_cleanup_runs_on_error() -> None:
    with pytest.raises(RuntimeError), netns.NetnsPair() as p:
        raise RuntimeError("boom")
    assert p.a not in _namespaces()


def test_code_runs_inside_the_namespace(pair: netns.NetnsPair) -> None:
    import socket
    names = netns.run_in_netns(pair.a, lambda: [n for _, n in socket.if_nameindex()], timeout=5)
    assert sorted(names) == ["lo", pair.ifname]
    with pytest.raises(ZeroDivisionError):
        netns.run_in_netns(pair.a, lambda: 1 / 0, timeout=5)

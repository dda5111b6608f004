"""Helpers the SLAC suite (suites/slac) shares: the case marker and the assertions most cases end with.

A case provokes something with :meth:`match` and checks its purpose on the returned session with the fake peer's
``check`` / ``check_outcome`` (:class:`vgitest.session.Verdicts`, a SLAC-* rule on the frame that shows it); the
fake peer has already judged every frame of the device (SLAC-* findings fail the test through the plugin), and
``check_outcome`` fails on those when they explain what the case sees.
"""

from __future__ import annotations

from typing import Any

import pytest

from .frames import BROADCAST, MIN_FRAME_LEN

PROTOCOL = pytest.mark.vgi_protocol("slac", "15118-3")


def case(case_id: str, *requires: str) -> pytest.MarkDecorator:
    """``TC_SECC_CMN_VTB_CmSlacParm_001`` -> feature ``CmSlacParm``; ``requires`` are PICS names (Evse, Ev)."""
    return pytest.mark.vgi_case(case_id, feature=case_id.split("_")[4], requires=requires)


def matched(fake: Any, s: Any) -> None:
    """The harness's role completed the matching. When the SLAC checks judged why it did not, the case fails on
    them; otherwise on the rule of the step the device left out: an EV that did not go on
    (SLAC-SEQUENCE-TIMEOUT), an EVSE that did not answer (SLAC-RESPONSE-MISSING)."""
    rule = "SLAC-SEQUENCE-TIMEOUT" if fake.dut_side == "ev" else "SLAC-RESPONSE-MISSING"
    fake.check_outcome(s.matched, rule, f"the matching did not complete: {s.describe()}")


def ms(a: Any, b: Any) -> float:
    """Milliseconds from message ``a`` to message ``b`` (socket times)."""
    return (b.frame.t_ns - a.frame.t_ns) / 1e6


def is_broadcast(m: Any) -> bool:
    return m.frame.raw[0:6] == BROADCAST


def padded(m: Any) -> bool:
    return len(m.frame.raw) >= MIN_FRAME_LEN

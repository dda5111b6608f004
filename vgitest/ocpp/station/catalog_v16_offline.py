"""The OCPP 1.6 power-failure and offline faults of the reference station (v16.py, station/v16_offline.py): which
suite test catches each and with which rule. Every entry is proven by the fault matrix (tests/test_fault_matrix.py)."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule)


_f("power_loss_tx_forgotten", "a transaction a power failure cut is forgotten: no StopTransaction after the station is "
   "back", "TC_032_2_CS", r.EXPECTED_MESSAGE)

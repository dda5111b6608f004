"""Reusable states (Booted, Authorized, EnergyTransferStarted...) per OCPP version, and the postamble that
brings a station back to idle after a case.

Each version module (`states_v16`, `states_v201`) provides `booted`, `authorized`, `transaction` and
`to_idle`; the plugin's fixtures dispatch on the DUT's negotiated version."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ..verdict import HarnessError

_MODULES = {"1.6": "vgitest.ocpp.states_v16", "2.0.1": "vgitest.ocpp.states_v201",
            "2.1": "vgitest.ocpp.states_v201"}  # 2.1 keeps 2.0.1's device model and transaction states


def for_version(version: str) -> ModuleType:
    try:
        return importlib.import_module(_MODULES[version])
    except KeyError:
        raise HarnessError(f"no reusable states for OCPP {version}") from None


def postamble(station: Any, dut: Any, profile: Any) -> list[str]:
    """After a case: end what it left running (transactions, a plugged cable) and wait (bounded) until the station
    is idle and quiet, so that nothing it sends because of the clean-up lands in the next case. Never raises: what
    could not be done is returned for the record, and the next case's preamble finds out (INCONCLUSIVE there)."""
    if station.version not in _MODULES or not station.connected or station.registration != "Accepted":
        return []
    try:
        return for_version(station.version).to_idle(station, dut, profile)
    except Exception as exc:  # the postamble judges nothing and must not turn a verdict into an error
        return [f"clean-up stopped: {exc}"]

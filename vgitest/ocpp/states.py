"""Reusable states (Booted, Authorized, EnergyTransferStarted...) per OCPP version.

Each version module (`states_v16`, `states_v201`) provides `booted`, `authorized` and `transaction`; the
plugin's fixtures dispatch on the DUT's negotiated version."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..verdict import HarnessError

_MODULES = {"1.6": "vgitest.ocpp.states_v16", "2.0.1": "vgitest.ocpp.states_v201"}


def for_version(version: str) -> ModuleType:
    try:
        return importlib.import_module(_MODULES[version])
    except KeyError:
        raise HarnessError(f"no reusable states for OCPP {version}") from None

"""Imports every version's fault catalog so that `faults.CATALOG` is complete."""

from __future__ import annotations

import importlib

for _mod in ("vgitest.ocpp.station.catalog_v16", "vgitest.ocpp.station.catalog_v16_reservation",
             "vgitest.ocpp.station.catalog_v16_smart", "vgitest.ocpp.station.catalog_v16_extra",
             "vgitest.ocpp.station.catalog_v201", "vgitest.ocpp.station.catalog_security",
             "vgitest.ocpp.station.catalog_v16_files", "vgitest.ocpp.station.catalog_v16_offline",
             "vgitest.ocpp.station.catalog_v21"):
    try:
        importlib.import_module(_mod)
    except ModuleNotFoundError as exc:  # a version without a catalog yet
        if exc.name != _mod:
            raise

"""The fault catalog of the reference charging station (OCPP 1.6 and 2.0.1).

Each version module (catalog_v16, catalog_v201) registers, for its version, which suite test(s) must catch
each fault and with which rule id. See vgitest.faults for the shared machinery.
"""

from __future__ import annotations

from ...faults import Detection, Fault, FaultCatalog

__all__ = ["CATALOG", "Detection", "Fault", "OCPP_FAULTS", "check_names", "fault", "known"]

OCPP_FAULTS = FaultCatalog("OCPP")
CATALOG = OCPP_FAULTS.faults
fault = OCPP_FAULTS.fault
known = OCPP_FAULTS.known
check_names = OCPP_FAULTS.check_names

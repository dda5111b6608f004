"""OCPP 1.6 Core faults added with the remaining stop-session, cache and lock-failure cases (behaviour in v16.py):
which suite test catches each fault, and with which rule."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "1.6"

fault("no_stop_when_unlock_off", "with UnlockConnectorOnEVSideDisconnect false, unplugging the EV does not stop the "
      "transaction although StopTransactionOnEVSideDisconnect is true", version=V, tests=("test_TC_005_2_CS",),
      rule=r.EXPECTED_MESSAGE)
fault("parent_id_ignored", "an idTag sharing the parent id of the one that started a transaction cannot stop it",
      version=V, tests=("test_TC_069_CS",), rule=r.EXPECTED_MESSAGE)
fault("lock_failure_ignored", "a transaction starts although the connector could not lock the cable", version=V,
      tests=("test_TC_024_CS",), rule=r.STATUS_TRANSITION)
fault("unlock_failure_hidden", "UnlockConnector answers Unlocked although the cable lock failed", version=V,
      tests=("test_TC_030_CS",), rule=r.STATION_RESPONSE)
fault("fixed_cable_unlocked", "a station with a permanently attached cable answers UnlockConnector Unlocked",
      version=V, tests=("test_TC_017_2_CS", "test_TC_018_2_CS"), rule=r.STATION_RESPONSE,
      profile="reference-station-16-fixed-cable")

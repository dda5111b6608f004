"""OCPP 2.1 faults of connector states reported by NotifyEvent: the carried 2.0.1 faults of the cases that judge
connector states, shown again against the 2.1 reference station that reports them only by NotifyEvent (profile
reference-station-21-notifyevent, PIXIT status_by), so that a case which read only StatusNotification could not
pass there for the wrong reason. Imported by `catalog_v21` after it carried the faults."""

from __future__ import annotations

from .faults import CATALOG, fault

V = "2.1"
PROFILE = "reference-station-21-notifyevent"

# the faults of the connector-state cases, each with the 2.1 detection it has under the default profile
BY_NOTIFY_EVENT = ("no_occupied_status", "no_available_after_unplug", "availability_ignored", "evse_operative_ignored",
                   "station_inoperative_ignored", "station_operative_ignored", "connector_inoperative_ignored",
                   "connector_operative_ignored", "availability_always_reported", "scheduled_inoperative_forgotten",
                   "availability_not_persistent", "no_status_after_boot")


def _again(name: str) -> None:
    f = CATALOG[name]
    d = next(d for v, d in f.detections if v == V and d.profile is None)
    fault(name, f.describe(V), version=V, tests=d.tests, rule=d.rule, strict=d.strict, profile=PROFILE)


for _name in BY_NOTIFY_EVENT:
    _again(_name)

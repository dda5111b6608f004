"""Which security profile the reference stations take over OCPP (station/security_profiles.py): 2.0.1 refuses every
lower profile; 2.1 allows 3 to 2 (2.1 Part 0 §2, A05) and still refuses anything below 2; the fault
accepts_downgrade takes any lower one. The 2.1 case TC_A_22_CS (suites/ocpp21) judges only the floor."""

from __future__ import annotations

import dataclasses

import pytest

from vgitest.ocpp.station.security_profiles import allowed

MATERIAL = {"tls_ca": "ca.pem", "tls_cert": "cert.pem"}


@dataclasses.dataclass
class Station:
    version: str
    profile: int
    faults: tuple[str, ...] = ()
    password: str | None = "a-password-of-20-chars"

    @property
    def params(self) -> dict:
        return {**MATERIAL, "security_profile": self.profile}

    def has(self, fault: str) -> bool:
        return fault in self.faults


@pytest.mark.parametrize("version,profile,wanted,ok", [
    ("2.0.1", 3, 2, False), ("2.0.1", 3, 1, False), ("2.0.1", 2, 1, False),
    ("2.1", 3, 2, True), ("2.1", 3, 1, False), ("2.1", 2, 1, False),
    ("2.1", 2, 3, True), ("2.0.1", 2, 3, True), ("2.1", 3, 3, True)])
def test_which_change_a_station_takes(version: str, profile: int, wanted: int, ok: bool) -> None:
    assert allowed(Station(version, profile), wanted) is ok


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_the_fault_takes_any_lower_profile(version: str) -> None:
    assert allowed(Station(version, 3, ("accepts_downgrade",)), 1)
    assert allowed(Station(version, 2, ("accepts_downgrade",)), 1)

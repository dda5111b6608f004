"""Fault catalogs of the reference simulators, one per protocol.

Each fault is a named, deliberate defect a simulator can be started with. For each protocol version the
catalog says which suite test(s) must catch the fault and with which rule id; the harness's own tests run
every entry (tests/test_fault_matrix.py) and docs/faults.md is generated from the catalogs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any


@dataclasses.dataclass(frozen=True)
class Detection:
    tests: tuple[str, ...]  # suite test function names, e.g. ("test_TC_001_CS",)
    rule: str  # the rule id the catching test must report
    strict: bool = False  # the rule is a SHOULD in this version: the matrix runs it with --vgi-strict
    profile: str | None = None  # a built-in profile other than the version's default (e.g. one with TLS)


@dataclasses.dataclass
class Fault:
    name: str
    description: str  # the first version's; each version's own is in ``descriptions``
    # (version, detection) in registration order; one version may have several, each under its own profile
    # (an OpenADR VEN fault caught by a pull test and, with the push profile, by the push twin)
    detections: list[tuple[str, Detection]] = dataclasses.field(default_factory=list)
    # version -> what the fault does in that version's simulator (a fault of one name is often implemented per
    # version, e.g. in a 1.6 and a 2.0.1 message): never the wording of whichever catalog happened to load first
    descriptions: dict[str, str] = dataclasses.field(default_factory=dict)

    def describe(self, version: str) -> str:
        return self.descriptions.get(version, self.description)

    @property
    def detected_by(self) -> dict[str, Detection]:
        """The first detection of each version (its default profile's)."""
        out: dict[str, Detection] = {}
        for version, d in self.detections:
            out.setdefault(version, d)
        return out

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.detected_by)


class FaultCatalog:
    """The faults of one protocol's simulators, by name."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.faults: dict[str, Fault] = {}

    def fault(self, name: str, description: str, *, version: str, tests: tuple[str, ...] | list[str], rule: str,
              strict: bool = False, profile: str | None = None) -> Fault:
        """Register (or extend) a fault with how `version`'s suite catches it (under `profile`, if given). One fault
        may have several detections of one version and profile over other tests: each is a row of the fault matrix
        of its own, so long procedures that one fault fails run side by side."""
        f = self.faults.get(name)
        if f is None:
            f = self.faults[name] = Fault(name, description)
        if any(v == version and d.profile == profile and set(d.tests) & set(tests) for v, d in f.detections):
            raise ValueError(f"fault {name} already has a detection of these tests for {self.protocol} {version}"
                             + (f" with profile {profile}" if profile else ""))
        f.detections.append((version, Detection(tuple(tests), rule, strict, profile)))
        f.descriptions.setdefault(version, description)
        return f

    def known(self, version: str) -> list[Fault]:
        return [f for f in self.faults.values() if version in f.detected_by]

    def check_names(self, names: set[str] | list[str] | tuple[str, ...], version: str) -> None:
        """Refuse fault names the catalog does not know for this version (a typo must not run a clean DUT)."""
        unknown = [n for n in names if n not in self.faults or version not in self.faults[n].detected_by]
        if unknown:
            raise ValueError(f"unknown fault(s) for {self.protocol} {version}: {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(f.name for f in self.known(version)))}")


CATALOG_MODULES = {"OCPP": ("vgitest.ocpp.station.catalog", "vgitest.ocpp.station.faults:OCPP_FAULTS"),
                   "OpenADR": ("vgitest.openadr.ven.catalog", "vgitest.openadr.ven.catalog:OADR_FAULTS"),
                   "OpenADR 3": ("vgitest.openadr3.ven.catalog", "vgitest.openadr3.ven.catalog:OA3_FAULTS"),
                   "IEEE 2030.5": ("vgitest.sep2.client.catalog", "vgitest.sep2.client.catalog:SEP2_FAULTS"),
                   "ISO 15118 EV": ("vgitest.iso15118.catalog", "vgitest.iso15118.catalog:EV_FAULTS"),
                   "ISO 15118 EVSE": ("vgitest.iso15118.catalog", "vgitest.iso15118.catalog:EVSE_FAULTS"),
                   "SLAC EV": ("vgitest.slac.catalog", "vgitest.slac.catalog:SLAC_EV_FAULTS"),
                   "SLAC EVSE": ("vgitest.slac.catalog", "vgitest.slac.catalog:SLAC_EVSE_FAULTS"),
                   "IEC 61850 EV": ("vgitest.iec61850.catalog", "vgitest.iec61850.catalog:FLOW_EV_FAULTS"),
                   "IEC 61850 EVSE": ("vgitest.iec61850.catalog", "vgitest.iec61850.catalog:FLOW_EVSE_FAULTS")}


def all_catalogs() -> list[FaultCatalog]:
    """Every protocol's catalog, fully registered (for docs and `vgitest faults`)."""
    import importlib
    out = []
    for registering, target in CATALOG_MODULES.values():
        importlib.import_module(registering)
        module, name = target.split(":")
        out.append(getattr(importlib.import_module(module), name))
    return out


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a decoded message (dicts and lists walked): what the robustness faults of the reference
    simulators look at (an over-long string, a non-ASCII character)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)

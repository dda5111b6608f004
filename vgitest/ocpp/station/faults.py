"""The fault catalog of the reference charging station.

Each fault is a named, deliberate defect the station can be started with. Each version module registers,
for its version, which suite test(s) must catch the fault and with which rule id. The harness's own tests
run every entry and prove it (`tests/test_fault_matrix.py`); `docs/faults.md` is generated from it.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Detection:
    tests: tuple[str, ...]  # suite test function names, e.g. ("test_TC_001_CS",)
    rule: str  # the rule id the catching test must report
    strict: bool = False  # the rule is a SHOULD in this version: the matrix runs it with --vgi-strict


@dataclasses.dataclass
class Fault:
    name: str
    description: str
    detected_by: dict[str, Detection] = dataclasses.field(default_factory=dict)  # version -> detection

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.detected_by)


CATALOG: dict[str, Fault] = {}


def fault(name: str, description: str, *, version: str, tests: tuple[str, ...] | list[str], rule: str,
          strict: bool = False) -> Fault:
    """Register (or extend) a fault with how `version`'s suite catches it."""
    f = CATALOG.get(name)
    if f is None:
        f = CATALOG[name] = Fault(name, description)
    if version in f.detected_by:
        raise ValueError(f"fault {name} already has a detection for OCPP {version}")
    f.detected_by[version] = Detection(tuple(tests), rule, strict)
    return f


def known(version: str) -> list[Fault]:
    return [f for f in CATALOG.values() if version in f.detected_by]


def check_names(names: set[str] | list[str] | tuple[str, ...], version: str) -> None:
    """Refuse fault names the catalog does not know for this version (typos must not run a clean station)."""
    unknown = [n for n in names if n not in CATALOG or version not in CATALOG[n].detected_by]
    if unknown:
        raise ValueError(f"unknown fault(s) for OCPP {version}: {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(f.name for f in known(version)))}")

"""The three fuzz profiles, as hypothesis settings.

* ``pr``: few examples, derandomized (the same examples on every run until the test or hypothesis changes: the
  pinned version keeps them stable). What ``make test``, CI and ``vgitest run`` use.
* ``nightly``: thousands of examples from a fresh seed, failing examples kept in ``.hypothesis/`` for the next run.
* ``cert``: a few hundred examples from a seed that is recorded in every fuzz case's evidence (and can be given
  with ``--vgi-fuzz-seed``), so a lab can run exactly the same examples again.

Every profile has a wall-time budget per fuzz case: once it is spent, no further example reaches the device and
the case says how many did (see :mod:`.property`). Shrinking a counterexample found against a live device costs
one exchange per try, so it is bounded by the same budget.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # hypothesis is imported when a fuzz case runs: every suite process reads this module
    from hypothesis import settings

__all__ = ["DEFAULT", "FuzzProfile", "PROFILES", "get", "hypothesis_settings", "new_seed"]


@dataclasses.dataclass(frozen=True)
class FuzzProfile:
    name: str
    max_examples: int  # per fuzz case, before the case's own weight
    derandomize: bool
    budget_s: float  # wall time per fuzz case, examples and shrinking together
    database: str | None  # folder of hypothesis's example database (None: none)
    description: str


PROFILES = {p.name: p for p in (
    FuzzProfile("pr", 25, True, 45.0, None,
                "fast and derandomized: the same examples on every run (make test, CI, vgitest run)"),
    FuzzProfile("nightly", 2000, False, 1800.0, ".hypothesis/vgitest-nightly",
                "thousands of examples from a fresh seed; failing examples are kept for the next run"),
    FuzzProfile("cert", 300, False, 600.0, None,
                "a recorded seed (--vgi-fuzz-seed to give one): a lab can run exactly the same examples again"),
)}
DEFAULT = "pr"


def get(name: str) -> FuzzProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown fuzz profile {name!r}; known: {', '.join(PROFILES)}") from None


def new_seed() -> int:
    return secrets.randbelow(2 ** 32)


def hypothesis_settings(profile: FuzzProfile, weight: float = 1.0) -> settings:
    """Settings for one fuzz case: ``weight`` scales the profile's example count (a case covering many
    messages asks for more)."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    return settings(
        max_examples=max(1, round(profile.max_examples * weight)), derandomize=profile.derandomize,
        database=DirectoryBasedExampleDatabase(profile.database) if profile.database else None,
        deadline=None,  # network exchanges: the device's latency is judged by the case, not by hypothesis
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink] if profile.database
        else [Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
        verbosity=Verbosity.quiet)

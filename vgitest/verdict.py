"""Verdicts and the exceptions that carry them to pytest and Allure.

A test's verdict is the worst of everything it saw (TTCN-3 style: a verdict only ever gets worse).
A DUT defect is raised as :class:`NonConformance`, a subclass of ``AssertionError``, so that Allure files it
as *failed* (a product defect); harness faults are other exceptions and show as *broken*.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import pytest


class Verdict(enum.IntEnum):
    """Outcome of one test case; higher is worse, so ``max()`` combines verdicts."""

    NOT_APPLICABLE = 0  # PICS says the feature is absent
    PASS = 1
    INFORMATIONAL = 2  # behaviour the standard leaves open; reported, never a defect
    NON_STRICT = 3  # a SHOULD was broken; still conformant
    INCONCLUSIVE = 4  # the precondition could not be established
    FAIL = 5  # a MUST was broken
    ERROR = 6  # a harness fault, never blamed on the DUT

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


def worst(verdicts: Iterable[Verdict], default: Verdict = Verdict.PASS) -> Verdict:
    """Combine verdicts: the worst one wins."""
    return max(verdicts, default=default)


class NonConformance(AssertionError):
    """The DUT broke a MUST. Subclasses AssertionError so Allure shows 'failed' (product defect)."""

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])


class Concluded(Exception):
    """The case's body stops on findings it has recorded, none of which breaks a MUST (a broken SHOULD that leaves
    nothing more to check): the case is judged on those findings alone (NON_STRICT; FAIL with --vgi-strict), never
    FAIL for the stop itself."""


class Inconclusive(Exception):
    """The test could not reach the state it needs (DUT absent, precondition not met)."""


class HarnessError(Exception):
    """A fault of the harness itself (port in use, missing schema, bad configuration)."""


class NotApplicable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The case cannot apply to this DUT (a feature or an action it lacks): NOT_APPLICABLE, with the reason.

    A pytest skip underneath, reported at the test's own location, so every reporter (console, JUnit, Allure,
    results.json) files it as not applicable; like every skip it is a BaseException, which a broad
    ``except Exception`` does not swallow."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, _use_item_location=True)
        self.reason = reason

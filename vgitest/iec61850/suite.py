"""Helpers the IEC 61850 suite (suites/iec61850) shares: the protocol marker, the case marker and the check most
cases end with. A case runs one Table 5 flow (``flow_ev.flow()`` / ``flow_evse.flow()``) and checks its purpose with
the fake peer's ``check`` / ``check_outcome``; the fake peer has already judged every frame of the device (GOOSE,
SV and MMS rules on the frames fail the case through the plugin)."""

from __future__ import annotations

from typing import Any

import pytest

PROTOCOL = pytest.mark.vgi_protocol("iec61850", "ed2")


def case(case_id: str, *requires: str) -> pytest.MarkDecorator:
    """``TC_VGI_61850_EVSE_GOOSE_001`` -> feature ``GOOSE``; ``requires`` are PICS names (Evse, Ev)."""
    return pytest.mark.vgi_case(case_id, feature=case_id.split("_")[4], requires=requires)


def completed(fake: Any, s: Any, steps: tuple[str, ...]) -> None:
    """The harness's role got through ``steps``: otherwise the case fails on the findings that explain why, or on
    IEC-FLOW-STEP naming the step the device did not take."""
    missing = [step for step in steps if not s.result.done(step)]
    fake.check_outcome(not missing, "IEC-FLOW-STEP", f"the flow stopped before {missing[0] if missing else ''}: "
                       f"{s.describe()}")


def sized(fake: Any, budgets: Any, rows: tuple[int, ...], steps: tuple[str, ...], what: str) -> None:
    """One flow, through ``steps``, then the device's frames of Table 5 ``rows`` judged against them; a flow without
    such a frame fails on IEC-FLOW-STEP naming ``what`` was missing."""
    s = fake.flow()
    completed(fake, s, steps)
    measured = fake.judge_sizes(s, rows, budgets)
    fake.check(measured, "IEC-FLOW-STEP", f"the device sent no {what}")

"""The OCPP strategies draw schema-valid payloads for every message of every version, and mutations that are not.

Each drawn payload is checked with the harness's own validator (the official schemas of the pinned `ocpp`
package, 2.x's empty-optional rule included). ``VGITEST_STRATEGY_EXAMPLES`` sets the count per message (50 by
default; the timing figure of issue 15 is taken with 100, see docs/fuzzing-strategies.md).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from vgitest.findings import Severity
from vgitest.fuzzing.jsonmutate import KINDS
from vgitest.ocpp import strategies as S

N = max(50, int(os.environ.get("VGITEST_STRATEGY_EXAMPLES", "50")))
QUIET = settings(derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                 suppress_health_check=list(HealthCheck))


def _draw_all(strategy, check, n: int) -> int:
    seen = [0]

    @settings(QUIET, max_examples=n)
    @given(strategy)
    def run(value):
        seen[0] += 1
        check(value)

    run()
    return seen[0]


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
@pytest.mark.parametrize("response", [False, True], ids=["request", "response"])
def test_every_message_draws_schema_valid_payloads(version: str, response: bool) -> None:
    v = S.validator(version)
    invalid: list[str] = []
    counts = {}
    for action in S.actions(version):
        if response and not v.answered(action):
            continue  # a SEND message (2.1): no response exists
        strat = S.response(version, action) if response else S.request(version, action)

        def check(payload, action=action):
            fails = [f for f in v.validate(action, payload, response) if f.severity is Severity.FAIL]
            if fails:
                invalid.append(f"{action}: {fails[0].message}")

        counts[action] = _draw_all(strat, check, N)
    assert not invalid, invalid[:5]
    # hypothesis stops early only when a schema has fewer distinct values than N (e.g. an empty request)
    few = {a: c for a, c in counts.items() if c < N}
    for action in few:
        schema = v.schema(action, response)
        assert len(schema.get("properties", {})) <= 2, (action, few[action])


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
def test_every_mutation_breaks_the_schema(version: str) -> None:
    v = S.validator(version)
    still_valid: list[str] = []
    kinds: set[str] = set()
    for action in S.actions(version):
        def check(pm, action=action):
            payload, mutation = pm
            kinds.add(mutation.kind)
            if isinstance(payload, dict) and v.is_valid(action, payload):
                still_valid.append(f"{action}: {mutation.describe()}")

        _draw_all(S.mutated_request(version, action), check, max(10, N // 3))
    assert not still_valid, still_valid[:5]
    assert kinds <= set(KINDS)
    assert {"remove-required", "wrong-type", "bad-enum", "too-long", "unknown-property", "not-an-object"} <= kinds


def test_a_required_field_removed_is_an_occurrence_violation_in_the_version_spelling() -> None:
    assert S.error_codes_for("1.6", "required")[0] == "OccurenceConstraintViolation"
    assert S.error_codes_for("2.0.1", "required")[0] == "OccurrenceConstraintViolation"
    assert S.error_codes_for("1.6", "type")[0] == "TypeConstraintViolation"
    assert S.error_codes_for("2.0.1", "additionalProperties")[0] == "FormatViolation"


def test_csms_actions_are_the_ones_a_csms_may_send() -> None:
    acts = S.csms_actions("1.6")
    assert "Reset" in acts and "GetConfiguration" in acts and "DataTransfer" in acts
    assert "BootNotification" not in acts and "Heartbeat" not in acts


def test_a_decimal_multiple_is_no_finding_when_the_payload_has_another_error() -> None:
    """jsonschema tests multipleOf in binary floating point (-208.7 'is not a multiple of 0.1'); the validator's
    detail pass must not report it (found by the fuzz suite: the reference station named the wrong error code)."""
    v = S.validator("1.6")
    profile = {"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
                   {"startPeriod": 0, "limit": -208.7}, {"startPeriod": 1}]}}
    found = v.validate("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile})
    assert [f.details.get("keyword") for f in found] == ["required"]
    profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = -208.75
    found = v.validate("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile})
    assert sorted(f.details.get("keyword") for f in found) == ["multipleOf", "required"]

"""Hypothesis strategies for OCPP payloads, from the official JSON schemas of each version.

Every request and response of OCPP 1.6, 2.0.1 and 2.1 has a strategy of schema-valid payloads
(:func:`request`, :func:`response`), built once per schema by :mod:`vgitest.fuzzing.jsonschema` from the
schemas the harness validates with (the pinned ``ocpp`` package or the user's folder). :func:`mutated_request`
draws a valid request and breaks it in one place (:mod:`vgitest.fuzzing.jsonmutate`), and says which RPC error
codes answer that breakage in the version at hand.

In 2.x an optional field is never drawn as ``{}`` or ``[]`` (2.0.1 Part 4 §4.1.5 forbids them); in 1.6 they are
valid values, but drawing them adds nothing a device must handle differently, so they are left out there too.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from ..fuzzing import jsonmutate
from ..fuzzing.jsonschema import Alphabet, Limits, from_schema
from .validator import SchemaValidator
from .versions import get

__all__ = ["LIMITS", "actions", "csms_actions", "error_codes_for", "mutated_request", "request", "response",
           "validator"]

LIMITS = Limits(max_items=3, text_max=40)


@functools.lru_cache(maxsize=None)
def validator(version: str) -> SchemaValidator:
    """The schema validator of ``version`` (one per process): the source of the schemas drawn from."""
    return SchemaValidator(get(version))


def actions(version: str) -> list[str]:
    """Every action of ``version``, sorted."""
    return sorted(validator(version).actions)


def csms_actions(version: str) -> list[str]:
    """The actions a CSMS may initiate in ``version`` (what a fake CSMS sends a station)."""
    v = get(version)
    every = validator(version).actions
    return sorted(a for a in every if v.is_csms_action(a, every))


def request(version: str, action: str, alphabet: Alphabet = "ascii") -> st.SearchStrategy[dict]:
    """Schema-valid request payloads of ``action``."""
    return from_schema(validator(version).schema(action, False), alphabet=alphabet, limits=LIMITS)


def response(version: str, action: str, alphabet: Alphabet = "ascii") -> st.SearchStrategy[dict]:
    """Schema-valid response payloads of ``action``."""
    return from_schema(validator(version).schema(action, True), alphabet=alphabet, limits=LIMITS)


def error_codes_for(version: str, keyword: str) -> tuple[str, ...]:
    """The RPC error codes that name the breakage of a schema ``keyword`` in ``version``, best first.

    OCPP-J lists the codes with one-line meanings (1.6 Table 7, 2.0.1 Part 4 Table 8): a field of the wrong type
    is a type constraint, a missing or surplus occurrence an occurrence constraint, a value outside what the
    field allows a property constraint, a payload that is not what the action's schema describes a format
    violation. Where two readings are reasonable both codes are listed."""
    v = get(version)
    fmt, occ = v.format_violation, v.occurrence_violation
    table = {
        "type": ("TypeConstraintViolation", fmt),
        "required": (occ, fmt, "ProtocolError"),
        "minItems": (occ, "PropertyConstraintViolation", fmt),
        "maxItems": (occ, "PropertyConstraintViolation", fmt),
        "additionalProperties": (fmt, "PropertyConstraintViolation", "ProtocolError"),
        "payload": (fmt, "TypeConstraintViolation", "ProtocolError"),
    }
    return table.get(keyword, ("PropertyConstraintViolation", "TypeConstraintViolation", fmt))


def mutated_request(version: str, action: str, alphabet: Alphabet = "ascii",
                    kind: str | None = None) -> st.SearchStrategy[tuple[dict, jsonmutate.Mutation]]:
    """A valid request of ``action`` broken in exactly one place (of ``kind`` where it can), with the mutation."""
    schema = validator(version).schema(action, False)
    return jsonmutate.mutated(schema, request(version, action, alphabet), alphabet=alphabet, kind=kind)

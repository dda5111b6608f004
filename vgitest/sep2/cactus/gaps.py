"""The procedures the engine executes that the reference DER client does not pass yet, each with what the client
lacks. The built-in run `csip-aus` leaves them out (vgitest/sep2/protocol.py) so that it stays green; a device
under test runs them all. docs/csip-aus.md lists them. Kept free of imports: the run's declaration reads it."""

from __future__ import annotations

REFERENCE_GAPS: dict[str, str] = {
    "ALL-07": "the reference client has no DUT action for the operator's 'disconnect the DER from the grid'",
    "ALL-08": "the reference client has no DUT action for the operator's 'stop the DER' (operationalModeStatus 1)",
    "MUL-01": "the reference client has no DUT action for the operator's 'power off one DER, then the others'",
}


def select(ids: list[str] | tuple[str, ...] = tuple(REFERENCE_GAPS)) -> str:
    """The pytest -k expression that leaves those procedures' cases out."""
    return " and ".join(f"not test_{pid.replace('-', '_')}" for pid in sorted(ids))

"""What the OCPP 2.1 reference station answers to the CSMS requests 2.1 adds to 2.0.1 (one row per action, as
:mod:`.requests_v201` is for 2.0.1; the 2.0.1 rows apply unchanged unless a row here replaces one).

Feature modules of 2.1 (bidirectional power transfer, DER control, ...) add their rows with :func:`add`, so that
each block keeps its behaviour in a module of its own."""

from __future__ import annotations

from .requests_v201 import Request

REQUESTS: dict[str, Request] = {}


def add(rows: dict[str, Request]) -> None:
    """Register 2.1 rows; an action registered twice is a programming error (two modules would fight over it)."""
    twice = sorted(set(rows) & set(REQUESTS))
    if twice:
        raise ValueError(f"2.1 request rows registered twice: {', '.join(twice)}")
    REQUESTS.update(rows)


__all__ = ["REQUESTS", "Request", "add"]

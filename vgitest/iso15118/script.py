"""Scripted deviations of a role's outgoing messages: what a test (or a fault) changes, and when.

A test tells the fake SECC "answer the 2nd CableCheckReq with FAILED after 300 ms" or the fake EVCC "send
ServiceDiscoveryReq where PowerDeliveryReq belongs"; the reference devices' faults are the same actions, fixed
at start. Each :class:`Action` matches the *incoming* request name on the SECC side and the *outgoing* request
name on the EVCC side (``"*"`` matches any), optionally only its n-th occurrence.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

Patch = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


@dataclasses.dataclass
class Action:
    match: str = "*"  # request name ("CableCheckReq"), or "*"
    nth: int | None = None  # only this occurrence of the request (1-based)
    after: int = 0  # only from this occurrence on (1-based; 0 = every)
    times: int | None = None  # at most this many times in total
    delay_s: float = 0.0  # wait before sending
    silence: bool = False  # send nothing and keep the connection open
    close: bool = False  # close the connection instead of sending
    code: str | None = None  # ResponseCode of the answer (SECC side)
    processing: str | None = None  # EVSEProcessing of the answer (SECC side)
    patch: Patch | None = None  # dict merged into the body (None values delete keys), or a function of the body
    send_instead: tuple[str, dict[str, Any]] | None = None  # another message in this place (sequence errors)
    session_id: bytes | None = None  # header SessionID to send instead of the right one
    header: bytes | None = None  # the 8-byte V2GTP header to send instead of the right one
    payload: bytes | None = None  # the raw payload to send instead of the EXI encoding
    payload_type: int | None = None  # V2GTP payload type to use
    expect_code: str | None = None  # EVCC side: the ResponseCode the SECC must answer this with
    expect_ignored: bool = False  # EVCC side: the SECC must not answer this frame at all
    keep_open: bool = True  # SECC side: after a FAILED answer, leave closing to the EV (the test watches it)
    note: str = ""
    used: int = 0

    def applies(self, name: str, occurrence: int) -> bool:
        if self.match not in ("*", name):
            return False
        if self.nth is not None and occurrence != self.nth:
            return False
        if self.after and occurrence < self.after:
            return False
        return self.times is None or self.used < self.times


class Script:
    """The actions in force; thread-safe (tests add actions from the test thread, roles read on their loop)."""

    def __init__(self, actions: list[Action] | None = None) -> None:
        self._lock = threading.Lock()
        self.actions: list[Action] = list(actions or [])
        self.counts: dict[str, int] = {}

    def add(self, action: Action | None = None, **kwargs: Any) -> Action:
        a = action or Action(**kwargs)
        with self._lock:
            self.actions.append(a)
        return a

    def clear(self) -> None:
        with self._lock:
            self.actions.clear()
            self.counts.clear()

    def take(self, name: str) -> list[Action]:
        """Count one occurrence of ``name`` and return the actions that apply to it (marking them used)."""
        with self._lock:
            n = self.counts[name] = self.counts.get(name, 0) + 1
            out = [a for a in self.actions if a.applies(name, n)]
            for a in out:
                a.used += 1
        return out


def apply_patch(body: dict[str, Any], patch: Patch | None) -> dict[str, Any]:
    if patch is None:
        return body
    if callable(patch):
        return patch(body)
    out = dict(body)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out

"""The reference station's robustness faults: defects only generated or malformed input reveals.

Each is a bug real stations have shipped with: a fixed-size buffer for strings, range checks left to the
schema library and skipped, a parser that blocks on an enumeration value it does not know, a handler that
chokes on an empty or a non-ASCII string, a frame reader that gives up on bad JSON, a queue that overflows when
requests come at once. The fuzz cases (suites/ocpp16_fuzz, suites/ocpp201_fuzz) must find each by themselves:
no hand-written case sends these inputs. The base station calls the hooks below from its dispatcher.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ...faults import strings_in
from .. import rules as r

__all__ = ["CAUGHT_BY", "FAULTS", "STRICT", "refusal", "accepted_anyway", "answer_valid", "crash", "on_call", "on_garbled", "reader_pause",
           "unchecked"]

LONG_STRING = 100  # characters: a string longer than this "overflows" (crash_on_long_string)
STALL_S = 8.0  # how long the reader stops after an unknown enumeration value (hang_on_unknown_enum)
BURST = (5, 0.2)  # more than 5 CALLs within 0.2 s "overflow the queue" (crash_on_burst)
RANGE_KEYWORDS = {"enum", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength",
                  "format"}

FAULTS = {  # name -> description (catalogued per version in catalog_v16 / catalog_v201)
    "crash_on_long_string": f"a CSMS request holding a string over {LONG_STRING} characters crashes the station (it "
                            "drops the connection and boots again)",
    "accept_out_of_range": "enumeration, bound, length and format violations in CSMS requests are not checked: the "
                           "request is handled and answered with a CALLRESULT",
    "hang_on_unknown_enum": f"an enumeration value the station does not know stops its frame reader for {STALL_S:g} s "
                            "(no answer to it, nor to anything after it)",
    "internal_error_on_empty_string": "a valid CSMS request holding an empty string is answered CALLERROR "
                                      "InternalError",
    "internal_error_on_non_ascii": "a valid CSMS request holding a non-ASCII character is answered CALLERROR "
                                   "InternalError",
    "crash_on_garbled_frame": "a frame that is not JSON crashes the station (it drops the connection and boots "
                              "again)",
    "crash_on_burst": f"more than {BURST[0]} requests within {BURST[1]:g} s crash the station",
    "generic_error_for_bad_request": "a CSMS request that breaks its schema is answered CALLERROR GenericError, "
                                     "whatever the breakage (a SHOULD: the code should name it)",
    "drop_bad_request": "a CSMS request that breaks its schema is dropped without an answer (allowed, but the CSMS "
                        "learns nothing)",
}


# fault -> the fuzz case that catches it and with which rule (the same in 1.6 and 2.0.1; catalog_v16/v201 register)
CAUGHT_BY = {
    "crash_on_long_string": ("TC_VGI_FUZZ_01_CS", r.FUZZ_ALIVE),
    "accept_out_of_range": ("TC_VGI_FUZZ_01_CS", r.FUZZ_REJECT),
    "hang_on_unknown_enum": ("TC_VGI_FUZZ_01_CS", r.FUZZ_ALIVE),
    "internal_error_on_empty_string": ("TC_VGI_FUZZ_02_CS", r.FUZZ_ACCEPT),
    "internal_error_on_non_ascii": ("TC_VGI_FUZZ_03_CS", r.FUZZ_ACCEPT),
    "crash_on_garbled_frame": ("TC_VGI_FUZZ_04_CS", r.FUZZ_ALIVE),
    "crash_on_burst": ("TC_VGI_FUZZ_05_CS", r.FUZZ_ALIVE),
    "generic_error_for_bad_request": ("TC_VGI_FUZZ_01_CS", r.FUZZ_ERROR_CODE),  # warn rules: NON_STRICT, strict runs
    "drop_bad_request": ("TC_VGI_FUZZ_01_CS", r.FUZZ_SILENT),
}
STRICT = {"generic_error_for_bad_request", "drop_bad_request"}  # caught as FAIL under --vgi-strict only




async def crash(station: Any) -> None:
    """Drop the connection as a crashed process would; the station boots again when it reconnects."""
    station._booted_this_power_cycle = False
    station.events.append("crashed (robustness fault)")
    ws = station.ws
    if ws is not None:
        await ws.close(1011, "reference station crashed (fault)")


async def on_garbled(station: Any) -> bool:
    """A frame that is not JSON: True when the station crashed on it."""
    if station.has("crash_on_garbled_frame"):
        await crash(station)
        return True
    return False


async def on_call(station: Any, payload: Any) -> bool:
    """A CALL arrived (before it is checked): True when the station crashed on it."""
    if station.has("crash_on_burst"):
        now = time.monotonic()
        recent = [t for t in getattr(station, "_fuzz_calls", []) if now - t < BURST[1]] + [now]
        station._fuzz_calls = recent
        if len(recent) > BURST[0]:
            station._fuzz_calls = []
            await crash(station)
            return True
    if station.has("crash_on_long_string") and any(len(s) > LONG_STRING for s in strings_in(payload)):
        await crash(station)
        return True
    return False


def unchecked(station: Any, findings: list) -> list:
    """The schema findings the station acts on (accept_out_of_range: none of the range checks)."""
    if station.has("accept_out_of_range"):
        return [f for f in findings if f.details.get("keyword") not in RANGE_KEYWORDS]
    return findings


def refusal(station: Any, problem: tuple[str, str]) -> tuple[str, str] | None:
    """The CALLERROR (code, description) for a request that breaks its schema; None: dropped, no answer."""
    if station.has("drop_bad_request"):
        return None
    if station.has("generic_error_for_bad_request"):
        return "GenericError", problem[1]
    return problem


def accepted_anyway(station: Any, findings: list) -> bool:
    """hang_on_unknown_enum: an unknown enumeration value stops the reader (the request is never answered)."""
    if station.has("hang_on_unknown_enum") and any(f.details.get("keyword") == "enum" for f in findings):
        station._stall_until = time.monotonic() + STALL_S
        return True
    return False


async def reader_pause(station: Any) -> None:
    """Before the reader takes the next frame: wait out a stall."""
    left = getattr(station, "_stall_until", 0.0) - time.monotonic()
    if left > 0:
        await asyncio.sleep(left)


def answer_valid(station: Any, payload: Any) -> tuple[str, str] | None:
    """A valid request the station chokes on: (errorCode, description) of its CALLERROR, or None."""
    texts = list(strings_in(payload))
    if station.has("internal_error_on_empty_string") and "" in texts:
        return "InternalError", "empty string"
    if station.has("internal_error_on_non_ascii") and any(not s.isascii() for s in texts):
        return "InternalError", "non-ASCII text"
    return None

"""The reference EVSE's and EV's robustness and life-cycle faults: defects only generated input or generated
sequences reveal (issue 15).

Each is a bug V2G stacks have shipped with: a decoder that does not check length facets, a fixed-size buffer for a
charging profile, a departure time kept in 16 bits, a parser that blocks on an enumeration index it does not know, a handler that answers the message
it expected when it cannot decode the one it got, a stream reader that dies when the framing is lost, an EV that
compares the ResponseCode with "FAILED" only, an EVSE that takes the request before the last one for a retransmission
or hands out the same SessionID again. No hand-written case sends these inputs; the fuzz cases of
suites/iso15118_2_fuzz must find each by themselves (CAUGHT_BY, checked by tests/test_fault_matrix.py). The engines
call the hooks below only as the reference devices (``judge`` False).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..faults import strings_in
from .negative import length_problems

__all__ = ["CAUGHT_BY", "EV_FAULTS", "EVSE_FAULTS", "NOT_IN", "crash", "ev_refuses", "evse_refuses", "LONG_STRING"]

DOWN_S = 6.0  # how long a crashed or hung reference device takes no new session (longer than a probe's SDP tries)
LONG_STRING = 100  # characters: a longer string in a response "overflows" the reference EV (crash_on_long_string)
CRASH_SHORT_S = 3.0  # a crash the liveness probe meets at once (it tries SDP for 2 s): back sooner
PROFILE_ENTRIES = 8  # ProfileEntry slots of the reference EVSE with crash_on_big_profile
DEPARTURE_MAX_S = 65535  # the largest DepartureTime the reference EVSE with failed_on_late_departure takes

EVSE_FAULTS = {  # name -> description
    "accepts_long_value": "does not check length facets: a request with a value over its maxLength is answered OK",
    "hang_on_unknown_enum": f"an enumeration index past the type's values stops it for {DOWN_S:g} s (no answer, no new "
                            "session)",
    "answers_undecodable": "answers an EXI request it cannot decode with the OK response it would have given the "
                           "request it expected next",
    "crash_on_framing_error": f"a V2GTP stream whose framing is lost (a length that does not match the payload) crashes "
                              f"it: no new session for {DOWN_S:g} s",
    "failed_on_late_departure": f"keeps DepartureTime in 16 bits: a ChargeParameterDiscoveryReq whose "
                                f"DepartureTime is over {DEPARTURE_MAX_S} s (about 18 h; the type allows any unsigned "
                                "int) is answered FAILED_WrongChargeParameter",
    "crash_on_big_profile": f"a PowerDeliveryReq whose ChargingProfile has more than {PROFILE_ENTRIES} entries (the "
                            f"schema allows 24) crashes it: no new session for {CRASH_SHORT_S:g} s",
    "accepts_previous_step": "answers OK when the EV goes back to the request before its last one (it takes it "
                             "for a retransmission), where the sequence requires FAILED_SequenceError",
    "reuses_session_id": "gives every new session the SessionID of the session before it",
}
EV_FAULTS = {
    "ignores_specific_failed": "stops only on the response code FAILED itself: a FAILED_... code is taken as OK",
    "accepts_long_value": "does not check length facets: a response with a value over its maxLength is used as valid",
    "crash_on_long_string": f"a response string over {LONG_STRING} characters crashes it: it drops the connection and "
                            f"starts no session for {DOWN_S:g} s",
    "hang_on_unknown_enum": "an enumeration index past the type's values in a response stops it: it keeps the "
                            "connection open and sends nothing",
    "retries_on_undecodable": "sends its request again after a response it cannot decode",
}

# The faults each other family's fuzz suite cannot reveal; the others are caught in suites/din70121_fuzz and
# suites/iso15118_20_fuzz too, by the same case and rule. DIN SPEC 70121: no DepartureTime; its positive data sends no
# charging profile; its responses carry few strings, all of them short (EVSEID is binary), so a string over
# LONG_STRING characters is too rare a draw for the pr profile. ISO 15118-20: no positive-data case yet; and the EV
# case does catch crash_on_long_string (an EVSEID of 256 characters), but its row takes ~47 s, over the fault
# matrix's 40 s per row: the liveness probe waits the profile's session_wait (20 s for the reference -20 EV, 8 s for
# the -2 one) for the session the crashed EV does not start, twice with the confirmation.
NOT_IN = {"din": frozenset({"failed_on_late_departure", "crash_on_big_profile", "crash_on_long_string"}),
          "iso-20": frozenset({"failed_on_late_departure", "crash_on_big_profile", "crash_on_long_string",
                               "evse:hang_on_unknown_enum"})}
# ISO 15118-20 also leaves out the EVSE's hang_on_unknown_enum: few -20 requests carry an enumeration with a spare
# index (most fill their bits), so 30 pr examples of a drawn request and site found it only by the seed's luck

# fault -> (fuzz case that catches it, rule); "evse"/"ev" prefix: the device it belongs to
CAUGHT_BY = {
    "evse:accepts_long_value": ("TC_VGI_FUZZ_01_SECC", "V2G-FUZZ-REJECT"),
    "evse:hang_on_unknown_enum": ("TC_VGI_FUZZ_01_SECC", "V2G-FUZZ-ALIVE"),
    "evse:answers_undecodable": ("TC_VGI_FUZZ_01_SECC", "V2G-FUZZ-REJECT"),
    "evse:crash_on_framing_error": ("TC_VGI_FUZZ_01_SECC", "V2G-FUZZ-ALIVE"),
    "evse:failed_on_late_departure": ("TC_VGI_FUZZ_02_SECC", "V2G-FUZZ-ACCEPT"),
    "evse:crash_on_big_profile": ("TC_VGI_FUZZ_02_SECC", "V2G-FUZZ-ALIVE"),
    "evse:accepts_previous_step": ("TC_VGI_FUZZ_03_SECC", "V2G-RESPONSE-CODE"),
    "evse:reuses_session_id": ("TC_VGI_FUZZ_03_SECC", "V2G-NEW-SESSION"),
    "ev:ignores_specific_failed": ("TC_VGI_FUZZ_01_EVCC", "V2G-STOP-AFTER-FAILED"),
    "ev:accepts_long_value": ("TC_VGI_FUZZ_01_EVCC", "V2G-FUZZ-EV-INVALID"),
    "ev:crash_on_long_string": ("TC_VGI_FUZZ_01_EVCC", "V2G-FUZZ-ALIVE"),
    "ev:hang_on_unknown_enum": ("TC_VGI_FUZZ_01_EVCC", "V2G-FUZZ-EV-INVALID"),
    "ev:retries_on_undecodable": ("TC_VGI_FUZZ_01_EVCC", "V2G-FUZZ-EV-INVALID"),
}


def crash(device: Any, what: str, seconds: float = DOWN_S) -> None:
    """The reference EVSE (a SeccServer) or EV (an EvccClient) goes down for ``seconds``: the EVSE answers no SDP
    request and takes no connection, the EV starts no session."""
    device.down_until = asyncio.get_running_loop().time() + seconds
    device.down_reason = what
    if hasattr(device, "sdp_enabled"):
        device.sdp_enabled, device.accepting = False, False

        def back() -> None:
            device.sdp_enabled, device.accepting = True, True
        asyncio.get_running_loop().call_later(seconds, back)


def is_down(device: Any) -> bool:
    return asyncio.get_running_loop().time() < getattr(device, "down_until", 0.0)




# --- reference EVSE ---------------------------------------------------------------------------------------------
def evse_refuses(server: Any, body: dict[str, Any], schema: str, name: str, req: dict[str, Any]) -> str | None:
    """The FAILED code the reference EVSE answers a decoded request with for its values, if any (length facets
    broken; the faults of positive data)."""
    faults = server.faults
    if "accepts_long_value" not in faults and length_problems(body, schema):
        return "FAILED"
    if name == "ChargeParameterDiscoveryReq" and "failed_on_late_departure" in faults:
        for key in ("DC_EVChargeParameter", "AC_EVChargeParameter"):
            departure = (req.get(key) or {}).get("DepartureTime") if isinstance(req.get(key), dict) else None
            if isinstance(departure, int) and departure > DEPARTURE_MAX_S:
                return "FAILED_WrongChargeParameter"
    return None


def evse_crashes(server: Any, name: str, req: dict[str, Any]) -> bool:
    """crash_on_big_profile: True when this request brings the reference EVSE down."""
    if name == "PowerDeliveryReq" and "crash_on_big_profile" in server.faults:
        entries = (req.get("ChargingProfile") or {}).get("ProfileEntry") or []
        if isinstance(entries, list) and len(entries) > PROFILE_ENTRIES:
            crash(server, f"ChargingProfile with {len(entries)} entries", CRASH_SHORT_S)
            return True
    return False


def evse_allows(server: Any, requests: list[Any], prev: str, b: str) -> bool:
    """accepts_previous_step: the reference EVSE takes the request before the last one (``requests``: the session's
    requests so far, this one last) for a retransmission."""
    if "accepts_previous_step" not in server.faults:
        return False
    names = [n[:-3] for n in (f.name or "" for f in requests[:-1]) if n.endswith("Req")]
    before = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]  # repeats count once
    return len(before) >= 2 and before[-1] == prev and before[-2] == b


def unknown_enum(error: Any) -> bool:
    return "enumeration index" in str(error)


# --- reference EV ------------------------------------------------------------------------------------------------
def ev_refuses(client: Any, body: dict[str, Any], schema: str) -> str | None:
    """Why the reference EV cannot use a decoded response (length facets broken), or None."""
    if "accepts_long_value" in client.faults:
        return None
    problems = length_problems(body, schema)
    return "; ".join(problems) if problems else None


def ev_crashes(client: Any, body: Any) -> bool:
    """crash_on_long_string: a response string over LONG_STRING characters brings the reference EV down."""
    if "crash_on_long_string" in client.faults and any(len(s) > LONG_STRING for s in strings_in(body)):
        crash(client, f"a string over {LONG_STRING} characters")
        return True
    return False

"""OCPP-J frames: bytes on the WebSocket ⇄ RPC messages, with every framing rule that needs no state.

Parsing never raises on DUT input: a bad frame becomes a :class:`Message` of kind ``MALFORMED`` (or a
well-typed message carrying findings) plus, where the protocol defines one, the CALLERROR to send back.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import orjson

from .. import deepjson
from ..findings import Finding, Severity
from . import rules as r
from .versions import CALL, CALLERROR, CALLRESULT, CALLRESULTERROR, SEND, TYPE_NAMES, V201, OcppVersion

MAX_ID_LEN = 36
MAX_ERROR_DESCRIPTION = 255


@dataclasses.dataclass
class Message:
    kind: str  # CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND, MALFORMED, UNKNOWN
    id: str | None = None
    action: str | None = None
    payload: Any = None
    error_code: str | None = None
    error_description: Any = None
    error_details: Any = None
    findings: list[Finding] = dataclasses.field(default_factory=list)
    reply: tuple[str, str, str] | None = None  # (id, errorCode, description) of the CALLERROR to send back

    def add(self, rule_id: str, text: str, **details: Any) -> None:
        self.findings.append(Finding.of(rule_id, text, **details))

    def body(self) -> Any:
        """What goes into the trace's `body`: the payload, or the error triple for CALLERROR."""
        if self.kind in ("CALLERROR", "CALLRESULTERROR"):
            return {"errorCode": self.error_code, "errorDescription": self.error_description,
                    "errorDetails": self.error_details}
        return self.payload


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one for every frame (json.loads builds one per call)


def loads(text: str) -> Any:
    """Strict JSON: NaN and Infinity (which Python's json accepts) are refused. Nesting deeper than Python's json
    can follow is valid JSON: decoded without recursion, never blamed on the station as invalid.

    orjson reads a frame about four times faster than json (a fleet's hot path), but does not read everything the
    same way: it turns an integer beyond 64 bits into a float and refuses a lone surrogate, 1E400 and deep
    nesting. So its answer is taken only for text without a run of 19 digits, and whatever it refuses is read
    by json: the result is json's in every case (tests/ocpp/test_codec_loads.py compares the two)."""
    try:
        if isinstance(text, str):
            if _LONG_DIGITS.search(text) is None:
                try:
                    return orjson.loads(text)
                except orjson.JSONDecodeError:
                    pass
            return _DECODER.decode(text)
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return deepjson.loads(text, parse_constant=_reject_constant)


_LONG_DIGITS = re.compile(r"[0-9]{19}")  # 2**63 has 19 digits: from there orjson may read an integer as a float


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps with options builds one per call


def dumps(obj: Any) -> str:
    return _ENCODER.encode(obj)


def encode_call(msg_id: str, action: str, payload: Any) -> str:
    return dumps([CALL, msg_id, action, payload])


def encode_result(msg_id: str, payload: Any) -> str:
    return dumps([CALLRESULT, msg_id, payload])


def encode_error(msg_id: str, code: str, description: str = "", details: Any = None) -> str:
    return dumps([CALLERROR, msg_id, code, description, {} if details is None else details])


def encode_result_error(msg_id: str, code: str, description: str = "", details: Any = None) -> str:
    """A 2.1 CALLRESULTERROR: the receiver of a CALLRESULT could not accept it (2.1 Part 4 §4.2.3)."""
    return dumps([CALLRESULTERROR, msg_id, code, description, {} if details is None else details])


def parse(data: str | bytes, version: OcppVersion, actions: frozenset[str], *, from_station: bool = True) -> Message:
    """Decode one WebSocket message. `actions` is the version's full action set (from its schemas)."""
    fw = version.framework_error
    if isinstance(data, bytes):
        m = Message("MALFORMED")
        m.add(r.FRAME_BINARY, "binary WebSocket frame; OCPP-J uses text frames", length=len(data))
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            m.reply = ("-1", fw, "Binary frame that is not UTF-8 text")
            return m
        inner = parse(data, version, actions, from_station=from_station)
        inner.findings[:0] = m.findings
        return inner
    try:
        arr = loads(data)
    except ValueError as exc:
        m = Message("MALFORMED")
        m.add(r.FRAME_JSON, f"frame is not valid JSON: {exc}")
        m.reply = ("-1", fw, "Message is not valid JSON")
        return m
    if not isinstance(arr, list) or len(arr) < 3:
        m = Message("MALFORMED")
        m.add(r.FRAME_SHAPE, f"frame must be a JSON array of 3 to 5 elements, got {_shape(arr)}")
        m.reply = (_readable_id(arr), fw, "Message is not an OCPP-J RPC array")
        return m
    type_id, msg_id = arr[0], arr[1]
    if not isinstance(type_id, int) or isinstance(type_id, bool):
        m = Message("MALFORMED")
        m.add(r.FRAME_SHAPE, f"message type id must be an integer, got {type_id!r}")
        m.reply = (_readable_id(arr), fw, "MessageTypeId is not an integer")
        return m
    if type_id not in version.message_types:
        m = Message("UNKNOWN", id=msg_id if isinstance(msg_id, str) else None)
        m.add(r.TYPE_UNKNOWN, f"message type {type_id} is not defined in OCPP {version.name}", type_id=type_id)
        if version is V201 and from_station:  # 2.0.1 answers MessageTypeNotSupported; 1.6 and 2.1 ignore it
            m.reply = (_readable_id(arr), "MessageTypeNotSupported", f"Message type {type_id} is not supported")
        return m
    kind = TYPE_NAMES[type_id]
    m = Message(kind)
    if not isinstance(msg_id, str):
        m.kind = "MALFORMED"
        m.add(r.MSGID_TYPE, f"message id must be a string, got {type(msg_id).__name__} {msg_id!r}")
        if kind in ("CALL", "SEND"):
            m.reply = ("-1", fw, "MessageId is not a string")
        return m
    m.id = msg_id
    if msg_id == "":
        m.add(r.MSGID_EMPTY, "message id is empty")
    elif len(msg_id) > MAX_ID_LEN:
        m.add(r.MSGID_LENGTH, f"message id has {len(msg_id)} characters; at most {MAX_ID_LEN} allowed",
              length=len(msg_id))
    if type_id in (CALL, SEND):
        _parse_call(m, arr, version, actions, from_station)
        if type_id == SEND:
            m.reply = None  # 2.1 Part 4 §4.2.4: a SEND is never answered, not even a broken one (findings stay)
    elif type_id == CALLRESULT:
        if len(arr) != 3:
            m.kind = "MALFORMED"
            m.add(r.FRAME_SHAPE, f"CALLRESULT must have 3 elements, got {len(arr)}")
            return m
        m.payload = arr[2]
        if m.payload is None and version.name == "1.6":
            _null_payload_16(m)
        elif not isinstance(m.payload, dict):
            m.add(r.PAYLOAD_TYPE, f"CALLRESULT payload must be an object, got {_shape(m.payload)}")
    elif type_id in (CALLERROR, CALLRESULTERROR):
        _parse_error(m, arr, version)
    return m


def _parse_call(m: Message, arr: list, version: OcppVersion, actions: frozenset[str], from_station: bool) -> None:
    if len(arr) != 4:
        m.kind = "MALFORMED"
        m.add(r.FRAME_SHAPE, f"{m.kind if m.kind != 'MALFORMED' else 'CALL'} must have 4 elements, got {len(arr)}")
        m.reply = (m.id or "-1", version.framework_error, "CALL must have 4 elements")
        return
    action, payload = arr[2], arr[3]
    if not isinstance(action, str):
        m.kind = "MALFORMED"
        m.add(r.FRAME_SHAPE, f"action must be a string, got {action!r}")
        m.reply = (m.id or "-1", version.framework_error, "Action is not a string")
        return
    m.action, m.payload = action, payload
    if action not in actions:
        folded = {a.lower(): a for a in actions}
        if action.lower() in folded:
            m.add(r.ACTION_CASE, f"action {action!r} should be spelled {folded[action.lower()]!r}",
                  expected=folded[action.lower()])
        else:
            m.add(r.ACTION_UNKNOWN, f"{action!r} is not an OCPP {version.name} action")
        m.reply = (m.id, "NotImplemented", f"Unknown action {action}")
        return
    if from_station and not version.is_station_action(action):
        m.add(r.ACTION_DIRECTION, f"{action} is initiated by the CSMS, not by the charging station")
        m.reply = (m.id, "NotSupported", f"{action} is not a charging-station-initiated action")
        return
    if payload is None and version.name == "1.6":
        _null_payload_16(m)
    elif not isinstance(payload, dict):
        m.add(r.PAYLOAD_TYPE, f"payload must be a JSON object, got {_shape(payload)}")
        m.reply = (m.id, version.format_violation, "Payload is not a JSON object")


def _null_payload_16(m: Message) -> None:
    """OCPP-J 1.6 §4.2.1 allows null for an empty payload and calls {} the good practice: a warning, read as {}."""
    m.findings.append(Finding.of(r.PAYLOAD_TYPE, "payload is null; OCPP-J 1.6 tolerates it for an empty payload, "
                                 "but {} is the good practice", severity=Severity.WARN))
    m.payload = {}


def _parse_error(m: Message, arr: list, version: OcppVersion) -> None:
    if len(arr) != 5:
        m.kind = "MALFORMED"
        m.add(r.FRAME_SHAPE, f"CALLERROR must have 5 elements, got {len(arr)}")
        return
    m.error_code, m.error_description, m.error_details = arr[2], arr[3], arr[4]
    code = m.error_code
    if code not in version.error_codes:
        other = {"FormatViolation": "FormationViolation", "FormationViolation": "FormatViolation",
                 "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
                 "OccurenceConstraintViolation": "OccurrenceConstraintViolation"}
        if code in other and other[code] in version.error_codes:
            m.add(r.ERROR_CODE_SPELLING, f"error code {code!r} is spelled {other[code]!r} in OCPP {version.name}",
                  expected=other[code])
        else:
            m.add(r.ERROR_CODE, f"error code {code!r} is not an OCPP {version.name} RPC error code")
    desc = m.error_description
    if not isinstance(desc, str):
        m.add(r.ERROR_DESCRIPTION, f"errorDescription must be a string, got {_shape(desc)}")
    elif version.name != "1.6" and len(desc) > MAX_ERROR_DESCRIPTION:
        m.add(r.ERROR_DESCRIPTION, f"errorDescription has {len(desc)} characters; at most 255 allowed")
    if not isinstance(m.error_details, dict):
        m.add(r.ERROR_DETAILS, f"errorDetails must be a JSON object ({{}} when empty), got {_shape(m.error_details)}")


def _readable_id(arr: Any) -> str:
    if isinstance(arr, list) and len(arr) >= 2 and isinstance(arr[1], str) and arr[1]:
        return arr[1]
    return "-1"


def _shape(v: Any) -> str:
    if isinstance(v, list):
        return f"array of {len(v)}"
    return type(v).__name__ if v is not None else "null"

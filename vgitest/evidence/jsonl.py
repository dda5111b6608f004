"""Trace exports: the native frame log (every frame, raw bytes included) and, for OCPP, the vendor-neutral
open-ocpp-trace v1.1 JSONL format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from .. import deepjson
from ..trace import Direction, Frame

OPEN_OCPP_TRACE_VERSION = "1.1"


def _line(rec: dict[str, Any]) -> str:
    """One JSON line; a body nested deeper than Python's json follows (valid JSON a station may send) is written
    all the same."""
    try:
        return json.dumps(rec, ensure_ascii=False, default=str) + "\n"
    except RecursionError:
        return deepjson.dumps(rec, ensure_ascii=False, default=str) + "\n"


def write_frames(frames: Iterable[Frame], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for f in frames:
            fh.write(_line(f.to_dict()))
            n += 1
    return n


def open_ocpp_record(f: Frame) -> dict[str, Any] | None:
    """One open-ocpp-trace record, or None for frames the format cannot hold (connection events, and frames
    that are not a well-formed CALL/CALLRESULT/CALLERROR — those stay in the native frames.jsonl)."""
    if f.protocol != "ocpp" or f.kind not in ("CALL", "CALLRESULT", "CALLERROR"):
        return None
    rec: dict[str, Any] = {
        "schemaVersion": OPEN_OCPP_TRACE_VERSION, "timestamp": f.timestamp, "ocppVersion": f.version,
        "transport": "json", "chargePointId": f.meta.get("identity", ""),
        "direction": "cp-to-csms" if f.direction is Direction.IN else "csms-to-cp",
        "messageType": f.kind,
    }
    if f.correlation is not None:
        rec["messageId"] = f.correlation
    if f.kind == "CALL" and f.name:
        rec["action"] = f.name
    elif f.kind == "CALL":
        return None
    if f.kind == "CALLERROR":
        body = f.body if isinstance(f.body, dict) else {}
        rec["error"] = {"code": body.get("errorCode"), "description": body.get("errorDescription"),
                        "details": body.get("errorDetails")}
    else:
        rec["payload"] = f.body
    try:
        rec["raw"] = f.raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    meta: dict[str, Any] = {"vgitest.frame": f.index, "vgitest.t_ns": f.t_ns, "vgitest.size": f.size}
    if f.kind != "CALL" and f.name:
        meta["vgitest.action"] = f.name
    if f.findings:
        meta["vgitest.findings"] = [x.to_dict() for x in f.findings]
    rec["meta"] = meta
    return rec


def write_open_ocpp_trace(frames: Iterable[Frame], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for f in frames:
            rec = open_ocpp_record(f)
            if rec is not None:
                fh.write(_line(rec))
                n += 1
    return n

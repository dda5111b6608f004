"""Deeply nested but valid JSON is the station's right (a 2.0.1 DataTransfer's data is of any type): the harness
decodes it instead of blaming its own recursion limit on the device as "not valid JSON" (issue 13)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pytest

from vgitest import deepjson
from vgitest.evidence.jsonl import write_frames, write_open_ocpp_trace
from vgitest.findings import Severity
from vgitest.ocpp import codec, rules as r
from vgitest.ocpp.csms import FakeCsms
from vgitest.ocpp.versions import V201
from vgitest.trace import Direction

from tests.ocpp.rawclient import RawClient

DEPTH = 990


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0).start()
    yield server
    server.stop()


@pytest.mark.parametrize("depth", [DEPTH, 5000, 100_000])
def test_deep_nesting_parses(depth: int) -> None:
    text = f'[2,"d1","DataTransfer",{{"vendorId":"V","data":{nested(depth)}}}]'
    m = codec.parse(text, V201, frozenset({"DataTransfer"}))
    assert m.kind == "CALL" and not m.findings and m.reply is None, m.findings
    v = m.payload["data"]
    for _ in range(depth):
        (v,) = v
    assert v == 1


@pytest.mark.parametrize("text", ["[" * 3000, "[" * 3000 + "]" * 2999, '{"a":' * 2000 + "NaN" + "}" * 2000,
                                  "[" * 2000 + "1," + "]" * 2000, "[" * 2000 + "]" * 2000 + "x"])
def test_deep_but_invalid_json_is_still_invalid(text: str) -> None:
    m = codec.parse(text, V201, frozenset({"DataTransfer"}))
    assert [f.rule_id for f in m.findings] == [r.FRAME_JSON] and m.kind == "MALFORMED"
    assert "recursion" not in m.findings[0].message


def test_a_deeply_nested_data_transfer_is_answered_and_not_failed(csms: FakeCsms, tmp_path: Path) -> None:
    c = RawClient(csms.url_for("CS1"), ["ocpp2.0.1"])
    try:
        assert c.boot("2.0.1")[0] == 3
        c.send(f'[2,"deep1","DataTransfer",{{"vendorId":"V","data":{nested(DEPTH)}}}]')
        assert c.ws.recv(timeout=5).startswith('[3,"deep1"')
        time.sleep(0.05)
        frame = next(f for f in csms.trace if f.direction is Direction.IN and f.correlation == "deep1")
        assert frame.kind == "CALL" and frame.name == "DataTransfer"
        fails = [f for f in csms.trace.findings_since(0) if f.severity is Severity.FAIL]
        assert fails == []
        # the evidence of the frame is written, body included
        assert write_frames(list(csms.trace), tmp_path / "frames.jsonl") == len(csms.trace)
        assert write_open_ocpp_trace(list(csms.trace), tmp_path / "trace.jsonl") >= 3
        recs = [deepjson.loads(x) for x in (tmp_path / "trace.jsonl").read_text().splitlines()]
        payload = next(x for x in recs if x.get("messageId") == "deep1")["payload"]
        assert deepjson.dumps(payload) == deepjson.dumps(frame.body)  # == itself would recurse
        assert len(json.loads((tmp_path / "frames.jsonl").read_text().splitlines()[0])) > 3
    finally:
        c.close()


def test_what_the_validator_cannot_follow_is_a_harness_limit_not_a_fail() -> None:
    """A 1.6 DataTransfer's data must be a string; nested 5000 deep, the schema validator cannot describe it:
    an INFO finding on the harness's side, not a FAIL and not a crash."""
    from vgitest.ocpp.validator import SchemaValidator
    from vgitest.ocpp.versions import V16
    deep = codec.loads(nested(5000))
    (f,) = SchemaValidator(V16).validate("DataTransfer", {"vendorId": "V", "data": deep})
    assert f.severity is Severity.INFO and f.details["side"] == "harness" and "harness limitation" in f.message


def test_deep_decoding_allocates_one_tracked_object_per_level() -> None:
    """The fuzz (benchmarks/fuzz_parsers.py --parser ocpp) found a 59 KB frame of nested arrays taking 37-108 ms,
    over half of it in the garbage collector: the decoder's stack held a (container, key) tuple per level, so each
    level allocated two tracked objects. Counted as collections started while decoding, which the allocation count
    drives (one per `threshold0` allocations), so the test does not depend on the machine's speed."""
    import gc

    depth = 20000
    started = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    threshold0 = gc.get_threshold()[0]
    for text, per_level in (("[" * depth + "]" * depth, 1), ('[{"a":' * depth + "1" + "}]" * depth, 2)):
        started.clear()
        gc.callbacks.append(count)
        try:
            deepjson.loads(text)
        finally:
            gc.callbacks.remove(count)
        assert len(started) <= per_level * depth * 1.1 / threshold0 + 2, (len(started), per_level)


def test_deep_decoding_makes_one_python_call_per_scalar() -> None:
    """The 1M-input fuzz (make fuzz) found a 55 KB frame nested `[2,[2,...` 18,000 levels deep taking 30-55 ms: each
    level called the whitespace scanner three times (a regex match each, with no whitespace there) and tried the
    three literals before the number. Counted as Python-level calls while decoding, so the test does not depend on
    the machine's speed: now one call per scalar, and the scanner only where there is whitespace."""
    import sys

    depth = 18000
    calls: list[str] = []

    def profile(frame: object, event: str, arg: object) -> None:
        code = frame.f_code  # type: ignore[attr-defined]
        if event == "call" and code.co_filename == deepjson.__file__:  # not finalizers or gc callbacks run meanwhile
            calls.append(code.co_name)

    for text, whitespace_runs in (("[2," * depth + "2" + "]" * depth, 0),
                                  ("[ 2 ,\n" * depth + "2" + "]" * depth, 3 * depth)):
        calls.clear()
        sys.setprofile(profile)
        try:
            value = deepjson.loads(text)
        finally:
            sys.setprofile(None)
        assert value[0] == 2 and value[1][0] == 2
        scanner_calls = [c for c in calls if c != "loads"]
        assert len(scanner_calls) <= (depth + 1) + 1.01 * whitespace_runs + 2, len(scanner_calls)

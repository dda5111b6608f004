"""The fast JSON reader (orjson) must never change what a frame decodes to: `codec.loads` gives json's answer for
every text, valid or not, or the verdicts of a fleet run would differ from those of a conformance run."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from vgitest import deepjson
from vgitest.ocpp import codec


def reference(text: str) -> tuple[str, Any]:
    """What the json-only reader made of `text` before orjson: ("ok", value) or ("error", None)."""
    try:
        try:
            return "ok", codec._DECODER.decode(text)
        except RecursionError:
            return "ok", deepjson.loads(text, parse_constant=codec._reject_constant)
    except ValueError:
        return "error", None


def fast(text: str) -> tuple[str, Any]:
    try:
        return "ok", codec.loads(text)
    except ValueError:
        return "error", None


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0); without recursion, as
    the values may be nested thousands deep."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack += [(x[k], y[k]) for k in x]
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack += list(zip(x, y))
        elif isinstance(x, float):
            if not (x == y and math.copysign(1, x) == math.copysign(1, y)):
                return False
        elif x != y:
            return False
    return True


def check(text: str) -> None:
    got, want = fast(text), reference(text)
    assert got[0] == want[0] and same(got[1], want[1]), (text[:200], got, want)


EDGES = [
    "1" + "0" * 30, "18446744073709551616", "-9223372036854775809", "9223372036854775807", "-9223372036854775808",
    "1E400", "-1e400", "1e-400", "-0", "-0.0", "0.1", "1.5e300", "2.2250738585072011e-308", "4.9e-324",
    '"\\ud800"', '"\\udc00\\ud800"', '"\\u0000"', '"\x01"', '"\x7f"', "\ufeff[]", " [1] ", "[1,]", "{\"a\":1,\"a\":2}",
    "[NaN]", "[Infinity]", "[-Infinity]", "[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[-]", "true", "nul", "[true,false,null]",
    "[" * 2000 + "]" * 2000, "[" * 200 + "1" + "]" * 200, '{"a":' * 300 + "1" + "}" * 300, "", " ", "[]x",
    '[2,"1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-12-07T12:00:00Z","sampledValue":[{"value":"1"}]}]}]',
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_read_as_json_reads_them(text: str) -> None:
    check(text)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(JSON, st.booleans())
def test_any_json_value_reads_back_the_same(value: Any, ascii_only: bool) -> None:
    check(json.dumps(value, ensure_ascii=ascii_only))


NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?\Z")


@settings(max_examples=400, derandomize=True, deadline=None)
@given(NUMBER)
def test_numbers_read_as_json_reads_them(number: str) -> None:
    check(f"[{number}]")


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.text(alphabet='[]{}",:0123456789.eE+-truefalsnul \\u\t\n\x00\x1f\ud800é', max_size=24))
def test_arbitrary_text_reads_as_json_reads_it(text: str) -> None:
    check(text)

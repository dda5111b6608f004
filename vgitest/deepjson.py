"""Strict JSON decoding and encoding without recursion, for what Python's json cannot nest.

JSON sets no depth limit and a 2.0.1 DataTransfer's data is of any type, so a station may send arrays nested a
thousand deep. Python's json module recurses once per level and gives up near the interpreter's recursion limit,
which the harness used to report as the station's "not valid JSON" (issue 13). This parser keeps its own stack,
so only memory bounds the depth; it accepts and refuses exactly what `json.loads` does, strings and numbers
being read by the json module's own scanners. The evidence writers use `dumps` for the same bodies.
"""

from __future__ import annotations

import json
import re
from json.decoder import JSONDecodeError, scanstring  # type: ignore[attr-defined]
from json.scanner import NUMBER_RE  # type: ignore[attr-defined]
from typing import Any, Callable

_WS = re.compile(r"[ \t\n\r]*")
_LITERALS = (("null", None), ("true", True), ("false", False))
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


_WS_CHARS = frozenset(" \t\n\r")


def _ws(s: str, i: int) -> int:
    """The position after the whitespace at ``i``: no regex call where there is none (the common case in a frame,
    and every call counts when a document nests tens of thousands of levels)."""
    if i < len(s) and s[i] in _WS_CHARS:
        return _WS.match(s, i).end()  # type: ignore[union-attr]
    return i


def _key(s: str, i: int) -> tuple[str, int]:
    """An object's key and the colon after it; returns the position of its value."""
    if i >= len(s) or s[i] != '"':
        raise JSONDecodeError("Expecting property name enclosed in double quotes", s, i)
    key, i = scanstring(s, i + 1, True)
    i = _ws(s, i)
    if i >= len(s) or s[i] != ":":
        raise JSONDecodeError("Expecting ':' delimiter", s, i)
    return key, _ws(s, i + 1)


def _scalar(s: str, i: int, parse_constant: Callable[[str], Any]) -> tuple[Any, int]:
    m = NUMBER_RE.match(s, i)  # numbers first: the commonest scalar, and no literal starts like one
    if m is not None:
        integer, frac, exp = m.groups()
        return (float(integer + (frac or "") + (exp or "")) if frac or exp else int(integer)), m.end()
    for word, value in _LITERALS:
        if s.startswith(word, i):
            return value, i + len(word)
    for word in _CONSTANTS:
        if s.startswith(word, i):
            return parse_constant(word), i + len(word)
    raise JSONDecodeError("Expecting value", s, i)


def loads(s: str, parse_constant: Callable[[str], Any] = float) -> Any:
    """Decode one JSON document; raises JSONDecodeError (a ValueError) where `json.loads` would."""
    # open containers, and in parallel the key awaiting a value in each (None for a list): two lists, not a tuple per
    # level, as every tracked object allocated makes the garbage collector's passes over a deep document longer
    stack: list[list | dict] = []
    keys: list[str | None] = []
    n = len(s)
    ws = _WS_CHARS
    i = _ws(s, 0)
    while True:
        # a value begins at i: open a container, or read a scalar
        if i >= n:
            raise JSONDecodeError("Expecting value", s, i)
        c = s[i]
        value: Any
        if c == "{":
            i += 1
            if i < n and s[i] in ws:  # whitespace is rare in a frame: no call where there is none
                i = _ws(s, i)
            if i < n and s[i] == "}":
                value, i = {}, i + 1
            else:
                key, i = _key(s, i)
                stack.append({})
                keys.append(key)
                continue
        elif c == "[":
            i += 1
            if i < n and s[i] in ws:  # whitespace is rare in a frame: no call where there is none
                i = _ws(s, i)
            if i < n and s[i] == "]":
                value, i = [], i + 1
            else:
                stack.append([])
                keys.append(None)
                continue
        elif c == '"':
            value, i = scanstring(s, i + 1, True)
        else:
            value, i = _scalar(s, i, parse_constant)
        # a value is complete: store it, and close every container that ends right after it
        while True:
            if not stack:
                if i < n and s[i] in ws:  # whitespace is rare in a frame: no call where there is none
                    i = _ws(s, i)
                if i != n:
                    raise JSONDecodeError("Extra data", s, i)
                return value
            container = stack[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                container[keys[-1]] = value  # type: ignore[index]
            if i < n and s[i] in ws:  # whitespace is rare in a frame: no call where there is none
                i = _ws(s, i)
            if i < n and s[i] == ",":
                i += 1
                if i < n and s[i] in ws:  # whitespace is rare in a frame: no call where there is none
                    i = _ws(s, i)
                if isinstance(container, dict):
                    keys[-1], i = _key(s, i)
                break
            closer = "]" if isinstance(container, list) else "}"
            if i >= n or s[i] != closer:
                raise JSONDecodeError(f"Expecting ',' delimiter or '{closer}'", s, i)
            i += 1
            stack.pop()
            keys.pop()
            value = container


_END = object()


def dumps(obj: Any, **scalar: Any) -> str:
    """`json.dumps` (compact separators aside) for values nested deeper than it can follow: the evidence of a
    frame keeps the body the station sent. `scalar` goes to json.dumps for each leaf (ensure_ascii, default)."""
    out: list[str] = []
    stack: list[list[Any]] = []  # open containers: [remaining items, closer, nothing written yet]
    value = obj
    while True:
        if isinstance(value, dict):
            out.append("{")
            stack.append([iter(value.items()), "}", True])
        elif isinstance(value, (list, tuple)):
            out.append("[")
            stack.append([iter(value), "]", True])
        else:
            out.append(json.dumps(value, **scalar))
        while stack:  # the next value to write, closing every container that is done
            top = stack[-1]
            item = next(top[0], _END)
            if item is _END:
                out.append(top[1])
                stack.pop()
                continue
            if not top[2]:
                out.append(", ")
            top[2] = False
            if top[1] == "}":
                key, item = item
                out.append(json.dumps(key if isinstance(key, str) else json.dumps(key), **scalar) + ": ")
            value = item
            break
        else:
            return "".join(out)

"""The variable expressions of CACTUS parameters: ``$(now + '5 minutes')``, ``$(maxExportW * 2)``, ``$setMaxW``,
``$(this <= rtgMaxVA)``.

Our own evaluator over Python's expression grammar (only names, numbers, quoted durations, + - * /, unary minus and
one comparison are accepted). Times are kept as :class:`At` (seconds after the moment the expression is evaluated)
and durations as :class:`Span`, so the engine can scale both by the run's time scale before it puts them on the
server's clock. A name the engine cannot resolve makes the procedure NOT_APPLICABLE, never a guess.
"""

from __future__ import annotations

import ast
import dataclasses
import operator
import re
from typing import Any, Callable, Mapping

UNITS = {"second": 1, "sec": 1, "min": 60, "minute": 60, "hour": 3600, "day": 86400}
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$")
_OPS: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                               ast.Mult: operator.mul, ast.Div: operator.truediv}
_CMP: dict[type, Callable[[Any, Any], bool]] = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
                                                ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}


class ExpressionError(ValueError):
    """An expression this evaluator does not take."""


class Unresolved(LookupError):
    """A variable the run cannot give a value (e.g. a DERSettings element the client never sent)."""


@dataclasses.dataclass(frozen=True)
class Span:
    """A duration in procedure seconds."""

    seconds: float

    def __add__(self, other: Any) -> Any:
        return Span(self.seconds + other.seconds) if isinstance(other, Span) else NotImplemented


@dataclasses.dataclass(frozen=True)
class At:
    """A moment: `offset` procedure seconds after the evaluation (``now`` is ``At(0)``)."""

    offset: float

    def __add__(self, other: Any) -> At:
        if isinstance(other, Span):
            return At(self.offset + other.seconds)
        raise ExpressionError("only a duration can be added to a time")

    def __sub__(self, other: Any) -> At:
        if isinstance(other, Span):
            return At(self.offset - other.seconds)
        raise ExpressionError("only a duration can be taken from a time")


def duration(text: str) -> Span:
    m = _DURATION.match(text.lower())
    unit = next((s for k, s in UNITS.items() if m and m.group(2).startswith(k)), None) if m else None
    if m is None or unit is None:
        raise ExpressionError(f"not a duration: {text!r}")
    return Span(float(m.group(1)) * unit)


def body_of(value: Any) -> str | None:
    """The expression inside a ``$(...)`` or ``$name`` parameter value; None for a literal."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    text = value[1:].strip()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def names(value: Any) -> set[str]:
    """The variables a parameter value uses (empty for a literal)."""
    body = body_of(value)
    if body is None:
        return set()
    return {n.id for n in ast.walk(_parse(body)) if isinstance(n, ast.Name)}


def _parse(body: str) -> ast.expr:
    try:
        return ast.parse(body, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {body!r}: {exc.msg}") from None


def evaluate(value: Any, variables: Mapping[str, Callable[[], Any]]) -> Any:
    """A parameter's value: a literal as it is; an expression evaluated with `variables` (name -> getter, called
    only when used). An expression comparing ``this`` becomes a predicate over the value it judges."""
    body = body_of(value)
    if body is None:
        return value
    tree = _parse(body)
    if any(isinstance(n, ast.Name) and n.id == "this" for n in ast.walk(tree)):
        def predicate(this: Any) -> bool:
            return bool(_eval(tree, {**variables, "this": lambda: this}))
        return predicate
    return _eval(tree, variables)


def _eval(node: ast.expr, variables: Mapping[str, Callable[[], Any]]) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return duration(node.value)
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
    elif isinstance(node, ast.Name):
        getter = variables.get(node.id)
        if getter is None:
            raise Unresolved(f"variable {node.id!r} is not supported")
        return getter()
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, variables)
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left, variables), _eval(node.right, variables)
        if isinstance(right, Span) and isinstance(left, (int, float)):
            left = Span(float(left))
        return _OPS[type(node.op)](left, right)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP:
        return _CMP[type(node.ops[0])](_eval(node.left, variables), _eval(node.comparators[0], variables))
    raise ExpressionError(f"unsupported expression part: {ast.unparse(node)}")

"""Reading the dict form the XML codecs produce (OpenADR, IEEE 2030.5): element names as keys, a repeated
element as a list only when it repeats."""

from __future__ import annotations

from typing import Any


def find(body: Any, path: str, default: Any = None) -> Any:
    """Walk a decoded dict along 'a/b/c' (first item of lists on the way); ``default`` when absent."""
    cur = body
    for part in path.split("/"):
        if isinstance(cur, list):
            cur = cur[0] if cur else None
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


def as_list(v: Any) -> list[Any]:
    """A repeated element is a list only when it repeats: this gives a list either way."""
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def text(v: Any) -> str:
    """An element's text from a dict-form value (XML Schema booleans are lower case)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

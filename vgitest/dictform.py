"""Reading the dict form the XML codecs produce (OpenADR, IEEE 2030.5): element names as keys, a repeated
element as a list only when it repeats."""

from __future__ import annotations

from typing import Any, Callable


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


def from_element(el: Any, key: Callable[[str], str], attr_key: Callable[[str], str]) -> Any:
    """An lxml element in dict form: its text (a leaf without attributes) or a dict of its attributes
    (``attr_key`` of the attribute's Clark name) and children (``key`` of the tag), a repeated child as a
    list, and any text of its own under ``#text``."""
    children = [c for c in el if isinstance(c.tag, str)]
    attrs = {attr_key(k): v for k, v in el.attrib.items()}
    own = (el.text or "").strip()
    if not children and not attrs:
        return own
    d: dict[str, Any] = dict(attrs)
    repeated: set[str] = set()
    for c in children:
        k = key(c.tag)
        v = from_element(c, key, attr_key)
        if k not in d:
            d[k] = v
            continue
        if k not in repeated:
            d[k] = [d[k]]
            repeated.add(k)
        d[k].append(v)
    if own:
        d["#text"] = own
    return d


def fill(el: Any, value: Any, tag: Callable[[str], str], attr: Callable[[str], str],
         make: Callable[[Any, str], Any]) -> None:
    """The reverse of `from_element`: write the dict form `value` into the element `el` (``make(parent, tag)``
    adds a child), a list as repeated children; None values are left out."""
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None:
                continue
            if k.startswith("@"):
                el.set(attr(k[1:]), text(v))
            elif k == "#text":
                el.text = text(v)
            else:
                name = tag(k)
                for item in v if isinstance(v, list) else [v]:
                    fill(make(el, name), item, tag, attr, make)
    else:
        el.text = text(value)

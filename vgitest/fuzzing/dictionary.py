"""Strings that break parsers and the code behind them more often than random text does.

Random text rarely hits a name an object model gives a meaning to (``__proto__`` in a JavaScript object, a format
directive in a C logger, a literal a loose parser turns into another type), so string strategies mix these in:
one string in four, among those the schema's length allows. None of them is destructive or points anywhere: no
SQL or shell commands, no host names or lookups (a device must never be sent to a random host).
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["ASCII_WORDS", "UNICODE_WORDS", "mixed_in"]

ASCII_WORDS: tuple[str, ...] = (
    # names an object model gives a meaning to
    "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "__class__", "__dict__",
    # literals a loose parser turns into another type
    "null", "undefined", "NaN", "Infinity", "-Infinity", "true", "false", "0", "-0", "-1", "1e309", "0x1F",
    "00", "1.0", " 1",
    # format directives and template syntax
    "%s%s%s%s", "%n%n", "%x%x%x", "%d", "{0}", "{}", "{{0}}", "${0}", "#{0}",
    # characters with meaning in JSON, XML, CSV, paths and URLs
    '"', "\\", "'", "<", "&amp;", "]]>", ";", ",", "../", "..\\", "?", "#", "/", " ", "  ", "a ", " a",
)
UNICODE_WORDS: tuple[str, ...] = ASCII_WORDS + (
    "\u0000", "a\u0000b", "\u202eabc", "\u200b", "\ufeff", "e\u0301", "\u00e9", "\U0001d518", "\U0001f50c",
    "\u2028", "\uffff", "\t", "\r\n",
)


def mixed_in(text: st.SearchStrategy[str], min_size: int, max_size: int | None, *, unicode: bool,
             allowed=None) -> st.SearchStrategy[str]:
    """``text``, with the dictionary's words that fit the sizes (and ``allowed``, a predicate) drawn one time in
    four. ``text`` comes first, so a counterexample shrinks towards plain text when a word is not what breaks."""
    top = max_size if max_size is not None else float("inf")
    words = [w for w in (UNICODE_WORDS if unicode else ASCII_WORDS)
             if min_size <= len(w) <= top and (allowed is None or allowed(w))]
    if not words:
        return text
    return st.one_of(text, text, text, st.sampled_from(words))

"""The HTTP Basic password rules of security profiles 1 and 2 (2.0.1 A00, TC_A_01_CS: 16 to 40 characters of the
identifierString set), shared by the fake CSMS (which notes what a station sent) and the reference stations (which
refuse a new password that breaks them)."""

from __future__ import annotations

IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-_=:+|@.")


def password_problem(text: str) -> str | None:
    """Why `text` cannot be a Basic password (16 to 40 characters of the identifierString set), or None."""
    if not 16 <= len(text) <= 40:
        return f"{len(text)} characters (16 to 40 allowed)"
    bad = sorted(set(text) - IDENTIFIER_CHARS)
    return f"characters outside identifierString: {''.join(bad)!r}" if bad else None

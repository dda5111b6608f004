"""The dictionary of strings that break parsers (vgitest/fuzzing/dictionary.py), as the JSON builder mixes it in."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from vgitest.fuzzing import dictionary
from vgitest.fuzzing.jsonschema import from_schema


def _draw_many(strategy: st.SearchStrategy, n: int = 300) -> list:
    out: list = []

    @settings(max_examples=n, derandomize=True, database=None)
    @given(strategy)
    def collect(value) -> None:
        out.append(value)

    collect()
    return out


def test_free_text_carries_dictionary_words_within_the_schemas_length() -> None:
    drawn = _draw_many(from_schema({"type": "string", "maxLength": 9}))
    words = [v for v in drawn if v in dictionary.ASCII_WORDS]
    assert "__proto__" in drawn and len(words) >= 20, f"{len(words)} dictionary words in {len(drawn)} strings"
    assert all(len(v) <= 9 for v in drawn)


def test_ascii_text_gets_only_ascii_words_and_a_pattern_none() -> None:
    ascii_text = _draw_many(from_schema({"type": "string", "maxLength": 20}))
    assert all(v.isascii() for v in ascii_text)
    unicode_text = _draw_many(from_schema({"type": "string", "maxLength": 20}, alphabet="unicode"))
    assert any(v in dictionary.UNICODE_WORDS and not v.isascii() for v in unicode_text)
    patterned = _draw_many(from_schema({"type": "string", "pattern": "^[A-F]{2}$"}), 100)
    assert not set(patterned) & set(dictionary.UNICODE_WORDS)


def test_no_word_names_a_host_or_a_command() -> None:
    """A device must never be sent anywhere by a generated value, nor be handed a destructive command."""
    for word in dictionary.UNICODE_WORDS:
        low = word.lower()
        assert "://" not in low and "drop " not in low and "rm " not in low and "jndi" not in low, word

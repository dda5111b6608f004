"""The generated reference tables in docs/ must match the code."""

from vgitest import docs


def test_generated_docs_are_up_to_date() -> None:
    for rel, fn in docs.GENERATED.items():
        path = docs.ROOT / rel
        assert path.is_file() and path.read_text(encoding="utf-8") == fn(), f"{rel} is stale: python -m vgitest.docs"

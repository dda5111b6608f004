"""Shared fixture of the ISO 15118 tests: skip (with the reason) when the upstream XSDs cannot be obtained."""

from __future__ import annotations

import pytest

from vgitest.upstream import UpstreamError


@pytest.fixture(scope="session")
def schemas_available() -> None:
    from vgitest.exi import load

    try:
        for schema in ("app-protocol", "din", "iso-2", "iso-20-common", "iso-20-ac", "iso-20-dc"):
            load(schema)
    except UpstreamError as e:
        pytest.skip(f"ISO 15118 schemas unavailable: {e}")

"""Shared fixtures for the OpenADR tests: the 2.0b schemas (skipped with the reason when unobtainable)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vgitest.upstream import UpstreamError


@pytest.fixture(scope="session")
def oadr_schema_dir() -> Path:
    """The folder of the pinned OpenADR 2.0b XSDs; skip (with the reason) when they cannot be obtained."""
    from vgitest.openadr import schemas

    try:
        folder = schemas.schema_dir()
        schemas.load_schema()
    except UpstreamError as e:
        pytest.skip(f"OpenADR 2.0b schemas unavailable: {e}")
    return folder


@pytest.fixture()
def schema_copy(oadr_schema_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the schema folder (for tests that edit or remove XSDs)."""
    dest = tmp_path / "oadr-schemas"
    shutil.copytree(oadr_schema_dir, dest)
    return dest

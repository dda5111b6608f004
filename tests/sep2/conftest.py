"""Shared fixtures for the IEEE 2030.5 tests: the schema folder and the CACTUS procedures (each skipped with the
reason when unobtainable)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from vgitest.upstream import UpstreamError


@pytest.fixture(scope="session")
def sep2_schema_dir() -> Path:
    """The folder of the pinned IEEE 2030.5 / CSIP-AUS XSDs; skip (with the reason) when unobtainable."""
    from vgitest.sep2 import schemas

    try:
        folder = schemas.schema_dir()
        schemas.load_schema("2018")
    except UpstreamError as e:
        pytest.skip(f"IEEE 2030.5 schemas unavailable: {e}")
    return folder


@pytest.fixture()
def sep2_schema_copy(sep2_schema_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the schema folder (for tests that rename, edit or remove XSDs)."""
    dest = tmp_path / "sep2-schemas"
    shutil.copytree(sep2_schema_dir, dest)
    return dest


@pytest.fixture(scope="module")
def procs() -> dict[str, Any]:
    """The CACTUS procedures of the pinned package, by id (skipped with the reason when unobtainable)."""
    from vgitest.sep2.cactus import procedures
    try:
        return procedures.load_all()
    except UpstreamError as exc:
        pytest.skip(f"cactus-test-definitions unavailable: {exc}")

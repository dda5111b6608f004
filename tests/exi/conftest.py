"""Shared fixtures for the EXI codec tests: schema availability and the capture corpus."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from vgitest.upstream import UpstreamError

settings.register_profile(
    "default", max_examples=8, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=400, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def schemas_available() -> None:
    """Skip (with the reason) when the upstream XSDs cannot be obtained (no network, no local copy)."""
    from vgitest.exi import load

    try:
        load("app-protocol")
    except UpstreamError as e:
        pytest.skip(f"ISO 15118 schemas unavailable: {e}")


@pytest.fixture(scope="session")
def corpus(schemas_available):  # noqa: ANN001
    from .corpus import CORPUS, load_corpus

    if not CORPUS.is_dir():
        pytest.skip(f"capture corpus not found at {CORPUS}")
    return load_corpus(CORPUS)

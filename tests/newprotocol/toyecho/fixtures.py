"""The toy protocol's fixture."""

from typing import Any

import pytest

from vgitest.fixturekit import peer_for_test


@pytest.fixture
def echo_peer(request: pytest.FixtureRequest) -> Any:
    return peer_for_test(request, "toyecho")

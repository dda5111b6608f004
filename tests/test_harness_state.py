"""What the harness itself lacks is never the device's FAIL: a fake peer used before it started is a HarnessError
(ERROR), and a push probe to a VEN that gave no transport address is INCONCLUSIVE (its precondition)."""

from __future__ import annotations

import pytest

from vgitest.openadr.vtn import FakeVtn
from vgitest.sep2.server import FakeSep2Server
from vgitest.verdict import HarnessError, Inconclusive


def test_a_push_probe_before_the_vtn_started_is_a_harness_error() -> None:
    with pytest.raises(HarnessError):
        FakeVtn().session.probe_push("oadrDistributeEvent", {}, None)  # type: ignore[arg-type]
    with pytest.raises(HarnessError):
        FakeVtn().push("oadrDistributeEvent", {}, 1)


def test_a_push_probe_to_a_ven_without_a_transport_address_is_inconclusive() -> None:
    vtn = FakeVtn().start()
    try:
        with pytest.raises(Inconclusive, match="oadrTransportAddress"):
            vtn.session.probe_push("oadrDistributeEvent", {}, None)  # type: ignore[arg-type]
    finally:
        vtn.stop()


def test_a_notification_from_a_2030_5_server_not_started_is_a_harness_error() -> None:
    with pytest.raises(HarnessError, match="not started"):
        FakeSep2Server().session._run(None)

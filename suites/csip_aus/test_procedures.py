"""CSIP-AUS: the client test procedures of BSGIP CACTUS, one case per procedure, named by its id (``ALL-01`` is
``test_ALL_01``). The procedures are read from the pinned ``cactus-test-definitions`` package at collection time
(never copied here) and executed step by step on the fake 2030.5 server (vgitest.sep2.cactus); a procedure that
needs a capability the harness lacks ends NOT_APPLICABLE naming it. docs/csip-aus.md lists each one's status."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from vgitest.sep2.cactus import engine, procedures, versions
from vgitest.upstream import UpstreamError
from vgitest.verdict import HarnessError

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")


def _lfdi(client: Any) -> str | None:
    """The client's LFDI: the record the server holds for it (out-of-band registration), else its last request's."""
    devices = list(client.state.devices)
    if devices:
        return devices[0]
    seen = [f.meta.get("client_lfdi") for f in client.requests(0) if f.meta.get("client_lfdi")]
    return seen[-1] if seen else None


def _case(proc: procedures.Procedure) -> Callable[..., None]:
    def test(der_client: Any, dut: Any, vgi_profile: Any) -> None:
        timing = engine.Timing(scale=float(vgi_profile.param("cactus_time_scale", 1)),
                               wait=float(vgi_profile.param("message_wait", 10)),
                               register=float(vgi_profile.param("register_wait", 15)))
        run = engine.Engine(proc, der_client, dut, timing, _lfdi(der_client),
                            versions.parse(vgi_profile.param("csip_aus_versions", "v1.2")))
        engine.verdict(der_client, proc, run.run())

    test.__name__ = test.__qualname__ = "test_" + proc.id.replace("-", "_")
    test.__doc__ = f"CACTUS {proc.id} ({proc.category}): {proc.description}"  # the installed package's words
    return pytest.mark.vgi_case(proc.id, feature=proc.category or "CSIP-AUS",
                                requires=("DerClient", "CsipAus"))(test)


try:
    PROCEDURES = procedures.load_all()
except UpstreamError as exc:
    _why = str(exc)

    def test_cactus_definitions() -> None:
        """The CACTUS procedures could not be loaded (a harness fault, never the device's)."""
        raise HarnessError(_why)
else:
    for _proc in PROCEDURES.values():
        _fn = _case(_proc)
        globals()[_fn.__name__] = _fn

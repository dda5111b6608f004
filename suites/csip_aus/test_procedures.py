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
    case = pytest.mark.vgi_case(proc.id, feature=proc.category or "CSIP-AUS", requires=("DerClient", "CsipAus"))
    return pytest.mark.vgi_expected_s(EXPECTED_S.get(proc.id, 8))(case(test))


# seconds a procedure took against the reference client at cactus_time_scale 1/30 (vgitest run --only csip-aus,
# 2026-12-07), where over 15 s: the run's shards take the longest first (vgitest/shard.py)
EXPECTED_S = {"ALL-06": 18, "ALL-10": 26, "ALL-11": 20, "ALL-12": 31, "ALL-18": 34, "ALL-20": 28, "ALL-21": 50,
              "ALL-23": 29, "ALL-24": 18, "ALL-28": 33, "ALL-29": 20, "ALT-ALL-29": 20, "DRD-01": 37, "DRL-01": 19,
              "GEN-03": 56, "GEN-04": 33, "GEN-07": 32, "GEN-08": 32, "GEN-10": 110, "GEN-11": 22, "GEN-12": 22,
              "LOA-03": 33, "LOA-04": 33, "LOA-07": 32, "LOA-08": 32, "LOA-10": 110, "LOA-11": 22, "LOA-12": 22,
              "PRC-01": 16}


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

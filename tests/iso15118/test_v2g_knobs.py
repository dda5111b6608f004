"""Knobs a lab needs to play the peer its device expects (PIXIT keys, or per-session script options).

Fake SECC: an ISO 15118-20 price schedule beside the power schedule (``evse_iso20_price_schedule`` = "absolute"
or "levels"). Fake EVCC: the -20 EVPowerProfile also in the Dynamic control mode (``ev_iso20_power_profile`` =
"always", or "never"), PowerToleranceAcceptance in the Scheduled one (``ev_iso20_power_tolerance_acceptance``),
and the optional ISO 15118-2 ChargingProfile left out (``ev_iso2_charging_profile = false``). Each one goes over the
wire, decodes at the other end, and the session still completes without a finding.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vgitest.trace import Trace

pytestmark = pytest.mark.usefixtures("schemas_available")


def _session(family: str, mode: str, control_mode: str, *, judge: str, ev: dict[str, Any] | None = None,
             evse: dict[str, Any] | None = None) -> tuple[Any, Any, Any]:
    from vgitest.iso15118.evcc import EvccClient
    from vgitest.iso15118.fake import with_control_mode
    from vgitest.iso15118.params import EvParams, EvseParams
    from vgitest.iso15118.secc import SeccServer

    async def main() -> tuple[Any, Any, Any]:
        srv = await SeccServer(Trace(), families=(family,), judge=judge == "SECC",
                               evse=EvseParams.from_pixit({f"evse_{k}": v for k, v in (evse or {}).items()})).start()
        cli = EvccClient(Trace(), ev=EvParams.from_pixit({"ev_soc_per_s": 300, "ev_loop_interval_s": 0.005,
                                                          **{f"ev_{k}": v for k, v in (ev or {}).items()}}),
                         offers=(family,), mode=mode, sdp_port=srv.sdp_port, judge=judge == "EVCC")
        cli.ev_hook = with_control_mode(None, control_mode)
        try:
            s = await cli.run(deadline_s=30)
        finally:
            await srv.stop()
        return srv, cli, s
    return asyncio.run(main())


def _bodies(frames: list[Any], name: str) -> list[dict[str, Any]]:
    return [f.body[name] for f in frames if f.name == name]


def _clean(role: Any) -> None:
    assert not role.trace.findings_since(0), [str(f) for f in role.trace.findings_since(0)]


@pytest.mark.parametrize("price, element", [("absolute", "AbsolutePriceSchedule"), ("levels", "PriceLevelSchedule")])
def test_fake_secc_offers_an_iso20_price_schedule(price: str, element: str) -> None:
    srv, _, s = _session("iso-20", "DC", "Scheduled", judge="SECC", evse={"iso20_price_schedule": price})
    assert s.completed, s.end_reason
    (sess,) = srv.sessions
    (res,) = [b for b in _bodies(sess.responses, "ScheduleExchangeRes") if b.get("EVSEProcessing") == "Finished"]
    schedule = res["Scheduled_SEResControlMode"]["ScheduleTuple"][0]["ChargingSchedule"]
    assert element in schedule, schedule
    if price == "absolute":
        assert schedule[element]["Currency"] == "EUR"
        fee = schedule[element]["PriceRuleStacks"]["PriceRuleStack"][0]["PriceRule"][0]["EnergyFee"]
        assert fee["Value"] * 10 ** fee["Exponent"] == pytest.approx(0.35)
    _clean(srv)


def test_fake_secc_offers_no_price_schedule_by_default() -> None:
    srv, _, s = _session("iso-20", "DC", "Scheduled", judge="SECC")
    (sess,) = srv.sessions
    res = _bodies(sess.responses, "ScheduleExchangeRes")[-1]
    schedule = res["Scheduled_SEResControlMode"]["ScheduleTuple"][0]["ChargingSchedule"]
    assert set(schedule) == {"PowerSchedule"}


@pytest.mark.parametrize("profile, control_mode, expected", [
    ("always", "Dynamic", "Dynamic_EVPPTControlMode"), ("scheduled", "Dynamic", None),
    ("scheduled", "Scheduled", "Scheduled_EVPPTControlMode"), ("never", "Scheduled", None)])
def test_fake_evcc_iso20_power_profile(profile: str, control_mode: str, expected: str | None) -> None:
    _, cli, s = _session("iso-20", "DC", control_mode, judge="EVCC", ev={"iso20_power_profile": profile})
    assert s.completed, s.end_reason
    start = next(b for b in _bodies([r for r, _ in s.exchanges], "PowerDeliveryReq") if b["ChargeProgress"] == "Start")
    if expected is None:
        assert "EVPowerProfile" not in start, start
    else:
        assert expected in start["EVPowerProfile"], start
    _clean(cli)


@pytest.mark.parametrize("acceptance", ["PowerToleranceConfirmed", "PowerToleranceNotConfirmed"])
def test_fake_evcc_power_tolerance_acceptance(acceptance: str) -> None:
    _, cli, s = _session("iso-20", "DC", "Scheduled", judge="EVCC",
                         ev={"iso20_power_tolerance_acceptance": acceptance})
    assert s.completed, s.end_reason
    start = next(b for b in _bodies([r for r, _ in s.exchanges], "PowerDeliveryReq") if b["ChargeProgress"] == "Start")
    assert start["EVPowerProfile"]["Scheduled_EVPPTControlMode"]["PowerToleranceAcceptance"] == acceptance
    _clean(cli)


def test_fake_evcc_iso2_without_charging_profile() -> None:
    _, cli, s = _session("iso-2", "DC", "Dynamic", judge="EVCC", ev={"iso2_charging_profile": False})
    assert s.completed, s.end_reason
    reqs = [r for r, _ in s.exchanges if r.name == "PowerDeliveryReq"]
    start = reqs[0].body["V2G_Message"]["Body"]["PowerDeliveryReq"]
    assert start["ChargeProgress"] == "Start" and "ChargingProfile" not in start
    _clean(cli)


def test_script_option_per_session() -> None:
    """The same knobs per session from a test: ``evcc.charge(iso20_power_profile="always")``."""
    from vgitest.iso15118.fake import FakeEvcc
    from vgitest.iso15118.params import EvParams
    from vgitest.iso15118.secc import SeccServer
    from vgitest.loop import BackgroundLoop

    loop = BackgroundLoop("ref-evse")
    srv = loop.run(SeccServer(Trace(), families=("iso-20",), judge=False).start())
    evcc = FakeEvcc(sdp_port=srv.sdp_port, offers=("iso-20",), ev=EvParams(soc_per_s=300, loop_interval_s=0.005))
    evcc.start()
    try:
        s = evcc.charge(control_mode="Dynamic", iso20_power_profile="always", deadline_s=30)
        start = next(r.body["PowerDeliveryReq"] for r, _ in s.exchanges if r.name == "PowerDeliveryReq")
        assert "Dynamic_EVPPTControlMode" in start["EVPowerProfile"]
    finally:
        evcc.stop()
        loop.run(srv.stop())
        loop.stop()


@pytest.mark.parametrize("pixit", [{"ev_iso20_power_profile": "sometimes"},
                                   {"ev_iso20_power_tolerance_acceptance": "Yes"}])
def test_bad_ev_knob_values_are_refused(pixit: dict[str, Any]) -> None:
    from vgitest.iso15118.params import EvParams
    with pytest.raises(ValueError, match=next(iter(pixit))):
        EvParams.from_pixit(pixit)


def test_bad_evse_knob_values_are_refused() -> None:
    from vgitest.iso15118.params import EvseParams
    with pytest.raises(ValueError, match="evse_iso20_price_schedule"):
        EvseParams.from_pixit({"evse_iso20_price_schedule": "cheap"})

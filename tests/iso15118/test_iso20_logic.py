"""ISO 15118-20 message logic: the reference EV against the reference EVSE, every message through the real EXI
codec (wrap, encode, decode, unwrap), for AC/DC, with and without BPT, Scheduled and Dynamic control mode."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from vgitest.exi import decode, encode
from vgitest.exi.strategies import message_types
from vgitest.iso15118 import family, rules
from vgitest.iso15118.iso20 import FOLLOWS, NAMESPACES, Iso20Ev, Iso20Evse
from vgitest.iso15118.params import EvParams, EvseParams, from_rational

F = family.get("iso-20")
SID = b"\x11" * 8
MODES = ("DC", "AC", "DC_BPT", "AC_BPT")
CONTROL = ("Dynamic", "Scheduled")
SERVICE = {"AC": 1, "DC": 2, "AC_BPT": 5, "DC_BPT": 6}
REQUESTS = sorted(n for s in ("iso-20-common", "iso-20-ac", "iso-20-dc") for n in message_types(s) if n.endswith("Req"))


def through_codec(name: str, body: dict[str, Any], sid: bytes) -> tuple[str, dict[str, Any], bytes | None]:
    schema = F.schema_of(name)
    return F.unwrap(decode(encode(F.wrap(name, body, sid), schema), schema))


def run(mode: str = "DC", control_mode: str | None = None, evp: EvParams | None = None,
        sep: EvseParams | None = None, pause: bool = False, limit: int = 5000):
    """The session as [(request name, request body, response name, response body)], plus both logics."""
    ev = F.ev(evp or EvParams(soc_per_s=500), mode)
    if control_mode is not None:
        ev.control_mode = control_mode
    ev.pause = pause
    se = F.evse(sep or EvseParams())
    msg, sid, log = ev.first(), bytes(8), []
    while msg and len(log) < limit:
        name, body, got_sid = through_codec(*msg, sid)
        assert got_sid == sid
        rname, rbody = se.respond(name, body)
        sid = SID if rname == "SessionSetupRes" else sid
        rname, rbody, _ = through_codec(rname, rbody, sid)
        assert rname == name[:-3] + "Res"
        log.append((name, body, rname, rbody))
        msg = ev.next(rname, rbody)
    assert len(log) < limit
    return log, ev, se


def collapsed(log) -> list[str]:
    """Request names with the charge loop shown once."""
    return [k for k, _ in itertools.groupby(n for n, *_ in log)]


def bodies(log, name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(b, rb) for n, b, _, rb in log if n == name]


def value(rn: Any) -> float:
    v = from_rational(rn)
    assert v is not None
    return v


def test_registered_family() -> None:
    assert F.name == "iso-20" and (F.major, F.minor) == (1, 0)
    assert F.namespace == NAMESPACES["DC"] == "urn:iso:std:iso:15118:-20:DC"
    assert NAMESPACES["AC"] == "urn:iso:std:iso:15118:-20:AC"
    assert set(F.namespaces) == set(NAMESPACES.values())
    assert family.by_namespace(NAMESPACES["AC"]) is F and family.by_namespace(NAMESPACES["DC"]) is F
    assert F.modes == MODES
    assert isinstance(F.ev(EvParams(), "AC"), Iso20Ev) and isinstance(F.evse(EvseParams()), Iso20Evse)
    assert F.follows is FOLLOWS and rules.FOLLOWS["iso-20"] is FOLLOWS


def test_schema_payload_and_header() -> None:
    assert [F.schema_of(n) for n in ("AC_ChargeLoopReq", "DC_PreChargeRes", "SessionSetupReq")] == [
        "iso-20-ac", "iso-20-dc", "iso-20-common"]
    assert [F.payload_type_of(n) for n in ("AC_ChargeLoopReq", "DC_PreChargeRes", "PowerDeliveryReq")] == [
        0x8003, 0x8004, 0x8002]
    doc = F.wrap("SessionSetupReq", {"EVCCID": "X"}, bytes(8))
    assert list(doc) == ["SessionSetupReq"] and next(iter(doc["SessionSetupReq"])) == "Header"
    assert doc["SessionSetupReq"]["Header"]["SessionID"] == bytes(8)
    assert abs(doc["SessionSetupReq"]["Header"]["TimeStamp"] - time.time()) < 5
    assert F.unwrap(doc) == ("SessionSetupReq", {"EVCCID": "X"}, bytes(8))
    assert F.unwrap({"SessionStopRes": None}) == ("SessionStopRes", {}, None)


def _expected_sequence(mode: str) -> list[str]:
    dc = mode.startswith("DC")
    head = ["SessionSetupReq", "AuthorizationSetupReq", "AuthorizationReq", "ServiceDiscoveryReq", "ServiceDetailReq",
            "ServiceSelectionReq", f"{mode[:2]}_ChargeParameterDiscoveryReq", "ScheduleExchangeReq"]
    if dc:
        head += ["DC_CableCheckReq", "DC_PreChargeReq"]
    tail = ["PowerDeliveryReq", f"{mode[:2]}_ChargeLoopReq", "PowerDeliveryReq"]
    return head + tail + (["DC_WeldingDetectionReq"] if dc else []) + ["SessionStopReq"]


@pytest.mark.parametrize("mode,control_mode", list(itertools.product(MODES, CONTROL)))
def test_session(mode: str, control_mode: str) -> None:
    t0 = time.monotonic()
    log, ev, se = run(mode, control_mode)
    assert time.monotonic() - t0 < 0.9
    assert collapsed(log) == _expected_sequence(mode)
    for (a, *_), (b, *_) in itertools.pairwise(log):
        assert b[:-3] in FOLLOWS[a[:-3]], (a, b)
    bpt, dc, sched = mode.endswith("_BPT"), mode.startswith("DC"), control_mode == "Scheduled"
    kind = mode[:2]

    assert log[0][1] == {"EVCCID": EvParams().vehicle_id}
    assert log[0][3]["ResponseCode"] == "OK_NewSessionEstablished" and log[0][3]["EVSEID"] == EvseParams().evse_id
    assert all(rb["ResponseCode"] in ("OK", "OK_NewSessionEstablished") for *_, rb in log)
    [(auth, auth_res)] = bodies(log, "AuthorizationReq")
    assert auth["SelectedAuthorizationService"] == "EIM" and auth_res["EVSEProcessing"] == "Finished"

    [(detail, detail_res)] = bodies(log, "ServiceDetailReq")
    assert detail["ServiceID"] == SERVICE[mode] == detail_res["ServiceID"]
    [(sel, _)] = bodies(log, "ServiceSelectionReq")
    # EvseParams offers set 1 = Scheduled (ControlMode 1), set 2 = Dynamic (ControlMode 2)
    assert sel["SelectedEnergyTransferService"] == {"ServiceID": SERVICE[mode], "ParameterSetID": 1 if sched else 2}
    assert se.service_id == SERVICE[mode] and se.control_mode == control_mode

    [(cpd, cpd_res)] = bodies(log, f"{kind}_ChargeParameterDiscoveryReq")
    prefix = "BPT_" if bpt else ""
    assert list(cpd) == [f"{prefix}{kind}_CPDReqEnergyTransferMode"]
    assert list(cpd_res) == ["ResponseCode", f"{prefix}{kind}_CPDResEnergyTransferMode"]
    limits = cpd_res[f"{prefix}{kind}_CPDResEnergyTransferMode"]
    assert ("EVSEMaximumDischargePower" in limits) == bpt
    assert value(limits["EVSEMaximumChargePower"]) == (90000 if dc else 32 * 230 * 3)

    [(sx, sx_res)] = bodies(log, "ScheduleExchangeReq")
    assert f"{control_mode}_SEReqControlMode" in sx and f"{control_mode}_SEResControlMode" in sx_res
    assert sx_res["EVSEProcessing"] == "Finished"
    assert value(sx[f"{control_mode}_SEReqControlMode"]["EVTargetEnergyRequest"]) == 60000 * 0.5

    starts = bodies(log, "PowerDeliveryReq")
    assert [b["ChargeProgress"] for b, _ in starts] == ["Start", "Stop"]
    assert starts[0][0].get("BPT_ChannelSelection") == ("Charge" if bpt else None)
    if sched:
        tuples = sx_res["Scheduled_SEResControlMode"]["ScheduleTuple"]
        assert ("DischargingSchedule" in tuples[0]) == bpt
        profile = starts[0][0]["EVPowerProfile"]
        assert profile["Scheduled_EVPPTControlMode"]["SelectedScheduleTupleID"] == tuples[0]["ScheduleTupleID"]
    else:
        assert "EVPowerProfile" not in starts[0][0]

    loop = bodies(log, f"{kind}_ChargeLoopReq")
    assert len(loop) >= 2
    ctl = f"{prefix}{control_mode}_{kind}_CL"
    for req, res in loop:
        assert f"{ctl}ReqControlMode" in req and f"{ctl}ResControlMode" in res
        assert req["MeterInfoRequested"] is False and "MeterInfo" not in res
    assert loop[0][0]["DisplayParameters"]["PresentSOC"] == 30
    assert [r["DisplayParameters"]["PresentSOC"] for r, _ in loop] == sorted(
        r["DisplayParameters"]["PresentSOC"] for r, _ in loop)
    assert ev.soc >= 80 and ev.full
    last_req, last_res = loop[-1]
    if dc:
        assert value(last_res["EVSEPresentVoltage"]) == 380
        assert value(last_res["EVSEPresentCurrent"]) == 200  # EVSE max_a (EV asks for up to 236.8 A / 250 A)
        assert last_res["EVSECurrentLimitAchieved"] is True and last_res["EVSEPowerLimitAchieved"] is False
        assert ("EVSEMaximumDischargePower" in last_res[f"{ctl}ResControlMode"]) == bpt
        assert ("EVTargetCurrent" in last_req[f"{ctl}ReqControlMode"]) == sched
    else:
        assert value(loop[0][0][f"{ctl}ReqControlMode"]["EVPresentActivePower"]) == 0
        assert value(last_res[f"{ctl}ResControlMode"]["EVSETargetActivePower"]) == 22080
        assert value(last_req[f"{ctl}ReqControlMode"]["EVPresentActivePower"]) == 22080

    if dc:
        cable = bodies(log, "DC_CableCheckReq")
        assert [r["EVSEProcessing"] for _, r in cable] == ["Ongoing", "Ongoing", "Finished"]
        pre = bodies(log, "DC_PreChargeReq")
        assert [b["EVProcessing"] for b, _ in pre] == ["Ongoing"] * (len(pre) - 1) + ["Finished"]
        assert [value(r["EVSEPresentVoltage"]) for _, r in pre] == [150, 300, 380, 380]
        [(weld, weld_res)] = bodies(log, "DC_WeldingDetectionReq")
        assert weld["EVProcessing"] == "Finished" and value(weld_res["EVSEPresentVoltage"]) < 380
    assert log[-1][1]["ChargingSession"] == "Terminate" and log[-1][2] == "SessionStopRes"
    assert ev.stop_reason == ""


def test_ongoing_rounds_follow_evse_params() -> None:
    log, ev, _ = run("DC", sep=EvseParams(auth_rounds=2, cpd_rounds=3, cable_check_rounds=1))
    assert [r["EVSEProcessing"] for _, r in bodies(log, "AuthorizationReq")] == ["Ongoing", "Ongoing", "Finished"]
    assert [r["EVSEProcessing"] for _, r in bodies(log, "ScheduleExchangeReq")] == ["Ongoing"] * 3 + ["Finished"]
    assert [r["EVSEProcessing"] for _, r in bodies(log, "DC_CableCheckReq")] == ["Ongoing", "Finished"]
    assert collapsed(log)[-1] == "SessionStopReq" and ev.full


@pytest.mark.parametrize("control_mode", CONTROL)
def test_schedule_exchange_ongoing_keeps_the_control_mode(control_mode: str) -> None:
    log, _, _ = run("AC_BPT", control_mode, sep=EvseParams(cpd_rounds=2))
    res = [r for _, r in bodies(log, "ScheduleExchangeReq")]
    assert [r["EVSEProcessing"] for r in res] == ["Ongoing", "Ongoing", "Finished"]
    assert all(f"{control_mode}_SEResControlMode" in r for r in res)


def test_precharge_follows_step_and_ends_within_tolerance() -> None:
    log, _, _ = run("DC", evp=EvParams(soc_per_s=500, battery_v=400), sep=EvseParams(precharge_step_v=60))
    volts = [value(r["EVSEPresentVoltage"]) for _, r in bodies(log, "DC_PreChargeReq")]
    assert volts == [60, 120, 180, 240, 300, 360, 400, 400]
    assert all(value(b["EVTargetVoltage"]) == 400 for b, _ in bodies(log, "DC_PreChargeReq"))


def test_evse_limits_bound_the_charge_loop() -> None:
    log, _, _ = run("DC", "Dynamic", sep=EvseParams(max_w=38000, max_a=400))
    _, res = bodies(log, "DC_ChargeLoopReq")[-1]
    assert value(res["EVSEPresentCurrent"]) == pytest.approx(100, abs=0.1)  # 38 kW at 380 V
    assert res["EVSEPowerLimitAchieved"] is True and res["EVSECurrentLimitAchieved"] is False
    assert value(res["Dynamic_DC_CLResControlMode"]["EVSEMaximumChargePower"]) == 38000
    log, _, _ = run("AC", "Dynamic", sep=EvseParams(ac_max_a=16, ac_phases=1))
    _, res = bodies(log, "AC_ChargeLoopReq")[-1]
    assert value(res["Dynamic_AC_CLResControlMode"]["EVSETargetActivePower"]) == 16 * 230


def test_pause_and_welding_rounds() -> None:
    log, _, _ = run("DC", evp=EvParams(soc_per_s=500, welding_rounds=3), pause=True)
    assert [b["EVProcessing"] for b, _ in bodies(log, "DC_WeldingDetectionReq")] == ["Ongoing", "Ongoing", "Finished"]
    assert log[-1][0] == "SessionStopReq" and log[-1][1]["ChargingSession"] == "Pause"


def test_ev_adopts_the_only_control_mode_offered() -> None:
    log, ev, se = run("DC", "Scheduled", sep=EvseParams(iso20_control_modes=("Dynamic",)))
    assert bodies(log, "ServiceSelectionReq")[0][0]["SelectedEnergyTransferService"]["ParameterSetID"] == 1
    assert ev.control_mode == se.control_mode == "Dynamic"
    assert "Dynamic_DC_CLReqControlMode" in bodies(log, "DC_ChargeLoopReq")[0][0]


def test_service_discovery_offers_the_configured_services() -> None:
    log, ev, _ = run("DC", sep=EvseParams(iso20_services=(1, 5)))
    offered = bodies(log, "ServiceDiscoveryReq")[0][1]["EnergyTransferServiceList"]["Service"]
    assert [s["ServiceID"] for s in offered] == [1, 5]
    assert collapsed(log)[-2:] == ["ServiceDiscoveryReq", "SessionStopReq"]  # no DC service: the EV stops
    # ([V2G20-2644]: SessionStop may follow any request from SessionSetup to before PowerDelivery(Start))
    assert "service 2" in ev.stop_reason
    se = Iso20Evse(EvseParams())
    _, body = se.respond("ServiceDiscoveryReq", {"SupportedServiceIDs": {"ServiceID": [6, 2]}})
    assert [s["ServiceID"] for s in body["EnergyTransferServiceList"]["Service"]] == [2, 6]


def test_ev_gives_up_on_endless_ongoing() -> None:
    log, ev, _ = run("DC", evp=EvParams(max_processing_rounds=3), sep=EvseParams(auth_rounds=100))
    assert collapsed(log) == ["SessionSetupReq", "AuthorizationSetupReq", "AuthorizationReq", "SessionStopReq"]
    assert len(bodies(log, "AuthorizationReq")) == 4 and "Ongoing" in ev.stop_reason
    log, ev, _ = run("AC", evp=EvParams(max_processing_rounds=2), sep=EvseParams(cpd_rounds=100))
    assert collapsed(log)[-2:] == ["ScheduleExchangeReq", "SessionStopReq"]  # SessionStop may follow here
    assert log[-1][1]["EVTerminationExplanation"] == ev.stop_reason


def test_ev_stops_on_failed_response() -> None:
    ev = Iso20Ev(EvParams(), "DC")
    ev.first()
    assert ev.next("SessionSetupRes", {"ResponseCode": "FAILED", "EVSEID": "x"}) is None
    assert ev.stop_reason == "SessionSetupRes FAILED"


def test_evse_rejects_invalid_service_choices() -> None:
    se = Iso20Evse(EvseParams(iso20_services=(2,)))
    assert se.respond("ServiceDetailReq", {"ServiceID": 1})[1]["ResponseCode"] == "FAILED_ServiceIDInvalid"
    bad = se.respond("ServiceSelectionReq", {"SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 9}})
    assert bad[1]["ResponseCode"] == "FAILED_ServiceSelectionInvalid" and se.service_id is None
    ok = se.respond("ServiceSelectionReq", {"SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 1}})
    assert ok == ("ServiceSelectionRes", {"ResponseCode": "OK"}) and se.control_mode == "Scheduled"
    wrong = {"ChargeProgress": "Start", "EVProcessing": "Finished", "EVPowerProfile": {
        "TimeAnchor": 0, "Scheduled_EVPPTControlMode": {"SelectedScheduleTupleID": 7}, "EVPowerProfileEntries": {}}}
    assert se.respond("PowerDeliveryReq", wrong)[1]["ResponseCode"] == "FAILED_ScheduleSelectionInvalid"


def test_meter_info_when_requested() -> None:
    se = Iso20Evse(EvseParams())
    req = {"MeterInfoRequested": True, "EVPresentVoltage": {"Exponent": 0, "Value": 400},
           "Dynamic_DC_CLReqControlMode": {"EVMaximumChargeCurrent": {"Exponent": 0, "Value": 100}}}
    name, body = se.respond("DC_ChargeLoopReq", req)
    name, body, _ = through_codec(name, body, SID)
    assert body["MeterInfo"]["MeterID"] and body["MeterInfo"]["ChargedEnergyReadingWh"] >= 0
    assert value(body["EVSEPresentCurrent"]) == 100


def test_request_set_is_complete() -> None:
    assert len(REQUESTS) == 20 and "DC_CableCheckReq" in REQUESTS and "VehicleCheckOutReq" in REQUESTS


def _evse_states() -> list[Iso20Evse]:
    """A fresh EVSE and EVSEs after each ServiceSelection (AC/DC, BPT, either control mode)."""
    out = [Iso20Evse(EvseParams())]
    for sid, set_id in itertools.product((1, 2, 5, 6), (1, 2)):
        se = Iso20Evse(EvseParams())
        selected = {"ServiceID": sid, "ParameterSetID": set_id}
        se.respond("ServiceSelectionReq", {"SelectedEnergyTransferService": selected})
        out.append(se)
    return out


@pytest.mark.parametrize("req", REQUESTS)
def test_failed_for_every_request(req: str) -> None:
    for se in _evse_states():
        before = (dict(se.counts), se.service_id, se.control_mode, se.present_v, se.present_a)
        for code in ("FAILED_SequenceError", "FAILED_UnknownSession", "FAILED"):
            name, body = se.failed(req, code)
            assert name == req[:-3] + "Res"
            assert F.schema_of(name) == F.schema_of(req)
            got_name, got, sid = through_codec(name, body, SID)
            assert (got_name, got["ResponseCode"], sid) == (name, code, SID)
            assert got == body
        skel_name, skel = se.skeleton(req)
        assert skel_name == name and skel["ResponseCode"] == "OK"
        assert (dict(se.counts), se.service_id, se.control_mode, se.present_v, se.present_a) == before


def test_pnc_offered_ev_still_uses_eim() -> None:
    log, ev, _ = run("AC", sep=EvseParams(payment_options=("ExternalPayment", "Contract")))
    [(_, setup)] = bodies(log, "AuthorizationSetupReq")
    assert setup["AuthorizationServices"] == ["EIM", "PnC"]
    assert len(setup["PnC_ASResAuthorizationMode"]["GenChallenge"]) == 16
    assert bodies(log, "AuthorizationReq")[0][0]["SelectedAuthorizationService"] == "EIM"
    assert collapsed(log)[-1] == "SessionStopReq" and ev.full

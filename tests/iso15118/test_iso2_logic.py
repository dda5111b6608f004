"""ISO 15118-2 message logic: Iso2Ev driven against Iso2Evse in-process, every message through the project's
EXI codec (wrap, encode, decode, unwrap), so each body the logic builds is also proven schema-valid.

The charge loop uses an EV whose battery gains a fixed step per loop answer, so the number of loop messages is
exact; one test uses the real clock-driven battery with a very fast fill rate.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from vgitest.iso15118 import family, rules
from vgitest.iso15118.iso2 import FOLLOWS, REQUESTS, Iso2Ev, Iso2Evse
from vgitest.iso15118.params import EvParams, EvseParams, from_physical

SID = b"\x11" * 8

pytestmark = pytest.mark.usefixtures("schemas_available")


F = family.get("iso-2")


class StepEv(Iso2Ev):
    """An EV whose battery gains ``step`` % per charge-loop answer (no clock)."""

    step = 10.0

    def charge(self) -> float:
        self.soc = min(100.0, self.soc + self.step)
        return self.soc


class SigningEv(StepEv):
    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.signed: list[str] = []

    def sign(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        self.signed.append(name)
        return {"marker": name}


@dataclasses.dataclass
class Turn:
    req: str
    body: dict[str, Any]
    res: str
    rbody: dict[str, Any]

    @property
    def base(self) -> str:
        return self.req[:-3]


def roundtrip(name: str, body: dict[str, Any], sid: bytes) -> tuple[str, dict[str, Any]]:
    from vgitest.exi import decode, encode

    n, b, s = F.unwrap(decode(encode(F.wrap(name, body, sid), "iso-2"), "iso-2"))
    assert s == sid
    return n, b


def drive(ev: Iso2Ev, se: Iso2Evse, hook: Callable[[int, str, Iso2Ev, Iso2Evse], None] | None = None,
          limit: int = 300) -> list[Turn]:
    """Run a whole session; ``hook(i, request name, ev, se)`` runs before the EVSE answers request i."""
    turns: list[Turn] = []
    msg = ev.first()
    sid = bytes(8)
    while msg is not None:
        assert len(turns) < limit, "session did not end"
        name, body = roundtrip(*msg, sid)
        if hook is not None:
            hook(len(turns), name, ev, se)
        rname, rbody = se.respond(name, body)
        if rname == "SessionSetupRes":
            sid = SID
            ev.session_id = sid
        rname, rbody = roundtrip(rname, rbody, sid)
        assert rname == name[:-3] + "Res"
        turns.append(Turn(name, body, rname, rbody))
        msg = ev.next(rname, rbody)
    return turns


def names(turns: list[Turn]) -> list[str]:
    return [t.base for t in turns]


def collapsed(turns: list[Turn]) -> list[tuple[str, int]]:
    return [(k, len(list(g))) for k, g in itertools.groupby(names(turns))]


def only(turns: list[Turn], base: str) -> list[Turn]:
    return [t for t in turns if t.base == base]


def assert_follows(turns: list[Turn], analyser_too: bool = True) -> None:
    for a, b in itertools.pairwise(turns):
        assert b.base in FOLLOWS[a.base], (a.base, b.base)
        if analyser_too:
            assert rules.allowed_after("iso-2", a.base, b.base), (a.base, b.base)


# ---- family --------------------------------------------------------------------------------------------------


def test_family_registration() -> None:
    assert F.name == "iso-2" and F.namespace == "urn:iso:15118:2:2013:MsgDef"
    assert (F.major, F.minor, F.modes) == (2, 0, ("DC", "AC"))
    assert F.schema_of("CurrentDemandReq") == "iso-2" and F.payload_type_of("SessionSetupReq") == 0x8001
    assert isinstance(F.ev(EvParams(), "DC"), Iso2Ev) and isinstance(F.evse(EvseParams()), Iso2Evse)
    assert family.by_namespace("urn:iso:15118:2:2013:MsgDef") is F
    # every order the capture analyser accepts is accepted by the roles' table too
    for req, nxt in rules.FOLLOWS["iso-2"].items():
        assert nxt <= FOLLOWS[req]
    assert set(FOLLOWS) == {r[:-3] for r in REQUESTS}
    assert "SessionStop" not in FOLLOWS["CurrentDemand"] and FOLLOWS["SessionStop"] == set()


def test_resume_flag_is_readable_and_changes_nothing() -> None:
    fresh, resumed = Iso2Ev(EvParams(), "DC"), Iso2Ev(EvParams(), "DC", resume=True)
    assert (fresh.resume, resumed.resume) == (False, True)
    assert fresh.first() == resumed.first() == ("SessionSetupReq", {"EVCCID": EvParams().evcc_id})


# ---- whole sessions ------------------------------------------------------------------------------------------


def test_dc_external_payment() -> None:
    ev, se = StepEv(EvParams(), "DC"), Iso2Evse(EvseParams())
    turns = drive(ev, se)
    assert names(turns) == [
        "SessionSetup", "ServiceDiscovery", "PaymentServiceSelection", "Authorization", "ChargeParameterDiscovery",
        "CableCheck", "CableCheck", "CableCheck", "PreCharge", "PreCharge", "PreCharge", "PowerDelivery",
        *["CurrentDemand"] * 5, "PowerDelivery", "WeldingDetection", "SessionStop"]
    assert_follows(turns)
    assert all(t.rbody["ResponseCode"].startswith("OK") for t in turns)
    setup = turns[0]
    assert setup.rbody["ResponseCode"] == "OK_NewSessionEstablished" and setup.rbody["EVSEID"] == "DE*VGI*E1234567"
    assert turns[1].rbody["ChargeService"]["SupportedEnergyTransferMode"]["EnergyTransferMode"] == [
        "DC_extended", "AC_three_phase_core", "AC_single_phase_core"]
    assert turns[2].body == {"SelectedPaymentOption": "ExternalPayment",
                             "SelectedServiceList": {"SelectedService": [{"ServiceID": 1}]}}
    assert turns[3].body == {}
    cpd = only(turns, "ChargeParameterDiscovery")[0]
    assert cpd.body["RequestedEnergyTransferMode"] == "DC_extended"
    evp = cpd.body["DC_EVChargeParameter"]
    assert evp["DepartureTime"] == 7200 and from_physical(evp["EVMaximumVoltageLimit"]) == 450
    assert from_physical(evp["EVEnergyRequest"]) == pytest.approx(60000 * 0.5)
    assert from_physical(evp["EVEnergyCapacity"]) == 60000
    sep = cpd.rbody["DC_EVSEChargeParameter"]
    assert from_physical(sep["EVSEMaximumVoltageLimit"]) == 500 and from_physical(sep["EVSEMaximumCurrentLimit"]) == 200
    tuple_ = cpd.rbody["SAScheduleList"]["SAScheduleTuple"][0]
    assert tuple_["SAScheduleTupleID"] == 1
    assert from_physical(tuple_["PMaxSchedule"]["PMaxScheduleEntry"][0]["PMax"]) == 90000
    assert [t.rbody["EVSEProcessing"] for t in only(turns, "CableCheck")] == ["Ongoing", "Ongoing", "Finished"]
    assert only(turns, "CableCheck")[-1].rbody["DC_EVSEStatus"]["EVSEIsolationStatus"] == "Valid"
    assert [from_physical(t.rbody["EVSEPresentVoltage"]) for t in only(turns, "PreCharge")] == [150, 300, 380]
    start, stop = only(turns, "PowerDelivery")
    assert start.body["ChargeProgress"] == "Start" and start.body["SAScheduleTupleID"] == 1
    assert from_physical(start.body["ChargingProfile"]["ProfileEntry"][0]["ChargingProfileEntryMaxPower"]) == 90000
    assert start.body["DC_EVPowerDeliveryParameter"]["ChargingComplete"] is False
    assert stop.body["ChargeProgress"] == "Stop" and stop.body["DC_EVPowerDeliveryParameter"]["ChargingComplete"]
    cd = only(turns, "CurrentDemand")
    assert [t.body["DC_EVStatus"]["EVRESSSOC"] for t in cd] == [30, 40, 50, 60, 70]
    assert all(t.rbody["EVSEID"] == "DE*VGI*E1234567" and t.rbody["SAScheduleTupleID"] == 1 for t in cd)
    assert all("ReceiptRequired" not in t.rbody for t in cd)
    assert from_physical(cd[0].rbody["EVSEPresentCurrent"]) == 200  # the EVSE maximum, below what the EV asks for
    assert turns[-1].body == {"ChargingSession": "Terminate"} and se.stopped_with == "Terminate"
    assert ev.soc == 80 and ev.stop_reason == ""


def test_ac_external_payment() -> None:
    ev, se = StepEv(EvParams(), "AC"), Iso2Evse(EvseParams())
    turns = drive(ev, se)
    assert names(turns) == [
        "SessionSetup", "ServiceDiscovery", "PaymentServiceSelection", "Authorization", "ChargeParameterDiscovery",
        "PowerDelivery", *["ChargingStatus"] * 5, "PowerDelivery", "SessionStop"]
    assert_follows(turns)
    cpd = only(turns, "ChargeParameterDiscovery")[0]
    assert cpd.body["RequestedEnergyTransferMode"] == "AC_three_phase_core"
    acp = cpd.body["AC_EVChargeParameter"]
    assert set(acp) == {"DepartureTime", "EAmount", "EVMaxVoltage", "EVMaxCurrent", "EVMinCurrent"}
    assert from_physical(acp["EVMaxCurrent"]) == 32 and from_physical(acp["EVMinCurrent"]) == 6
    assert set(cpd.rbody) == {"ResponseCode", "EVSEProcessing", "SAScheduleList", "AC_EVSEChargeParameter"}
    assert cpd.rbody["AC_EVSEChargeParameter"]["AC_EVSEStatus"] == {
        "NotificationMaxDelay": 0, "EVSENotification": "None", "RCD": False}
    start, stop = only(turns, "PowerDelivery")
    assert "DC_EVPowerDeliveryParameter" not in start.body
    entry = start.body["ChargingProfile"]["ProfileEntry"][0]
    assert entry["ChargingProfileEntryMaxNumberOfPhasesInUse"] == 3
    assert from_physical(entry["ChargingProfileEntryMaxPower"]) == pytest.approx(32 * 230 * 3, rel=0.01)
    assert set(start.rbody) == {"ResponseCode", "AC_EVSEStatus"}
    assert stop.body == {"ChargeProgress": "Stop", "SAScheduleTupleID": 1}
    cs = only(turns, "ChargingStatus")
    assert all(t.body == {} for t in cs)
    assert all(from_physical(t.rbody["EVSEMaxCurrent"]) == 32 and "AC_EVSEStatus" in t.rbody for t in cs)
    assert turns[-1].body == {"ChargingSession": "Terminate"}
    assert se.mode == "AC" and se.transfer_mode == "AC_three_phase_core"


def test_dc_plug_and_charge_with_metering_receipt() -> None:
    ev = SigningEv(EvParams(payment="Contract"), "DC")
    se = Iso2Evse(EvseParams(payment_options=("ExternalPayment", "Contract"), receipt_required=True))
    turns = drive(ev, se)
    assert names(turns) == [
        "SessionSetup", "ServiceDiscovery", "PaymentServiceSelection", "PaymentDetails", "Authorization",
        "ChargeParameterDiscovery", "CableCheck", "CableCheck", "CableCheck", "PreCharge", "PreCharge", "PreCharge",
        "PowerDelivery", "CurrentDemand", "MeteringReceipt", *["CurrentDemand"] * 4, "PowerDelivery",
        "WeldingDetection", "SessionStop"]
    assert_follows(turns)
    sd = turns[1].rbody
    assert sd["PaymentOptionList"]["PaymentOption"] == ["ExternalPayment", "Contract"]
    assert sd["ServiceList"]["Service"][0]["ServiceCategory"] == "ContractCertificate"
    assert turns[2].body["SelectedPaymentOption"] == "Contract"
    pd = only(turns, "PaymentDetails")[0]
    p = EvParams()
    assert pd.body["eMAID"] == p.emaid
    assert pd.body["ContractSignatureCertChain"] == {
        "Certificate": p.contract_cert, "SubCertificates": {"Certificate": [p.contract_sub_ca2_cert,
                                                                            p.contract_sub_ca1_cert]}}
    challenge = pd.rbody["GenChallenge"]
    assert isinstance(challenge, bytes) and len(challenge) == 16 and isinstance(pd.rbody["EVSETimeStamp"], int)
    auth = only(turns, "Authorization")[0]
    assert auth.body == {"Id": "id1", "GenChallenge": challenge} and auth.rbody["ResponseCode"] == "OK"
    cd = only(turns, "CurrentDemand")
    assert cd[0].rbody["ReceiptRequired"] is True and all(t.rbody["ReceiptRequired"] is False for t in cd[1:])
    mr = only(turns, "MeteringReceipt")[0]
    assert mr.body["SessionID"] == SID and mr.body["Id"] == "id1" and mr.body["SAScheduleTupleID"] == 1
    assert mr.body["MeterInfo"]["MeterID"] == cd[0].rbody["MeterInfo"]["MeterID"] == "VGITEST-METER-1"
    assert set(mr.rbody) == {"ResponseCode", "DC_EVSEStatus"}
    assert ev.signed == ["AuthorizationReq", "MeteringReceiptReq"] and ev.receipts == 1
    assert ev.signature is None  # the last request (SessionStopReq) is not signed


def test_ac_plug_and_charge_with_metering_receipt() -> None:
    ev = SigningEv(EvParams(payment="Contract"), "AC")
    se = Iso2Evse(EvseParams(payment_options=("Contract",), receipt_required=True))
    turns = drive(ev, se)
    assert collapsed(turns)[3:] == [
        ("PaymentDetails", 1), ("Authorization", 1), ("ChargeParameterDiscovery", 1), ("PowerDelivery", 1),
        ("ChargingStatus", 1), ("MeteringReceipt", 1), ("ChargingStatus", 4), ("PowerDelivery", 1),
        ("SessionStop", 1)]
    assert_follows(turns)
    mr = only(turns, "MeteringReceipt")[0]
    assert set(mr.rbody) == {"ResponseCode", "AC_EVSEStatus"} and mr.body["SessionID"] == SID
    assert ev.signed == ["AuthorizationReq", "MeteringReceiptReq"]


def test_contract_ev_falls_back_to_external_payment() -> None:
    turns = drive(StepEv(EvParams(payment="Contract"), "AC"), Iso2Evse(EvseParams()))
    assert turns[2].body["SelectedPaymentOption"] == "ExternalPayment"
    assert "PaymentDetails" not in names(turns) and only(turns, "Authorization")[0].body == {}
    assert names(turns)[-1] == "SessionStop"


def test_receipt_required_is_ignored_without_a_contract() -> None:
    turns = drive(StepEv(EvParams(), "AC"), Iso2Evse(EvseParams(receipt_required=True)))
    assert only(turns, "ChargingStatus")[0].rbody["ReceiptRequired"] is True
    assert "MeteringReceipt" not in names(turns)


def test_pause_ends_with_session_stop_pause() -> None:
    ev, se = StepEv(EvParams(), "DC"), Iso2Evse(EvseParams())
    ev.pause = True
    turns = drive(ev, se)
    assert names(turns)[-3:] == ["PowerDelivery", "WeldingDetection", "SessionStop"]
    assert turns[-1].body == {"ChargingSession": "Pause"} and se.stopped_with == "Pause"
    ev_ac = StepEv(EvParams(), "AC")
    ev_ac.pause = True
    assert drive(ev_ac, Iso2Evse(EvseParams()))[-1].body == {"ChargingSession": "Pause"}


def test_renegotiation_requested_by_the_evse_dc() -> None:
    ev, se = StepEv(EvParams(), "DC"), Iso2Evse(EvseParams(cpd_rounds=1))

    def hook(i: int, name: str, ev: Iso2Ev, se: Iso2Evse) -> None:
        if name == "CurrentDemandReq" and se.counts.get("CurrentDemandReq", 0) == 1:
            se.notification = "ReNegotiation"  # goes into the 2nd CurrentDemandRes

    turns = drive(ev, se, hook)
    assert collapsed(turns) == [
        ("SessionSetup", 1), ("ServiceDiscovery", 1), ("PaymentServiceSelection", 1), ("Authorization", 1),
        ("ChargeParameterDiscovery", 2), ("CableCheck", 3), ("PreCharge", 3), ("PowerDelivery", 1),
        ("CurrentDemand", 2), ("PowerDelivery", 1), ("ChargeParameterDiscovery", 2), ("PowerDelivery", 1),
        ("CurrentDemand", 3), ("PowerDelivery", 1), ("WeldingDetection", 1), ("SessionStop", 1)]
    assert_follows(turns)
    assert [t.body["ChargeProgress"] for t in only(turns, "PowerDelivery")] == ["Start", "Renegotiate", "Start", "Stop"]
    cd = only(turns, "CurrentDemand")
    assert cd[1].rbody["DC_EVSEStatus"]["EVSENotification"] == "ReNegotiation"
    assert only(turns, "PowerDelivery")[1].rbody["DC_EVSEStatus"]["EVSENotification"] == "None"
    cpd = only(turns, "ChargeParameterDiscovery")
    assert [t.rbody["EVSEProcessing"] for t in cpd] == ["Ongoing", "Finished"] * 2
    assert all("SAScheduleList" not in t.rbody for t in cpd[::2])
    assert cpd[2].body["DC_EVChargeParameter"]["DC_EVStatus"]["EVReady"] is True
    assert only(turns, "PowerDelivery")[2].body["SAScheduleTupleID"] == 1
    assert ev.renegotiations == 1 and se.notification == "None" and ev.soc == 80


def test_renegotiation_requested_by_the_ev_ac() -> None:
    ev, se = StepEv(EvParams(), "AC"), Iso2Evse(EvseParams())

    def hook(i: int, name: str, ev: Iso2Ev, se: Iso2Evse) -> None:
        if name == "ChargingStatusReq" and se.counts.get("ChargingStatusReq", 0) == 2:
            ev.renegotiate = True

    turns = drive(ev, se, hook)
    assert collapsed(turns)[4:] == [
        ("ChargeParameterDiscovery", 1), ("PowerDelivery", 1), ("ChargingStatus", 3), ("PowerDelivery", 1),
        ("ChargeParameterDiscovery", 1), ("PowerDelivery", 1), ("ChargingStatus", 2), ("PowerDelivery", 1),
        ("SessionStop", 1)]
    assert [t.body["ChargeProgress"] for t in only(turns, "PowerDelivery")] == ["Start", "Renegotiate", "Start", "Stop"]
    assert ev.renegotiate is False


def test_stop_charging_notification_ends_the_loop_early() -> None:
    ev, se = StepEv(EvParams(), "DC"), Iso2Evse(EvseParams())

    def hook(i: int, name: str, ev: Iso2Ev, se: Iso2Evse) -> None:
        if name == "CurrentDemandReq":
            se.notification = "StopCharging"

    turns = drive(ev, se, hook)
    assert collapsed(turns)[-5:] == [("PowerDelivery", 1), ("CurrentDemand", 1), ("PowerDelivery", 1),
                                     ("WeldingDetection", 1), ("SessionStop", 1)]
    assert only(turns, "PowerDelivery")[-1].body["ChargeProgress"] == "Stop"
    assert ev.soc == 40 < ev.p.target_soc and se.notification == "None"


def test_processing_ongoing_rounds() -> None:
    ev, se = StepEv(EvParams(), "DC"), Iso2Evse(EvseParams(auth_rounds=2, cpd_rounds=3, cable_check_rounds=4))
    turns = drive(ev, se)
    counts = dict(collapsed(turns)[:8])
    assert (counts["Authorization"], counts["ChargeParameterDiscovery"], counts["CableCheck"]) == (3, 4, 5)
    assert [t.rbody["EVSEProcessing"] for t in only(turns, "Authorization")] == ["Ongoing", "Ongoing", "Finished"]
    cpd = only(turns, "ChargeParameterDiscovery")
    assert [t.rbody["EVSEProcessing"] for t in cpd] == ["Ongoing"] * 3 + ["Finished"]
    assert names(turns)[-1] == "SessionStop" and ev.stop_reason == ""


def test_ev_gives_up_when_processing_stays_ongoing() -> None:
    ev, se = StepEv(EvParams(max_processing_rounds=2), "AC"), Iso2Evse(EvseParams(auth_rounds=10))
    turns = drive(ev, se)
    assert names(turns)[3:] == ["Authorization"] * 3 + ["SessionStop"]
    assert turns[-1].body == {"ChargingSession": "Terminate"}
    assert "Ongoing" in ev.stop_reason
    assert_follows(turns, analyser_too=False)


def test_precharge_that_never_converges_gives_up() -> None:
    ev, se = StepEv(EvParams(max_processing_rounds=3, battery_v=480), "DC"), Iso2Evse(EvseParams(max_v=400))
    turns = drive(ev, se)
    assert collapsed(turns)[-2:] == [("PreCharge", 4), ("SessionStop", 1)]
    assert ev.stop_reason == "pre-charge voltage never reached"


def test_clock_driven_battery_finishes() -> None:
    ev, se = Iso2Ev(EvParams(soc_per_s=1e6), "DC"), Iso2Evse(EvseParams(cable_check_rounds=0))
    turns = drive(ev, se)
    assert ev.full and names(turns)[-3:] == ["PowerDelivery", "WeldingDetection", "SessionStop"]
    assert 1 <= names(turns).count("CurrentDemand") < 50


def test_evse_limits_bound_the_current() -> None:
    ev, se = StepEv(EvParams(max_a=250, max_w=150000), "DC"), Iso2Evse(EvseParams(max_a=100, max_w=30000))
    turns = drive(ev, se)
    cd = only(turns, "CurrentDemand")
    assert all(from_physical(t.rbody["EVSEPresentCurrent"]) <= 30000 / 380 + 0.01 for t in cd)
    assert cd[0].rbody["EVSECurrentLimitAchieved"] is True and cd[0].rbody["EVSEPowerLimitAchieved"] is True
    assert from_physical(cd[0].rbody["EVSEMaximumCurrentLimit"]) == 100
    start = only(turns, "PowerDelivery")[0]
    assert from_physical(start.body["ChargingProfile"]["ProfileEntry"][0]["ChargingProfileEntryMaxPower"]) == 30000


# ---- failures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["DC", "AC", None])
def test_failed_and_skeleton_for_every_request(mode: str | None) -> None:
    se = Iso2Evse(EvseParams(payment_options=("Contract", "ExternalPayment"), receipt_required=True))
    se.mode = mode
    before = copy.deepcopy(vars(se))
    for req in REQUESTS:
        for code in ("FAILED", "FAILED_SequenceError", "FAILED_UnknownSession"):
            name, body = se.failed(req, code)
            assert name == req[:-3] + "Res"
            rname, rbody = roundtrip(name, body, SID)
            assert rname == name and rbody["ResponseCode"] == code
        name, body = se.skeleton(req)
        assert roundtrip(name, body, SID)[1]["ResponseCode"] == "OK"
    assert vars(se) == before  # building answers changes nothing
    kind = mode or "DC"
    assert f"{kind}_EVSEChargeParameter" in se.skeleton("ChargeParameterDiscoveryReq")[1]
    assert f"{kind}_EVSEStatus" in se.skeleton("PowerDeliveryReq")[1]
    assert f"{kind}_EVSEStatus" in se.skeleton("MeteringReceiptReq")[1]
    assert se.skeleton("NoSuchReq")[0] == "SessionStopRes"


def test_ev_stops_on_a_failed_response() -> None:
    ev = StepEv(EvParams(), "DC")
    ev.first()
    assert ev.next("SessionSetupRes", {"ResponseCode": "OK_NewSessionEstablished", "EVSEID": "ZZ00000"})
    _, body = Iso2Evse(EvseParams()).failed("AuthorizationReq", "FAILED_SequenceError")
    assert ev.next("AuthorizationRes", body) is None
    assert ev.stop_reason == "AuthorizationRes: FAILED_SequenceError"


def test_wrong_energy_transfer_mode_ends_the_session() -> None:
    se = Iso2Evse(EvseParams())
    se.modes = ("AC",)
    ev = StepEv(EvParams(), "DC")
    turns = drive(ev, se)
    assert names(turns)[-1] == "ChargeParameterDiscovery"
    assert turns[1].rbody["ChargeService"]["SupportedEnergyTransferMode"]["EnergyTransferMode"] == [
        "AC_three_phase_core", "AC_single_phase_core"]
    assert turns[-1].rbody["ResponseCode"] == "FAILED_WrongEnergyTransferMode"
    assert ev.stop_reason == "ChargeParameterDiscoveryRes: FAILED_WrongEnergyTransferMode"


def _cpd_req(mode: str, param_kind: str) -> dict[str, Any]:
    ev = Iso2Ev(EvParams(), param_kind)
    _, body = ev._cpd()
    return {**body, "RequestedEnergyTransferMode": mode}


def test_charge_parameter_that_does_not_match_the_mode() -> None:
    se = Iso2Evse(EvseParams())
    name, body = se.respond("ChargeParameterDiscoveryReq", roundtrip("ChargeParameterDiscoveryReq",
                                                                     _cpd_req("AC_three_phase_core", "DC"), SID)[1])
    assert body["ResponseCode"] == "FAILED_WrongChargeParameter" and "AC_EVSEChargeParameter" in body
    roundtrip(name, body, SID)
    name, body = se.respond("ChargeParameterDiscoveryReq", _cpd_req("DC_unique", "DC"))
    assert body["ResponseCode"] == "FAILED_WrongEnergyTransferMode"
    roundtrip(name, body, SID)


def test_requests_of_the_other_energy_transfer_mode() -> None:
    ac = Iso2Evse(EvseParams())
    assert ac.respond("ChargeParameterDiscoveryReq", _cpd_req("AC_three_phase_core", "AC"))[1]["ResponseCode"] == "OK"
    dc_status = {"EVReady": True, "EVErrorCode": "NO_ERROR", "EVRESSSOC": 50}
    for req in ("CableCheckReq", "PreChargeReq", "CurrentDemandReq", "WeldingDetectionReq"):
        name, body = ac.respond(req, {"DC_EVStatus": dc_status})
        assert body["ResponseCode"] == "FAILED_WrongEnergyTransferMode"
        roundtrip(name, body, SID)
    name, body = ac.respond("PowerDeliveryReq", {"ChargeProgress": "Start", "SAScheduleTupleID": 1,
                                                 "DC_EVPowerDeliveryParameter": {"DC_EVStatus": dc_status,
                                                                                 "ChargingComplete": False}})
    assert body["ResponseCode"] == "FAILED_WrongChargeParameter" and "AC_EVSEStatus" in body
    dc = Iso2Evse(EvseParams())
    assert dc.respond("ChargeParameterDiscoveryReq", _cpd_req("DC_extended", "DC"))[1]["ResponseCode"] == "OK"
    name, body = dc.respond("ChargingStatusReq", {})
    assert body["ResponseCode"] == "FAILED_WrongEnergyTransferMode"
    roundtrip(name, body, SID)
    name, body = dc.respond("PowerDeliveryReq", {"ChargeProgress": "Start", "SAScheduleTupleID": 1})
    assert body["ResponseCode"] == "FAILED_WrongChargeParameter" and "DC_EVSEStatus" in body


def test_evse_checks_selection_challenge_tariff_and_profile() -> None:
    se = Iso2Evse(EvseParams())
    sel = {"SelectedPaymentOption": "Contract", "SelectedServiceList": {"SelectedService": [{"ServiceID": 1}]}}
    assert se.respond("PaymentServiceSelectionReq", sel)[1]["ResponseCode"] == "FAILED_PaymentSelectionInvalid"
    sel = {"SelectedPaymentOption": "ExternalPayment", "SelectedServiceList": {"SelectedService": [{"ServiceID": 7}]}}
    assert se.respond("PaymentServiceSelectionReq", sel)[1]["ResponseCode"] == "FAILED_ServiceSelectionInvalid"

    pnc = Iso2Evse(EvseParams(payment_options=("Contract",)))
    sel = {"SelectedPaymentOption": "Contract", "SelectedServiceList": {"SelectedService": [{"ServiceID": 2}]}}
    assert pnc.respond("PaymentServiceSelectionReq", sel)[1]["ResponseCode"] == "FAILED_NoChargeServiceSelected"
    sel["SelectedServiceList"]["SelectedService"].append({"ServiceID": 1})
    assert pnc.respond("PaymentServiceSelectionReq", sel)[1]["ResponseCode"] == "OK"
    challenge = pnc.respond("PaymentDetailsReq", {})[1]["GenChallenge"]
    assert pnc.respond("AuthorizationReq", {"Id": "a", "GenChallenge": bytes(16)})[1]["ResponseCode"] == \
        "FAILED_ChallengeInvalid"
    assert pnc.respond("AuthorizationReq", {"Id": "a", "GenChallenge": challenge})[1]["ResponseCode"] == "OK"

    assert se.respond("ChargeParameterDiscoveryReq", _cpd_req("AC_three_phase_core", "AC"))[1]["ResponseCode"] == "OK"
    assert se.respond("PowerDeliveryReq", {"ChargeProgress": "Start", "SAScheduleTupleID": 9})[1]["ResponseCode"] \
        == "FAILED_TariffSelectionInvalid"
    too_much = {"ProfileEntry": [{"ChargingProfileEntryStart": 0,
                                  "ChargingProfileEntryMaxPower": {"Multiplier": 3, "Unit": "W", "Value": 50}}]}
    assert se.respond("PowerDeliveryReq", {"ChargeProgress": "Start", "SAScheduleTupleID": 1,
                                           "ChargingProfile": too_much})[1]["ResponseCode"] == \
        "FAILED_ChargingProfileInvalid"


def test_service_detail() -> None:
    se = Iso2Evse(EvseParams(payment_options=("ExternalPayment", "Contract")))
    name, body = se.respond("ServiceDetailReq", {"ServiceID": 2})
    sets = roundtrip(name, body, SID)[1]["ServiceParameterList"]["ParameterSet"]
    assert [(s["ParameterSetID"], s["Parameter"][0]["stringValue"]) for s in sets] == [(1, "Installation"),
                                                                                      (2, "Update")]
    assert se.respond("ServiceDetailReq", {"ServiceID": 1})[1] == {"ResponseCode": "OK", "ServiceID": 1}
    name, body = se.respond("ServiceDetailReq", {"ServiceID": 99})
    assert body == {"ResponseCode": "FAILED_ServiceIDInvalid", "ServiceID": 99}
    roundtrip(name, body, SID)


def test_certificate_answers_are_schema_valid() -> None:
    se = Iso2Evse(EvseParams(payment_options=("Contract",)))
    for req in ("CertificateInstallationReq", "CertificateUpdateReq"):
        _, body = roundtrip(*se.respond(req, {}), SID)
        assert body["ResponseCode"] == "OK" and body["eMAID"]["Id"] and len(body["eMAID"]["#value"]) == 15
        assert isinstance(body["ContractSignatureCertChain"]["Certificate"], bytes)


def test_contract_fields_from_pixit() -> None:
    p = EvParams.from_pixit({"ev_contract_cert": "3003020101", "ev_emaid": "DEABC1234567890", "ev_payment": "Contract"})
    assert p.contract_cert == bytes.fromhex("3003020101") and p.emaid == "DEABC1234567890"
    assert EvParams().contract_cert.startswith(b"\x30")

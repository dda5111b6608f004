"""DIN SPEC 70121, EV (EVCC) under test: the harness is the charger (fake SECC). Ids follow ISO 15118-4's
TC_EVCC_* naming (and the CharIN-style variants of real-EV test lists); the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import case

pytestmark = pytest.mark.vgi_protocol("iso15118", "din")


@case("TC_EVCC_CMN_VTB_SDP_001", "Ev")
def test_TC_EVCC_CMN_VTB_SDP_001(secc, dut, vgi_profile):
    """After plug-in the EV discovers the SECC with a valid SDP request and opens the V2G session."""
    s = secc.next_session_or_finding(dut, vgi_profile)
    secc.check_outcome(s is not None, "V2G-NO-SESSION", "the EV started no V2G session after plug-in")
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "Ev")
def test_TC_EVCC_CMN_VTB_SupportedAppProtocol_001(secc, dut, vgi_profile):
    """The EV opens with supportedAppProtocolReq: distinct SchemaIDs and priorities, DIN among them."""
    s = v.ev_charges(secc, dut, vgi_profile)
    secc.check_outcome(s.sap_code == "OK_SuccessfulNegotiation", "V2G-SAP-OFFER", f"the fake SECC answered "
                       f"{s.sap_code}: the EV's supportedAppProtocolReq offers no DIN SPEC 70121 namespace it supports")


@case("TC_EVCC_CMN_VTB_SupportedAppProtocol_002", "Ev")
def test_TC_EVCC_CMN_VTB_SupportedAppProtocol_002(secc, dut, vgi_profile):
    """The SECC answers Failed_NoNegotiation: the EV sends nothing more and closes the connection."""
    v.ev_stops(secc, dut, vgi_profile, "supportedAppProtocolReq", code="Failed_NoNegotiation",
               patch={"SchemaID": None})


@case("TC_EVCC_CMN_VTB_SessionSetup_001", "Ev")
def test_TC_EVCC_CMN_VTB_SessionSetup_001(secc, dut, vgi_profile):
    """The EV sets up a session with SessionID 0 and uses the assigned SessionID from then on, in sequence."""
    v.ev_opens_with_session_setup(secc, v.ev_charges(secc, dut, vgi_profile))


@case("TC_EVCC_CMN_VTB_SessionSetup_004", "Ev")
def test_TC_EVCC_CMN_VTB_SessionSetup_004(secc, dut, vgi_profile):
    """SessionSetupRes with FAILED: the EV stops (no further request, connection closed)."""
    v.ev_stops(secc, dut, vgi_profile, "SessionSetupReq", code="FAILED")


@case("TC_EVCC_CMN_VTB_ServiceDiscovery_001", "Ev")
def test_TC_EVCC_CMN_VTB_ServiceDiscovery_001(secc, dut, vgi_profile):
    """ServiceDiscoveryReq with a valid V2GTP header and the session's SessionID; external payment selected."""
    v.reached(v.ev_charges(secc, dut, vgi_profile), "ServicePaymentSelectionReq")


@case("TC_EVCC_DC_VTB_ChargeParameterDiscovery_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_ChargeParameterDiscovery_001(secc, dut, vgi_profile):
    """ChargeParameterDiscoveryReq follows ContractAuthentication, with DC_extended and the EV's limits."""
    v.reached(v.ev_charges(secc, dut, vgi_profile), "ChargeParameterDiscoveryReq")


@case("TC_EVCC_DC_VTB_CableCheck_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CableCheck_001(secc, dut, vgi_profile):
    """The EV repeats CableCheckReq while the SECC answers Ongoing, then goes on to PreCharge."""
    secc.evse.cable_check_rounds = 3
    v.repeated_while_ongoing(secc, v.ev_charges(secc, dut, vgi_profile), "CableCheckReq", 3, "PreChargeReq")


@case("TC_EVCC_DC_VTB_CableCheck_006", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CableCheck_006(secc, dut, vgi_profile):
    """No CableCheckRes: the EV stops after V2G_EVCC_Msg_Timeout (no retry, connection closed)."""
    v.ev_stops(secc, dut, vgi_profile, "CableCheckReq", silence=True)


@case("TC_EVCC_DC_VTB_CableCheck_007", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CableCheck_007(secc, dut, vgi_profile):
    """CableCheck stays Ongoing: the EV gives up when its cable-check timeout has passed."""
    v.ev_stops(secc, dut, vgi_profile, "CableCheckReq", processing="Ongoing")


@case("TC_EVCC_DC_VTB_PreCharge_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_PreCharge_001(secc, dut, vgi_profile):
    """The EV pre-charges until the SECC's voltage matches its battery, then asks for power."""
    secc.evse.precharge_step_v = 100
    v.precharged(secc, v.ev_charges(secc, dut, vgi_profile), "PreChargeReq")


@case("TC_EVCC_DC_VTB_PreCharge_006", "Ev", "DC")
def test_TC_EVCC_DC_VTB_PreCharge_006(secc, dut, vgi_profile):
    """The SECC's voltage never rises: the EV gives up when its pre-charge timeout has passed."""
    secc.evse.precharge_step_v = 0
    v.ev_gives_up(secc, dut, vgi_profile, "PreChargeReq")


@case("TC_EVCC_DC_VTB_PowerDelivery_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_PowerDelivery_001(secc, dut, vgi_profile):
    """PowerDelivery starts the charge loop and stops it before WeldingDetection."""
    v.started_and_stopped(secc, v.ev_charges(secc, dut, vgi_profile))


@case("TC_EVCC_DC_VTB_CurrentDemand_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CurrentDemand_001(secc, dut, vgi_profile):
    """The charge loop: consistent targets, each request within the SECC's sequence timeout, to the end."""
    v.reached(v.ev_charges(secc, dut, vgi_profile), "CurrentDemandReq", 3, "a charge loop of 3 CurrentDemandReq")


@case("TC_EVCC_DC_VTB_CurrentDemand_002", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CurrentDemand_002(secc, dut, vgi_profile):
    """CurrentDemandRes with FAILED: the EV stops."""
    v.ev_stops(secc, dut, vgi_profile, "CurrentDemandReq", nth=2, code="FAILED")


@case("TC_EVCC_DC_VTB_CurrentDemand_005", "Ev", "DC")
def test_TC_EVCC_DC_VTB_CurrentDemand_005(secc, dut, vgi_profile):
    """No CurrentDemandRes: the EV stops after its 250 ms message timeout."""
    v.ev_stops(secc, dut, vgi_profile, "CurrentDemandReq", nth=2, silence=True)


@case("TC_EVCC_DC_VTB_SessionStop_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_SessionStop_001(secc, dut, vgi_profile):
    """The session ends with SessionStopReq, and the EV closes the connection after SessionStopRes."""
    v.ev_closed_after_stop(secc, v.ev_charges(secc, dut, vgi_profile))

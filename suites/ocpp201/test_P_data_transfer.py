"""P: DataTransfer — vendor-specific messages (P01)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


@pytest.mark.vgi_case("TC_P_01_CS", feature="DataTransfer", requires=("Core",))
def test_TC_P_01_CS(booted_station, vgi_profile) -> None:
    """A DataTransfer for a vendorId the station does not know is not accepted (UnknownVendorId or
    Rejected)."""
    st = booted_station
    vendor = str(vgi_profile.param("unknown_vendor", "com.example.unknown"))
    res = st.call("DataTransfer", {"vendorId": vendor, "messageId": "vgi", "data": "x"})
    st.check(res["status"] in ("UnknownVendorId", "Rejected"), r.STATION_RESPONSE,
             f"DataTransfer for unknown vendor {vendor}: {res['status']}")


@pytest.mark.vgi_case("TC_P_03_CS", feature="DataTransfer", requires=("Core",))
def test_TC_P_03_CS(booted_station) -> None:
    """Every 2.0.1 message may carry a vendor's customData element: a station that does not know the vendor
    must still serve the request. SetVariables of OCPPCommCtrlr.OfflineThreshold and the GetVariables that reads it
    back, both with customData at message and item level, are Accepted and the value is the one written."""
    from vgitest.case import preamble
    from vgitest.ocpp import states_v201 as s
    st = booted_station
    custom = {"vendorId": "com.example.vgitest", "note": "ignore me"}
    target = {**s.variable("OCPPCommCtrlr", "OfflineThreshold"), "attributeType": "Actual"}
    with preamble("OCPPCommCtrlr.OfflineThreshold read"):
        old = s.get_value(st, "OCPPCommCtrlr", "OfflineThreshold")
    try:
        res = st.call("SetVariables", {"customData": custom, "setVariableData": [
            {**target, "attributeValue": "200", "customData": custom}]})["setVariableResult"][0]
        st.check(res.get("attributeStatus") == "Accepted", r.STATION_RESPONSE,
                 f"SetVariables OfflineThreshold=200 with customData: {res.get('attributeStatus')}")
        got = st.call("GetVariables", {"customData": custom, "getVariableData": [
            {**target, "customData": custom}]})["getVariableResult"][0]
        st.check(got.get("attributeStatus") == "Accepted" and got.get("attributeType", "Actual") == "Actual"
                 and got.get("attributeValue") == "200", r.STATION_RESPONSE,
                 f"GetVariables OfflineThreshold with customData: {got.get('attributeStatus')}, type "
                 f"{got.get('attributeType')}, value {got.get('attributeValue')!r}; expected Accepted, Actual, '200'")
    finally:
        if old is not None and st.connected:
            st.call("SetVariables", {"setVariableData": [{**target, "attributeValue": old}]})

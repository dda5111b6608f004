"""P: DataTransfer — vendor-specific messages (P01)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


@pytest.mark.vgi_case("TC_P_01_CS", feature="DataTransfer", requires=("Core",))
def test_TC_P_01_CS(booted_station, vgi_profile) -> None:
    """A DataTransfer for a vendorId the station does not know is not accepted (UnknownVendorId or
    Rejected)."""
    st = booted_station
    vendor = str(vgi_profile.param("unknown_vendor", "com.example.unknown"))
    res = st.call("DataTransfer", {"vendorId": vendor, "messageId": "vgi", "data": "x"})
    st.check(res["status"] in ("UnknownVendorId", "Rejected"), r.STATION_RESPONSE,
             f"DataTransfer for unknown vendor {vendor}: {res['status']}")

"""SetNetworkProfile of the OCPP 2.0.1 reference station (B09): a connection profile is stored in one of the slots
that OCPPCommCtrlr.NetworkConfigurationPriority may list; any other slot, or (2.0.1) a profile for another OCPP
version, is Rejected (2.1 ignores connectionData.ocppVersion: the WebSocket handshake decides). The station keeps using its current connection (migration, B10, is not simulated). A row of
:data:`.requests_v201.REQUESTS`; faults in `catalog_v201_core`."""

from __future__ import annotations

from typing import Any

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back


def slots(st: Station201) -> set[int]:
    """The configuration slots the station has: the values NetworkConfigurationPriority may take."""
    v = st.model.find("OCPPCommCtrlr", "NetworkConfigurationPriority")
    return {int(x) for x in (v.values_list or "").split(",") if x.strip().isdigit()}


async def set_network_profile(st: Station201, p: dict) -> dict:
    data = p["connectionData"]
    known = p["configurationSlot"] in slots(st) or st.has("network_profile_any_slot_accepted")
    if not known or (st.version == "2.0.1" and data.get("ocppVersion") != "OCPP20"):  # 2.1 ignores ocppVersion
        return {"status": "Rejected"}
    st.network_profiles[p["configurationSlot"]] = data
    return {"status": "Accepted"}

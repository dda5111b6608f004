"""SetNetworkProfile of the OCPP 2.0.1 reference station (B09): a connection profile is stored in one of the slots
that OCPPCommCtrlr.NetworkConfigurationPriority may list; any other slot, or (2.0.1) a profile for another OCPP
version, is Rejected (2.1 ignores connectionData.ocppVersion: the WebSocket handshake decides). A row of
:data:`.requests_v201.REQUESTS`; faults in `catalog_v201_core`.

Which profile a connection uses (B10): each attempt takes the first slot of NetworkConfigurationPriority that has
a profile (slot 1 without a stored profile is the URL the station was started with) and has not failed
NetworkProfileConnectionAttempts times in a row; when every slot has, the count starts again. The live connection
keeps its profile: a new priority applies from the next connection (after the reset the CSMS sends). Faults in
`catalog_v201_offline`.

A profile of a higher security profile (A05, TC_A_19_CS) is dialled with that profile's TLS set-up; once the station
is connected with it, that profile is the one it runs, and the slots of lower profiles leave
NetworkConfigurationPriority. `restore` puts back the connection the station was started with (the installer's
reset, adapter action restore_network_profile). Faults in `catalog_security`."""

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


def _url(st: Station201, slot: int) -> str | None:
    if slot in st.network_profiles:
        return str(st.network_profiles[slot].get("ocppCsmsUrl") or "") or None
    return st.csms_url if slot == 1 else None


def connection_url(st: Station201) -> str:
    """The URL of the next connection attempt (B10), remembering its slot for :func:`attempt_failed`."""
    if st.has("network_priority_ignored"):
        st.slot_in_use = 1
        return st.csms_url
    order = [int(x) for x in st.var("OCPPCommCtrlr", "NetworkConfigurationPriority").split(",") if x.strip().isdigit()]
    usable = [slot for slot in order if _url(st, slot)] or [1]
    try:
        attempts = max(1, int(st.var("OCPPCommCtrlr", "NetworkProfileConnectionAttempts")))
    except ValueError:
        attempts = 1
    if st.has("network_fallback_missing"):
        attempts = 1 << 30
    if all(st.slot_failures.get(slot, 0) >= attempts for slot in usable):
        st.slot_failures.clear()
    st.slot_in_use = next(slot for slot in usable if st.slot_failures.get(slot, 0) < attempts)
    return _url(st, st.slot_in_use) or st.csms_url


def attempt_failed(st: Station201) -> None:
    st.slot_failures[st.slot_in_use] = st.slot_failures.get(st.slot_in_use, 0) + 1


def profile_of(st: Station201, slot: int) -> int:
    """The security profile of a slot: its stored connection data, or (slot 1 as started) the station's own."""
    from .security_profiles import current
    data = st.network_profiles.get(slot)
    return int(data.get("securityProfile", current(st))) if data is not None else current(st)


def connection_security_profile(st: Station201) -> int:
    """The security profile of the slot chosen by the last :func:`connection_url`."""
    if st.has("upgrade_not_applied"):
        from .security_profiles import current
        return current(st)
    return profile_of(st, st.slot_in_use)


def connected(st: Station201) -> None:
    """Connected (booted, or back after a loss)."""
    st.slot_failures.clear()
    adopt_profile(st)


def adopt_profile(st: Station201) -> None:
    """The WebSocket is open: a slot of a higher security profile becomes the one the station runs (before any
    request can ask for it), and the lower ones are taken out of NetworkConfigurationPriority."""
    from .security_profiles import current
    sec = connection_security_profile(st)
    if sec <= current(st):
        return
    lower = {slot for slot in slots(st) | {1} if profile_of(st, slot) < sec}
    st.params["security_profile"] = sec
    if st.has("upgrade_keeps_lower_profiles"):
        return
    order = [x.strip() for x in st.var("OCPPCommCtrlr", "NetworkConfigurationPriority").split(",") if x.strip()]
    st.model.set("OCPPCommCtrlr", "NetworkConfigurationPriority",
                 ",".join(x for x in order if not (x.isdigit() and int(x) in lower)))


def restore(st: Station201, security_profile: int, priority: str) -> None:
    """Back to the connection the station was started with: no stored profiles, its first priority list and
    security profile."""
    st.network_profiles.clear()
    st.slot_failures.clear()
    st.slot_in_use = 1
    st.params["security_profile"] = security_profile
    st.model.set("OCPPCommCtrlr", "NetworkConfigurationPriority", priority)

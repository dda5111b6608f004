"""Which security profile a reference station agrees to be configured to: never a lower one than it runs (1.6
security whitepaper: a downgrade over OCPP is refused; 2.0.1 B09.FR.04, TC_A_22_CS), and a higher one only when it
holds the material for it (the CSMS root for 2, also its own certificate for 3). 1.6 sets it with the
configuration key SecurityProfile, 2.0.1 with SetNetworkProfile. The station records what it accepted; switching
the live connection to another profile is not simulated. Fault: accepts_downgrade."""

from __future__ import annotations

from typing import Any

from .config_v16 import Key


def current(station: Any) -> int:
    return int(station.params.get("security_profile", 1 if station.password else 0))


def allowed(station: Any, wanted: int) -> bool:
    now = current(station)
    if wanted < now:
        return station.has("accepts_downgrade")
    if wanted == now:
        return True
    params = station.params
    if wanted == 2:
        return bool(params.get("tls_ca"))
    return wanted == 3 and bool(params.get("tls_ca") and params.get("tls_cert"))


def config_key(station: Any) -> Key:
    """1.6: the SecurityProfile configuration key, which refuses a value the station may not take."""
    return Key(str(current(station)), False, lambda v: v.isdigit() and allowed(station, int(v)))


async def set_network_profile(station: Any, p: dict) -> dict:
    """2.0.1 SetNetworkProfile: Rejected for a profile the station may not take, else kept for its slot."""
    data = p.get("connectionData") or {}
    if not allowed(station, int(data.get("securityProfile", -1))):
        return {"status": "Rejected"}
    station.network_profiles[int(p.get("configurationSlot", 0))] = data
    return {"status": "Accepted"}

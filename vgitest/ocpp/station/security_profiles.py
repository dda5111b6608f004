"""Which security profile a reference station agrees to be configured to: never a lower one than it runs (1.6
security whitepaper: a downgrade over OCPP is refused; 2.0.1 B09.FR.04, TC_A_22_CS; 2.1 allows 3 to 2 but nothing
below 2), and a higher one only when it holds the material for it (the CSMS root for 2, also its own certificate
for 3). 1.6 sets it with the
configuration key SecurityProfile, 2.0.1 with SetNetworkProfile. The station records what it accepted; switching
the live connection to a higher one is network_v201's (A05, TC_A_19_CS). Fault: accepts_downgrade."""

from __future__ import annotations

from typing import Any

from ..passwords import password_problem
from .config_v16 import Key


def current(station: Any) -> int:
    return int(station.params.get("security_profile", 1 if station.password else 0))


def allowed(station: Any, wanted: int) -> bool:
    now = current(station)
    if wanted < now and not (station.version == "2.1" and (now, wanted) == (3, 2)):  # 2.1 allows 3 -> 2 (A05)
        return station.has("accepts_downgrade")
    if wanted == now:
        return True
    params = station.params
    if wanted == 1:  # HTTP Basic: the password comes with the profile or by SetVariables before the switch
        return True
    if wanted == 2:
        return bool(params.get("tls_ca"))
    return wanted == 3 and bool(params.get("tls_ca") and params.get("tls_cert"))


def config_key(station: Any) -> Key:
    """1.6: the SecurityProfile configuration key, which refuses a value the station may not take."""
    return Key(str(current(station)), False, lambda v: v.isdigit() and allowed(station, int(v)))


def guard_network_profile(by_slot: Any) -> Any:
    """2.0.1 SetNetworkProfile: Rejected for a security profile the station may not take; otherwise `by_slot` (the
    slot and version rules of :func:`.network_v201.set_network_profile`) decides, which keeps an accepted profile."""
    async def handler(station: Any, p: dict) -> dict:
        data = p.get("connectionData") or {}
        if not allowed(station, int(data.get("securityProfile", -1))):
            return {"status": "Rejected"}
        return await by_slot(station, p)
    return handler


# --- the HTTP Basic password (2.0.1 SecurityCtrlr.BasicAuthPassword, 1.6 AuthorizationKey) --------------------
def password_setter(station: Any, set_variables: Any) -> Any:
    """2.0.1: SetVariables of SecurityCtrlr.BasicAuthPassword is refused for a password that breaks the rules
    (TC_A_10_CS), and an accepted one is used from the next connection, which the station opens at once (it
    drops the current one after answering; TC_A_09_CS). Fault accepts_bad_password."""
    async def handler(p: dict) -> Any:
        items = [(i, item) for i, item in enumerate(p.get("setVariableData") or [])
                 if (item.get("component") or {}).get("name") == "SecurityCtrlr"
                 and (item.get("variable") or {}).get("name") == "BasicAuthPassword"]
        bad = {i for i, item in items if password_problem(str(item.get("attributeValue", "")))
               and not station.has("accepts_bad_password")}
        result = await set_variables(p)
        for i, item in items:
            res = result["setVariableResult"][i]
            if i in bad:
                res["attributeStatus"] = "Rejected"
            elif res.get("attributeStatus") == "Accepted":
                if not station.has("new_password_ignored"):
                    station.password = str(item["attributeValue"])
                station.spawn(_reconnect(station))
        return result
    return handler


async def _reconnect(station: Any) -> None:
    """Close the connection shortly after the answer went out: the life cycle reconnects with the new password."""
    import asyncio
    await asyncio.sleep(0.2)
    if station.ws is not None:
        await station.ws.close()


def authorization_key_setter(station: Any, change_configuration: Any) -> Any:
    """1.6: ChangeConfiguration of the write-only key AuthorizationKey (never reported by GetConfiguration) sets
    the Basic password: refused when it breaks the rules, else used from a new connection opened at once."""
    async def handler(p: dict) -> Any:
        if p.get("key") != "AuthorizationKey":
            return await change_configuration(p)
        value = str(p.get("value", ""))
        if password_problem(value) and not station.has("accepts_bad_password"):
            return {"status": "Rejected"}
        if not station.has("new_password_ignored"):
            station.password = value
        station.spawn(_reconnect(station))
        return {"status": "Accepted"}
    return handler

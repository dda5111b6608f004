"""When the OCPP 2.0.1 reference station starts and ends a transaction (E01 start options, E06 stop options) beyond
the two points its first version knew (EVConnected, Authorized), and what it does when the CSMS refuses the idToken
in the answer to a TransactionEvent (E05/E06: deauthorization).

The physical model has no parking-bay sensor, so ParkingBayOccupancy changes nothing. PowerPathClosed and
EnergyTransfer both hold once the EV is plugged in and authorized (the model closes the power path and transfers
energy at that very moment), and so does DataSigned: the first reading of that energy is the first signed one (with
SampledDataCtrlr.SignReadings). Faults: `catalog_v201_cond`.
"""

from __future__ import annotations

from typing import Any

Station201 = Evse = Tx = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import the owner back

# the stop points a deauthorization reaches: the authorization goes, so the power path opens and energy stops
STOP_ON_DEAUTHORIZE = {"Authorized", "PowerPathClosed", "EnergyTransfer"}
# the stop points an unplugged cable reaches: the EV is gone, so the power path opens and energy stops
STOP_ON_UNPLUG = {"EVConnected", "PowerPathClosed", "EnergyTransfer"}
# the start points reached only when both the EV is there and the driver is authorized (the meter's first signed
# reading, DataSigned, comes with the energy)
START_WITH_POWER = {"PowerPathClosed", "EnergyTransfer", "DataSigned"}


def stop_points(st: Station201) -> set[str]:
    points = st.points("TxStopPoint")
    if st.has("tx_stop_point_ignored"):  # only the two points of the first model ever stop a transaction
        points = points & {"EVConnected", "Authorized"}
    return points


def ends_on_deauthorize(st: Station201) -> bool:
    return bool(stop_points(st) & STOP_ON_DEAUTHORIZE)


def ends_on_unplug(st: Station201) -> bool:
    """The EV going away reaches a stop point; with StopTxOnEVSideDisconnect it also takes the authorization away
    (E10: the cable is out at the EV's side too, here there is one cable), which reaches Authorized."""
    points = stop_points(st)
    deauthorizes = "Authorized" in points and st.flag("TxCtrlr", "StopTxOnEVSideDisconnect") \
        and not st.has("ev_side_disconnect_kept")
    return bool(points & STOP_ON_UNPLUG) or deauthorizes


def starts_on_plug_in(st: Station201) -> bool:
    points = st.points("TxStartPoint")
    return "EVConnected" in points or (st.has("tx_start_point_ignored") and bool(points & START_WITH_POWER))


def start_trigger(st: Station201) -> str:
    """The triggerReason of a transaction that starts at an authorization: the authorization itself, unless only
    the start of the energy transfer counts (then the charging state changing is what started it)."""
    points = st.points("TxStartPoint")
    if st.has("local_start_trigger_wrong"):
        return "CablePluggedIn"
    if points & {"Authorized", "PowerPathClosed"}:
        return "Authorized"
    if "EnergyTransfer" in points:
        return "ChargingStateChanged"
    return "SignedDataReceived" if "DataSigned" in points else "Authorized"


def starts_on_authorize(st: Station201, e: Evse) -> bool:
    points = st.points("TxStartPoint")
    return "Authorized" in points or (bool(points & START_WITH_POWER) and e.plugged)


def refused(answer: dict | None) -> str | None:
    """The status of a TransactionEvent answer's idTokenInfo when it is not Accepted (None when accepted or absent)."""
    status = ((answer or {}).get("idTokenInfo") or {}).get("status")
    return None if status in (None, "Accepted") else str(status)


async def deauthorize(st: Station201, e: Evse, tx: Tx, status: str) -> None:
    """The CSMS refused the transaction's idToken: with a stop point the deauthorization reaches the transaction
    ends (Deauthorized / DeAuthorized); otherwise, with StopTxOnInvalidId, the energy transfer stops."""
    st.events.append(f"transaction {tx.id}: idToken refused by the CSMS ({status})")
    if st.has("invalid_token_answer_ignored"):
        return
    tx.id_token = None
    if ends_on_deauthorize(st):
        await st.end_tx(e, "Deauthorized", "DeAuthorized")
    elif st.flag("TxCtrlr", "StopTxOnInvalidId"):
        tx.charging = False
        st._cancel_tx_tasks(tx)
        await st.send_event(tx, "Updated", "Deauthorized", charging_state="SuspendedEVSE")

"""Reservations of the OCPP 1.6 reference station (Reservation feature profile: ReserveNow, CancelReservation).

A mixin of `v16.Station16`, kept in its own module so the Core behaviour stays readable. What it follows (OCPP 1.6
§5.13 ReserveNow, §5.1 CancelReservation and the Reservations section): a reservation holds a connector (or, for
connector 0, one free connector) for an idTag until its expiryDate; the held connector reports Reserved; only the
reserved idTag, or an idTag whose parentIdTag equals the reservation's parentIdTag, may start a transaction there,
and that StartTransaction carries the reservationId, which ends the reservation; ReserveNow refuses with Faulted,
Occupied or Unavailable according to the connector(s), and with Rejected when the station does not take
reservations (connector 0 needs ReserveConnectorZeroSupported).
Each fault is one `self.has(...)` branch next to the behaviour it breaks (catalog_v16_reservation.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..timestamps import strict_epoch

from .config_v16 import Key

BUSY_STATES = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")


@dataclasses.dataclass
class Reservation16:
    id: int
    connector: int  # 0: any connector of the station
    id_tag: str
    parent: str | None
    timer: asyncio.Task | None = None


def _expiry_in(expiry_date: str) -> float:
    """Seconds from now until an OCPP dateTime (negative when it lies in the past)."""
    return strict_epoch(expiry_date) - time.time()


class ReservationMixin:
    """ReserveNow / CancelReservation and the reservation state the Core behaviour consults."""

    # provided by Station16 / ReferenceStation
    connectors: dict[int, Any]
    faulted: set[int]
    inoperative: set[int]
    pending_auth: dict[int, Any]
    config: Any

    def init_reservations(self, supported: bool) -> None:
        self.reservations: dict[int, Reservation16] = {}
        self.reservation_supported = supported
        if supported:
            self.config.keys["ReserveConnectorZeroSupported"] = Key("true", True)

    # --- state the Core behaviour reads ------------------------------------------------------------------------
    def _free(self, exclude: int | None = None) -> list[int]:
        """Connectors nobody uses and no reservation names (connector-0 reservations draw on these)."""
        named = {r.connector for r in self.reservations.values()}
        return [c for c in sorted(self.connectors) if c != exclude and c not in named
                and not self._connector_blocked(c)]

    def shows_reserved(self, cid: int) -> bool:
        """Connector `cid` (otherwise idle) is held: reserved by id, or needed by the station-wide reservations
        (every free connector is, when there are no more free connectors than connector-0 reservations)."""
        if any(r.connector == cid for r in self.reservations.values()):
            return True
        zero = sum(1 for r in self.reservations.values() if r.connector == 0)
        free = self._free()
        return zero > 0 and cid in free and len(free) <= zero

    def reservation_blocks(self, cid: int, tag: str, parent: str | None) -> bool:
        """Would a transaction for `tag` on `cid` take a connector a reservation holds for someone else?"""
        for res in self.reservations.values():
            if res.connector == cid and not self.reservation_admits(res, tag, parent):
                return True
        zero = [r for r in self.reservations.values() if r.connector == 0]
        if any(self.reservation_admits(r, tag, parent) for r in zero) \
                or self.has("zero_reservation_not_held"):  # type: ignore[attr-defined]
            return False
        return len(zero) > 0 and len(self._free(exclude=cid)) < len(zero)

    def reservation_admits(self, res: Reservation16, tag: str, parent: str | None) -> bool:
        """May `tag` (with the parentIdTag its authorization gave) use the reserved connector?"""
        if self.has("reservation_any_tag"):  # type: ignore[attr-defined]
            return True
        if tag == res.id_tag:
            return True
        if self.has("reservation_parent_ignored"):  # type: ignore[attr-defined]
            return False
        return res.parent is not None and parent is not None and parent == res.parent

    def take_reservation(self, cid: int, tag: str, parent: str | None) -> int | None:
        """A transaction starts on `cid` for `tag`: end the reservation it uses (the connector's own, else a
        connector-0 one) and return its id for StartTransaction."""
        mine = [r for r in self.reservations.values() if r.connector == cid and self.reservation_admits(r, tag, parent)]
        mine += [r for r in self.reservations.values() if r.connector == 0 and self.reservation_admits(r, tag, parent)]
        if not mine:
            return None
        self._drop(mine[0])
        return None if self.has("start_tx_without_reservation_id") else mine[0].id  # type: ignore[attr-defined]

    # --- CSMS requests -------------------------------------------------------------------------------------------
    def _connector_blocked(self, cid: int) -> bool:
        conn = self.connectors[cid]
        return (cid in self.faulted or cid in self.inoperative or 0 in self.inoperative
                or conn.transaction is not None or conn.plugged or cid in self.pending_auth)

    def _refusal(self, cid: int) -> str | None:
        """Why connector `cid` cannot be reserved now (a ReserveNow status), or None."""
        conn = self.connectors[cid]
        if cid in self.faulted and not self.has("reserve_ignores_faulted"):  # type: ignore[attr-defined]
            return "Faulted"
        if (cid in self.inoperative or 0 in self.inoperative) \
                and not self.has("reserve_ignores_unavailable"):  # type: ignore[attr-defined]
            return "Unavailable"
        if (conn.transaction is not None or conn.plugged or cid in self.pending_auth) \
                and not self.has("reserve_ignores_occupied"):  # type: ignore[attr-defined]
            return "Occupied"
        return None

    async def _reserve_now(self, p: dict) -> dict:
        if not self.reservation_supported:
            return {"status": "Accepted" if self.has("reservation_accepted_unsupported")  # type: ignore[attr-defined]
                    else "Rejected"}
        cid, rid = p["connectorId"], p["reservationId"]
        if cid != 0 and cid not in self.connectors:
            return {"status": "Rejected"}
        if cid == 0 and (self.config.get("ReserveConnectorZeroSupported") != "true"
                         or self.has("reserve_connector_zero_rejected")):  # type: ignore[attr-defined]
            return {"status": "Rejected"}
        seconds = _expiry_in(p["expiryDate"])
        if seconds <= 0:
            return {"status": "Rejected"}  # already expired: nothing to hold
        old = self.reservations.get(rid)
        others = [r for r in self.reservations.values() if r.id != rid]
        if cid == 0:
            refusals = [self._refusal(c) for c in sorted(self.connectors)]
            if all(refusals):  # no connector can be held: report the most telling state
                for status in ("Occupied", "Faulted", "Unavailable"):
                    if status in refusals:
                        return {"status": status}
            zero = sum(1 for r in others if r.connector == 0)
            if len([c for c in self._free() if not self._refusal(c)]) <= zero \
                    and not self.has("reserve_ignores_occupied"):  # type: ignore[attr-defined]
                return {"status": "Occupied"}  # every free connector is held already
        else:
            status = self._refusal(cid)
            if status is not None:
                return {"status": status}
            if any(r.connector == cid for r in others):
                return {"status": "Occupied"}  # reserved for another reservation
        if old is not None:  # the same id again replaces that reservation
            self._drop(old)
        res = Reservation16(rid, cid, p["idTag"], p.get("parentIdTag"))
        self.reservations[rid] = res
        if not self.has("reservation_never_expires"):  # type: ignore[attr-defined]
            res.timer = self.spawn(self._expire(res, seconds))  # type: ignore[attr-defined]
        self.later(p, lambda: self._events_run(self.refresh_idle()))  # type: ignore[attr-defined]
        return {"status": "Accepted"}

    async def _cancel_reservation(self, p: dict) -> dict:
        res = self.reservations.get(p["reservationId"]) if self.reservation_supported else None
        if res is None:
            accepted = self.has("cancel_unknown_accepted")  # type: ignore[attr-defined]
            return {"status": "Accepted" if accepted else "Rejected"}
        if not self.has("cancel_reservation_ignored"):  # type: ignore[attr-defined]
            self._drop(res)
            self.later(p, lambda: self._events_run(self.refresh_idle()))  # type: ignore[attr-defined]
        return {"status": "Accepted"}

    # --- life of a reservation -------------------------------------------------------------------------------
    def _drop(self, res: Reservation16) -> None:
        self.reservations.pop(res.id, None)
        if res.timer is not None and res.timer is not asyncio.current_task():
            res.timer.cancel()

    async def _expire(self, res: Reservation16, seconds: float) -> None:
        await asyncio.sleep(seconds)
        async with self._events:  # type: ignore[attr-defined]
            if self.reservations.get(res.id) is res:
                self._drop(res)
                self.events.append(f"reservation {res.id} expired")  # type: ignore[attr-defined]
                await self.refresh_idle()

    async def refresh_idle(self, skip: int | None = None) -> None:
        """Report the idle connectors whose state a reservation change moved between Available and Reserved (a
        connector in another state keeps what it reported)."""
        for cid in sorted(self.connectors):
            if cid != skip and self.connectors[cid].status in ("Available", "Reserved"):
                await self.refresh_status(cid)  # type: ignore[attr-defined]

    def zero_reserved(self) -> bool:
        """A connector-0 reservation is live: any connector's change may move which connectors it holds."""
        return any(r.connector == 0 for r in self.reservations.values())

    def forget_reservations(self) -> None:
        """A power loss ends every reservation (the reference station keeps them in volatile memory)."""
        for res in list(self.reservations.values()):
            self._drop(res)

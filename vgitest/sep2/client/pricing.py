"""The reference DER client's PriceResponses (CSIP-AUS pricing): what it answers for each TimeTariffInterval it
reads, and the pollRate of the pricing resources.

Answers: PriceResponse 1 (received) once per interval whose responseRequired asks for it (bit 0), then, once the
server shows the interval cancelled (EventStatus 2 or 3), PriceResponse 6 (cancelled) if the interval asks for
the outcome (bit 1). An interval first seen already cancelled gets both, received first, as a DERControl does.

Rates: the TariffProfileList's pollRate is, in 2030.5, the rate of the function set: the RateComponentLists,
TimeTariffIntervalLists and ConsumptionTariffIntervalLists below it carry none of their own and are polled at it
(:meth:`rate_parent` names the list whose rate a pricing list takes; :mod:`.walk` applies it)."""

from __future__ import annotations

from ..codec import find
from .core import Core, to_int

RECEIVED = 1  # Response.status: the event was received
CANCELLED = 6  # Response.status: the event was cancelled
CANCELLED_STATUSES = (2, 3)  # EventStatus.currentStatus: cancelled, cancelled with randomization


class PriceReplies:
    """Which PriceResponses it owes and has sent (by the interval's mRID)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sent: set[tuple[str, int]] = set()  # (mRID, status) posted

    def rate_parent(self, parent: str | None) -> str | None:
        """The list whose pollRate a pricing resource below it takes (None: the DeviceCapability's, as the fault
        pricing_at_dcap_rate has it)."""
        return None if self.core.has("pricing_at_dcap_rate") else parent

    async def on_interval(self, body: dict) -> None:
        """Answer a TimeTariffInterval as it now is (see the module text)."""
        mrid, reply_to = body.get("mRID"), body.get("@replyTo")
        if not mrid or not reply_to:
            return
        wanted = to_int(body.get("@responseRequired"), 0)
        status = to_int(find(body, "EventStatus/currentStatus"), -1)
        if wanted & 1:
            await self._post(str(mrid), str(reply_to), RECEIVED)
        if wanted & 2 and status in CANCELLED_STATUSES and not self.core.has("no_cancelled_price_response"):
            await self._post(str(mrid), str(reply_to), CANCELLED)

    async def _post(self, mrid: str, reply_to: str, status: int) -> None:
        if (mrid, status) in self.sent:
            return
        self.sent.add((mrid, status))
        await self.core.http.write("POST", reply_to, "PriceResponse", {
            "createdDateTime": str(self.core.server_now_int()), "endDeviceLFDI": self.core.lfdi,
            "status": str(status), "subject": mrid})

"""What the fake 2030.5 server holds for its CSIP-AUS features: connection points, per-path poll rates, the pricing
function set, well-known and proxy routes. Plain data; :class:`~.resources.Sep2State` keeps one :class:`AusData`
(``state.aus``) and the helpers of :mod:`.aus` shape it. The HTTP side is in :mod:`.connection_point`,
:mod:`.pricing` and :mod:`.routes`.

No import of :mod:`.resources` here (it imports this module); the tariff intervals keep their timing in an
``event`` object of :class:`~.resources.Control` (same EventStatus rules as a DERControl), typed loosely.
"""

from __future__ import annotations

import dataclasses
from typing import Any

# ReadingType's elements in schema order (the ones a RateComponent's reading type may set)
READING_TYPE = ("accumulationBehaviour", "commodity", "dataQualifier", "flowDirection", "intervalLength", "kind",
                "numberOfConsumptionBlocks", "numberOfTouTiers", "phase", "powerOfTenMultiplier", "uom")
MUP_BEFORE_POST_RATE = ("@href", "mRID", "description", "version", "roleFlags", "serviceCategoryKind", "status",
                        "deviceLFDI", "MirrorMeterReading")  # MirrorUsagePoint's elements before postRate


@dataclasses.dataclass
class TimeTariffInterval:
    """A TimeTariffInterval of a RateComponent: its timing (an event: start, duration, status by time) and its
    price blocks, (startValue, price) pairs, block 0 first (prices are significands: price * 10**multiplier of
    the TariffProfile's pricePowerOfTenMultiplier)."""

    number: int  # in its path; never reused
    event: Any  # a resources.Control with an empty DERControlBase: start, duration, EventStatus over time
    blocks: list[tuple[int, int]]
    tou_tier: int = 1
    tag: str = ""  # the test's name for it (e.g. a procedure's tag), never served

    @property
    def mrid(self) -> str:
        return str(self.event.mrid)


@dataclasses.dataclass
class RateComponent:
    """A RateComponent of a TariffProfile, with the ReadingType it prices (commodity, flow, unit...)."""

    number: int
    mrid: str
    role_flags: int = 1  # RoleFlagsType bit 0: a premises aggregation point
    reading_type: dict[str, int] = dataclasses.field(default_factory=dict)  # schema element name -> value
    description: str = ""
    intervals: list[TimeTariffInterval] = dataclasses.field(default_factory=list)
    tag: str = ""


@dataclasses.dataclass
class TariffProfile:
    """A TariffProfile listed in group (FunctionSetAssignments) `fsa`."""

    number: int
    mrid: str
    primacy: int
    fsa: int = 1
    description: str = ""
    currency: int | None = 36  # ISO 4217 numeric: 36 is the Australian dollar
    price_pow10: int = 0  # pricePowerOfTenMultiplier
    rate_code: str = ""
    service_category: int = 0  # ServiceKind 0: electricity
    components: list[RateComponent] = dataclasses.field(default_factory=list)
    tag: str = ""


@dataclasses.dataclass
class AusData:
    """The CSIP-AUS parts of the server's data (``Sep2State.aus``)."""

    # path -> pollRate (s) served on that one list or resource, before the per-name rates of Sep2State.poll_rates
    path_rates: dict[str, int] = dataclasses.field(default_factory=dict)
    edev_post_rate: int | None = None  # postRate of every EndDevice without its own (Device.post_rate)
    mup_post_rate: int | None = None  # postRate served on every MirrorUsagePoint (None: as the client wrote it)
    # FunctionSetAssignments link to a TariffProfileList: on once a test made a TariffProfile or asked for it
    pricing: bool = False
    tariffs: list[TariffProfile] = dataclasses.field(default_factory=list)
    # /.well-known/csipaus: version URI (or any text a test gives) -> DeviceCapability paths; None: not served
    wellknown: dict[str, list[str]] | None = None
    # path (or path prefix) -> the path answered in its place (an alias of a resource or a tree)
    proxy_routes: dict[str, str] = dataclasses.field(default_factory=dict)

    def proxied(self, path: str) -> str | None:
        """The path answered in place of `path` (the longest proxy route that is `path` or a whole-segment prefix
        of it, the rest of the path kept), or None."""
        best: tuple[int, str] | None = None
        for src, dst in self.proxy_routes.items():
            src = src.rstrip("/") or "/"
            if path == src or path.startswith(src + "/") or src == "/":
                if best is None or len(src) > best[0]:
                    rest = path[len(src):] if src != "/" else path
                    best = (len(src), (dst.rstrip("/") + rest) or "/")
        return None if best is None else best[1]


def mup_post_rate(body: dict, value: int | None) -> None:
    """Put (or drop, `value` None) postRate in a stored MirrorUsagePoint body, in schema order."""
    items = [(k, v) for k, v in body.items() if k != "postRate"]
    body.clear()
    placed = value is None
    for k, v in items:
        if not placed and k not in MUP_BEFORE_POST_RATE:
            body["postRate"] = str(value)
            placed = True
        body[k] = v
    if not placed:
        body["postRate"] = str(value)

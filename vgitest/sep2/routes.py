"""Well-known and proxy routes of the fake 2030.5 server (CSIP-AUS service discovery and version negotiation).

``GET /.well-known/csipaus`` answers, once a test set it up (:func:`.aus.add_wellknown_route`), a JSON document
``{"supportedSchemaVersions": {<version>: {"dcap": [<DeviceCapability paths>]}}}``: per CSIP-AUS version the
server offers (a namespace URI such as ``https://csipaus.org/ns/v1.3``, or whatever text a test gives, e.g. a
malformed one), where that version's DeviceCapability is. That is the shape the CACTUS runner serves (its own
tests check it); we read no normative text for it, so nothing here judges a client beyond what a test checks.
Before a test sets one up the path is 404 (a server without the document).

A proxy route (:func:`.aus.add_proxy_route`, resolved by :meth:`.ausdata.AusData.proxied` in
:func:`.handlers.answer`) makes the server answer a path, or a whole tree under a path prefix,
as another path: ``/x7f3`` → ``/dcap`` (a DeviceCapability at a path named only in the well-known document),
``/utility/sep2`` → ``/`` (the whole server under a prefix). The trace keeps the path the client asked for; the
hrefs inside answers stay the server's own paths (links a client follows lead back to the plain tree).
"""

from __future__ import annotations

import json
import re

from .handlers import Reply, Request, route
from .resources import Sep2State

WELL_KNOWN = "/.well-known/csipaus"
JSON = "application/json"


def wellknown_document(state: Sep2State) -> dict | None:
    """The /.well-known/csipaus document the server serves (None: not served)."""
    if state.aus.wellknown is None:
        return None
    return {"supportedSchemaVersions": {v: {"dcap": list(paths)} for v, paths in state.aus.wellknown.items()}}


def _wellknown(state: Sep2State, req: Request, m: re.Match) -> Reply:
    doc = wellknown_document(state)
    if doc is None:
        return Reply(404)
    return Reply(200, headers={"Content-Type": JSON}, raw=json.dumps(doc, sort_keys=True).encode())


route(re.escape(WELL_KNOWN), GET=_wellknown)

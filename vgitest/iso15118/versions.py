"""The protocol versions a V2G frame carries in a trace, and that the V2G rules declare (``RULES.add(versions=...)``).

One vocabulary for the live roles (fake SECC, fake EVCC, the reference devices) and the capture analyser, so that
``vgitest.case.not_judged_because`` can tell whether a rule applies to the frame a finding points at:

- ``"sdp"``: an SDP datagram (UDP). SDP is the same in every family, and comes before any family is known.
- ``"sap"``: a frame of a V2G TCP connection before the supportedAppProtocol handshake is over: the OPEN event, the
  supportedAppProtocolReq/Res, and anything the peer sends before or instead of them (or after a failed handshake).
- ``"din"``, ``"iso-2"``, ``"iso-20"``: a frame after the handshake chose DIN SPEC 70121, ISO 15118-2 or
  ISO 15118-20 (the family's name in :mod:`.family`; the analyser maps every ISO 15118-20 grammar to ``"iso-20"``).

A frame the analyser could not give a grammar to keeps the empty version, which every rule judges.
"""

from __future__ import annotations

SDP = "sdp"
SAP = "sap"
FAMILIES = ("din", "iso-2", "iso-20")
SESSION = (SAP, *FAMILIES)  # every frame of a V2G TCP connection, whichever family it negotiates
ALL = (SDP, *SESSION)  # every version a V2G frame carries


def of_schema(schema: str) -> str:
    """The version of a frame decoded with EXI grammar ``schema`` (``app-protocol``, ``din``, ``iso-2``,
    ``iso-20-common``, ``iso-20-dc``, ...)."""
    if schema == "app-protocol":
        return SAP
    if schema.startswith("iso-20"):
        return "iso-20"
    return schema

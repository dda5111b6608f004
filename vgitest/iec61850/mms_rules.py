"""Rule ids of the MMS checks (IEC 61850-8-1 over ISO 9506 and the OSI stack of ISO-on-TCP). References name
clauses and services only.

Every rule judges Edition 2 of IEC 61850-8-1's MMS mapping (:data:`VERSION`, the protocol version the GOOSE and SV
rules use too; MMS version 1 as negotiated in initiate)."""

from __future__ import annotations

from ..findings import RULES

P = "iec61850"
VERSION = "ed2"
V = (VERSION,)
STACK = "IEC 61850-8-1 communication profile (RFC 1006, ISO 8073 class 0, ISO 8327, ISO 8823, ISO 8650)"
MMS = "ISO 9506-2 MMS protocol (confirmed services)"
MAPPING = "IEC 61850-8-1 mapping of the ACSI services to MMS"

RULES.add("MMS-FRAME-DECODE", "fail", "Every frame decodes through TPKT, COTP, session, presentation, ACSE and MMS "
          "(the subset IEC 61850-8-1 profiles)", STACK, protocol=P, versions=V)
RULES.add("MMS-BER-LENGTH", "info", "BER lengths take their shortest form (a longer one is allowed but costs "
          "bytes against a size budget)", "X.690 8.1.3 (definite length)", protocol=P, versions=V)
RULES.add("MMS-ASSOCIATION", "fail", "A COTP CR is answered with a CC, and a CONNECT with an AARQ and "
          "initiate-Request with an ACCEPT, AARE and initiate-Response", f"{STACK}; {MMS} (Initiate)",
          protocol=P, versions=V)
RULES.add("MMS-INITIATE-NEGOTIATION", "fail", "The initiate-Response negotiates no more outstanding calls and no "
          "deeper nesting than the initiate-Request proposed", f"{MMS} (Initiate)", protocol=P, versions=V)
RULES.add("MMS-INVOKE-ID", "fail", "A confirmed response or error answers an outstanding request's invokeID, and a "
          "client does not reuse the invokeID of a request still outstanding", f"{MMS} (invokeID)", protocol=P,
          versions=V)
RULES.add("MMS-RESPONSE-SERVICE", "fail", "A confirmed response is of the service of its request", f"{MMS}",
          protocol=P, versions=V)
RULES.add("MMS-RESULT-COUNT", "fail", "A Read or Write response has one result per variable of the request",
          f"{MMS} (Read, Write)", protocol=P, versions=V)
RULES.add("MMS-RESPONSE-MISSING", "fail", "Every confirmed request is answered before the association ends",
          f"{MMS} (confirmed services)", protocol=P, versions=V)
RULES.add("MMS-OUTSTANDING", "fail", "A client keeps no more requests outstanding than the association negotiated",
          f"{MMS} (Initiate: negotiated max outstanding calls)", protocol=P, versions=V)
RULES.add("MMS-READONLY-WRITE", "fail", "A write to an attribute whose functional constraint forbids writing is "
          "refused with a DataAccessError (object-access-denied), never accepted",
          f"{MAPPING} (SetDataValues, functional constraints)", protocol=P, versions=V)
RULES.add("MMS-RELEASE", "info", "A client ends its association with an MMS conclude and an ACSE release rather "
          "than by closing the connection", f"{MMS} (Conclude); ISO 8650 (A-RELEASE)", protocol=P, versions=V)
RULES.add("MMS-RELEASE-RESPONSE", "fail", "A server answers an ACSE release request (RLRQ in a session FINISH) with "
          "a release response (RLRE in a session DISCONNECT)", "ISO 8327 (FINISH, DISCONNECT); ISO 8650 (A-RELEASE)",
          protocol=P, versions=V)
RULES.add("MMS-RELEASE-UNANSWERED", "warn", "A server keeps the connection open after a conclude until the ACSE "
          "release is answered, rather than closing it unanswered", "ISO 8327 (FINISH, DISCONNECT); ISO 8650 "
          "(A-RELEASE)", protocol=P, versions=V)
RULES.add("MMS-TPDU-SIZE", "fail", "No TPDU is longer than the TPDU size the COTP connection negotiated (a longer "
          "TSDU is segmented into several DTs)", "ISO 8073 class 0 (TPDU size, segmenting)", protocol=P, versions=V)

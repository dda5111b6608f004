"""Rule ids of the V2G capture analyser, and the request orders it accepts per protocol family.

The follow tables describe which request may come after which (the EVCC's state machine in the message
sequence diagrams); they are deliberately permissive about loops (a request repeated while the SECC answers
"Ongoing") so that a finding means a real departure from the sequence. They are the one table per family: the
live roles (fake SECC, reference EVSE) use the same ones.

SessionStopReq: the EV may end the session instead of sending the next request at every step before the energy
transfer starts and after it stopped (DIN SPEC 70121: the expected requests after each response,
[V2G-DC-439] to [V2G-DC-458]; ISO 15118-2: [V2G2-543] to [V2G2-587]; ISO 15118-20: [V2G20-2644] with
[V2G20-2645], after SessionSetup and before PowerDelivery(Start)). Inside the charge loop it leaves with
PowerDelivery first. In ISO 15118-2 each of those requirements (§8.8.4.3) names the requests the SECC expects after
one response; from [V2G2-543] (after SessionSetupRes: ServiceDiscoveryReq or SessionStopReq) to [V2G2-587] (after
PreChargeRes) SessionStopReq is one of them, after supportedAppProtocolRes ([V2G2-541]) only SessionSetupReq is.
Reviewed for issue 15 (the standard's text is not at hand; its requirement ids and what they list as two SECCs keyed
to them read them: EVerest EvseV2G's state table and one more vendor's, which agree with each other and this table);
Josev 0.31.2 answers SessionStopReq before PowerDelivery(Stop) FAILED_SequenceError (its ServiceDiscovery ...
PreCharge states do not list it; its DIN twin is open as EcoG-io/iso15118#184): Josev departs from the standard
there, so an EVSE that does so FAILs V2G-RESPONSE-CODE (tests/interop/expected/josev-iso2-evse-fuzz.toml).

Versions (:mod:`.versions`): a rule judges the frames of the versions it declares. The rules about the V2GTP
header judge every V2G frame; the rules about a TCP connection (decoding, SAP, request/response pairing, timing)
judge its SAP frames and every family's; the rules about the messages after SAP judge the three families; the SDP
retry rule judges SDP datagrams. DIN SPEC 70121 has the same timers as the ISO 15118 tables cited (its Table 75:
V2G_SECC_Msg_Performance_Time per response, V2G_EVCC_Sequence_Performance_Time), so no timing rule leaves it out.
"""

from __future__ import annotations

from ..findings import RULES
from .iso20 import FOLLOWS as ISO20_FOLLOWS
from .versions import ALL, FAMILIES, SDP, SESSION

P = "iso15118"
V2GTP_REF = "ISO 15118-2, ISO 15118-20, DIN SPEC 70121: V2GTP header definition"

RULES.add("V2G-V2GTP-HEADER", "fail", "V2GTP header is valid (version, inverse version, payload type, length)",
          V2GTP_REF, protocol=P, versions=ALL)
RULES.add("V2G-V2GTP-TRUNCATED", "warn", "TCP stream ends on a V2GTP frame boundary (no truncated frame)",
          V2GTP_REF, protocol=P, versions=SESSION)
RULES.add("V2G-TCP-GAP", "info", "Capture holds every TCP segment of the session (analysis may be incomplete)",
          "capture quality", protocol=P, versions=SESSION)
RULES.add("V2G-EXI-DECODE", "fail", "EXI payload decodes with the negotiated schema",
          "ISO 15118-2, ISO 15118-20, DIN SPEC 70121: EXI message encoding (schema-informed, per the XSDs)", protocol=P,
          versions=SESSION)
RULES.add("V2G-NO-SCHEMA", "fail", "Every EXI frame has a schema from the SAP result and its V2GTP payload type",
          "supportedAppProtocol negotiation; V2GTP payload type table", protocol=P, versions=SESSION)
RULES.add("V2G-SAP-FIRST", "fail", "A V2G session starts with supportedAppProtocolReq/Res",
          "supportedAppProtocol handshake (ISO 15118-2, ISO 15118-20, DIN SPEC 70121)", protocol=P, versions=SESSION)
RULES.add("V2G-SAP-RESULT", "fail", "SAP response selects a SchemaID the EVCC offered (or reports failure)",
          "supportedAppProtocolRes (ResponseCode, SchemaID)", protocol=P, versions=SESSION)
RULES.add("V2G-SESSION-SETUP-FIRST", "fail", "The first request after SAP is SessionSetupReq",
          "message sequence diagrams of ISO 15118-2, ISO 15118-20, DIN SPEC 70121", protocol=P, versions=FAMILIES)
RULES.add("V2G-SEQUENCE", "fail", "Each request is one the message sequence allows after the previous one",
          "message sequence diagrams of ISO 15118-2, ISO 15118-20, DIN SPEC 70121", protocol=P, versions=FAMILIES)
RULES.add("V2G-SESSION-ID", "fail", "Every message after SessionSetupRes carries the SessionID the SECC assigned",
          "Header SessionID (ISO 15118-2, ISO 15118-20, DIN SPEC 70121 SessionSetup)", protocol=P, versions=FAMILIES)
RULES.add("V2G-NO-RESPONSE", "fail", "Every request gets a response before the next request or the end of the "
          "connection", "V2G request-response messaging", protocol=P, versions=SESSION)
RULES.add("V2G-UNEXPECTED-RESPONSE", "fail", "A response answers the pending request (same message type)",
          "V2G request-response messaging", protocol=P, versions=SESSION)
RULES.add("V2G-SECC-PERFORMANCE", "fail", "SECC response time within V2G_SECC_Msg_Performance_Time",
          "ISO 15118-2 Table 109; DIN SPEC 70121 Table 75; ISO 15118-20 Table 216 ([V2G20-1484]: also the "
          "supportedAppProtocolRes)", protocol=P, versions=SESSION)
RULES.add("V2G-EVCC-MSG-TIMEOUT", "warn", "Response arrives before the EVCC's V2G_EVCC_Msg_Timeout",
          "ISO 15118-2 Table 108; DIN SPEC 70121 Table 75; ISO 15118-20 Table 215", protocol=P, versions=SESSION)
RULES.add("V2G-SEQUENCE-TIMEOUT", "fail", "Next request within V2G_SECC_Sequence_Timeout of the last response",
          "ISO 15118-2 Table 108 [V2G2-443]; DIN SPEC 70121 Table 75; ISO 15118-20 Table 216", protocol=P,
          versions=SESSION)
RULES.add("V2G-EVCC-SEQUENCE-PERFORMANCE", "warn", "EVCC sends its next request within "
          "V2G_EVCC_Sequence_Performance_Time", "ISO 15118-2 Table 108; DIN SPEC 70121 Table 75; ISO 15118-20 "
          "Table 216 [V2G20-1499]",
          protocol=P, versions=SESSION)
RULES.add("V2G-PHASE-TIME", "fail", "CableCheck and PreCharge phases end within their phase budgets",
          "ISO 15118-2 Table 111; DIN SPEC 70121 Table 77; ISO 15118-20 Table 218", protocol=P, versions=FAMILIES)
RULES.add("V2G-SDP-RETRY", "warn", "EVCC repeats an unanswered SDP request no sooner than 250 ms and at most 50 "
          "times", "ISO 15118-2 [V2G2-159] [V2G2-161] (SDP, the same in every family)", protocol=P, versions=(SDP,))

ALL_RULE_IDS = tuple(r.id for r in RULES.for_protocol(P))

# Request names without the "Req" suffix. "*" = allowed after any request once the session is set up.
_ISO2 = {
    "SessionSetup": {"ServiceDiscovery", "SessionStop"},  # [V2G2-543]; Josev refuses SessionStop here (docstring)
    "ServiceDiscovery": {"ServiceDetail", "PaymentServiceSelection", "SessionStop"},
    "ServiceDetail": {"ServiceDetail", "PaymentServiceSelection", "SessionStop"},
    "PaymentServiceSelection": {"PaymentDetails", "Authorization", "CertificateInstallation", "CertificateUpdate",
                                "SessionStop"},
    "CertificateInstallation": {"PaymentDetails", "SessionStop"},
    "CertificateUpdate": {"PaymentDetails", "SessionStop"},
    "PaymentDetails": {"Authorization", "SessionStop"},
    "Authorization": {"Authorization", "ChargeParameterDiscovery", "SessionStop"},
    "ChargeParameterDiscovery": {"ChargeParameterDiscovery", "CableCheck", "PowerDelivery", "SessionStop"},
    "CableCheck": {"CableCheck", "PreCharge", "SessionStop"},
    "PreCharge": {"PreCharge", "PowerDelivery", "SessionStop"},
    "PowerDelivery": {"CurrentDemand", "ChargingStatus", "WeldingDetection", "SessionStop",
                      "ChargeParameterDiscovery", "PowerDelivery"},
    "CurrentDemand": {"CurrentDemand", "PowerDelivery", "MeteringReceipt"},
    "ChargingStatus": {"ChargingStatus", "PowerDelivery", "MeteringReceipt"},
    "MeteringReceipt": {"CurrentDemand", "ChargingStatus", "PowerDelivery"},
    "WeldingDetection": {"WeldingDetection", "SessionStop"},
    "SessionStop": set(),
}
_DIN = {
    "SessionSetup": {"ServiceDiscovery", "SessionStop"},
    "ServiceDiscovery": {"ServicePaymentSelection", "SessionStop"},
    "ServicePaymentSelection": {"ContractAuthentication", "SessionStop"},
    "ContractAuthentication": {"ContractAuthentication", "ChargeParameterDiscovery", "SessionStop"},
    "ChargeParameterDiscovery": {"ChargeParameterDiscovery", "CableCheck", "SessionStop"},
    "CableCheck": {"CableCheck", "PreCharge", "SessionStop"},
    "PreCharge": {"PreCharge", "PowerDelivery", "SessionStop"},
    "PowerDelivery": {"CurrentDemand", "WeldingDetection", "SessionStop", "PowerDelivery"},
    "CurrentDemand": {"CurrentDemand", "PowerDelivery"},
    "WeldingDetection": {"WeldingDetection", "SessionStop"},
    "SessionStop": set(),
}
_ISO20 = ISO20_FOLLOWS  # one table for the analyser and the -20 message logic
FOLLOWS: dict[str, dict[str, set[str]]] = {"iso-2": _ISO2, "din": _DIN, "iso-20": _ISO20}


def base_name(name: str) -> str:
    """Message name without its Req/Res suffix."""
    return name[:-3] if name.endswith(("Req", "Res")) else name


def allowed_after(family: str, previous: str, nxt: str) -> bool | None:
    """Whether request ``nxt`` may follow request ``previous`` (base names); None if the table does not say."""
    table = FOLLOWS.get(family)
    if table is None or previous not in table:
        return None
    return nxt in table[previous]

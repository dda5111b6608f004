"""Rule ids the live roles add to the capture analyser's (:mod:`.rules`): what the fake SECC judges of an EV and
what the fake EVCC judges of an EVSE while the session runs. References name tables and requirement ids only.

Versions (:mod:`.versions`, as in :mod:`.rules`): most rules judge every family. The exceptions, each a part of
one or two families only:

- Plug & Charge (``V2G-PNC-*``): ISO 15118-2. Its messages (PaymentDetails, the signed AuthorizationReq,
  MeteringReceipt, CertificateInstallation with the -2 xmldsig profile) exist in no other family: DIN SPEC 70121
  has no Plug & Charge, and ISO 15118-20 authorises with other messages (AuthorizationSetup/Authorization,
  MeteringConfirmation) that these rules do not judge.
- ``V2G-EVSE-NOTIFICATION``: DIN SPEC 70121 and ISO 15118-2, whose EVSENotification values StopCharging and
  ReNegotiation it checks; ISO 15118-20's evseNotificationType has other values (Pause, Terminate,
  ScheduleRenegotiation, ...) and is not judged by it.
- ``V2G-SESSION-RESUME``: ISO 15118-2 and -20, whose SessionStopReq carries ChargingSession=Pause; DIN SPEC
  70121's SessionStopReq has an empty body, so a DIN EV cannot pause a session.
- ``V2G-TLS``: SDP, SAP and ISO 15118-2 / -20; DIN SPEC 70121 uses no TLS.
"""

from __future__ import annotations

from ..findings import RULES
from .rules import P
from .versions import ALL, FAMILIES, SAP, SDP, SESSION

ISO2, DIN, ISO20 = "iso-2", "din", "iso-20"

RULES.add("V2G-SAP-CHOICE", "fail", "SECC picks the offered protocol it supports with the best priority, and "
          "answers Failed_NoNegotiation when it supports none", "supportedAppProtocol negotiation", protocol=P,
          versions=SESSION)
RULES.add("V2G-SAP-OFFER", "fail", "EVCC offers at least one protocol in supportedAppProtocolReq with distinct "
          "SchemaIDs and priorities", "supportedAppProtocolReq", protocol=P, versions=SESSION)
RULES.add("V2G-RESPONSE-CODE", "fail", "The SECC answers a valid request in sequence with an OK response code "
          "(or the FAILED code the situation requires)", "ResponseCode tables of ISO 15118-2, -20, DIN SPEC 70121",
          protocol=P, versions=FAMILIES)
RULES.add("V2G-NEW-SESSION", "fail", "SessionSetupRes for SessionID 0 gives a new, non-zero SessionID with "
          "OK_NewSessionEstablished", "SessionSetup (ISO 15118-2, -20, DIN SPEC 70121)", protocol=P, versions=FAMILIES)
RULES.add("V2G-STOP-AFTER-FAILED", "fail", "After a response with a FAILED code the EVCC sends no further request "
          "and closes the TCP connection", "ResponseCode handling (FAILED codes end the session) in ISO 15118-2, "
          "ISO 15118-20, DIN SPEC 70121", protocol=P, versions=SESSION)
RULES.add("V2G-CLOSE-AFTER-FAILED", "fail", "After answering with a FAILED code the SECC closes the TCP connection",
          "ResponseCode handling (FAILED codes end the session)", protocol=P, versions=SESSION)
RULES.add("V2G-CLOSE-AFTER-STOP", "fail", "After SessionStopRes the EVCC closes the TCP connection, before the SECC "
          "gives up waiting for it (the termination time plus its tolerance)", "ISO 15118-2 [V2G2-508] [V2G2-025]; "
          "DIN SPEC 70121 [V2G-DC-937] [V2G-DC-938]; ISO 15118-20 [V2G20-1463] [V2G20-1633]", protocol=P,
          versions=FAMILIES)
RULES.add("V2G-EVCC-TIMEOUT", "fail", "The EVCC stops the session when a response does not arrive within "
          "V2G_EVCC_Msg_Timeout (no further request, connection closed)", "ISO 15118-2 Table 108; ISO 15118-20 "
          "Table 215; DIN SPEC 70121 Table 75 (V2G_EVCC_Msg_Timeout)", protocol=P, versions=SESSION)
RULES.add("V2G-ONGOING-TIMEOUT", "fail", "The EVCC stops repeating a request the SECC answers Ongoing once "
          "V2G_EVCC_Ongoing_Timeout (or the phase timeout) has passed", "ISO 15118-2 Table 108 [V2G2-713], "
          "Table 111; DIN SPEC 70121 Table 75, Table 77; ISO 15118-20 Table 215, Table 218", protocol=P,
          versions=FAMILIES)
RULES.add("V2G-SECC-SEQUENCE-CLOSE", "fail", "The SECC closes the connection once V2G_SECC_Sequence_Timeout passes "
          "without a request (not before it)", "ISO 15118-2 Table 108 [V2G2-443]; DIN SPEC 70121 Table 75; "
          "ISO 15118-20 Table 216", protocol=P, versions=SESSION)
RULES.add("V2G-HEADER-IGNORED", "fail", "A frame with an invalid V2GTP header gets no response (the receiver "
          "ignores it)", "V2GTP header handling (ISO 15118-2, -20, DIN SPEC 70121); ISO 15118-4 "
          "V2GTPSessionSetup test cases", protocol=P, versions=SESSION)
RULES.add("V2G-SDP-ANSWER", "fail", "The SECC answers a valid SDP request with a valid SDP response (its address, "
          "a TCP port, the security it offers)", "SECC Discovery Protocol (ISO 15118-2, -20, DIN SPEC 70121)",
          protocol=P, versions=(SDP,))
RULES.add("V2G-SDP-REQUEST", "fail", "The EVCC sends valid SDP requests (header, security, transport)",
          "SECC Discovery Protocol (ISO 15118-2, -20, DIN SPEC 70121)", protocol=P, versions=(SDP,))
RULES.add("V2G-PRECHARGE", "fail", "In PreCharge the EVSE's present voltage reaches the EV's target within the "
          "pre-charge budget", "ISO 15118-2 Table 111; DIN SPEC 70121 Table 77; ISO 15118-20 Table 218 "
          "(DC_PreCharge)", protocol=P, versions=FAMILIES)
RULES.add("V2G-EVSE-LIMITS", "fail", "The EVSE's present current and voltage stay within what the EV asked for and "
          "the EVSE's own maximum limits", "DC charge loop (CurrentDemand / DC_ChargeLoop)", protocol=P,
          versions=FAMILIES)
RULES.add("V2G-EV-PARAMETERS", "fail", "The EV's requests are consistent: targets within its own maximum limits, "
          "SoC in 0..100, the energy transfer mode it chose", "ChargeParameterDiscovery, charge loop", protocol=P,
          versions=FAMILIES)
RULES.add("V2G-SESSION-STOP", "fail", "A charging session ends with SessionStopReq/Res before the connection "
          "closes", "message sequence diagrams (SessionStop)", protocol=P, versions=FAMILIES)
RULES.add("V2G-SESSION-RESUME", "fail", "A paused session resumes with the old SessionID and OK_OldSessionJoined",
          "pause and resume (ISO 15118-2, ISO 15118-20: SessionStopReq ChargingSession=Pause, then SessionSetup with "
          "the old SessionID)", protocol=P, versions=(ISO2, ISO20))
RULES.add("V2G-TLS", "fail", "TLS is used as negotiated by SDP (TLS 1.2 for ISO 15118-2, TLS 1.3 for -20) and the "
          "peer's certificate chain verifies", "TLS requirements of ISO 15118-2 (TLS 1.2) "
          "and ISO 15118-20 (TLS 1.3, mutual authentication)", protocol=P, versions=(SDP, SAP, ISO2, ISO20))
RULES.add("V2G-NO-SESSION", "fail", "The peer starts a V2G session (SDP, TCP, SAP, SessionSetup) when it should",
          "V2G communication setup", protocol=P, versions=ALL)
RULES.add("V2G-PNC-SIGNATURE", "fail", "Plug & Charge signatures: AuthorizationReq and MeteringReceiptReq are "
          "signed with the contract key over their EXI fragments (the SECC verifies them against the contract "
          "certificate of PaymentDetailsReq and answers FAILED_SignatureError / FAILED_MeteringSignatureNotValid "
          "when they do not verify); CertificateInstallationRes is signed by the CPS leaf",
          "ISO 15118-2 xmldsig profile (AuthorizationReq, MeteringReceiptReq, CertificateInstallationRes)",
          protocol=P, versions=(ISO2,))
RULES.add("V2G-PNC-CHALLENGE", "fail", "The SECC issues a fresh 16-byte GenChallenge in PaymentDetailsRes; the EV "
          "returns exactly it in the signed AuthorizationReq, and the SECC answers FAILED_ChallengeInvalid otherwise",
          "ISO 15118-2 PaymentDetails / Authorization (GenChallenge)", protocol=P, versions=(ISO2,))
RULES.add("V2G-PNC-CERTIFICATE", "fail", "Plug & Charge certificate chains verify: the contract chain of "
          "PaymentDetailsReq against the MO root (FAILED_CertChainError otherwise), the provisioning and contract "
          "chains of CertificateInstallationRes against the V2G and MO roots",
          "ISO 15118-2 PaymentDetails, CertificateInstallation; certificate profiles (Annex F)", protocol=P,
          versions=(ISO2,))
RULES.add("V2G-PNC-RECEIPT", "fail", "A Plug & Charge EV answers ReceiptRequired=true with a signed "
          "MeteringReceiptReq before the next charge-loop request", "ISO 15118-2 MeteringReceipt", protocol=P,
          versions=(ISO2,))
RULES.add("V2G-EVSE-NOTIFICATION", "fail", "The EV acts on an EVSENotification (StopCharging, ReNegotiation) within "
          "NotificationMaxDelay: it leaves the charge loop with PowerDelivery", "EVSENotification and "
          "NotificationMaxDelay in DC_EVSEStatus / AC_EVSEStatus (ISO 15118-2, DIN SPEC 70121)", protocol=P,
          versions=(DIN, ISO2))
RULES.add("V2G-RESPONSE-CONTENT", "fail", "A response carries what the request and the case's energy transfer or "
          "control mode call for: the parameter branch of that mode, the payment option, service or control mode "
          "offered, a present voltage, EVSEProcessing Finished when nothing is pending",
          "response message definitions of ISO 15118-2, ISO 15118-20 and DIN SPEC 70121 (ServiceDiscoveryRes, "
          "AuthorizationSetupRes, ChargeParameterDiscoveryRes, ScheduleExchangeRes, charge-loop and "
          "WeldingDetection responses)", protocol=P, versions=FAMILIES)

# --- fuzz cases (suites/iso15118_2_fuzz, din70121_fuzz, iso15118_20_fuzz; issue 15): vgitest.iso15118.fuzzcases ----
FUZZ_VERSIONS = (DIN, ISO2, ISO20)  # the families whose fuzz suites judge them
RULES.add("V2G-FUZZ-REJECT", "fail", "The EVSE refuses a request broken in one place (a value over its maxLength or "
          "outside its range, an EXI stream it cannot decode): a FAILED response code or the connection closed, never "
          "an OK code", "ISO 15118-2, ISO 15118-20, DIN SPEC 70121 message definitions and XSD facets; ResponseCode "
          "FAILED (responseCodeType)",
          protocol=P, versions=FUZZ_VERSIONS)
RULES.add("V2G-FUZZ-ACCEPT", "fail", "The EVSE answers a schema-valid request in sequence, with values the PIXIT "
          "accepts, with an OK response code and a response that decodes within its length facets",
          "ISO 15118-2, ISO 15118-20, DIN SPEC 70121 message definitions and XSD facets; ResponseCode tables",
          protocol=P, versions=FUZZ_VERSIONS)
RULES.add("V2G-FUZZ-ALIVE", "fail", "After a broken or generated message the device still runs a new V2G session "
          "(SDP, supportedAppProtocol, SessionSetup; an EV: a session after the next plug-in)",
          "V2G communication setup (ISO 15118-2, ISO 15118-20, DIN SPEC 70121); robustness", protocol=P,
          versions=FUZZ_VERSIONS)
RULES.add("V2G-FUZZ-EV-INVALID", "fail", "After a response it cannot use (an EXI stream it cannot decode, a value over "
          "its maxLength or outside its range, another response type) the EV sends no further request and closes the "
          "TCP connection within the termination time", "ISO 15118-2, ISO 15118-20, DIN SPEC 70121 message definitions "
          "and XSD facets; EVCC behaviour on an invalid response (V2G_EVCC_Msg_Timeout handling, ISO 15118-2 Table "
          "108)", protocol=P,
          versions=FUZZ_VERSIONS)

"""Every OpenADR 2.0b rule the harness checks, with its stable id (public API like the OCPP ids).

`ref` names sections, conformance-rule numbers and certification test-case ids only, never spec text.
"""

from __future__ import annotations

from ..findings import RULES

P = "openadr"
VERSIONS = ("2.0b",)  # the only OpenADR version the fake VTN speaks (OpenADR 3 is a separate protocol)


def R(id: str, severity: str, title: str, ref: str = "", protocol: str = P,
      versions: tuple[str, ...] = VERSIONS) -> object:
    """Register an OpenADR rule; it judges 2.0b frames."""
    return RULES.add(id, severity, title, ref, protocol, versions)


# Transport and payload (every request the VEN sends, every body it answers a push with)
HTTP_METHOD = R("OADR-HTTP-METHOD", "fail", "OpenADR simple-HTTP services take POST requests only",
                "2.0b profile §9.1 (simple HTTP)", P).id
HTTP_PATH = R("OADR-HTTP-PATH", "fail", "The request went to a path that is not an OpenADR 2.0b service endpoint",
              "2.0b profile §9.1 (service endpoints)", P).id
CONTENT_TYPE = R("OADR-CONTENT-TYPE", "fail", "The body is not declared as XML (Content-Type application/xml)",
                 "2.0b profile §9.1", P).id
BODY_TOO_LARGE = R("OADR-BODY-TOO-LARGE", "fail", "The body exceeds the size the harness accepts for one payload",
                   "vgitest safety limit (PIXIT max_body_bytes)", P).id
XML_MALFORMED = R("OADR-XML-MALFORMED", "fail", "The body is not well-formed XML", "XML 1.0", P).id
XML_HOSTILE = R("OADR-XML-HOSTILE", "fail",
                "The body declares a DTD, entities or external references (refused, never expanded or fetched)",
                "2.0b profile §10 (security)", P).id
XML_TOO_COMPLEX = R("OADR-XML-TOO-COMPLEX", "fail",
                    "An element carries more attributes than the harness reads on one element (refused unread)",
                    "vgitest safety limit (safexml.MAX_ATTRIBUTES); 2.0b profile §10 (security)", P).id
HTTP_MALFORMED = R("OADR-HTTP-MALFORMED", "fail",
                   "The request is not valid HTTP/1.1: bad framing (chunk size, Content-Length with "
                   "Transfer-Encoding), an oversized header, another protocol (TLS, HTTP/2) on the port",
                   "RFC 9112 (HTTP/1.1 message syntax and framing); 2.0b profile §9.1 (simple HTTP)", P).id
SCHEMA = R("OADR-SCHEMA", "fail", "The payload does not validate against the OpenADR 2.0b schema (oadr_20b.xsd)",
           "2.0b profile §8 (schemas)", P).id
WRONG_SERVICE = R("OADR-WRONG-SERVICE", "fail", "The payload was sent to the endpoint of another service",
                  "2.0b profile §9.1 (service-to-payload map)", P).id
UNEXPECTED_PAYLOAD = R("OADR-UNEXPECTED-PAYLOAD", "fail",
                       "A VEN sent a payload only a VTN sends, or answered a push with the wrong payload",
                       "2.0b profile §8", P).id

# Scenario expectations (a test waited for a payload, or forbade one)
EXPECTED_MESSAGE = R("OADR-EXPECTED-MESSAGE", "fail", "The VEN did not send a payload the scenario requires in time",
                     "2.0b certification test cases (per test)", P).id
FORBIDDEN_MESSAGE = R("OADR-FORBIDDEN-MESSAGE", "fail", "The VEN sent a payload the scenario forbids",
                      "2.0b certification test cases (per test)", P).id

# Identity and registration
NOT_REGISTERED = R("OADR-NOT-REGISTERED", "fail",
                   "The VEN polled or sent service payloads without a registration (answered 452)",
                   "2.0b profile §8.1 (EiRegisterParty); test cases N1_*", P).id
VEN_ID = R("OADR-VEN-ID", "fail", "The venID in the payload is not the one the VTN assigned at registration",
           "2.0b profile §8.1; openleadr issue #138", P).id
REGISTRATION_ID = R("OADR-REGISTRATION-ID", "fail",
                    "The registrationID in the payload is not the one the VTN assigned",
                    "2.0b profile §8.1 (re-registration, cancel)", P).id
REG_QUERY_FIRST = R("OADR-REG-QUERY-FIRST", "fail",
                    "The VEN created its registration without first querying it (oadrQueryRegistration)",
                    "2.0b profile §8.1; test case N1_0010; openleadr PR #144", P).id

# Polling (HTTP pull)
# The cadence watch (checks.poll_cadence) compares the arrival times of two polls of one registration: a poll
# earlier than oadrRequestedOadrPollFreq minus the budgets' openadr tolerance after the previous one is early; a
# poll exactly at that limit is not. What the previous poll's answer held decides which rule judges an early one.
POLL_TOO_OFTEN = R("OADR-POLL-TOO-OFTEN", "fail",
                   "The VEN polled again sooner than the oadrRequestedOadrPollFreq the VTN gave it (minus "
                   "tolerance), after a poll the VTN had answered with nothing queued (oadrResponse)",
                   "oadr_20b.xsd oadrRequestedOadrPollFreq (at most one poll per duration); 2.0b profile §9.1.8",
                   P, versions=("2.0b",)).id
POLL_DRAIN = R("OADR-POLL-DRAIN", "warn",
               "The VEN polled again sooner than oadrRequestedOadrPollFreq right after a poll the VTN answered with "
               "a payload, to fetch what else is queued (reported, not failed)",
               "oadr_20b.xsd oadrRequestedOadrPollFreq and oadrSignedObject (one payload per poll answer); 2.0b "
               "profile §9.1.8 (its text is not public: see docs/openadr.md)", P, versions=("2.0b",)).id

# Push (the VTN POSTs to the VEN's oadrTransportAddress)
PUSH_ADDRESS = R("OADR-PUSH-ADDRESS", "fail",
                 "A push VEN registered without oadrHttpPullModel=false and an http(s) oadrTransportAddress the "
                 "VTN can POST to", "2.0b profile §9.1.1 (push exchange model); schema oadrTransportAddress", P).id
PUSH_RESPONSE = R("OADR-PUSH-RESPONSE", "fail",
                  "A push VEN did not answer a pushed payload with HTTP 200 and the payload that acknowledges it "
                  "(an empty body or oadrResponse for oadrDistributeEvent)", "2.0b profile §9.1.1 (push exchange "
                  "model); test cases N0_*, E0_*, R0_*", P).id

# Events
CREATED_EVENT_NEVER = R("OADR-CREATED-EVENT-NEVER", "fail",
                        "The VEN sent oadrCreatedEvent for an event delivered with oadrResponseRequired=never",
                        "2.0b conformance rules 12 and 62", P).id
CREATED_EVENT_MISSING = R("OADR-CREATED-EVENT-MISSING", "fail",
                          "An event with oadrResponseRequired=always was not answered with oadrCreatedEvent before "
                          "the VEN's next poll (pull), or within the wait the profile allows (push)",
                          "2.0b profile §8.2 (pull VEN answers before its next poll)", P).id
CREATED_EVENT_ID = R("OADR-CREATED-EVENT-ID", "fail",
                     "oadrCreatedEvent answers an eventID or modificationNumber the VTN did not deliver",
                     "2.0b profile §8.2 (qualifiedEventID)", P).id
CREATED_EVENT_REQUEST_ID = R("OADR-CREATED-EVENT-REQUEST-ID", "fail",
                             "An eventResponse does not carry the requestID of the oadrDistributeEvent it answers",
                             "2.0b profile §8.2", P).id
OPT_EVENT_ID = R("OADR-OPT-EVENT-ID", "fail", "oadrCreateOpt refers to an event the VTN never delivered",
                 "2.0b profile §8.4 (EiOpt)", P).id
UTC = R("OADR-UTC", "fail", "A date-time is not expressed in UTC (with the 'Z' designator)",
        "2.0b conformance rule 1", P).id

# Reports
REPORT_REGISTER_REQUEST_ID = R("OADR-REPORT-REGISTER-REQUEST-ID", "fail",
                               "A report in oadrRegisterReport has a reportRequestID other than 0",
                               "2.0b conformance rule 311; openleadr issue #44", P).id
REPORT_REQUEST_ID = R("OADR-REPORT-REQUEST-ID", "fail",
                      "oadrUpdateReport carries a reportRequestID the VTN never requested",
                      "2.0b profile §8.3 (EiReport)", P).id
REPORT_RID = R("OADR-REPORT-RID", "fail", "A report interval uses an rID that the report request did not ask for",
               "2.0b profile §8.3 (EiReport)", P).id
REPORT_AFTER_CANCEL = R("OADR-REPORT-AFTER-CANCEL", "fail",
                        "The VEN kept sending a report after it acknowledged the cancellation (reportToFollow false)",
                        "2.0b profile §8.3 (oadrCancelReport)", P).id

# Transport security (TLS 1.2, mutual authentication)
TLS_HANDSHAKE = R("OADR-TLS-HANDSHAKE", "fail",
                  "The VEN's TLS handshake with the VTN failed (version, suite, or its client certificate)",
                  "2.0b profile §10 (TLS 1.2, ECDHE-ECDSA-AES128-SHA256 / AES128-SHA256, client certificates)",
                  P).id
TLS_FINGERPRINT = R("OADR-TLS-FINGERPRINT", "fail",
                    "The VEN's client certificate is not the one registered for its venID (answered 463)",
                    "2.0b profile §10.x (certificate fingerprint); openleadr issue #12", P).id
TLS_UNTRUSTED_VTN = R("OADR-TLS-UNTRUSTED-VTN", "fail",
                      "The VEN talked to a VTN whose certificate it must refuse (unknown CA or expired)",
                      "2.0b profile §10 (server authentication)", P).id

# XML signatures (oadrXmlSignature; checked on every payload that carries a ds:Signature)
SIGNATURE = R("OADR-SIGNATURE", "fail",
              "A signed payload does not verify: the signature is broken, does not cover the oadrSignedObject, "
              "or was made with another certificate than the VEN's (answered 463)",
              "2.0b profile §10 (XML signatures); XMLDSig core (detached signature, C14N)", P).id
SIGNATURE_REPLAY = R("OADR-SIGNATURE-REPLAY", "fail",
                     "A signed payload lacks a signed ReplayProtect, or its timestamp is outside the accepted window, "
                     "or its nonce was used before (answered 463)",
                     "2.0b profile §10 (ReplayProtect signature property); PIXIT signature_replay_window_s", P).id
SIGNATURE_MISSING = R("OADR-SIGNATURE-MISSING", "fail",
                      "A payload is unsigned although the VEN registered with oadrXmlSignature=true or its PICS "
                      "declares XML signatures (answered 463)",
                      "2.0b profile §8.1 (oadrXmlSignature), §10; PICS XmlSignature", P).id

# Fuzz suites (suites/openadr20b_fuzz; vgitest.openadr.fuzzcases). Negative data: schema-invalid or broken payloads
# (vgitest.openadr.strategies.MUTATION_RULES); positive data: coherent, schema-valid events with generated values.
FUZZ_INVALID_DATA = R("OADR-FUZZ-INVALID-DATA", "fail",
                      "The VEN acted on a payload that breaks oadr_20b.xsd (a required element missing, a value not "
                      "of its type, outside its enumeration or bounds, too long, an unknown element, a wrong "
                      "namespace): it answered it as valid (response code 200) instead of refusing it",
                      "2.0b profile, application-layer response codes (454 invalid data); oadr_20b.xsd", P,
                      versions=("2.0b",)).id
FUZZ_MALFORMED = R("OADR-FUZZ-MALFORMED", "fail",
                   "The VEN acted on a payload that is not well-formed XML (cut short or garbled): it answered it as "
                   "valid (response code 200) instead of refusing it",
                   "XML 1.0 (well-formedness); 2.0b profile §9.1 (simple HTTP), application-layer response codes",
                   P, versions=("2.0b",)).id
FUZZ_ERROR_CODE = R("OADR-FUZZ-ERROR-CODE", "warn",
                    "The VEN refused a broken payload with another error code than 454 (invalid data)",
                    "2.0b profile, application-layer response codes (454 invalid data)", P, versions=("2.0b",)).id
FUZZ_SILENT = R("OADR-FUZZ-SILENT", "warn",
                "The VEN dropped a broken payload without telling the VTN (no payload with an error response code "
                "before its next poll): it did not act on it, but the VTN cannot know it was refused",
                "2.0b profile, application-layer response codes; §8.2 (a pull VEN answers before its next poll)", P,
                versions=("2.0b",)).id
FUZZ_ALIVE = R("OADR-FUZZ-ALIVE", "fail",
               "After a generated or broken payload the VEN stopped: it did not poll again within two poll intervals "
               "plus the PIXIT message_wait, or it started anew (queried or created its registration unasked)",
               "2.0b profile §9.1.8 (oadrRequestedOadrPollFreq), §8.1 (registration persists)", P,
               versions=("2.0b",)).id
FUZZ_ACCEPT = R("OADR-FUZZ-ACCEPT", "fail",
                "A schema-valid, coherent event with generated values (signals, intervals, durations, targets, "
                "priorities, text) was not answered with oadrCreatedEvent carrying response code 200 for it (an "
                "error code, or no answer before the VEN's next poll)",
                "2.0b profile §8.2 (EiEvent: the VEN answers every event that requires a response); oadr_20b.xsd",
                P, versions=("2.0b",)).id
# Event life cycle (the stateful model, vgitest.openadr.models): what only a sequence of distributes reveals
EVENT_STALE = R("OADR-EVENT-STALE", "fail",
                "The VEN named an older version of an event than the latest the VTN delivered (a stale "
                "modificationNumber) in an eventResponse or an oadrCreateOpt: it acknowledged or opted on a version "
                "that no longer applies",
                "2.0b profile §8.2 (qualifiedEventID: eventID and modificationNumber name the version; a new version "
                "replaces the old), §8.4 (EiOpt)", P).id
EVENT_CANCELLED_KEPT = R("OADR-EVENT-CANCELLED-KEPT", "fail",
                         "The VEN still answered or opted on an event after the VTN cancelled it and stopped "
                         "distributing it: it keeps acting on a cancelled event",
                         "2.0b profile §8.2 (eventStatus cancelled; an oadrDistributeEvent carries every event that "
                         "applies to the VEN)", P).id

"""IEEE 2030.5 / CSIP transport and payload rules the fake server checks, with stable ids (public API).

`ref` names standard clauses and requirement ids only, never spec text. Where a clause number could not be
checked against public material, the clause is named by its subject instead of a guessed number.
"""

from __future__ import annotations

from ..findings import RULES

P = "sep2"
VERSIONS = ("2030.5",)  # IEEE 2030.5-2018 as CSIP uses it (the frames carry "2030.5")


def R(id: str, severity: str, title: str, ref: str = "", protocol: str = P,
      versions: tuple[str, ...] = VERSIONS) -> object:
    """Register an IEEE 2030.5 rule; it judges 2030.5 frames."""
    return RULES.add(id, severity, title, ref, protocol, versions)


# Transport (every request a client sends)
CONTENT_TYPE = R("SEP2-CONTENT-TYPE", "fail",
                 "A request body is not declared as application/sep+xml (Content-Type)",
                 "IEEE 2030.5-2018 HTTP binding (media type application/sep+xml)", P).id
HTTP_METHOD = R("SEP2-HTTP-METHOD", "fail",
                "The client used an HTTP method the resource does not allow (answered 405)",
                "IEEE 2030.5-2018 HTTP binding; resource method tables (WADL)", P).id
BODY_TOO_LARGE = R("SEP2-BODY-TOO-LARGE", "fail", "The body exceeds the size the harness accepts for one payload",
                   "vgitest safety limit (PIXIT max_body_bytes)", P).id
HTTP_MALFORMED = R("SEP2-HTTP-MALFORMED", "fail",
                   "The request is not valid HTTP/1.1: bad framing (chunk size, Content-Length with "
                   "Transfer-Encoding), an oversized header, a control character in the path, another protocol "
                   "(TLS, HTTP/2) on the port", "RFC 9112 (HTTP/1.1 message syntax and framing); RFC 3986 (URI)",
                   P).id

# Payload (every body a client sends)
XML_MALFORMED = R("SEP2-XML-MALFORMED", "fail", "The body is not well-formed XML", "XML 1.0", P).id
XML_HOSTILE = R("SEP2-XML-HOSTILE", "fail",
                "The body declares a DTD, entities or external references (refused, never expanded or fetched)",
                "IEEE 2030.5-2018 XML representation; vgitest safety (no DTD processing)", P).id
XML_TOO_COMPLEX = R("SEP2-XML-TOO-COMPLEX", "fail",
                    "An element carries more attributes than the harness reads on one element (refused unread)",
                    "vgitest safety limit (safexml.MAX_ATTRIBUTES)", P).id
SCHEMA = R("SEP2-SCHEMA", "fail",
           "The payload does not validate against the IEEE 2030.5 schema (or its CSIP-AUS extension)",
           "IEEE 2030.5-2018 schema (sep.xsd); CSIP-AUS v1.2 (csipaus-core.xsd)", P).id

# Scenario expectations (a test waited for a request, or forbade one)
EXPECTED_REQUEST = R("SEP2-EXPECTED-REQUEST", "fail", "The client did not make a request the scenario requires in time",
                     "CSIP conformance test procedures (per test)", P).id
FORBIDDEN_REQUEST = R("SEP2-FORBIDDEN-REQUEST", "fail", "The client made a request the scenario forbids",
                      "CSIP conformance test procedures (per test)", P).id

# Polling (CSIP CORE-003: every resource with a pollRate is polled at that rate)
# pollRate: 2030.5 says clients SHOULD poll every pollRate seconds (the schema's pollRate documentation); no MUST
# could be found (CSIP CORE-003 checks the rate as a test criterion): a broken cadence is NON_STRICT, a FAIL under
# --vgi-strict.
POLL_TOO_OFTEN = R("SEP2-POLL-TOO-OFTEN", "warn",
                   "The client polled a resource again sooner than its pollRate allows (minus tolerance); the "
                   "further pages of one read of a list are not polls",
                   "IEEE 2030.5-2018 pollRate attribute, list query parameters s/l; CSIP CORE-003", P).id
POLL_MISSED = R("SEP2-POLL-MISSED", "warn",
                "The client let more than 1.5 pollRate pass between two polls of a resource (a missed poll)",
                "IEEE 2030.5-2018 pollRate attribute; CSIP CORE-003", P).id

# Event responses (Response status: 1 received, 2 started, 3 completed, 6 cancelled, 7 superseded, ...)
RESPONSE_ORDER = R("SEP2-RESPONSE-ORDER", "fail",
                   "The client's Response statuses for one event do not follow received, started, then a final "
                   "status (completed, cancelled, superseded, ...)",
                   "IEEE 2030.5-2018 Response function set (status codes); CSIP CORE-022, BASIC-020", P).id
RESPONSE_SUBJECT = R("SEP2-RESPONSE-SUBJECT", "fail",
                     "A Response names an event (subject mRID) the server never gave this client",
                     "IEEE 2030.5-2018 Response function set (subject); CSIP CORE-022", P).id
RESPONSE_STATUS = R("SEP2-RESPONSE-STATUS", "fail",
                    "A Response status does not fit what happened to the event (superseded although no event "
                    "with a control mode in common overlapped it)",
                    "IEEE 2030.5-2018 DER function set (event overlap and superseding by control mode); "
                    "CSIP BASIC-024 to 026", P).id
REQUEST_INCOMPLETE = R("SEP2-REQUEST-INCOMPLETE", "info",
                       "The client's connection ended (or stalled) before the body it announced had arrived; the "
                       "request was not processed", "RFC 9112 message body length (Content-Length)", P).id

# Transport security (CSIP: TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, mutual authentication)
TLS_HANDSHAKE = R("SEP2-TLS-HANDSHAKE", "fail",
                  "The client's TLS handshake failed or used something else than TLS 1.2 with the CSIP suite and "
                  "its device certificate", "CSIP COMM-003 (TLS 1.2, ECDHE-ECDSA-AES128-CCM8, client certificate)",
                  P).id
TLS_BAD_CHAIN = R("SEP2-TLS-BAD-CHAIN", "fail",
                  "The client talked to a server whose certificate chain it must refuse (COMM-004 negative cases)",
                  "IEEE 2030.5-2018 certificate profile and path validation; CSIP COMM-004 D-G", P).id

# Behaviour the server can see (what the client reports and does)
REGISTRATION_PIN = R("SEP2-REGISTRATION-PIN", "fail",
                     "The client went on past its Registration although the PIN there is not its own",
                     "IEEE 2030.5-2018 Registration function set (pIN); CSIP BASIC-001", P).id
CONTROL_NOT_FOLLOWED = R("SEP2-CONTROL-NOT-FOLLOWED", "fail",
                         "The active or reactive power the client reports does not follow the control in force "
                         "(limit, set point, disconnect, curve at the grid's voltage or frequency, power factor, "
                         "ramp rate, must-trip)",
                         "IEEE 2030.5-2018 DERControlBase, DERCurve, DefaultDERControl setGradW; CSIP BASIC "
                         "control-mode tests", P).id
READING_TYPE = R("SEP2-READING-TYPE", "fail",
                 "A mirrored power reading lacks a ReadingType, or its unit is not the one of power (W)",
                 "IEEE 2030.5-2018 Metering Mirror (ReadingType uom); CSIP BASIC-029", P).id

TIME_SYNC = R("SEP2-TIME", "fail", "The client's times (Responses, event timing) are not on the server's clock",
              "IEEE 2030.5-2018 Time function set (the server is the time base); CSIP CORE-005", P).id
RANDOMIZATION = R("SEP2-RANDOMIZATION", "fail",
                  "The client started an event outside the window its randomizeStart allows",
                  "IEEE 2030.5-2018 randomizeStart (DERControl); CSIP CORE-021", P).id

# Identity
LFDI = R("SEP2-LFDI", "fail",
         "The LFDI or SFDI a client puts in its EndDevice or Response does not match its TLS certificate",
         "IEEE 2030.5-2018 §6.3 (device identification: LFDI, SFDI); CSIP (client identity)", P).id

# Subscription / Notification (a DER client that declares Subscriptions; CSIP makes them a MAY for DER clients)
SUBSCRIPTION = R("SEP2-SUBSCRIPTION", "fail",
                 "The client did not hold a usable Subscription for a subscribable resource it follows (none, to a "
                 "resource the server does not offer for subscription, or with a notificationURI that is not an "
                 "absolute URI)", "IEEE 2030.5-2018 Subscription/Notification function set (subscribable, "
                 "Subscription.notificationURI); CSIP CORE-018", P).id
NOTIFICATION_ANSWER = R("SEP2-NOTIFICATION-ANSWER", "fail",
                        "The client answered a Notification with the wrong HTTP status, or not at all: 201 Created "
                        "for one it takes, 400 Bad Request for one it cannot read",
                        "IEEE 2030.5-2018 Notification POST (WADL: 201 Created); HTTP 400 for a body that cannot be "
                        "read (RFC 9110 15.5.1); CSIP CORE-018/019 (Annex A seq 44: 201 only), ERR-002", P).id
NOTIFICATION_URI = R("SEP2-NOTIFICATION-URI", "fail",
                     "A Notification could not be delivered to the client's notificationURI (nothing listening, the "
                     "TLS handshake failed, or the address is not usable)",
                     "IEEE 2030.5-2018 Subscription.notificationURI; CSIP TLS for every 2030.5 exchange", P).id
NOTIFICATION_IGNORED = R("SEP2-NOTIFICATION-IGNORED", "fail",
                         "The client did not act on a notified change in time: it did nothing before a poll would "
                         "have told it", "IEEE 2030.5-2018 Subscription/Notification function set; CSIP CORE-018/019, "
                         "ERR-002", P).id

# Negative data (fuzz suites serve schema-invalid or broken resources; vgitest.sep2.strategies.MUTATION_RULES).
# The DUT is a client: it cannot answer a GET's body with an error code, so what is judged is that it does not
# act on what it could not read (no Response naming the broken event, no change of its output) and goes on polling
# (SEP2-FUZZ-ALIVE). How severe each is, and why:
# * a body that is not well-formed XML: XML 1.0 makes it a fatal error, after which a processor must not go on
#   handing the document's content to the application as usual (§1.2, "fatal error"): acting on it is a FAIL;
# * a well-formed resource that breaks the schema: IEEE 2030.5 defines its resources by the schema, but no clause
#   could be found that tells a client what to do with one that breaks it (ignore it, or use what it can): acting
#   on it is a warning (NON_STRICT; FAIL under --vgi-strict), as a SHOULD;
# * stopping to poll after any of these, or after a broken HTTP answer, is a FAIL: a client that no longer polls
#   the resources it follows fails CSIP CORE-003 (and every control after it), whatever it was sent.
FUZZ_INVALID_RESOURCE = R("SEP2-FUZZ-INVALID-RESOURCE", "warn",
                          "The client acted on a resource that breaks the 2030.5 schema (a required element or "
                          "attribute missing, a value not of its type, outside its bounds, too long, an unknown "
                          "element, a wrong namespace): it answered the broken event or followed the broken "
                          "control", "IEEE 2030.5-2018 schema (sep.xsd), XML representation of resources; CSIP-AUS "
                          "v1.2 (csipaus-core.xsd)", P).id
FUZZ_MALFORMED_RESOURCE = R("SEP2-FUZZ-MALFORMED-RESOURCE", "fail",
                            "The client acted on a resource body that is not well-formed XML (cut short or "
                            "garbled): it answered an event or followed a control read from it",
                            "XML 1.0 §1.2 (fatal errors: no normal processing after one); IEEE 2030.5-2018 XML "
                            "representation of resources", P).id
FUZZ_ALIVE = R("SEP2-FUZZ-ALIVE", "fail",
               "After a broken, generated or unusual answer (a resource broken in one place, a random valid one, a "
               "cut body, a server error, a huge body, a wrong media type) the client did not poll that resource "
               "again within 3 pollRates + tolerance: it stopped following the server",
               "CSIP CORE-003 (the client polls the resources it follows at their pollRate); IEEE 2030.5-2018 "
               "pollRate attribute", P).id

# CSIP-AUS procedures of CACTUS, executed by vgitest.sep2.cactus (suites/csip_aus)
CACTUS_STEPS = R("SEP2-CACTUS-STEPS", "fail",
                 "A step of the CSIP-AUS procedure was not reached: the client did not make the request the step "
                 "waits for (or not while the step's conditions held) in time",
                 "CSIP-AUS client test procedures (BSGIP CACTUS, per procedure)", P).id
CACTUS_CHECK = R("SEP2-CACTUS-CHECK", "fail",
                 "A check of the CSIP-AUS procedure's criteria does not hold (what the client wrote, answered or "
                 "requested)", "CSIP-AUS client test procedures (BSGIP CACTUS, per procedure)", P).id

"""Every OpenADR 3 rule the harness checks, with its stable id (public API like the 2.0b and OCPP ids).

`ref` names sections of the OpenADR 3 specification and RFCs only, never their text. The body checks
(OA3-SCHEMA) run against the user's copy of the OpenAPI document when VGITEST_OPENADR3_SPEC names one, and
otherwise against vgitest's own structural checks (vgitest.openadr3.schema: not the official schema).
"""

from __future__ import annotations

from ..findings import RULES

P = "openadr3"
VERSIONS = ("3.0.1", "3.1.0")


def R(id: str, severity: str, title: str, ref: str = "") -> object:
    """Register an OpenADR 3 rule; it judges 3.0.1 and 3.1.0 frames (the fake VTN plays either, versions.py)."""
    return RULES.add(id, severity, title, ref, P, VERSIONS)


# Transport (every request the VEN sends to the VTN)
HTTP_MALFORMED = R("OA3-HTTP-MALFORMED", "fail", "The request is not valid HTTP/1.1 (framing, headers, another "
                   "protocol on the port)", "RFC 9112").id
HTTP_PATH = R("OA3-HTTP-PATH", "fail", "The request went to a path the OpenADR 3 API does not define (answered 404)",
              "OpenADR 3 OpenAPI paths").id
HTTP_METHOD = R("OA3-HTTP-METHOD", "fail", "The method is not defined for that path (answered 405)",
                "OpenADR 3 OpenAPI paths").id
CONTENT_TYPE = R("OA3-CONTENT-TYPE", "fail", "A request body is not declared as JSON (application/json), or a token "
                 "request is not form-encoded", "OpenADR 3 OpenAPI requestBody; RFC 6749 §4.4.2").id
BODY_TOO_LARGE = R("OA3-BODY-TOO-LARGE", "fail", "The body exceeds the size the harness accepts for one request",
                   "vgitest safety limit (PIXIT max_body_bytes)").id
JSON_MALFORMED = R("OA3-JSON-MALFORMED", "fail", "The body is not valid JSON (or not a JSON object)", "RFC 8259").id
SCHEMA = R("OA3-SCHEMA", "fail", "The body does not conform to the OpenADR 3 object it must be (the user's OpenAPI "
           "document when VGITEST_OPENADR3_SPEC names one, else vgitest's structural checks, which are not the "
           "official schema)", "OpenADR 3 OpenAPI components/schemas").id
QUERY = R("OA3-QUERY", "fail", "A query parameter is out of its range or of the wrong type (skip a non-negative "
          "integer, limit at most 50)", "OpenADR 3 OpenAPI parameters skip, limit").id

# Authorization (OAuth 2 client credentials)
AUTH_MISSING = R("OA3-AUTH-MISSING", "fail", "A resource request came without a valid bearer token (answered 401)",
                 "OpenADR 3 security schemes; RFC 6750 §3.1").id
AUTH_CLIENT = R("OA3-AUTH-CLIENT", "fail", "A token request did not use the client-credentials grant with the "
                "credentials the VEN was given (answered 400/401)", "RFC 6749 §4.4, §5.2").id
FORBIDDEN_WRITE = R("OA3-FORBIDDEN-WRITE", "fail", "A VEN wrote an object only the business logic may write "
                    "(programs, events) or another VEN's object (answered 403)", "OpenADR 3 scopes (write_programs, "
                    "write_events)").id

# Objects and references
NOT_FOUND = R("OA3-NOT-FOUND", "fail", "The request names an object the VTN does not hold (answered 404)",
              "OpenADR 3 OpenAPI responses 404").id
VEN_DUPLICATE = R("OA3-VEN-DUPLICATE", "fail", "The VEN created a second VEN object under a venName it already has "
                  "(answered 409) instead of finding its own", "OpenADR 3 OpenAPI POST /vens 409").id
REPORT_REFERENCE = R("OA3-REPORT-REFERENCE", "fail", "A report names a program or event the VTN does not hold, or an "
                     "event of another program", "OpenADR 3 report programID, eventID").id
REPORT_CONTENT = R("OA3-REPORT-CONTENT", "fail", "A report does not carry the payload type the event's report "
                   "descriptor asked for", "OpenADR 3 event reportDescriptors; report resources").id

# Notifications (webhooks)
NOTIFY_ANSWER = R("OA3-NOTIFY-ANSWER", "fail", "The VEN's callback URL did not accept a notification (no answer or a "
                  "status other than 2xx)", "OpenADR 3 subscription callbackUrl; notification").id

# Scenario expectations (a test waited for a request, or forbade one)
EXPECTED_REQUEST = R("OA3-EXPECTED-REQUEST", "fail", "The VEN did not send a request the scenario requires in time",
                     "vgitest OpenADR 3 cases (per case)").id
FORBIDDEN_REQUEST = R("OA3-FORBIDDEN-REQUEST", "fail", "The VEN sent a request the scenario forbids",
                      "vgitest OpenADR 3 cases (per case)").id

"""OpenADR 2.0b: the fake VTN for a VEN under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..actions import Action, CASES
from ..peer import PeerKind, ReferenceRun

KIND = PeerKind(
    protocol="openadr", rank=2, versions=("2.0b",), make="vgitest.openadr.peer:make",
    simulators={"2.0b": "vgitest.openadr.ven.reference:ReferenceVen"}, listens_on_port=True,
    serve={"vtn": '[dut]\nname = "any VEN"\nprotocol = "openadr"\nversion = "2.0b"\n[adapter]\nkind = "manual"\n'},
    runs=(ReferenceRun("openadr20b", "reference-ven-20b", "openadr20b", expected_s=112),
          ReferenceRun("openadr20b-tls", "reference-ven-20b-tls", "openadr20b", expected_s=122),
          ReferenceRun("openadr20b-push", "reference-ven-20b-push", "openadr20b"),
          ReferenceRun("openadr20b-push-tls", "reference-ven-20b-push-tls", "openadr20b"),
          ReferenceRun("openadr20b-fuzz", "reference-ven-20b", "openadr20b_fuzz", expected_s=75)),
    actions=(
        Action("cancel_registration", "the VEN cancels its registration (oadrCancelPartyRegistration)", (),
               ("openadr",),
               uses=((("openadr20b",), CASES, "the cancellation cases"),)),
        Action("request_event", "the VEN asks for events now (oadrRequestEvent)", (), ("openadr",),
               uses=((("openadr20b",), CASES, "the event request case"),)),
        Action("set_event_opt", "how the VEN answers the next events that need a response (oadrCreatedEvent)",
               (("opt", "optIn or optOut"),), ("openadr",),
               uses=((("openadr20b",), CASES, "the case in which the VEN answers an event optOut (and back to "
                      "optIn)"),)),
        Action("opt_in", "the VEN opts in to an event (oadrCreateOpt)",
               (("event_id", "the eventID the fake VTN sent"),), ("openadr",),
               uses=((("openadr20b",), CASES, "the opt cases"),)),
        Action("opt_out", "the VEN opts out of an event (oadrCreateOpt)",
               (("event_id", "the eventID the fake VTN sent"),), ("openadr",),
               uses=((("openadr20b",), CASES, "the opt cases"),)),
        Action("opt_schedule", "the VEN sends an opt schedule not tied to an event (oadrCreateOpt with availability)",
               (("start", "start of the window, UTC, ISO 8601 (e.g. 2030-01-01T12:00:00Z)"),
                ("duration_s", "length of the window, s"), ("opt", "optIn or optOut"),
                ("opt_id", "the optID the VEN must use")), ("openadr",),
               uses=((("openadr20b",), CASES, "the opt schedule cases"),)),
        Action("cancel_opt", "the VEN cancels an opt schedule (oadrCancelOpt)",
               (("opt_id", "the optID of the schedule"),), ("openadr",),
               uses=((("openadr20b",), CASES, "the opt cancellation case"),)),
    ),
    suites={"openadr20b": "OpenADR 2.0b", "openadr20b_fuzz": "OpenADR 2.0b fuzzing"},
    pics={
        "HttpPull": "the VEN polls the VTN (simple HTTP pull)",
        "HttpPush": "the VEN serves the 2.0b endpoints and takes pushed payloads (a VEN that does both is run once per "
            "exchange model, one profile each)",
        "EiOpt": "the VEN sends opt schedules and opts in/out of events (oadrCreateOpt, oadrCancelOpt)",
        "Reports": "the VEN registers and sends reports (EiReport)",
        "TelemetryStatus": "the VEN offers a TELEMETRY_STATUS report",
        "TelemetryUsage": "the VEN offers a TELEMETRY_USAGE report",
        "Tls": "TLS 1.2 with client certificates (the fake VTN serves https)",
        "XmlSignature": "the VEN signs its payloads (XML signatures)",
        "Xmpp": "the VEN speaks the XMPP transport (the fake VTN serves simple HTTP only)",
    })

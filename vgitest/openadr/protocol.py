"""OpenADR 2.0b: the fake VTN for a VEN under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind

KIND = PeerKind(
    protocol="openadr", rank=2, versions=("2.0b",), make="vgitest.openadr.peer:make",
    simulators={"2.0b": "vgitest.openadr.ven.reference:ReferenceVen"}, listens_on_port=True,
    serve={"vtn": '[dut]\nname = "any VEN"\nprotocol = "openadr"\nversion = "2.0b"\n[adapter]\nkind = "manual"\n'},
    suites={"openadr20b": "OpenADR 2.0b"},
    pics={
        "HttpPull": "the VEN polls the VTN (simple HTTP pull)",
        "HttpPush": "the VEN serves the 2.0b endpoints and takes pushed payloads (a VEN that does both is run once per exchange model, one profile each)",
        "EiOpt": "the VEN sends opt schedules and opts in/out of events (oadrCreateOpt, oadrCancelOpt)",
        "Reports": "the VEN registers and sends reports (EiReport)",
        "TelemetryStatus": "the VEN offers a TELEMETRY_STATUS report",
        "TelemetryUsage": "the VEN offers a TELEMETRY_USAGE report",
        "Tls": "TLS 1.2 with client certificates (the fake VTN serves https)",
        "XmlSignature": "the VEN signs its payloads (XML signatures)",
        "Xmpp": "the VEN speaks the XMPP transport (the fake VTN serves simple HTTP only)",
    })

"""IEEE 2030.5 / CSIP: the fake 2030.5 server for a DER client under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind

KIND = PeerKind(
    protocol="sep2", rank=3, versions=("2018",), make="vgitest.sep2.peer:make",
    simulators={"2018": "vgitest.sep2.client.reference:ReferenceDerClient"}, listens_on_port=True,
    serve={"sep2": '[dut]\nname = "any client"\nprotocol = "sep2"\nversion = "2018"\n[adapter]\nkind = "manual"\n'},
    suites={"csip": "IEEE 2030.5 CSIP"},
    pics={
        "DerClient": "a CSIP DER client (every case needs it)",
        "Aggregator": "the client is an aggregator acting for several DERs (no case is written for it yet)",
        "Alarms": "the client reports alarms (LogEvents)",
        "DerSettings": "the client posts its DER settings",
        "Metering": "the client mirrors its meter readings (MirrorUsagePoint)",
        "Subscriptions": "the client subscribes to resources (a MAY for a CSIP DER client)",
        "Tls": "CSIP TLS with the client's device certificate",
        "InBandRegistration": "the client registers in band (POSTs its EndDevice)",
        "CsipAus": "the client follows CSIP-AUS",
    })

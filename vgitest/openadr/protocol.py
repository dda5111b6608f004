"""OpenADR 2.0b: the fake VTN for a VEN under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind

KIND = PeerKind(
    protocol="openadr", versions=("2.0b",), make="vgitest.openadr.peer:make",
    simulators={"2.0b": "vgitest.openadr.ven.reference:ReferenceVen"}, listens_on_port=True,
    serve={"vtn": '[dut]\nname = "any VEN"\nprotocol = "openadr"\nversion = "2.0b"\n[adapter]\nkind = "manual"\n'})

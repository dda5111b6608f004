"""IEEE 2030.5 / CSIP: the fake 2030.5 server for a DER client under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind

KIND = PeerKind(
    protocol="sep2", versions=("2018",), make="vgitest.sep2.peer:make",
    simulators={"2018": "vgitest.sep2.client.reference:ReferenceDerClient"}, listens_on_port=True,
    serve={"sep2": '[dut]\nname = "any client"\nprotocol = "sep2"\nversion = "2018"\n[adapter]\nkind = "manual"\n'})

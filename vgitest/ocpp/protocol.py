"""OCPP (1.6J, 2.0.1): the fake CSMS for a charging station under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind

KIND = PeerKind(
    protocol="ocpp", versions=("1.6", "2.0.1"), make="vgitest.ocpp.peer:make",
    simulators={"1.6": "vgitest.ocpp.station.v16:Station16", "2.0.1": "vgitest.ocpp.station.v201:Station201"},
    listens_on_port=True,
    serve={"csms": '[dut]\nname = "any station"\nprotocol = "ocpp"\nversion = "1.6"\n[adapter]\nkind = "manual"\n'})

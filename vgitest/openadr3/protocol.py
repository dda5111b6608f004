"""OpenADR 3: the fake VTN for a VEN under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..actions import Action, CASES
from ..peer import PeerKind, ReferenceRun

KIND = PeerKind(
    protocol="openadr3", rank=2, versions=("3.0.1", "3.1.0"), make="vgitest.openadr3.peer:make",
    simulators={"3.0.1": "vgitest.openadr3.ven.reference:ReferenceVen"}, listens_on_port=True,
    serve={"vtn3": '[dut]\nname = "any VEN"\nprotocol = "openadr3"\nversion = "3.0.1"\n[adapter]\nkind = "manual"\n'},
    runs=(ReferenceRun("openadr3", "reference-ven-30", "openadr3", expected_s=15),
          ReferenceRun("openadr3-tls", "reference-ven-30-tls", "openadr3", expected_s=15)),
    actions=(
        Action("unsubscribe", "the VEN deletes its subscription (DELETE /subscriptions/{id})", (), ("openadr3",),
               uses=((("openadr3",), CASES, "the subscription deletion case"),)),
    ),
    suites={"openadr3": "OpenADR 3"},
    pics={
        "Webhooks": "the VEN subscribes to event notifications with a callback URL it serves",
        "Resources": "the VEN registers its resources under its VEN object (/vens/{venID}/resources)",
        "Reports": "the VEN posts reports for events that ask for them (reportDescriptors)",
        "Tls": "the VEN reaches the VTN over HTTPS (the fake VTN serves https with the lab's certificate)",
    })

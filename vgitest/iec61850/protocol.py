"""IEC 61850, the FLOW D3.1 Table 5 EV charging flow: the fake EVSE (an EV under test) or fake EV (an EVSE under
test); the profiles name the reference EV or EVSE ([adapter] simulator).

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind, ReferenceRun

KIND = PeerKind(
    protocol="iec61850", rank=6, versions=("ed2",), make="vgitest.iec61850.peer:make",
    runs=(ReferenceRun("iec61850-evse", "reference-iec61850-evse", "iec61850", expected_s=8),
          ReferenceRun("iec61850-ev", "reference-iec61850-ev", "iec61850", expected_s=8)),
    suites={"iec61850": "IEC 61850 Table 5 flow (MMS, GOOSE, SV)"},
    pics={
        "Evse": "the device under test is an EVSE (the harness plays the EV of the Table 5 flow)",
        "Ev": "the device under test is an EV (the harness plays the EVSE of the Table 5 flow)",
    })

"""ISO 15118-3 SLAC: the fake SLAC EVSE (an EV under test) or fake SLAC EV (an EVSE under test); the
profiles name the reference EV or EVSE ([adapter] simulator).

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind, ReferenceRun

KIND = PeerKind(
    protocol="slac", rank=5, versions=("15118-3",), make="vgitest.slac.peer:make",
    runs=(ReferenceRun("slac-evse", "reference-slac-evse", "slac"),
          ReferenceRun("slac-ev", "reference-slac-ev", "slac"),
          ReferenceRun("slac-fuzz-evse", "reference-slac-evse", "slac_fuzz", expected_s=14),  # issue 15
          ReferenceRun("slac-fuzz-ev", "reference-slac-ev", "slac_fuzz", expected_s=23)),
    suites={"slac": "ISO 15118-3 SLAC", "slac_fuzz": "ISO 15118-3 SLAC fuzzing"},
    pics={
        "Evse": "the device under test is an EVSE (the harness plays the SLAC EV)",
        "Ev": "the device under test is an EV (the harness plays the SLAC EVSE)",
    })

"""ISO 15118-2 / -20 and DIN SPEC 70121: the fake SECC (an EV under test) or fake EVCC (an EVSE under
test); the profiles name the reference EV or EVSE ([adapter] simulator).

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..peer import PeerKind, ReferenceRun

KIND = PeerKind(
    protocol="iso15118", rank=4, versions=("din", "iso-2", "iso-20"), make="vgitest.iso15118.peer:make",
    serve={"secc": '[dut]\nname = "any EV"\nprotocol = "iso15118"\nversion = "iso-2"\nrole = "ev"\n'
                   '[pixit]\nfamilies = ["iso-20", "iso-2", "din"]\n[adapter]\nkind = "manual"\n',
           "evcc": '[dut]\nname = "any EVSE"\nprotocol = "iso15118"\nversion = "iso-2"\nrole = "evse"\n'
                   '[pixit]\nfamilies = ["iso-2", "din"]\n[adapter]\nkind = "manual"\n'},
    runs=(ReferenceRun("din70121-evse", "reference-evse-din", "din70121"),
          ReferenceRun("din70121-ev", "reference-ev-din", "din70121"),
          ReferenceRun("iso15118-2-evse", "reference-evse-iso2", "iso15118_2"),
          ReferenceRun("iso15118-2-ev", "reference-ev-iso2", "iso15118_2"),
          ReferenceRun("iso15118-2-pnc-evse", "reference-evse-iso2-pnc", "iso15118_2"),  # Plug & Charge, TLS 1.2
          ReferenceRun("iso15118-2-pnc-ev", "reference-ev-iso2-pnc", "iso15118_2"),
          ReferenceRun("iso15118-20-evse", "reference-evse-iso20", "iso15118_20"),
          ReferenceRun("iso15118-20-ev", "reference-ev-iso20", "iso15118_20"),
          ReferenceRun("iso15118-20-tls-evse", "reference-evse-iso20-tls", "iso15118_20"),  # TLS 1.3, mutual
          ReferenceRun("iso15118-20-tls-ev", "reference-ev-iso20-tls", "iso15118_20"),
          ReferenceRun("iso15118-2-fuzz-evse", "reference-evse-iso2", "iso15118_2_fuzz", expected_s=15),  # issue 15
          ReferenceRun("iso15118-2-fuzz-ev", "reference-ev-iso2", "iso15118_2_fuzz", expected_s=22),
          ReferenceRun("din70121-fuzz-evse", "reference-evse-din", "din70121_fuzz", expected_s=17),
          ReferenceRun("din70121-fuzz-ev", "reference-ev-din", "din70121_fuzz", expected_s=21),
          ReferenceRun("iso15118-20-fuzz-evse", "reference-evse-iso20", "iso15118_20_fuzz", expected_s=17),
          ReferenceRun("iso15118-20-fuzz-ev", "reference-ev-iso20", "iso15118_20_fuzz", expected_s=20)),
    suites={"din70121": "DIN SPEC 70121", "iso15118_2": "ISO 15118-2", "iso15118_20": "ISO 15118-20",
            "iso15118_2_fuzz": "ISO 15118-2 fuzzing", "din70121_fuzz": "DIN SPEC 70121 fuzzing",
            "iso15118_20_fuzz": "ISO 15118-20 fuzzing"},
    pics={
        "Evse": "the device under test is an EVSE (the harness plays the EV)",
        "Ev": "the device under test is an EV (the harness plays the EVSE)",
        "AC": "AC charging",
        "DC": "DC charging",
        "BPT": "bidirectional power transfer (ISO 15118-20)",
        "PnC": "Plug & Charge (contract certificates over TLS)",
        "Tls": "V2G over TLS",
        "Din": "the device also speaks DIN SPEC 70121",
        "Pause": "the EV can pause a session (SessionStop Pause) and resume it later (ISO 15118-2)",
    })

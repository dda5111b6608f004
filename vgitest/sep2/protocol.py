"""IEEE 2030.5 / CSIP: the fake 2030.5 server for a DER client under test.

What the harness knows of this package (vgitest.peer reads it); the fake peer itself is in peer.py."""

from ..actions import CASES, OPTIONAL, Action
from ..peer import PeerKind, ReferenceRun
from .cactus.gaps import select as _cactus_select
from .cactus.operator_actions import actions as _cactus_operator_actions

KIND = PeerKind(
    protocol="sep2", rank=3, versions=("2018",), make="vgitest.sep2.peer:make",
    simulators={"2018": "vgitest.sep2.client.reference:ReferenceDerClient"}, listens_on_port=True,
    serve={"sep2": '[dut]\nname = "any client"\nprotocol = "sep2"\nversion = "2018"\n[adapter]\nkind = "manual"\n'},
    runs=(ReferenceRun("csip", "reference-der-client-csip", "csip", shards=3, expected_s=526),
          # the subscription cases want a long pollRate (a Notification must not be mistaken for a poll); the rest
          # of the suite is written around a short one and runs in "csip"; ERR_001 (an outage) runs before ERR_002,
          # which shows that the outage leaves the client its subscriptions for the next case
          ReferenceRun("csip-sub", "reference-der-client-csip-sub", "csip",
                       "CORE_018 or CORE_019 or ERR_001 or ERR_002"),
          # the fuzz suite with a 1 s pollRate: every example costs a poll or two (docs/fuzz-suites.md); its cases
          # wait on the client's polls, so three reference clients side by side take a third of the time
          # the CACTUS CSIP-AUS client procedures, their times scaled (cactus_time_scale; docs/csip-aus.md), but for
          # those the reference client does not pass yet (vgitest/sep2/cactus/gaps.py)
          ReferenceRun("csip-aus", "reference-der-client-csip-aus", "csip_aus", _cactus_select(), shards=3,
                       expected_s=1240),
          ReferenceRun("csip-fuzz", "reference-der-client-csip-fuzz", "csip_fuzz", shards=3, expected_s=70)),
    actions=(
        Action("set_power", "the EV's power demand changes (the DER client reports it and follows the controls)",
               (("w", "demand in W; negative: the EV offers to discharge"),), ("sep2",),
               uses=((("csip",), CASES, "the control-mode and metering cases: the EV asks for power, the client "
                      "must follow the controls"),
                     (("csip_aus",), OPTIONAL, "the operator's set-up of GEN-01 and LOA-01 (the DER delivers or draws "
                      "at its rating); without it the operator sets the device up by hand"))),
        Action("alarm", "the DER client raises an alarm (it POSTs a LogEvent)", (), ("sep2",),
               uses=((("csip",), CASES, "the alarm case"),)),
        Action("csip_aus_version", "the DER client speaks that CSIP-AUS version from now on (its namespace and "
               "elements; the tester's choice of version for a CACTUS run)",
               (("version", "v1.2 or v1.3-beta/storage"),), ("sep2",),
               uses=((("csip_aus",), CASES, "a procedure that runs in another version than the client's first "
                      "(PIXIT csip_aus_versions), e.g. the storage procedures in v1.3-beta/storage"),)),
        Action("set_grid", "the grid simulator at the client's point of connection steps to a voltage and frequency",
               (("v", "volts"), ("hz", "hertz")), ("sep2",),
               uses=((("csip",), CASES, "the voltage and frequency cases; the others reset the grid with it when "
                      "it is there"),)),
        # the operator of a CACTUS procedure (vgitest/sep2/cactus/operator.py says which step asks for which)
        *_cactus_operator_actions(),
    ),
    suites={"csip": "IEEE 2030.5 CSIP", "csip_aus": "IEEE 2030.5 CSIP-AUS (CACTUS client procedures)",
            "csip_fuzz": "IEEE 2030.5 CSIP fuzzing"},
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

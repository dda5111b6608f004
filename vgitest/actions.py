"""The physical actions a DUT adapter performs (power_on, plug_in, ...): what the device must do, with which
parameters, and how each suite uses it. The actions every protocol's devices share are here; a protocol package
declares its own in protocol.py (PeerKind.actions). docs/adapters.md is generated from them."""

from __future__ import annotations

import dataclasses

# How much a suite depends on an action (docs/adapters.md):
REQUIRED = "required"  # the suite's reusable states need it: without it most cases are NOT_APPLICABLE
CASES = "some cases"  # the objective of some cases needs it: without it those cases are NOT_APPLICABLE
OPTIONAL = "optional"  # used when the device has it; without it nothing is left out


@dataclasses.dataclass(frozen=True)
class Action:
    """One physical action: what the device must do, its parameters, the protocols whose devices may have it,
    and how each suite uses it: (suites, REQUIRED/CASES/OPTIONAL, when)."""

    name: str
    does: str
    params: tuple[tuple[str, str], ...] = ()  # (name, meaning)
    protocols: tuple[str, ...] = ()
    uses: tuple[tuple[tuple[str, ...], str, str], ...] = ()


OCPP = ("ocpp16", "ocpp201", "ocpp21")
V2G = ("din70121", "iso15118_2", "iso15118_20")
EVERY = ("ocpp16", "ocpp201", "openadr20b", "csip", *V2G, "slac")

SHARED: tuple[Action, ...] = (
    Action("power_on", "switch the device on; it then connects to the fake peer by itself", (),
           ("ocpp", "openadr", "sep2", "iso15118", "slac"),
           uses=((EVERY, OPTIONAL, "once at the start of the run, before the first test needs the device (command adapter "
                  "only)"),)),
    Action("power_off", "switch the device off (connections closed)", (), ("ocpp", "openadr", "sep2")),
    Action("reboot", "power-cycle the device: off, then on; it boots and connects again (OCPP: a new "
           "BootNotification; OpenADR: the VEN queries its registration and polls; IEEE 2030.5: the client walks "
           "again from /dcap; OpenADR 3: the VEN gets a new token and finds its VEN object again)", (),
           ("ocpp", "openadr", "openadr3", "sep2"),
           uses=((("ocpp16", "ocpp201"), REQUIRED, "the boot cases power-cycle the station; the reusable state Booted "
                  "does when the station is not registered or a connector cannot be made idle otherwise (a 2.1 run "
                  "runs these cases of suites/ocpp201 too)"),
                 (("openadr20b",), CASES, "a registration case restarts the VEN"),
                 (("openadr3",), CASES, "the token case and the restart case restart the VEN"),
                 (("csip_aus",), CASES, "CACTUS ALL-30: the operator power-cycles the client while the server "
                  "refuses every request"))),
    Action("plug_in", "connect an EV: OCPP, to the station's connector (it reports Preparing in 1.6, Occupied in "
           "2.0.1); ISO 15118 (EV under test), plug the EV into the harness's EVSE so that it starts a V2G session "
           "with the fake SECC; SLAC, the device starts matching",
           (("connector", "OCPP: the connector (1.6) or EVSE (2.0.1) id, from 1"),
            ("mode", "ISO 15118 EV, optional: the energy transfer the EV asks for (AC, DC, AC_BPT, DC_BPT); OCPP 2.1: "
             "a bidirectional mode (DC_BPT, AC_BPT) plugs in an EV that can discharge (the V2X cases)"),
            ("pause", "ISO 15118 EV, optional: true: the EV pauses the session (it ends with SessionStop Pause)"),
            ("resume", "ISO 15118 EV, optional: true: the EV resumes the session it paused"),
            ("control_mode", "ISO 15118-20 EV, optional: the control mode the EV asks for (Scheduled, Dynamic)")),
           ("ocpp", "iso15118", "slac"),
           uses=((OCPP, REQUIRED, "the reusable state with a running transaction and the transaction cases"),
                 (V2G, REQUIRED, "every EV case (TC_EVCC_*) starts its session with it, some with mode, pause, resume "
                  "or control_mode; not used for an EVSE under test"),
                 (("slac",), OPTIONAL, "each matching session starts with it; without it the device must start "
                  "matching by itself"))),
    Action("unplug", "disconnect the EV (OCPP: from the connector; the station ends a running transaction as "
           "configured and reports the connector Available)",
           (("connector", "OCPP: the connector (1.6) or EVSE (2.0.1) id"),), ("ocpp", "iso15118", "slac"),
           uses=((OCPP, REQUIRED, "cases end their transactions with it; the reusable state Booted unplugs an occupied "
                  "connector"),
                 (("slac",), OPTIONAL, "after each matching session (PIXIT unplug_after_match)"))),
    Action("reregister", "OpenADR: forget the registration and register from scratch "
           "(oadrCreatePartyRegistration); IEEE 2030.5: forget what was discovered and walk again from /dcap; "
           "OpenADR 3: start again from the token (find or create the VEN object and the subscription)",
           (), ("openadr", "openadr3", "sep2"),
           uses=((("openadr20b", "csip"), REQUIRED, "the reusable state Registered (OpenADR) or Following (CSIP) "
                  "when the device is not registered, and the registration cases"),
                 (("openadr3",), REQUIRED, "the reusable state Registered when the VEN is not registered or not "
                  "subscribed, and the registration and subscription cases"),
                 (("csip_aus",), REQUIRED, "every CACTUS procedure: the client walks from /dcap into the "
                  "procedure's own server state"))),
)


def registry() -> tuple[Action, ...]:
    """Every action: the shared ones, then each protocol package's own."""
    from .peer import kinds
    return SHARED + tuple(a for k in kinds() for a in k.actions)

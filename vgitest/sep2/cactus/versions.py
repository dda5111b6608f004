"""Which CSIP-AUS version a CACTUS procedure runs in.

Each procedure lists the versions it targets (``TargetVersions``: v1.2, v1.3-beta/storage, v1.3); CACTUS runs a
procedure in the one version the tester chose for that run. Here the PIXIT ``csip_aus_versions`` lists the versions
the client under test implements, in its order of preference (default v1.2 only). A procedure runs in the first of
them it targets; the fake server speaks that version's namespace and schema for the procedure's time, and the client
is told by the DUT action ``csip_aus_version`` when it must change (docs/csip-aus.md "CSIP-AUS versions").

The v1.3 schema is in no package this harness pins, so v1.3 is never spoken: a procedure that targets v1.3 alone
(the pricing ones) runs in the client's first version, as before this choice existed (their elements are 2030.5's
own). A procedure that targets versions the harness speaks, none of which the client implements, is
NOT_APPLICABLE naming them. Kept free of engine imports: the suite and the docs read it.
"""

from __future__ import annotations

V1_2 = "v1.2"
STORAGE = "v1.3-beta/storage"
SPOKEN = (V1_2, STORAGE)  # the versions the fake server has a schema for (vgitest.sep2.schemas.CSIP_AUS_ENTRIES)
DEFAULT = (V1_2,)


class Unimplemented(LookupError):
    """The procedure targets versions the harness speaks, none of which the client implements."""


def parse(raw: object) -> tuple[str, ...]:
    """The PIXIT ``csip_aus_versions`` (a list, or text separated by spaces or commas) as versions; a version the
    harness does not know is a ValueError (a typo must not quietly drop a procedure)."""
    if raw is None or raw == "":
        return DEFAULT
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(",", " ").split()
    out = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
    unknown = [v for v in out if v not in (*SPOKEN, "v1.3")]
    if unknown:
        raise ValueError(f"csip_aus_versions names unknown CSIP-AUS version(s) {', '.join(unknown)} "
                         f"(known: {', '.join((*SPOKEN, 'v1.3'))})")
    return out or DEFAULT


def choose(targets: tuple[str, ...], client: tuple[str, ...] = DEFAULT) -> str:
    """The version a procedure targeting `targets` runs in for a client implementing `client` (in preference
    order); Unimplemented when it targets spoken versions but none of the client's."""
    spoken_client = [v for v in client if v in SPOKEN]
    for version in spoken_client:
        if version in targets:
            return version
    if not any(v in SPOKEN for v in targets) and spoken_client:
        return spoken_client[0]  # v1.3 alone: no schema here; run in the client's first version (module text)
    raise Unimplemented(f"CSIP-AUS {' or '.join(v for v in targets if v in SPOKEN)} (the client implements "
                          f"{', '.join(client)}: PIXIT csip_aus_versions)")


def may_use_storage(targets: tuple[str, ...]) -> bool:
    """Whether a procedure can run in the v1.3-beta storage version (its storage elements are then served)."""
    return STORAGE in targets


DOC = """## CSIP-AUS versions

Each procedure names the CSIP-AUS versions it targets (v1.2, v1.3-beta/storage, v1.3); CACTUS runs it in the one
version the tester chose. Here the PIXIT `csip_aus_versions` lists the versions the client under test implements, in
its order of preference (default `v1.2`): a procedure runs in the first of them it targets. The fake server then
speaks that version for the procedure's time (the namespace of the `csipaus:` elements, and the schema it validates
against: v1.2's `https://csipaus.org/ns`, or the v1.3-beta storage extension's own namespace
`https://csipaus.org/ns/v1.3-beta/storage`, docs/sep2_server.md), and switches back afterwards. When the version
changes, the client is told first by the DUT action `csip_aus_version` (`version` = the new one; a manual adapter
asks the operator to reconfigure the device, as a CACTUS tester does per run). A client that writes the other
version's elements gets SEP2-SCHEMA findings, as before: a v1.2 client is judged against v1.2 in every procedure that
targets v1.2. The storage elements (`opModStorageTargetW` in controls, `vppModes*`, `setMinWh` in checks) are only
served to, and asked of, a procedure that targets v1.3-beta/storage. A procedure targeting versions the harness
speaks, none of which the client implements, is NOT_APPLICABLE naming them. The v1.3 schema is in no package the
harness pins: a procedure that targets v1.3 alone (PRC-*) runs in the client's first version (its pricing elements
are 2030.5's own).

The reference run's client implements `v1.2 v1.3-beta/storage`: the procedures that target v1.2 run in v1.2, the
storage ones (STO-*) and SDVN-01 in v1.3-beta/storage. In that version the reference client is a storage DER
(`vgitest/sep2/client/storage.py`): it declares its energy rating and reserve (rtgMaxWh, setMaxWh, setMinWh),
apparent and reactive power and power-factor ratings and settings, and VPP mode opModStorageTargetW
(`vppModesSupported`/`vppModesEnabled` bit 0); it moves towards a control's opModStorageTargetW (positive
discharging) within its rates, its stored energy (no discharge at setMinWh, no charge at setMaxWh) and the CSIP-AUS
limits in force; its DERStatus carries its state of charge. It declares its DER again at a DERList read every PIXIT
`der_refresh_s` (6 s in the reference run): STO-05 waits for a DERCapability and DERSettings after a DER read once
the device is registered. Its stored energy moves on the wall clock (not scaled: the client does not know the scale).
"""

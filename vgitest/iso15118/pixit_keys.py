"""The PIXIT keys the ISO 15118 / DIN SPEC 70121 suites and peers read (vgitest.pixit gathers every package's; docs/pixit.md
is generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, Text, key as _k

V2G = ("din70121", "iso15118_2", "iso15118_20")


def prefixed() -> dict[str, tuple[str, object]]:
    """`ev_*` and `evse_*` keys: {key: (what it sets, default)}, from the fake and reference EV and EVSE parameter
    classes (vgitest.iso15118.params)."""
    import dataclasses

    from . import params
    out: dict[str, tuple[str, object]] = {}
    for prefix, cls in (("ev_", params.EvParams), ("evse_", params.EvseParams)):
        for f in dataclasses.fields(cls):
            out[prefix + f.name] = (cls.__name__, getattr(cls(), f.name))
    return out

KEYS: tuple[Key, ...] = (
    _k("tls_material", "\"generated\": a test PKI made for the run (instead of --vgi-tls-cert/-key/-ca)", V2G),
    _k("families", "the protocols the device supports, best first (din, iso-2, iso-20): what the fake EV offers "
       "in supportedAppProtocol, or what the fake EVSE accepts", V2G, Text("[dut] version")),
    _k("mode", "the fake EV's default energy transfer (DC, AC; ISO-20 also DC_BPT, AC_BPT)", V2G, "DC"),
    _k("sdp_target", "EVSE under test: where the fake EVCC sends SDP requests (e.g. ff02::1%eth1)", V2G, "ff02::1"),
    _k("sdp_port", "the SDP port (EVSE under test: the EVSE's; EV under test: the fake SECC's)", V2G, 15118),
    _k("sdp_retries", "SDP requests the fake EVCC sends before it gives up", V2G, 50),
    _k("sdp_bind", "EV under test: the address the fake SECC answers SDP on", V2G, "::"),
    _k("secc_address", "EV under test: the address the fake SECC serves V2G on (an address of the EV's interface)",
       V2G, "::1"),
    _k("secc_port", "EV under test: the TCP port the fake SECC serves V2G on and announces in its SDP answer (0: a "
       "free port picked from secc_port_range)", V2G, 0),
    _k("secc_port_range", "EV under test: where the fake SECC picks its TCP port, \"low-high\" (the dynamic range "
       "ISO 15118-2 §7.10.1.2 asks for)", V2G, "49152-65535"),
    _k("session_wait", "EV under test: how long a case waits for the EV's session after plug_in", V2G, 60, "s"),
    _k("tls", "the fake EVCC asks for TLS (EVSE under test)", V2G, False),
    _k("timers", "a table overriding timers by name (`[pixit.timers]`; names in schemas/budgets/iso15118.toml); "
       "left out: the standard's values", V2G),
    _k("timing_profile", "strict: a side's performance targets are judged; field: reported as INFORMATIONAL", V2G,
       "strict"),
    *(_k(name, f"Plug & Charge with your own material: {what} (PEM path)", V2G) for name, what in (
        ("mo_root", "the MO root certificate"), ("v2g_root", "the V2G root certificate"),
        ("contract_chain", "the contract certificate chain"), ("contract_key", "the contract key"),
        ("cps_leaf_chain", "the certificate provisioning service chain"), ("cps_leaf_key", "its key"),
        ("oem_prov_chain", "the OEM provisioning certificate chain"), ("oem_prov_key", "its key"))),
)

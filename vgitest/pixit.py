"""Every PIXIT key vgitest reads: what it means, its unit and default, and which suites read it.

One name for one meaning across protocol versions. A key that was renamed keeps working under its old name
(an alias) with a deprecation warning; a key nobody reads is a warning too, so that a typo in a profile never
silently leaves a case on its default. `docs/pixit.md` is generated from this registry (`python -m vgitest.docs`).
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

OCPP = ("ocpp16", "ocpp201")
OADR = ("openadr20b",)
CSIP = ("csip",)
V2G = ("din70121", "iso15118_2", "iso15118_20")
SLAC = ("slac",)
SUITE_PROTOCOL = {"ocpp16": "ocpp", "ocpp201": "ocpp", "openadr20b": "openadr", "csip": "sep2",
                  "din70121": "iso15118", "iso15118_2": "iso15118", "iso15118_20": "iso15118", "slac": "slac"}
SUITE_TITLE = {"ocpp16": "OCPP 1.6J (`suites/ocpp16`)", "ocpp201": "OCPP 2.0.1 (`suites/ocpp201`)",
               "openadr20b": "OpenADR 2.0b (`suites/openadr20b`)", "csip": "IEEE 2030.5 CSIP (`suites/csip`)",
               "din70121": "DIN SPEC 70121 (`suites/din70121`)", "iso15118_2": "ISO 15118-2 (`suites/iso15118_2`)",
               "iso15118_20": "ISO 15118-20 (`suites/iso15118_20`)", "slac": "ISO 15118-3 SLAC (`suites/slac`)"}
REQUIRED = object()  # no default: the cases that read the key need it


class Text(str):
    """A default that is a rule, not a value (Text("1 with a [dut] password, else 0"))."""


@dataclasses.dataclass(frozen=True)
class Key:
    """One PIXIT key. `by_suite` gives a suite's own default; `also` other defaults some readers use, as
    (suites, where, value); `reference` marks a key only vgitest's reference simulators read (a vendor's profile
    leaves it out)."""

    name: str
    meaning: str
    suites: tuple[str, ...]
    default: Any = None  # None: unset means "not used" (e.g. optional file paths); REQUIRED: the cases need it
    unit: str = ""
    also: tuple[tuple[tuple[str, ...], str, Any], ...] = ()
    by_suite: tuple[tuple[str, Any], ...] = ()
    aliases: tuple[str, ...] = ()
    reference: bool = False

    @property
    def protocols(self) -> frozenset[str]:
        return frozenset(SUITE_PROTOCOL[s] for s in self.suites)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def _k(name: str, meaning: str, suites: tuple[str, ...], default: Any = None, unit: str = "", **kw: Any) -> Key:
    return Key(name, meaning, suites, default, unit, **kw)


REGISTRY: tuple[Key, ...] = (
    # --- OCPP ------------------------------------------------------------------------------------------------
    _k("connectors", "how many connectors (1.6) or EVSEs with one connector each (2.0.1) the station has", OCPP, 1),
    _k("connector", "the connector (1.6) or EVSE (2.0.1) the cases use", OCPP, 1),
    _k("security_profile", "the OCPP security profile the fake CSMS enforces: 0 none, 1 HTTP Basic over ws://, 2 HTTP "
       "Basic over TLS, 3 TLS with client certificates", OCPP, Text("1 with a [dut] password, else 0")),
    _k("connect_timeout", "how long a (re)connection of the station may take", OCPP, 30, "s",
       also=((("ocpp16",), "the reusable states and boot cases", 10),)),
    _k("heartbeat_interval", "the heartbeat interval the fake CSMS grants in its BootNotification answer", OCPP, 60,
       "s"),
    _k("boot_timeout", "how long from power-on, a reboot or a reset until the station's BootNotification", OCPP, 8,
       "s", by_suite=(("ocpp201", 15),), aliases=("boot_wait",)),
    _k("boot_retry_interval", "the interval the fake CSMS gives in a Pending or Rejected boot answer", OCPP, 2, "s"),
    _k("message_wait", "how long a case waits for a message the scenario requires (OpenADR: plus two poll "
       "intervals; CSIP: plus two pollRates)", OCPP + OADR + CSIP, 10, "s",
       by_suite=(("ocpp16", 5),), also=((("ocpp201",), "the reusable states and the boot cases", 5),
                                        (OADR, "the reusable states", 5)),
       aliases=("message_timeout",)),
    _k("quiet_wait", "how long a case watches for a message the scenario forbids (OpenADR: plus two poll intervals; "
       "CSIP: plus one pollRate)", OCPP + OADR + CSIP, 2, "s"),
    _k("quiet_after_cleanup", "after a case's clean-up (or a preamble that stopped something), how long the station "
       "must have been silent before the next step, so that what the clean-up causes does not land in the next case "
       "(bounded by message_wait)", OCPP, 0.5, "s"),
    _k("heartbeat_test_interval", "the short HeartbeatInterval TC_VGI_HB_01_CS sets to check that the station honours "
       "it (judged with a tolerance that scales with the interval, schemas/budgets/ocpp.toml)", OCPP, 3, "s"),
    _k("read_only_variable", "a variable TC_B_39_CS writes to check that a ReadOnly variable cannot be written, as "
       "\"Component.Variable\" (default: the first ReadOnly variable of the station's FullInventory report)",
       ("ocpp201",)),
    _k("valid_id_token", "an idTag (1.6) or idToken (2.0.1) the station accepts; the fake CSMS authorizes it",
       OCPP, REQUIRED),
    _k("other_id_token", "a second valid idTag, different from valid_id_token (remote start and local "
       "authorization cases)", ("ocpp16",), REQUIRED, aliases=("other_valid_id_token",)),
    _k("invalid_id_token", "an idTag (1.6) or idToken (2.0.1) the fake CSMS answers Invalid", OCPP, REQUIRED),
    _k("id_token_type", "the IdTokenType of the tokens (2.0.1)", ("ocpp201",), "ISO14443"),
    _k("meter_sample_interval", "the station's interval of sampled meter values in a transaction, as configured on "
       "it (1.6 MeterValueSampleInterval, 2.0.1 SampledDataCtrlr.TxUpdatedInterval); the meter cases wait for "
       "samples at this interval. The reference stations start with it", OCPP, 1, "s",
       also=((OCPP, "the reference stations", 60),), aliases=("meter_interval",)),
    _k("connection_timeout", "the station's time from authorization to plug-in before it gives up (1.6 "
       "ConnectionTimeOut, 2.0.1 TxCtrlr.EVConnectionTimeOut); the 1.6 reusable states wait this long (plus 2 s) "
       "for an unplugged connector to be Available. The reference stations start with it", OCPP, 4, "s",
       also=((OCPP, "the reference stations", 30),), aliases=("ev_connection_timeout",)),
    _k("unknown_connector", "a connector id the station does not have", ("ocpp16",), 9),
    _k("unknown_vendor", "a DataTransfer vendorId the station does not know", ("ocpp201",), "com.example.unknown"),
    _k("call_timeout", "how long the reference station waits for an answer of the CSMS (2.0.1: its "
       "OCPPCommCtrlr.MessageTimeout)", OCPP, 10, "s", aliases=("station_call_timeout",), reference=True),
    _k("clock_aligned_interval", "the reference 1.6 station's ClockAlignedDataInterval at start (0: off)",
       ("ocpp16",), 0, "s", reference=True),
    _k("data_transfer_vendor_id", "the one DataTransfer vendorId the reference station knows", OCPP, "org.vgitest",
       aliases=("data_transfer_vendor",), reference=True),
    _k("data_transfer_message_id", "the DataTransfer messageId the reference 1.6 station answers", ("ocpp16",),
       "echo", reference=True),
    _k("late_response_s", "how late the reference station (or DER client) answers with the late_response fault",
       OCPP + CSIP, 3, "s", also=((CSIP, "the reference DER client", 60),), reference=True),
    _k("reboot_delay", "how long the reference 2.0.1 station stays off in a reboot", ("ocpp201",), 0.2, "s",
       reference=True),
    _k("reconnect_delay", "how long the reference 2.0.1 station waits before it reconnects", ("ocpp201",), 0.5, "s",
       reference=True),
    _k("power_w", "the reference 2.0.1 station's maximum power", ("ocpp201",), 11000, "W", reference=True),
    _k("vendor", "the reference 2.0.1 station's vendor name", ("ocpp201",), "vgitest", reference=True),
    _k("model", "the reference 2.0.1 station's model", ("ocpp201",), "VGI-REF-201", reference=True),
    # --- OpenADR 2.0b ------------------------------------------------------------------------------------------
    _k("vtn_id", "the vtnID of the fake VTN", OADR, "VGI-VTN"),
    _k("ven_id", "the venID the fake VTN assigns to the VEN", OADR, "VGI-VEN-1"),
    _k("poll_freq_s", "the poll interval the fake VTN grants (oadrRequestedOadrPollFreq)", OADR, 10, "s"),
    _k("register_wait", "how long a (re)registration may take: OpenADR until the VEN registered, its reports and "
       "its first poll; CSIP until the client walked from /dcap to its DERProgramList (plus two pollRates)",
       OADR + CSIP, 15, "s"),
    _k("max_body_bytes", "the largest request body the fake VTN or 2030.5 server accepts", OADR + CSIP, 1 << 20,
       "bytes"),
    _k("server_pen", "the IANA Private Enterprise Number the fake 2030.5 server puts in bits 0-31 of every mRID it "
       "makes (32473: the PEN RFC 5612 reserves for documentation)", CSIP, 32473),
    _k("pyoadr_tick_s", "how often the pyoadr-ven interop VEN (tests/interop) runs its event loop tick", OADR, 0.1, "s",
       reference=True),
    _k("pyoadr_python", "the interpreter of pyoadr-ven's own virtualenv (tests/interop/oracle_venv.py builds one)",
       OADR, reference=True),
    _k("pyoadr_dir", "where the pyoadr-ven interop VEN keeps its database and logs (default: a new temporary folder)",
       OADR, reference=True),
    _k("tls_material", "\"generated\": a test PKI made for the run (instead of --vgi-tls-cert/-key/-ca)",
       OADR + CSIP + V2G),
    _k("ven_fingerprint", "the OpenADR fingerprint of the VEN's certificate (with your own TLS material)", OADR),
    _k("ven_signing_cert", "a PEM file: the certificate the VEN signs payloads with (default: its TLS client "
       "certificate)", OADR),
    _k("signature_replay_window_s", "how old a signed ReplayProtect timestamp may be", OADR, 5.0, "s"),
    _k("exchange_model", "the reference VEN's exchange model (pull or push)", OADR, "pull", reference=True),
    _k("report_min_period_s", "the reference VEN's shortest report period", OADR, 1, "s", reference=True),
    _k("poll_fallback_s", "the reference VEN's poll interval before the VTN granted one", OADR, 10, "s",
       reference=True),
    _k("event_opt", "how the reference VEN answers events at start (optIn, optOut)", OADR, "optIn", reference=True),
    _k("push_host", "where the reference push VEN listens", OADR, "127.0.0.1", reference=True),
    _k("push_port", "the port the reference push VEN listens on (0: any)", OADR, 0, reference=True),
    _k("xml_signature", "the reference VEN signs its payloads", OADR, False, reference=True),
    # --- IEEE 2030.5 CSIP ---------------------------------------------------------------------------------------
    _k("poll_rate_s", "the pollRate the fake server gives", CSIP, 900, "s"),
    _k("event_lead_s", "how far ahead a case schedules an event (the client must see it before it starts)", CSIP,
       Text("3 pollRates"), "s"),
    _k("notification_wait", "how long a subscribed client may take to act on a Notification", CSIP, 5, "s"),
    _k("notification_timeout_s", "how long the fake server waits for the client's listener to answer a "
       "Notification", CSIP, 5, "s"),
    _k("lfdi", "the client's LFDI, for out-of-band registration", CSIP),
    _k("pin", "the client's Registration PIN", CSIP, 111115),
    _k("registration", "out_of_band: the fake server knows the client (lfdi, pin) before it connects", CSIP,
       "out_of_band"),
    _k("chain_depth", "the depth of the fake server's certificate chain with the generated PKI (2 to 4)", CSIP, 3),
    _k("nominal_v", "the grid's nominal voltage when the client PUTs no setVRef", CSIP, 240, "V"),
    _k("nominal_hz", "the grid's nominal frequency", CSIP, 60, "Hz"),
    _k("power_tolerance_pct", "how far a reported W or var may be from what a control asks", CSIP, 2, "% of setMaxW"),
    _k("open_loop_s", "the open-loop response time the curve cases ask for", CSIP, 1, "s"),
    _k("post_rate_s", "how often the reference client posts its readings", CSIP, Text("its pollRate"), "s",
       reference=True),
    _k("register_when_unlisted", "the reference client registers itself when the server does not list it", CSIP,
       False, reference=True),
    _k("subscribe", "the reference client subscribes and listens for Notifications", CSIP, False, reference=True),
    _k("notify_port", "the port the reference client's Notification listener takes (0: any)", CSIP, 0,
       reference=True),
    _k("rtg_max_w", "the reference client's rated maximum power", CSIP, 7000, "W", reference=True),
    _k("demand_w", "the reference client's demand at start", CSIP, Text("rtg_max_w"), "W", reference=True),
    _k("set_grad_w", "the reference client's own ramp rate setGradW (0: no limit)", CSIP, 0, "0.01 %/s",
       reference=True),
    _k("random_seed", "the seed of the reference client's random choices", CSIP, reference=True),
    # --- ISO 15118 / DIN SPEC 70121 -----------------------------------------------------------------------------
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
    _k("timers", "a table overriding timers by name (`[pixit.timers]`; names in schemas/budgets/iso15118.toml and "
       "docs/slac.md); left out: the standard's values", V2G + SLAC),
    _k("timing_profile", "strict: a side's performance targets are judged; field: reported as INFORMATIONAL", V2G,
       "strict"),
    *(_k(name, f"Plug & Charge with your own material: {what} (PEM path)", V2G) for name, what in (
        ("mo_root", "the MO root certificate"), ("v2g_root", "the V2G root certificate"),
        ("contract_chain", "the contract certificate chain"), ("contract_key", "the contract key"),
        ("cps_leaf_chain", "the certificate provisioning service chain"), ("cps_leaf_key", "its key"),
        ("oem_prov_chain", "the OEM provisioning certificate chain"), ("oem_prov_key", "its key"))),
    # --- SLAC ---------------------------------------------------------------------------------------------------
    _k("interface", "the interface the fake SLAC peer uses; veth: a veth pair in network namespaces the run makes",
       SLAC, "veth"),
    _k("netns", "the network namespace of `interface`", SLAC),
    _k("slac_init_timeout", "how long the fake SLAC EVSE waits for the EV's first message", SLAC, Text("the standard's"),
       "s"),
    _k("match_session_timeout", "how long a matching session may take", SLAC, Text("the standard's"), "s"),
    _k("settle_s", "how long the fake peer lets the link settle after a session", SLAC, 0.1, "s"),
    _k("start_delay_s", "how long the fake SLAC EV waits after plug_in before it starts", SLAC, 0.0, "s"),
    _k("unplug_after_match", "unplug (adapter action) after each matching session", SLAC, True),
    _k("attenuation_db", "the attenuation the reference SLAC device reports", SLAC, 20, "dB", reference=True),
)
BY_NAME = {k.name: k for k in REGISTRY}
ALIASES = {a: k.name for k in REGISTRY for a in k.aliases}
# ISO 15118 fake/reference EV and EVSE parameters: `ev_<field>` / `evse_<field>` (vgitest.iso15118.params)
PREFIXES = {"ev_": "EvParams", "evse_": "EvseParams"}


def prefixed_fields() -> dict[str, tuple[str, Any]]:
    """`ev_*` and `evse_*` keys: {key: (what it sets, default)} from the EV and EVSE parameter classes."""
    from .iso15118 import params
    out: dict[str, tuple[str, Any]] = {}
    for prefix, cls_name in PREFIXES.items():
        cls = getattr(params, cls_name)
        for f in dataclasses.fields(cls):
            out[prefix + f.name] = (cls_name, getattr(cls(), f.name))
    return out


@dataclasses.dataclass(frozen=True)
class Problem:
    key: str
    text: str
    fatal: bool = False  # a misspelling of a known key: the profile is refused (the rest are warnings)


def check(pixit: dict[str, Any], protocol: str | None) -> tuple[dict[str, Any], list[Problem]]:
    """The PIXIT with old names replaced by their current ones, and what is wrong with it: a deprecated name, a
    key nobody reads (fatal when it is close to a known name: a misspelling), a key of another protocol."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    prefixed = prefixed_fields() if protocol in (None, "iso15118") else {}
    known = set(BY_NAME) | set(prefixed)
    for key, value in pixit.items():
        if key in ALIASES:
            new = ALIASES[key]
            if new in pixit:
                problems.append(Problem(key, f"PIXIT key '{key}' is the old name of '{new}', which the profile also "
                                             f"sets; '{key}' is ignored"))
                continue
            problems.append(Problem(key, f"PIXIT key '{key}' is deprecated: rename it to '{new}' (read as '{new}' "
                                         "for now)"))
            out[new] = value
            continue
        out[key] = value
        entry = BY_NAME.get(key)
        if entry is None and key not in known:
            close = difflib.get_close_matches(key, sorted(known | set(ALIASES)), n=1, cutoff=0.75)
            if close:  # a misspelling would silently leave the cases on the key's default: refused
                problems.append(Problem(key, f"unknown PIXIT key '{key}' (did you mean '{close[0]}'?): no suite "
                                             "reads it (docs/pixit.md lists every key)", fatal=True))
            else:  # far from every known key: a vendor's own key, read by its own tests
                problems.append(Problem(key, f"unknown PIXIT key '{key}': no suite reads it, so it has no effect "
                                             "(docs/pixit.md lists every key)"))
        elif entry is not None and protocol and protocol not in entry.protocols:
            problems.append(Problem(key, f"PIXIT key '{key}' is not read for protocol {protocol} (only "
                                         f"{', '.join(sorted(entry.protocols))}): it has no effect"))
    return out, problems


def canonical(key: str) -> str:
    """The current name of a PIXIT key (itself, or what an old name was renamed to)."""
    return ALIASES.get(key, key)


SUITE_OF_VERSION = {("ocpp", "1.6"): "ocpp16", ("ocpp", "2.0.1"): "ocpp201"}  # where one protocol has a suite per version


def missing_required(pixit: dict[str, Any], protocol: str, version: str | None = None) -> list[Key]:
    """Keys the cases of this protocol (and version, where each version has its own suite) need and the profile
    does not set."""
    suite = SUITE_OF_VERSION.get((protocol, str(version)))
    return [k for k in REGISTRY if k.required and k.name not in pixit
            and (suite in k.suites if suite else protocol in k.protocols)]


def _value(v: Any) -> str:
    if v is None:
        return "(unset)"
    if v is REQUIRED:
        return "**required**"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Text):
        return str(v)
    if isinstance(v, str):
        return f'`"{v}"`'
    if isinstance(v, bytes):
        return f"`{v.hex()}`" if len(v) <= 8 else f"{len(v)} bytes"
    return f"`{v}`"


def _default(k: Key, suite: str | None = None) -> str:
    text = _value(dict(k.by_suite).get(suite, k.default) if suite else k.default)
    also = [f"{_value(v)} in {where}" for suites, where, v in k.also if suite is None or suite in suites]
    return text + (f" ({'; '.join(also)})" if also else "")


def markdown() -> str:
    """docs/pixit.md."""
    lines = ["# PIXIT keys", "",
             "The `[pixit]` table of a profile gives the parameters of the device under test and of the run. This",
             "page lists every key vgitest reads, per suite: what it means, its unit and its default when the",
             "profile leaves it out. It is generated from `vgitest/pixit.py` (`python -m vgitest.docs`).", "",
             "A key no suite reads that is close to one a suite reads is a misspelling, and the profile is refused",
             "(`dut.toml:7: [pixit] mesage_wait: unknown PIXIT key 'mesage_wait' (did you mean 'message_wait'?)`),",
             "so that a typo never silently leaves a case on its default. Any other unknown key is a warning with",
             "the line of the profile (a vendor's own tests may read their own keys); `vgitest profile check",
             "PROFILE` prints both. A renamed key still works under its old name, with a deprecation warning (see",
             "the last table). **required** keys have no default: the cases that read them need them.", "",
             "## Profile validation", "",
             "Before a run the whole profile is validated (`vgitest/profilevalidate.py`); each problem is one line,",
             "`file:line: [section] key: what is wrong`, with the closest known name for a typo, and the run does not",
             "start (pytest: a usage error, exit 4; `vgitest run` and `vgitest profile check`: exit 2):", "",
             "- a section other than `[dut]`, `[pics]`, `[pixit]`, `[adapter]` (`[adapter.commands]`),",
             "  `[budgets.<protocol>]` and `[validation]`; an unknown key in `[dut]`, `[adapter]`, `[validation]`,",
             "  or in `[adapter.commands]` (the actions of docs/adapters.md);",
             "- a `[dut] protocol` other than ocpp, openadr, sep2, iso15118, slac; a `version` no suite is written",
             "  for; a `role` other than ev, evse; an adapter `kind` other than simulated, manual, command;",
             "- a `[pics]` feature docs/pics.md does not list for the protocol (`RemoteTriger`: did you mean",
             "  'RemoteTrigger'?), or a value that is not true/false;",
             "- a PIXIT key close to a known one (a misspelling: `conect_timeout`, did you mean 'connect_timeout'?);",
             "- a PIXIT value of the wrong type for the key's default (`heartbeat_interval = \"fast\"`: must be a",
             "  number), a negative number; a budget of `[budgets.<protocol>]` that schemas/budgets/ does not define,",
             "  or that is not a number of seconds.", "",
             "When the profile is valid, a fixed `--vgi-port` that is already in use is one line naming host:port, and",
             "a `--vgi-reports` folder that cannot be written one line naming the folder, both before the first test.",
             "An unknown PIXIT key far from every known one stays a warning, since a vendor's own tests may read",
             "their own keys.", ""]
    for suite, title in SUITE_TITLE.items():
        keys = [k for k in REGISTRY if suite in k.suites and not k.reference]
        lines += [f"## {title}", "", "| key | meaning | unit | default |", "|---|---|---|---|"]
        lines += [f"| `{k.name}` | {k.meaning} | {k.unit} | {_default(k, suite)} |" for k in keys]
        if SUITE_PROTOCOL[suite] == "iso15118":
            lines.append("| `ev_*`, `evse_*` | the fake (or reference) EV's and EVSE's parameters: see below | | |")
        lines.append("")
    lines += ["## The fake EV and EVSE (`ev_*`, `evse_*`)", "",
              "For an EVSE under test `ev_*` keys set the fake EV, for an EV under test `evse_*` keys set the fake",
              "EVSE (the reference devices read the other prefix for themselves). Each sets one field of",
              "`vgitest/iso15118/params.py` (`ev_max_a` sets `EvParams.max_a`).", "",
              "| key | default |", "|---|---|"]
    lines += [f"| `{name}` | {_value(default)} |" for name, (_, default) in sorted(prefixed_fields().items())]
    lines += ["", "## Keys only the reference simulators read", "",
              "vgitest's own devices (the `simulated` adapter, `vgitest station`, `vgitest ven`) read these; a",
              "vendor's profile leaves them out.", "",
              "| key | protocol | meaning | unit | default |", "|---|---|---|---|---|"]
    lines += [f"| `{k.name}` | {', '.join(sorted(k.protocols))} | {k.meaning} | {k.unit} | {_default(k)} |"
              for k in REGISTRY if k.reference]
    lines += ["", "## Renamed keys", "",
              "One name for one meaning in every protocol version. The old names are read as the new ones, with a",
              "deprecation warning.", "", "| old name | new name |", "|---|---|"]
    lines += [f"| `{old}` | `{new}` |" for old, new in sorted(ALIASES.items())]
    return "\n".join(lines) + "\n"

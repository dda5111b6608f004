"""The PIXIT keys the IEEE 2030.5 CSIP suites and peers read (vgitest.pixit gathers every package's; docs/pixit.md
is generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, Text, key as _k

CSIP = ("csip",)
AUS = ("csip_aus",)

KEYS: tuple[Key, ...] = (
    _k("message_wait", "how long a case waits for a message the scenario requires, plus two pollRates", CSIP + AUS, 10,
       "s", aliases=("message_timeout",)),
    _k("quiet_wait", "how long a case watches for a message the scenario forbids, plus one pollRate", CSIP, 2, "s"),
    _k("register_wait", "how long a (re)registration may take: until the client walked from /dcap to its "
       "DERProgramList, plus two pollRates", CSIP + AUS, 15, "s"),
    _k("max_body_bytes", "the largest request body the fake 2030.5 server accepts", CSIP, 1 << 20, "bytes"),
    _k("tls_material", "\"generated\": a test PKI made for the run (instead of --vgi-tls-cert/-key/-ca)", CSIP),
    _k("late_response_s", "how late the reference DER client answers with the late_response fault", CSIP, 60, "s",
       reference=True),
    _k("server_pen", "the IANA Private Enterprise Number the fake 2030.5 server puts in bits 0-31 of every mRID it "
       "makes (32473: the PEN RFC 5612 reserves for documentation)", CSIP, 32473),
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
    _k("csip_aus", "the reference client runs in CSIP-AUS mode: it takes the CSIP-AUS extensions when it checks "
       "what it reads against the schema, declares its DOE modes and follows the CSIP-AUS limits", CSIP + AUS, False,
       reference=True),
    _k("csip_aus_versions", "the CSIP-AUS versions the client implements, in its order of preference (v1.2, "
       "v1.3-beta/storage): a CACTUS procedure runs in the first it targets, the client told by the DUT action "
       "csip_aus_version when that changes (docs/csip-aus.md)", AUS, "v1.2"),
    _k("cactus_time_scale", "the factor a CACTUS procedure's times are run at: pollRates and postRates it sets, "
       "waits, control starts, durations and randomization (1: as written; docs/csip-aus.md); the reference client's "
       "ramps run at it too", AUS, 1),
    _k("notify_port", "the port the reference client's Notification listener takes (0: any)", CSIP, 0,
       reference=True),
    _k("rtg_max_w", "the reference client's rated maximum power", CSIP, 7000, "W", reference=True),
    _k("der_refresh_s", "how often the reference client declares its DERCapability, DERSettings, DERStatus and "
       "DERAvailability again, at its next read of its DERList (0: once per walk from the DeviceCapability)", CSIP,
       0, "s", reference=True),
    _k("rtg_max_wh", "the reference client's energy rating in CSIP-AUS v1.3-beta storage mode (rtgMaxWh, setMaxWh)",
       AUS, 13500, "Wh", reference=True),
    _k("set_min_wh", "the reference client's storage reserve in CSIP-AUS v1.3-beta storage mode (setMinWh)", AUS,
       Text("10 % of rtg_max_wh"), "Wh", reference=True),
    _k("demand_w", "the reference client's demand at start", CSIP, Text("rtg_max_w"), "W", reference=True),
    _k("set_grad_w", "the reference client's own ramp rate setGradW (0: no limit)", CSIP, 0, "0.01 %/s",
       reference=True),
    _k("site_load_w", "in CSIP-AUS mode, the site load beside the reference client's DER (its site readings: load "
       "plus the EVSE's draw; the import and export limits hold at the connection point)", AUS, 0, "W",
       reference=True),
    _k("storage_wh", "in CSIP-AUS mode, the EV battery the reference client reports as stored energy (half full at "
       "start)", AUS, 60000, "Wh", reference=True),
    _k("random_seed", "the seed of the reference client's random choices", CSIP, reference=True),
    _k("connection_point_id", "the connection point identifier (NMI) the reference client writes to its CSIP-AUS "
       "ConnectionPoint (none: it writes none)", CSIP, reference=True),
    _k("der_units", "how many DER units the reference client has behind its one DER resource (the DUT action "
       "der_units_off powers them off; CACTUS MUL-01)", CSIP + AUS, 1, reference=True),
)

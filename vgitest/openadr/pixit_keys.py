"""The PIXIT keys the OpenADR 2.0b suites and peers read (vgitest.pixit gathers every package's; docs/pixit.md
is generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, key as _k

OADR = ("openadr20b",)
BOTH = ("openadr20b", "openadr20b_fuzz")  # the fuzz suite waits with the same timers and reusable state

KEYS: tuple[Key, ...] = (
    _k("vtn_id", "the vtnID of the fake VTN", BOTH, "VGI-VTN"),
    _k("ven_id", "the venID the fake VTN assigns to the VEN", BOTH, "VGI-VEN-1"),
    _k("poll_freq_s", "the poll interval the fake VTN grants (oadrRequestedOadrPollFreq)", BOTH, 10, "s"),
    _k("message_wait", "how long a case waits for a message the scenario requires, plus two poll intervals", BOTH,
       10, "s", also=((OADR, "the reusable states", 5),), aliases=("message_timeout",)),
    _k("quiet_wait", "how long a case watches for a message the scenario forbids, plus two poll intervals", OADR, 2,
       "s"),
    _k("register_wait", "how long a (re)registration may take: until the VEN registered, its reports and its first "
       "poll", BOTH, 15, "s"),
    _k("max_body_bytes", "the largest request body the fake VTN accepts", BOTH, 1 << 20, "bytes"),
    _k("pyoadr_tick_s", "how often the pyoadr-ven interop VEN (tests/interop) runs its event loop tick", OADR, 0.1, "s",
       reference=True),
    _k("pyoadr_python", "the interpreter of pyoadr-ven's own virtualenv (tests/interop/oracle_venv.py builds one)",
       OADR, reference=True),
    _k("pyoadr_dir", "where the pyoadr-ven interop VEN keeps its database and logs (default: a new temporary folder)",
       OADR, reference=True),
    _k("tls_material", "\"generated\": a test PKI made for the run (instead of --vgi-tls-cert/-key/-ca)", OADR),
    _k("ven_fingerprint", "the OpenADR fingerprint of the VEN's certificate (with your own TLS material)", OADR),
    _k("ven_signing_cert", "a PEM file: the certificate the VEN signs payloads with (default: its TLS client "
       "certificate)", OADR),
    _k("signature_replay_window_s", "how old a signed ReplayProtect timestamp may be", OADR, 5.0, "s"),
    _k("exchange_model", "the reference VEN's exchange model (pull or push)", OADR, "pull", reference=True),
    _k("report_min_period_s", "the reference VEN's shortest report period", OADR, 1, "s", reference=True),
    _k("poll_fallback_s", "the reference VEN's poll interval before the VTN granted one", OADR, 10, "s",
       reference=True),
    _k("event_opt", "how the VEN answers a new event it has not been told to opt out of (optIn, optOut); the "
       "event life-cycle model expects it, and the reference VEN starts with it", OADR, "optIn"),
    _k("push_host", "where the reference push VEN listens", OADR, "127.0.0.1", reference=True),
    _k("push_port", "the port the reference push VEN listens on (0: any)", OADR, 0, reference=True),
    _k("xml_signature", "the reference VEN signs its payloads", OADR, False, reference=True),
)

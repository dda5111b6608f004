"""The PIXIT keys the OpenADR 3 suite and fake VTN read (vgitest.pixit gathers every package's; docs/pixit.md is
generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, key as _k

OA3 = ("openadr3",)

KEYS: tuple[Key, ...] = (
    _k("client_id", "the OAuth client id the VEN is given (the fake VTN issues tokens to it)", OA3, "vgi-ven"),
    _k("client_secret", "the OAuth client secret the VEN is given", OA3, "vgi-secret"),
    _k("poll_wait", "how long a case waits for the VEN to read the events (at least its polling interval)", OA3, 5,
       "s"),
    _k("message_wait", "how long a case waits for a request the scenario requires", OA3, 5, "s"),
    _k("register_wait", "how long a (re)registration may take: token, VEN object, subscription, first read of the "
       "events", OA3, 10, "s"),
    _k("max_body_bytes", "the largest request body the fake VTN accepts", OA3, 1 << 20, "bytes"),
    _k("tls_material", "\"generated\": a test certificate made for the run (instead of --vgi-tls-cert/-key)", OA3),
    _k("ven_poll_s", "how often the reference VEN reads the events", OA3, 1.0, "s", reference=True),
    _k("webhook_host", "where the reference VEN's webhook listens", OA3, "127.0.0.1", reference=True),
    _k("webhook_port", "the port of the reference VEN's webhook (0: any)", OA3, 0, reference=True),
)

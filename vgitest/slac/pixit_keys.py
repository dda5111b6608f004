"""The PIXIT keys the SLAC suites and peers read (vgitest.pixit gathers every package's; docs/pixit.md
is generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, Text, key as _k

SLAC = ("slac", "slac_fuzz")  # the fuzz suite runs the same fake peers

KEYS: tuple[Key, ...] = (
    _k("timers", "a table overriding timers by name (`[pixit.timers]`; names in docs/slac.md); left out: the "
       "standard's values", SLAC),
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

"""The PIXIT keys the IEC 61850 suite and peers read (vgitest.pixit gathers every package's; docs/pixit.md is
generated from them)."""

from __future__ import annotations

from ..pixitkey import Key, key as _k

S = ("iec61850",)

KEYS: tuple[Key, ...] = (
    _k("interface", "the link of the Table 5 flow; veth: a veth pair in network namespaces the run makes (the only "
       "one supported yet)", S, "veth"),
    _k("step_timeout_s", "how long the harness waits for the device's next step of the flow", S, 3.0, "s"),
    _k("settle_s", "how long the harness keeps listening after its role ended (retransmissions are evidence)", S,
       0.3, "s"),
    _k("sv_id", "the svID the EV under test is configured to publish its SoC updates with", S, "EV1SoC"),
)

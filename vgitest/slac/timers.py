"""SLAC timers and counters as one value object, read from ``schemas/budgets/slac.toml``.

The emulated roles run on these values and the checks judge against the same ones, so a PIXIT-style
override (``Budgets.override("slac", ...)``) changes both consistently.
"""

from __future__ import annotations

import dataclasses

from ..budgets import Budgets

PROTOCOL = "slac"


@dataclasses.dataclass(frozen=True)
class SlacTimers:
    match_response: float = 0.2
    match_sequence: float = 0.4
    ev_atten_results: float = 1.2
    evse_match_mnbc: float = 0.6
    batch_interval: float = 0.03
    batch_min: float = 0.02
    batch_max: float = 0.05
    batch_tolerance: float = 0.005
    evse_slac_init: float = 40.0
    evse_match_session: float = 10.0
    num_sounds: int = 10
    start_atten_inds: int = 3
    match_retry: int = 2
    time_out_units: int = 6

    @classmethod
    def from_budgets(cls, budgets: Budgets | None = None) -> SlacTimers:
        b = budgets or Budgets.load()

        def v(name: str) -> float:
            value = b.timing(PROTOCOL, name).value_s
            if value is None:
                raise ValueError(f"slac budget {name} has no value_s")
            return float(value)

        def extra(name: str, key: str) -> float:
            return float(b.timing(PROTOCOL, name).extra[key])

        return cls(
            match_response=v("tt_match_response"), match_sequence=v("tt_match_sequence"),
            ev_atten_results=v("tt_ev_atten_results"), evse_match_mnbc=v("tt_evse_match_mnbc"),
            batch_interval=v("tp_ev_batch_msg_interval"), batch_min=extra("tp_ev_batch_msg_interval", "min_s"),
            batch_max=extra("tp_ev_batch_msg_interval", "max_s"),
            batch_tolerance=extra("tp_ev_batch_msg_interval", "tolerance_s"),
            evse_slac_init=v("tt_evse_slac_init"), evse_match_session=v("tt_evse_match_session"),
            num_sounds=int(extra("c_ev_match_mnbc", "count")),
            start_atten_inds=int(extra("c_ev_start_atten_char_inds", "count")),
            match_retry=int(extra("c_ev_match_retry", "count")),
            time_out_units=int(extra("tt_evse_match_mnbc", "time_out_units")))

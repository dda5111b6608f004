"""The fake SECC excuses an EV that ends a session without SessionStop only when the case changed the EVSE in a
way an EV may answer by stopping. "Ongoing" rounds are a normal flow every EV must go through: Josev's ISO-20 EV
closing after one ScheduleExchange Ongoing answer (ScheduleExchange_001) used to go unjudged (FAIL without a rule
id) because any change of the fake EVSE's parameters excused V2G-SESSION-STOP."""

from __future__ import annotations

import dataclasses

import pytest

from vgitest.iso15118.params import EvseParams


@pytest.mark.parametrize("change", [{"cpd_rounds": 2}, {"auth_rounds": 1}, {"cable_check_rounds": 5},
                                    {"precharge_step_v": 100.0}, {"iso20_price_schedule": "absolute"}])
def test_normal_flows_excuse_nothing(change: dict) -> None:
    base = EvseParams()
    assert not dataclasses.replace(base, **change).excuses_an_early_stop(base)


@pytest.mark.parametrize("change", [{"max_v": 100.0}, {"payment_options": ("Contract",)}, {"iso20_services": (1,)},
                                    {"precharge_step_v": 0.0}, {"cable_check_rounds": 1000}])
def test_limits_and_offers_the_ev_may_refuse_excuse_an_early_stop(change: dict) -> None:
    base = EvseParams()
    assert dataclasses.replace(base, **change).excuses_an_early_stop(base)

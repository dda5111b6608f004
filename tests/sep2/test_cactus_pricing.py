"""The CACTUS pricing and route types (vgitest.sep2.cactus.pricing) without a client: the actions shape the fake
server's tariffs and routes (times scaled), the price-response check passes and fails on records, the endpoint map
and the support decision name what cannot be judged."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

from vgitest.sep2 import routes
from vgitest.sep2.ausdata import TimeTariffInterval
from vgitest.sep2.cactus import actions, checks, paths, pricing, procedures, support
from vgitest.sep2.cactus.context import Context
from vgitest.sep2.cactus.procedures import Action, Check
from vgitest.sep2.handlers import RESPONSES
from vgitest.sep2.resources import Sep2State
from vgitest.trace import Trace

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E3100000000"


def _ctx() -> Context:
    state = Sep2State()
    server = types.SimpleNamespace(trace=Trace(), outage_until=0.0)
    session = types.SimpleNamespace(state=state, server=server, subscriptions=lambda glob: [])
    ctx = Context(session, scale=1 / 30, lfdi=LFDI, steps=("A",))
    state.register_device(LFDI)
    return ctx


def _act(ctx: Context, type_: str, **params: Any) -> None:
    actions.run(ctx, [Action(type_, params)])


def _tariffs(ctx: Context) -> None:
    _act(ctx, "create-tariff-profile", primacy=0, fsa_id=1, price_pow_10_multiplier=-4)
    _act(ctx, "create-rate-component", flow_direction=1, power_of_ten_multiplier=0, uom=72, tag="RC1")
    _act(ctx, "create-rate-component", uom=195, power_of_ten_multiplier=0, tag="RC2")
    _act(ctx, "create-time-tariff-interval", rate_component_tag="RC1", start="$(now + '300 seconds')",
         duration_seconds=600, price_pow10_encoded_block0=1, price_pow10_encoded_block1=2,
         price_start_pow10_block1=100, tag="T1")
    _act(ctx, "create-time-tariff-interval", rate_component_tag="RC2", start="$(now_day)", duration_seconds=86400,
         price_pow10_encoded_block0=3, tag="T2")


def test_the_actions_make_tariffs_with_scaled_times() -> None:
    ctx = _ctx()
    st = ctx.state
    before = st.now()
    _tariffs(ctx)
    assert st.aus.pricing and len(st.aus.tariffs) == 1
    tp = st.aus.tariffs[0]
    assert tp.price_pow10 == -4 and tp.fsa == ctx.groups[1]
    rc1, rc2 = tp.components
    assert rc1.reading_type == {"flowDirection": 1, "powerOfTenMultiplier": 0, "uom": 72}
    t1, t2 = rc1.intervals[0], rc2.intervals[0]
    assert before + 10 <= t1.event.start <= st.now() + 10  # 300 s ahead at 1/30
    assert t1.event.duration == 20 and t1.blocks == [(0, 1), (100, 2)]
    assert t1.event.response_required == pricing.RESPONSE_REQUIRED
    # now_day: the start of today (AEST), its distance from now scaled: in force now for its (scaled) day
    assert t2.event.start <= st.now() < t2.event.start + t2.event.duration
    assert t2.event.duration == 2880
    with pytest.raises(Exception, match="never made"):
        _act(ctx, "create-time-tariff-interval", rate_component_tag="RC9", start="$(now)", duration_seconds=60,
             price_pow10_encoded_block0=1)


def test_now_hour_and_now_day_are_the_starts_of_the_period() -> None:
    ctx = _ctx()
    hour, day = ctx.value("$(now_hour)"), ctx.value("$(now_day)")
    now = ctx.state.now()
    assert -3600 < hour.offset <= 0 and (now + hour.offset) % 3600 == 0
    assert -86400 < day.offset <= 0 and (now + day.offset + pricing.AEST_S) % 86400 == 0


def test_cancel_and_delete() -> None:
    ctx = _ctx()
    _tariffs(ctx)
    _act(ctx, "cancel-time-tariff-intervals", tag="T1")
    t1, t2 = (ctx.tags["T1"], ctx.tags["T2"])
    assert t1.event.status == 2 and t2.event.status == 0
    _act(ctx, "cancel-time-tariff-intervals")
    assert t2.event.status == 2
    _act(ctx, "delete-rate-component", tag="RC1")
    assert [rc.tag for rc in ctx.state.aus.tariffs[0].components] == ["RC2"]


def test_routes_use_the_runs_random_paths() -> None:
    ctx = _ctx()
    _act(ctx, "create-wellknown-route", version="https://csipaus.org/ns/v1.3", dcap_paths=["$randuri_3"])
    _act(ctx, "create-wellknown-route", version="null", dcap_paths=["$randuri_2"])
    _act(ctx, "add-proxy-route", route="$randuri_3", proxy_to="/dcap")
    r3, r2 = ctx.value("$randuri_3"), ctx.value("$randuri_2")
    assert r3 != r2 and r3.startswith("/") and ctx.value("$randuri_3") == r3  # one path per run
    doc = routes.wellknown_document(ctx.state)
    assert json.loads(json.dumps(doc))["supportedSchemaVersions"]["https://csipaus.org/ns/v1.3"]["dcap"] == [r3]
    assert ctx.state.aus.proxied(r3) == "/dcap"
    assert ctx.glob("$randuri_3") == r3 and ctx.value("$randuri_3") != _ctx().value("$randuri_3")


def _check(ctx: Context, **params: Any) -> tuple[bool, str]:
    return checks.run(ctx, Check("price-response-contents", params), 0)


def _answer(ctx: Context, tti: TimeTariffInterval, status: int) -> None:
    ctx.state.responses.append({"subject": tti.mrid, "status": str(status)})


def test_price_response_contents_pass_and_fail() -> None:
    ctx = _ctx()
    _tariffs(ctx)
    t1, t2 = ctx.tags["T1"], ctx.tags["T2"]
    assert not _check(ctx, all=True, status=1)[0]  # nothing answered yet
    assert _check(ctx, subject_tag="T1", status=6, exists=False)[0]
    _answer(ctx, t1, 1)
    ctx.state.responses.append({"subject": "AB" * 16, "status": "1"})  # another event's Response: not a price one
    ok, text = _check(ctx, all=True, status=1)
    assert not ok and t2.mrid.upper() in text
    _answer(ctx, t2, 1)
    assert _check(ctx, all=True, status=1)[0]
    assert not _check(ctx, subject_tag="T1", status=6)[0]
    _answer(ctx, t1, 6)
    assert _check(ctx, subject_tag="T1", status=6)[0]
    assert not _check(ctx, subject_tag="T1", status=6, exists=False)[0]
    assert _check(ctx, latest=True, status=6, subject_tag="T1")[0]
    assert not _check(ctx, latest=True, status=1, subject_tag="T1")[0]  # its latest is the cancellation
    assert not _check(ctx, subject_tag="T9", status=1)[0]


def test_endpoints_and_resources_of_pricing() -> None:
    def tp(i: str) -> str:
        return {"1": "40"}.get(i, i)

    same = str
    assert paths.to_glob("/edev/1/fsa/1/tp", same, lambda i: "3") == "/edev/*/fsa/3/tp"
    assert paths.to_glob("/edev/1/tp/1/ctti", same, same, tp) == "/tp/40/rc/*/tti"
    assert paths.to_glob("/edev/1/tp/1", same, same, tp) == "/tp/40"
    assert paths.to_glob("/edev/1/rsps/tariff_generated_rates/rsp", same, same) == RESPONSES
    assert paths.missing("$randuri_1") is None
    assert paths.missing("$elsewhere") == "endpoint $elsewhere"
    assert paths.RESOURCE_GLOBS["RateComponent"] == "/tp/*/rc/*"


def test_support_runs_the_pricing_procedures_it_can_judge(procs: dict[str, procedures.Procedure]) -> None:
    for pid in ("PRC-01", "PRC-02", "PRC-04", "SDVN-01"):  # PRC-02's proceed step: the operator (operator.py)
        assert support.missing(procs[pid]) == [], pid
    for pid in ("PRC-03", "PRC-05"):  # interval lists counted at a rate of their own; a RateComponent added later
        assert support.missing(procs[pid]) == [pricing.COMBINED_LIST], pid


def _proc(rates: dict[str, int], counted: bool) -> procedures.Procedure:
    crit = [{"type": "resource-requests", "parameters": {"resources": ["TimeTariffIntervalList"],
                                                         "minimum_count": 1}}] if counted else []
    return procedures.parse("X-01", {
        "Criteria": {"checks": crit},
        "Preconditions": {"init_actions": [{"type": "set-comms-rate", "parameters": rates}]},
        "Steps": {"A": {"event": {"type": "wait", "parameters": {"duration_seconds": 1}}, "actions": []}}})


def test_interval_lists_counted_at_their_own_rate_cannot_be_judged() -> None:
    assert pricing.needs(_proc({"tp_list_poll_seconds": 60, "tti_list_poll_seconds": 60}, True)) == []
    assert pricing.needs(_proc({"tp_list_poll_seconds": 60, "tti_list_poll_seconds": 240}, False)) == []
    assert pricing.needs(_proc({"tp_list_poll_seconds": 60, "tti_list_poll_seconds": 240}, True)) == \
        [pricing.COMBINED_LIST]


def test_a_run_puts_other_tariffs_and_routes_aside(procs: dict[str, procedures.Procedure]) -> None:
    ctx = _ctx()
    _tariffs(ctx)
    ctx.state.aus.proxy_routes["/x"] = "/dcap"
    st = ctx.state
    saved = pricing.put_aside(st, procs["SDVN-01"])
    assert st.aus.tariffs == [] and not st.aus.proxy_routes and not st.aus.pricing
    pricing.put_back(st, saved)
    assert len(st.aus.tariffs) == 1 and st.aus.proxy_routes == {"/x": "/dcap"} and st.aus.pricing
    pricing.put_aside(st, procs["PRC-04"])
    assert st.aus.pricing  # a pricing procedure: the TariffProfileList linked from the start


def test_the_tariff_list_rate_is_served_and_is_nobody_elses_default() -> None:
    ctx = _ctx()
    _act(ctx, "set-comms-rate", dcap_poll_seconds=60, tp_list_poll_seconds=300, tti_list_poll_seconds=120)
    assert ctx.state.rate("TariffProfileList") == 10 and ctx.state.poll_rate_s == 2
    _act(ctx, "set-comms-rate", tp_list_poll_seconds=3600)
    assert ctx.state.rate("TariffProfileList") == 120 and ctx.state.poll_rate_s == 2

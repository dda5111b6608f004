"""Managed-charging programs from the mission notes, end to end: a residential EV time-of-use price (the
EVR template) and a workplace demand-response event with its telemetry report."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers20b import answered, deliver, event_id
from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import as_list

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


def _tou_event(ven) -> dict:
    """A day of hourly EV charging prices (currency per kWh) with three price levels."""
    start = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    prices = [0.12] * 7 + [0.31] * 4 + [0.19] * 6 + [0.38] * 4 + [0.12] * 3
    item = {"currencyPerKWh": {"oadr:itemDescription": "currencyPerKWh", "oadr:itemUnits": "EUR",
                               "siScaleCode": "none"}}
    sig = m.signal([m.interval(i, 3600, p) for i, p in enumerate(prices)], name="ELECTRICITY_PRICE", kind="price",
                   item=item, signal_id="TOU-PRICE")
    return m.event(m.new_id("EVR"), start=start, signals=[sig], ven_ids=[ven.ven_id],
                   market_context="http://vgitest.example/programs/evr-tou", priority=1)


@pytest.mark.vgi_case("TC_VGI_EVR_01", feature="Programs", requires=("HttpPull",))
def test_TC_VGI_EVR_01(registered_ven, t) -> None:
    """Residential EV time-of-use: the VEN accepts a day-long, 24-interval price schedule (opting in)."""
    ven = registered_ven
    ev = _tou_event(ven)
    deliver(ven, t, [(ev, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    ven.check(resp.get("optType") == "optIn", r.EXPECTED_MESSAGE, f"the price schedule was answered "
              f"{resp.get('optType')}", frame)


@pytest.mark.vgi_case("TC_VGI_DR_01", feature="Programs", requires=("HttpPull", "Reports", "TelemetryUsage"))
def test_TC_VGI_DR_01(registered_ven, t) -> None:
    """Workplace demand response: a two-hour SIMPLE event (levels 1 then 3) is accepted, and during it the
    VTN asks for the site's usage telemetry, which the VEN then reports."""
    ven = registered_ven
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    sig = m.signal([m.interval(0, 3600, 1), m.interval(1, 3600, 3)], current=0)
    ev = m.event(m.new_id("DR"), start=start, signals=[sig], ven_ids=[ven.ven_id],
                 market_context="http://vgitest.example/programs/workplace-dr", notification_s=300)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    usage = [(spec, rep) for spec, rep in ven.state.reports.items()
             if str(rep.get("reportName")) == "METADATA_TELEMETRY_USAGE"]
    ven.check(usage, r.EXPECTED_MESSAGE, "the VEN registered no TELEMETRY_USAGE report")
    spec, rep = usage[0]
    rids = [str(d.get("rID")) for d in as_list(rep.get("oadrReportDescription"))]
    req = m.report_request(m.new_id("RR"), spec, rids, granularity_s=t.poll, report_back_s=t.poll, start=start,
                           duration_s=7200)
    ven.queue("oadrCreateReport", m.create_report([req], ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCreatedReport", t.wait)
    update = ven.expect("oadrUpdateReport", t.wait, lambda b: any(x.get("reportRequestID") == req["reportRequestID"]
                                                                  for x in as_list(b.get("oadrReport"))))
    ven.check(update.body, r.EXPECTED_MESSAGE, "empty report")


@pytest.mark.vgi_case("TC_VGI_EVR_02", feature="Programs", requires=("HttpPull",))
def test_TC_VGI_EVR_02(registered_ven, t) -> None:
    """Residential EV time-of-use: a revised price schedule (same event, next modification, new prices) is
    accepted for the new modification."""
    ven = registered_ven
    ev = _tou_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    revised = _tou_event(ven)
    revised["eventDescriptor"]["eventID"] = event_id(ev)
    revised["eventDescriptor"]["modificationNumber"] = "1"
    revised["eventDescriptor"]["modificationReason"] = "day-ahead prices revised"
    deliver(ven, t, [(revised, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    mod = resp.get("qualifiedEventID", {}).get("modificationNumber")
    ven.check(mod == "1", r.CREATED_EVENT_ID, f"the revision was answered for modification {mod}", frame)


@pytest.mark.vgi_case("TC_VGI_DR_02", feature="Programs", requires=("HttpPull",))
def test_TC_VGI_DR_02(registered_ven, t) -> None:
    """Workplace demand response: an event cancelled before it starts is acknowledged."""
    ven = registered_ven
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
    sig = m.signal([m.interval(0, 3600, 2)], current=0)
    ev = m.event(m.new_id("DR"), start=start, signals=[sig], ven_ids=[ven.ven_id],
                 market_context="http://vgitest.example/programs/workplace-dr")
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    cancelled = m.event(event_id(ev), start=start, signals=[sig], ven_ids=[ven.ven_id], modification=1,
                        status="cancelled", market_context="http://vgitest.example/programs/workplace-dr")
    deliver(ven, t, [(cancelled, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    ven.check(resp.get("qualifiedEventID", {}).get("modificationNumber") == "1", r.CREATED_EVENT_ID,
              "the cancellation was not answered for its modification", frame)

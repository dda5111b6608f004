"""The 1.6 smart-charging arithmetic of the reference station (station/v16_smart.py) and the judge helpers of the
smart-charging cases (vgitest/ocpp/smartcharging.py), without a station or a CSMS.

Each judge check is shown to flag the bad case it exists for, beside the good one it must accept."""

from __future__ import annotations

from vgitest.ocpp.smartcharging import Segment, limit_at, meter_readings, schedule_mismatches
from vgitest.ocpp.station.v16_smart import CYCLE, LOCAL_MAX, Profile, ProfileStore, format_time, parse_time

T0 = parse_time("2026-12-07T10:00:00Z")


def prof(pid: int, purpose: str, stack: int, periods: list[tuple[int, float]], *, connector: int = 1,
         kind: str = "Absolute", start: int | None = T0, duration: int | None = None, tx: int | None = None,
         unit: str = "A", **extra: object) -> Profile:
    sched: dict = {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": s, "limit": v}
                                                                         for s, v in periods]}
    if start is not None:
        sched["startSchedule"] = format_time(start)
    if duration is not None:
        sched["duration"] = duration
    body = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind, "chargingSchedule": sched, **extra}
    if tx is not None:
        body["transactionId"] = tx
    return Profile.from_message(connector, body, T0)


def test_times_round_trip_and_offsets_are_honoured() -> None:
    assert format_time(T0) == "2026-12-07T10:00:00Z"
    assert parse_time("2026-12-07T11:00:00+01:00") == T0
    assert parse_time("2026-12-07T10:00:00.900") == T0  # no offset: UTC; fractions of a second dropped


def test_install_replaces_by_id_or_by_purpose_and_stack_on_the_same_connector() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 10)]))
    store.install(prof(2, "TxDefaultProfile", 0, [(0, 8)]))  # same purpose and stack: replaces 1
    assert [p.id for p in store.profiles] == [2]
    store.install(prof(3, "TxDefaultProfile", 0, [(0, 8)], connector=0))  # another connector: added
    store.install(prof(2, "TxDefaultProfile", 1, [(0, 6)]))  # same id: replaces the old 2
    assert sorted((p.id, p.stack) for p in store.profiles) == [(2, 1), (3, 0)]


def test_highest_stack_level_prevails_while_valid() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 12)]))
    store.install(prof(2, "TxDefaultProfile", 1, [(0, 14), (60, 6)], duration=120))
    assert [store.limit(1, T0 + dt, "A", 7, T0) for dt in (0, 59, 60, 119, 120, 299)] == [14, 14, 6, 6, 12, 12]
    assert store.composite(1, T0, 300, "A", 7, T0) == [{"startPeriod": 0, "limit": 14.0},
                                                       {"startPeriod": 60, "limit": 6.0},
                                                       {"startPeriod": 120, "limit": 12.0}]
    wrong = ProfileStore(lowest_stack_wins=True)  # the fault sc_lowest_stack_wins
    wrong.profiles = list(store.profiles)
    assert wrong.limit(1, T0, "A", 7, T0) == 12


def test_tx_profile_overrides_the_default_and_the_max_profile_caps() -> None:
    store = ProfileStore()
    store.install(prof(1, "ChargePointMaxProfile", 0, [(0, 16), (150, 11)], connector=0))
    store.install(prof(2, "TxDefaultProfile", 0, [(0, 9)]))
    store.install(prof(3, "TxProfile", 0, [(0, 10), (100, 14)], duration=200, tx=7))
    assert [p["limit"] for p in store.composite(1, T0, 300, "A", 7, T0)] == [10, 14, 11, 9]
    assert store.limit(1, T0, "A", 8, T0) == 9  # another transaction: the TxProfile does not apply
    assert store.limit(1, T0, "A", None, None) == 9
    assert store.limit(0, T0 + 200, "A", None, None) == 11  # connector 0: the station as a whole


def test_validity_and_recurrence() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 10)], validFrom=format_time(T0 + 10),
                       validTo=format_time(T0 + 20)))
    assert [store.limit(1, T0 + dt, "A", None, None) for dt in (9, 10, 19, 20)] == [32, 10, 10, 32]
    store = ProfileStore()
    store.install(prof(2, "TxDefaultProfile", 0, [(0, 6), (3600, 16)], kind="Recurring", duration=7200,
                       recurrencyKind="Daily"))
    day = CYCLE["Daily"]
    assert [store.limit(1, T0 + day * 3 + dt, "A", None, None) for dt in (0, 3600, 7200, -1)] == [6, 16, 32, 32]
    assert store.limit(1, T0 - 1, "A", None, None) == LOCAL_MAX["A"]  # before the first cycle


def test_relative_profiles_start_with_charging_and_units_convert() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 10), (60, 6)], kind="Relative", start=None))
    assert store.limit(1, T0 + 1000, "A", 1, T0 + 950) == 10
    assert store.limit(1, T0 + 1010, "A", 1, T0 + 950) == 6
    assert store.limit(1, T0 + 1010, "W", 1, T0 + 950) == 6 * 230 * 3  # no numberPhases: three phases


def test_clear_matches_every_criterion_given_and_transactions_take_their_profiles() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 10)]))
    store.install(prof(2, "ChargePointMaxProfile", 0, [(0, 6)], connector=0))
    store.install(prof(3, "TxProfile", 0, [(0, 8)], tx=7))
    assert store.clear(id=1, purpose="ChargePointMaxProfile") == 0
    assert store.clear(purpose="ChargePointMaxProfile", stack=0) == 1
    store.drop_transaction(1)
    assert [p.id for p in store.profiles] == [1]
    assert store.clear() == 1 and store.profiles == []


def test_a_huge_composite_request_stays_bounded() -> None:
    store = ProfileStore()
    store.install(prof(1, "TxDefaultProfile", 0, [(0, 6), (60, 7)], kind="Recurring", duration=120,
                       recurrencyKind="Daily"))
    periods = store.composite(1, T0, 2 ** 31 - 1, "A", None, None)
    assert 2 < len(periods) <= 2000


def _answer(periods: list[tuple[int, float]], start: int = T0, unit: str = "A", duration: int = 300) -> dict:
    return {"status": "Accepted", "connectorId": 1, "scheduleStart": format_time(start),
            "chargingSchedule": {"duration": duration, "chargingRateUnit": unit,
                                 "chargingSchedulePeriod": [{"startPeriod": s, "limit": v} for s, v in periods]}}


def test_schedule_judge_accepts_equivalent_schedules_and_flags_wrong_ones() -> None:
    want = [Segment(T0, T0 + 100, 10), Segment(T0 + 100, T0 + 300, 8)]
    assert schedule_mismatches(_answer([(0, 10), (100, 8)]), "A", want) == []
    assert schedule_mismatches(_answer([(0, 10), (50, 10), (100, 8)]), "A", want) == []  # split: the same
    assert schedule_mismatches(_answer([(0, 10), (99, 8)], start=T0 + 1), "A", want) == []  # a second later
    assert len(schedule_mismatches(_answer([(0, 10), (100, 9)]), "A", want)) == 1  # wrong limit
    assert len(schedule_mismatches(_answer([(0, 10)]), "A", want)) == 1  # a missing step
    assert schedule_mismatches(_answer([(0, 10), (100, 8)], duration=150), "A", want)  # does not reach the end
    assert schedule_mismatches(_answer([(0, 10), (100, 8)], unit="W"), "A", want)  # wrong unit
    assert schedule_mismatches({"status": "Rejected"}, "A", want)
    assert limit_at(_answer([(0, 10), (100, 8)]), T0 - 1) is None


def test_meter_readings_per_unit() -> None:
    body = {"meterValue": [{"timestamp": "x", "sampledValue": [
        {"value": "1200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "9.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "10.5", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
        {"value": "2.3", "measurand": "Power.Active.Import", "unit": "kW"}]}]}
    assert meter_readings(body, "A") == [9.5, 10.5]  # each phase judged against a per-phase limit
    assert meter_readings(body, "W") == [2300.0]
    phases = {"meterValue": [{"sampledValue": [{"value": "1000", "measurand": "Power.Active.Import", "phase": p}
                                               for p in ("L1", "L2")]}]}
    assert meter_readings(phases, "W") == [2000.0]
    assert meter_readings({"meterValue": [{"sampledValue": [{"value": "x", "measurand": "Current.Import"}]}]},
                          "A") == []

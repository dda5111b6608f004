"""The poll judge of vgitest.sep2.polling: on time, one tolerated miss, late, too often; GETs counted by read
(pages are not polls), wildcards judged per concrete path. Every verdict is shown failing on the bad case."""

from __future__ import annotations

import pytest

from vgitest.sep2.polling import CROWD_MAX, judge, poll_times, polls_on_time
from vgitest.trace import Direction, Frame

R = 60.0


def test_polls_at_the_rate_are_on_time() -> None:
    j = judge([0, 60, 120.5, 179.5, 240, 300], R, start_s=0, end_s=330, path="/dcap")
    assert j.on_time and not j.missed and "on time" in j.describe()


def test_one_missed_poll_is_tolerated_two_within_five_rates_are_late() -> None:
    one = judge([0, 60, 160, 220, 280, 340, 400], R, start_s=0, end_s=420)  # 100 s gap: one miss
    assert one.on_time and len(one.missed) == 1 and "tolerated" in one.describe()
    two = judge([0, 100, 200, 260], R, start_s=0, end_s=280)  # two misses 100 s apart (< 5 R)
    assert not two.on_time and len(two.late) == 1 and "missed more than one" in two.describe()
    apart = judge([0, 100, 160, 220, 280, 340, 440], R, start_s=0, end_s=450)  # two misses 340 s apart (>= 5 R)
    assert apart.on_time and len(apart.missed) == 2


def test_a_gap_at_the_window_edges_counts() -> None:
    first_late = judge([100, 160, 220, 280], R, start_s=0, end_s=300)  # the first poll came 100 s in: one miss
    assert first_late.on_time and first_late.missed == ((0, 100),)
    never = judge([], R, start_s=0, end_s=200, path="/tm")  # a 200 s gap misses two polls (at 91 s and 151 s)
    assert not never.on_time and len(never.late) == 1
    stopped = judge([0, 60, 120], R, start_s=0, end_s=400)  # stopped polling: a long gap at the end
    assert not stopped.on_time and stopped.missed[-1][0] == 120


def test_polling_too_often_is_caught() -> None:
    fast = judge([i * 20.0 for i in range(10)], R, start_s=0, end_s=200)  # every 20 s: 9 per 3 R
    assert not fast.on_time and fast.crowded[0][1] > CROWD_MAX and "at most" in fast.describe()
    one_extra = judge([0, 30, 60, 120, 180], R, start_s=0, end_s=200)  # one poll brought forward
    assert one_extra.on_time
    with pytest.raises(ValueError):
        judge([], 0, start_s=0, end_s=1)


def _get(t: float, path: str, index: int, query: dict | None = None, method: str = "GET") -> list[Frame]:
    req = Frame(int(t * 1e9), t, Direction.IN, "sep2", "2030.5", "c", "REQUEST", correlation=str(index),
                meta={"method": method, "path": path, "query": query or {}}, index=index)
    ans = Frame(int(t * 1e9) + 1000, t, Direction.OUT, "sep2", "2030.5", "c", "RESPONSE", correlation=str(index),
                body={"@all": "3", "@results": "1"}, meta={"status": 200}, index=index + 1)
    return [req, ans]


def test_pages_are_not_polls_and_wildcards_are_judged_per_path() -> None:
    frames: list[Frame] = []
    n = 0
    for k in range(5):
        t = 100.0 + k * R
        for s in range(3):  # one read of a 3-item list in three pages
            frames += _get(t + s * 0.1, "/mup/2", n, {"s": str(s), "l": "1"})
            n += 2
        frames += _get(t + 1, "/mup/3", n)
        n += 2
    times = poll_times(frames, "/mup/*")
    assert len(times["/mup/2"]) == 5 and len(times["/mup/3"]) == 5
    judged = polls_on_time(frames, "/mup/*", R, start_ns=int(100e9), end_ns=int(100e9 + 5 * R * 1e9))
    assert set(judged) == {"/mup/2", "/mup/3"} and all(j.on_time for j in judged.values())
    assert not polls_on_time(frames, "/mup/*", R / 4, start_ns=int(100e9), end_ns=int(400e9))["/mup/2"].on_time
    absent = polls_on_time(frames, "/tm", R, start_ns=int(100e9), end_ns=int(700e9))
    assert absent["/tm"].missed and not absent["/tm"].polls
    posts = poll_times(frames + _get(130, "/mup/2", 999, method="POST"), "/mup/2", "POST")
    assert posts == {"/mup/2": [130.0]}

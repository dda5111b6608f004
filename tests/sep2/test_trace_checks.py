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

    def get(self, at_s: float, path: str, poll_rate: int | None = None) -> None:
        self.n += 1
        c = f"x{self.n}"
        self.trace.append(Frame(int(at_s * S), at_s, Direction.IN, "sep2", "2030.5", "c", "REQUEST", f"GET {path}", c,
                                meta={"method": "GET", "path": path}))
        body = {"@href": path, **({"@pollRate": str(poll_rate)} if poll_rate else {})}
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

"""The fake CSMS keeps one session per station identity even when the case's thread and the event loop's thread
ask for it at the same moment (a station connecting just as its case starts): before, both could make one, and the
connection's link landed on the session the case was not waiting on (a false INCONCLUSIVE after 30 s)."""

from __future__ import annotations

import threading
import time

from vgitest.ocpp import csms as csms_mod
from vgitest.ocpp.csms import FakeCsms


def test_two_threads_asking_at_once_get_the_same_session(monkeypatch) -> None:
    made = []
    original = csms_mod.StationSession.__init__

    def slow_init(self, *args, **kwargs):  # widen the window between looking the identity up and storing it
        time.sleep(0.05)
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(csms_mod.StationSession, "__init__", slow_init)
    csms = FakeCsms()  # not started: session() needs no server
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(csms.session("VGI-RACE"))) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(5)
    assert len(got) == 2 and got[0] is got[1], "two sessions for one identity"
    assert len(made) == 1

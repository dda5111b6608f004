"""Shared knobs of the OCPP 2.1 suite: the same PIXIT timers as the 2.0.1 suite (vgitest.ocpp.timers2x). The 2.1
run executes suites/ocpp201's cases that hold unchanged in 2.1, then this folder's cases of what 2.1 adds."""

from vgitest.ocpp.timers2x import Timers, t  # noqa: F401  (the fixture, registered for this folder)

"""Shared knobs of the OCPP 2.0.1 suite: the PIXIT timers every test waits with (vgitest.ocpp.timers2x; the 2.1
suite, which runs many of these cases too, uses the same fixture)."""

from vgitest.ocpp.timers2x import Timers, t  # noqa: F401  (the fixture, registered for this folder)

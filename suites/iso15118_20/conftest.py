"""ISO 15118-20 suite: TC_SECC_* cases test an EVSE through the fake EVCC, TC_EVCC_* cases an EV through the fake
SECC (the profile's [dut] role and PICS Evse/Ev select them)."""

from vgitest.iso15118.suite import pytest_runtest_call  # noqa: F401,E402  (a scripted provocation never reached: INCONCLUSIVE)

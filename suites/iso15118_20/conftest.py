"""ISO 15118-20 suite: TC_SECC_* cases test an EVSE through the fake EVCC, TC_EVCC_* cases an EV through the fake
SECC (the profile's [dut] role and PICS Evse/Ev select them)."""

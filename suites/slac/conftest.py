"""ISO 15118-3 SLAC suite (test-case ids of ISO 15118-5): TC_SECC_* cases test an EVSE through the fake SLAC EV,
TC_EVCC_* cases an EV through the fake SLAC EVSE (the profile's [dut] role and PICS Evse/Ev select them)."""

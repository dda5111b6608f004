"""ISO 15118-2 fuzz suite (issue 15): TC_VGI_FUZZ_*_SECC cases test an EVSE through the fake EVCC, TC_VGI_FUZZ_*_EVCC
cases an EV through the fake SECC (the profile's [dut] role and PICS Evse/Ev select them)."""

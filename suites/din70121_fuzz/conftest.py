"""DIN SPEC 70121 fuzz suite (issue 15): the ISO 15118-2 fuzz cases (vgitest.iso15118.fuzzcases) in DIN's message
set. TC_VGI_FUZZ_*_SECC cases test an EVSE through the fake EVCC, TC_VGI_FUZZ_*_EVCC cases an EV through the fake
SECC (the profile's [dut] role and PICS Evse/Ev select them)."""
